/**
 * ConsumerGroupHeartbeat v0-1 (KIP-848): joins, heartbeats and leaves a consumer group of the new protocol; the
 * state machine is lib/broker/group/consumer-group.ts. Topics travel by id on the wire and by name inside.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { ConsumerGroupHeartbeat } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";
import { topicMeta } from "./topic-meta";

export const consumerGroupHeartbeat = defineApi(ConsumerGroupHeartbeat, {
  versions: [0, 1],
  handle(req, ctx) {
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    const ids = topicMeta(ctx.core);
    // Owned partitions of a topic id the broker does not know (a deleted topic) are no longer owned.
    const owned =
      req.topicPartitions === null
        ? null
        : req.topicPartitions.flatMap((t) => {
            const topic = ids.nameOf(t.topicId);
            return topic === undefined ? [] : [{ topic, partitions: t.partitions }];
          });
    const r = ctx.core.consumerGroups.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      owned,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      version: ctx.version,
    });
    return {
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment && { topicPartitions: r.assignment.map((a) => ({ topicId: ids.idOf(a.topic), partitions: a.partitions })) },
    };
  },
});
