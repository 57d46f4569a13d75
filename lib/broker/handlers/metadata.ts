/**
 * Metadata v0-12: this single broker, and each topic with every partition led by it. v10+ carries topic ids;
 * a request naming topics by id (v10+, null name) is answered by id. Names starting with "__" are never
 * auto-created (Kafka's internal topics).
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { UUID_ZERO } from "../../protocol/codec";
import { Metadata } from "../../protocol/messages";
import { AclOperation, ResourceType, authorizedOperations, clusterAllowed, clusterAuthorizedOperations, topicAllowed } from "../acl/check";
import { NO_AUTHORIZED_OPERATIONS } from "../core";
import { INTERNAL_TOPICS, checkTopicName } from "../log/topics";
import { topicMeta } from "./topic-meta";

export const metadata = defineApi(Metadata, {
  versions: [0, 12],
  handle(req, ctx) {
    const { core } = ctx;
    const v = ctx.version;
    const ids = topicMeta(core);
    // v0 asks for every topic with an empty list; later versions with null.
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    // Listing every topic leaves out the ones the principal may not describe (with an authorizer).
    const asked: { name: string | null; topicId: string }[] = all
      ? [...core.topics.topics.keys()]
          .sort()
          .filter((name) => topicAllowed(ctx, AclOperation.DESCRIBE, name))
          .map((name) => ({ name, topicId: UUID_ZERO }))
      : req.topics!;
    const topics = asked.map((t) => {
      let name = t.name;
      if (name === null) {
        name = ids.nameOf(t.topicId) ?? null;
        if (name === null) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: t.topicId, partitions: [] };
      }
      const invalid = checkTopicName(name);
      if (!invalid && !topicAllowed(ctx, AclOperation.DESCRIBE, name)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: UUID_ZERO, partitions: [] };
      const mayCreate = clusterAllowed(ctx, AclOperation.CREATE) || topicAllowed(ctx, AclOperation.CREATE, name);
      const autoCreate = req.allowAutoTopicCreation && !name.startsWith("__") && mayCreate;
      const topic = invalid ? undefined : core.topicOrAutoCreate(name, autoCreate);
      const errorCode = invalid ? ErrorCode.INVALID_TOPIC_EXCEPTION : topic ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return {
        errorCode,
        name,
        topicId: topic ? ids.idOf(name) : UUID_ZERO,
        isInternal: INTERNAL_TOPICS.has(name),
        partitions: (topic?.partitions ?? []).map((_, p) => ({
          errorCode: ErrorCode.NONE,
          partitionIndex: p,
          leaderId: core.nodeId,
          leaderEpoch: 0,
          replicaNodes: [core.nodeId],
          isrNodes: [core.nodeId],
          offlineReplicas: [],
        })),
        // v8+ asked for: the operations the principal may do on the topic (every one without an authorizer).
        topicAuthorizedOperations: req.includeTopicAuthorizedOperations ? authorizedOperations(ctx, ResourceType.TOPIC, name) : NO_AUTHORIZED_OPERATIONS,
      };
    });
    return {
      brokers: [{ nodeId: core.nodeId, host: core.host, port: core.port, rack: null }],
      clusterId: core.clusterId,
      controllerId: core.nodeId,
      topics,
      clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NO_AUTHORIZED_OPERATIONS,
    };
  },
});
