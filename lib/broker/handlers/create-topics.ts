/**
 * Topic administration: CreateTopics v2-7, DeleteTopics v1-6 (by name or id), CreatePartitions v0-3 and
 * DeleteRecords v0-2. One node, so replication factor 1 (or -1, "the default").
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { UUID_ZERO } from "../../protocol/codec";
import { CreatePartitions, CreateTopics, DeleteRecords, DeleteTopics } from "../../protocol/messages";
import { AclOperation, clusterAllowed, topicAllowed } from "../acl/check";
import { TopicError, checkTopicName } from "../log/topics";
import { topicMeta } from "./topic-meta";
import { parseTopicConfigs, topicConfigEntries } from "./configs";

export const createTopics = defineApi(CreateTopics, {
  versions: [2, 7],
  handle(req, ctx) {
    const { core } = ctx;
    const topics = req.topics.map((t) => {
      const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage, topicConfigErrorCode: 0, configs: null });
      const badName = checkTopicName(t.name);
      if (badName) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, badName);
      if (!clusterAllowed(ctx, AclOperation.CREATE) && !topicAllowed(ctx, AclOperation.CREATE, t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
      if (core.topics.get(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0)
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${t.replicationFactor} time(s): The target replication factor of ${t.replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
      if (t.assignments.some((a) => a.brokerIds.some((b) => b !== core.nodeId))) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `the only broker is ${core.nodeId}`);
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? core.options.defaultPartitions : t.numPartitions;
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10000) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0, got ${partitions}.`);
      const configs = parseTopicConfigs(t.configs);
      if (typeof configs === "string") return fail(ErrorCode.INVALID_CONFIG, configs);
      if (!req.validateOnly) {
        try {
          core.topics.create(t.name, partitions, configs);
          topicMeta(core).setExplicitConfigs(t.name, Object.fromEntries(t.configs.map((c) => [c.name, c.value])));
        } catch (err) {
          if (err instanceof TopicError) return fail(err.code, err.message);
          throw err;
        }
      }
      const created = core.topics.get(t.name);
      return {
        name: t.name,
        topicId: created ? topicMeta(core).idOf(t.name) : UUID_ZERO,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: created ? topicConfigEntries(core, created).map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: e.source, isSensitive: false })) : [],
      };
    });
    return { topics };
  },
});

export const deleteTopics = defineApi(DeleteTopics, {
  versions: [1, 6],
  handle(req, ctx) {
    const { core } = ctx;
    const ids = topicMeta(core);
    const asked = ctx.version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: UUID_ZERO }));
    return {
      responses: asked.map((t) => {
        const name = t.name ?? ids.nameOf(t.topicId) ?? null;
        if (name === null) return { name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: "This server does not host this topic ID." };
        if (!topicAllowed(ctx, AclOperation.DELETE, name)) return { name, topicId: t.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "Authorization failed." };
        if (!core.topics.get(name)) return { name, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition." };
        const topicId = ids.idOf(name);
        core.topics.delete(name);
        core.groups.dropTopic(name);
        ids.forget(name);
        return { name, topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    };
  },
});

export const createPartitions = defineApi(CreatePartitions, {
  versions: [0, 3],
  handle(req, ctx) {
    const { core } = ctx;
    const seen = new Set<string>();
    return {
      results: req.topics.map((t) => {
        const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage });
        if (seen.has(t.name)) return fail(ErrorCode.INVALID_REQUEST, "Duplicate topic in request.");
        seen.add(t.name);
        if (!topicAllowed(ctx, AclOperation.ALTER, t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
        const topic = core.topics.get(t.name);
        if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.");
        const current = topic.partitions.length;
        if (t.count < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`);
        if (t.count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
        if (t.count > 10000) return fail(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at most 10000, got ${t.count}`);
        if (t.assignments && t.assignments.length !== t.count - current)
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
        if (t.assignments?.some((a) => a.brokerIds.some((b) => b !== core.nodeId))) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `the only broker is ${core.nodeId}`);
        if (!req.validateOnly) {
          try {
            core.topics.addPartitions(t.name, t.count);
          } catch (err) {
            if (err instanceof TopicError) return fail(err.code, err.message);
            throw err;
          }
        }
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    };
  },
});

export const deleteRecords = defineApi(DeleteRecords, {
  versions: [0, 2],
  handle(req, ctx) {
    const { core } = ctx;
    return {
      topics: req.topics.map((t) => {
        const topic = core.topics.get(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (!topicAllowed(ctx, AclOperation.DELETE, t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            const log = topic?.partitions[p.partitionIndex];
            if (!log) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            // -1 means "up to the high watermark", as in Kafka's admin client deleteRecordsBefore(latest).
            const offset = p.offset === -1 ? log.highWatermark : p.offset;
            if (offset < 0 || offset > log.highWatermark) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
            if (offset > log.logStartOffset) log.deleteRecordsBefore(offset);
            return { partitionIndex: p.partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.NONE };
          }),
        };
      }),
    };
  },
});
