/**
 * OffsetFetch v1-9 (v0 was removed in Kafka 4.0): committed offsets, -1 where none; a null topic list asks for
 * all of a group's. v8+ asks for several groups at once.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { OffsetFetch } from "../../protocol/messages";
import type { RequestContext } from "../core";
import { AclOperation, groupAllowed, topicAllowed } from "../acl/check";

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
  versions: [1, 9],
  handle(req, ctx) {
    const denied = (g: string) => !groupAllowed(ctx, AclOperation.DESCRIBE, g);
    if (ctx.version >= 8)
      return {
        groups: req.groups.map((g) =>
          denied(g.groupId) ? { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED } : { groupId: g.groupId, topics: fetchGroup(ctx, g.groupId, g.topics, req.requireStable), errorCode: ErrorCode.NONE },
        ),
      };
    if (denied(req.groupId)) return { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { topics: fetchGroup(ctx, req.groupId, req.topics, req.requireStable), errorCode: ErrorCode.NONE };
  },
});
