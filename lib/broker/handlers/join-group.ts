/** JoinGroup v0-9: answered when the rebalance completes (every member rejoined, or the timeout passed). */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { JoinGroup } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";

export const joinGroup = defineApi(JoinGroup, {
  versions: [0, 9],
  async handle(req, ctx) {
    const v = ctx.version;
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : "", leader: "", memberId: req.memberId, members: [] };
    // A KIP-848 consumer group with members keeps its id: classic members joining it (Kafka's online migration
    // of mixed groups) are not supported here, so they are refused as Kafka refuses a protocol the group cannot
    // take; an empty consumer group makes way for the classic group (its committed offsets stay), as in Kafka.
    const modern = ctx.core.consumerGroups.groups.get(req.groupId);
    if (modern && modern.members.size > 0) return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : "", leader: "", memberId: req.memberId, members: [] };
    if (modern) ctx.core.consumerGroups.delete(req.groupId);
    // v0 has no rebalance timeout: the session timeout stands in for it, as in Kafka.
    const rebalanceTimeoutMs = req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
    const res = await ctx.core.groups.join({
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      requireKnownMemberId: v >= 4,
    });
    const ok = res.errorCode === ErrorCode.NONE;
    return {
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolType: ok ? req.protocolType : null,
      protocolName: ok ? res.protocolName : v >= 7 ? null : "",
      leader: res.leader,
      skipAssignment: false,
      memberId: res.memberId,
      members: res.members,
    };
  },
});
