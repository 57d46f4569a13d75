/**
 * OffsetFetch v1-10 (v0 was removed in Kafka 4.0): committed offsets, -1 where none; a null topic list asks for
 * all of a group's. v8+ asks for several groups at once; v9+ carries the member id and epoch of a KIP-848
 * consumer group member (checked: UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); v10 names topics by id.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { OffsetFetch } from "../../protocol/messages";
import type { RequestContext } from "../core";
import { AclOperation, groupAllowed, topicAllowed } from "../acl/check";
import { topicMeta } from "./topic-meta";

function fetchGroup(ctx: RequestContext, groupId: string, asked: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean) {
  const { core } = ctx;
  const groups = core.groups;
  let topics = asked;
  if (topics === null) {
    const byTopic = new Map<string, number[]>();
    for (const key of groups.groups.get(groupId)?.offsets.keys() ?? []) {
      const [t, p] = key.split("\0");
      if (!byTopic.has(t)) byTopic.set(t, []);
      byTopic.get(t)!.push(Number(p));
    }
    topics = [...byTopic].filter(([name]) => topicAllowed(ctx, AclOperation.DESCRIBE, name)).map(([name, partitionIndexes]) => ({ name, partitionIndexes: partitionIndexes.sort((a, b) => a - b) }));
  }
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      if (!topicAllowed(ctx, AclOperation.DESCRIBE, t.name)) return { partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      const c = groups.committed(groupId, t.name, p);
      // require_stable (v7+): an offset still pending in an open transaction is not answered yet (retriable).
      if (requireStable && core.txns.hasPendingOffset(groupId, t.name, p))
        return { partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      return { partitionIndex: p, committedOffset: c ? c.offset : -1, committedLeaderEpoch: -1, metadata: c ? c.metadata : "", errorCode: ErrorCode.NONE };
    }),
  }));
}

export const offsetFetch = defineApi(OffsetFetch, {
  versions: [1, 10],
  handle(req, ctx) {
    const denied = (g: string) => !groupAllowed(ctx, AclOperation.DESCRIBE, g);
    if (ctx.version >= 8) {
      const ids = topicMeta(ctx.core);
      const byId = ctx.version >= 10;
      return {
        groups: req.groups.map((g) => {
          if (denied(g.groupId)) return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          const modern = ctx.core.consumerGroups.groups.get(g.groupId);
          const check = modern && ctx.version >= 9 ? ctx.core.consumerGroups.checkFetch(modern, g.memberId, g.memberEpoch) : 0;
          if (check) return { groupId: g.groupId, topics: [], errorCode: check };
          // v10: topics by id; an id the broker does not know is answered UNKNOWN_TOPIC_ID.
          const unknown: { topicId: string; partitionIndexes: number[] }[] = [];
          const asked =
            g.topics === null
              ? null
              : g.topics.flatMap((t) => {
                  if (!byId) return [{ name: t.name, partitionIndexes: t.partitionIndexes }];
                  const name = ids.nameOf(t.topicId);
                  if (name === undefined) unknown.push(t);
                  return name === undefined ? [] : [{ name, partitionIndexes: t.partitionIndexes }];
                });
          const topics: { name: string; topicId?: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[] }[] = fetchGroup(
            ctx,
            g.groupId,
            asked,
            req.requireStable,
          ).map((t) => ({ ...t, topicId: byId ? ids.idOf(t.name) : undefined }));
          for (const u of unknown)
            topics.push({ name: "", topicId: u.topicId, partitions: u.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.UNKNOWN_TOPIC_ID })) });
          return { groupId: g.groupId, topics, errorCode: ErrorCode.NONE };
        }),
      };
    }
    if (denied(req.groupId)) return { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { topics: fetchGroup(ctx, req.groupId, req.topics, req.requireStable), errorCode: ErrorCode.NONE };
  },
});
