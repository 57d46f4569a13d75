/**
 * ConsumerGroupDescribe v0-1 (KIP-848): the state, epochs, assignor and members (with their current and target
 * assignments) of consumer groups of the new protocol. A classic group is GROUP_ID_NOT_FOUND here, as in Kafka.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { ConsumerGroupDescribe } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";
import { NO_AUTHORIZED_OPERATIONS } from "../core";
import { toList, type TopicPartitions } from "../group/consumer-group";
import { topicMeta } from "./topic-meta";

/** KIP-1099 member types. */
const CONSUMER_MEMBER = 1;

export const consumerGroupDescribe = defineApi(ConsumerGroupDescribe, {
  versions: [0, 1],
  handle(req, ctx) {
    const ids = topicMeta(ctx.core);
    const described = (tp: TopicPartitions | undefined) => ({
      topicPartitions: toList(tp ?? new Map<string, Set<number>>()).map((a) => ({ topicId: ids.idOf(a.topic), topicName: a.topic, partitions: a.partitions })),
    });
    const empty = { groupState: "", groupEpoch: 0, assignmentEpoch: 0, assignorName: "", members: [], authorizedOperations: NO_AUTHORIZED_OPERATIONS };
    return {
      groups: req.groupIds.map((groupId) => {
        if (!groupAllowed(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, ...empty };
        const g = ctx.core.consumerGroups.groups.get(groupId);
        if (!g) {
          const classic = ctx.core.groups.groups.get(groupId);
          const exists = !!classic && (classic.members.size > 0 || classic.offsets.size > 0 || classic.generationId > 0);
          return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: exists ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`, groupId, ...empty };
        }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: g.state,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignor,
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: described(m.assigned),
            targetAssignment: described(g.target.get(m.memberId)),
            memberType: CONSUMER_MEMBER,
          })),
          authorizedOperations: NO_AUTHORIZED_OPERATIONS,
        };
      }),
    };
  },
});
