/**
 * OffsetCommit v2-10 (v0-1 were removed in Kafka 4.0): stored per group, durable before the answer with a data
 * dir. v9+ serves KIP-848 consumer groups (the member epoch must be the member's current one, else
 * STALE_MEMBER_EPOCH; a member of such a group must use v9+) and answers GROUP_ID_NOT_FOUND for a commit with a
 * generation to a group that does not exist; v10 names topics by id.
 */
import { ErrorCode } from "../../protocol/apis";
import { UUID_ZERO } from "../../protocol/codec";
import { defineApi } from "../protocol/api";
import { OffsetCommit } from "../../protocol/messages";
import { AclOperation, groupAllowed, topicAllowed } from "../acl/check";
import type { RequestContext } from "../core";
import { topicMeta } from "./topic-meta";

function membership(ctx: RequestContext, groupId: string, generationOrEpoch: number, memberId: string): number {
  const { core } = ctx;
  if (!groupAllowed(ctx, AclOperation.READ, groupId)) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (!groupId) return ErrorCode.INVALID_GROUP_ID;
  const modern = core.consumerGroups.groups.get(groupId);
  if (modern) return core.consumerGroups.checkCommit(modern, memberId, generationOrEpoch, ctx.version);
  const code = core.groups.checkCommit(groupId, generationOrEpoch, memberId);
  // v9+: a generation for a group that does not exist is GROUP_ID_NOT_FOUND (ILLEGAL_GENERATION before).
  if (code === ErrorCode.ILLEGAL_GENERATION && ctx.version >= 9 && !core.groups.groups.get(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
  return code;
}

export const offsetCommit = defineApi(OffsetCommit, {
  versions: [2, 10],
  handle(req, ctx) {
    const { core } = ctx;
    const { groupId } = req;
    const byId = ctx.version >= 10;
    const ids = topicMeta(core);
    const groupError = membership(ctx, groupId, req.generationIdOrMemberEpoch, req.memberId);
    const accepted: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
    const topics = req.topics.map((t) => {
      const name = byId ? ids.nameOf(t.topicId) : t.name;
      const topic = name === undefined ? undefined : core.topics.get(name);
      return {
        name: t.name,
        topicId: t.topicId ?? UUID_ZERO,
        partitions: t.partitions.map((p) => {
          let errorCode: number = groupError;
          if (errorCode === 0 && name === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          if (errorCode === 0 && !topicAllowed(ctx, AclOperation.READ, name!)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          if (errorCode === 0 && (!topic || !topic.partitions[p.partitionIndex])) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (errorCode === 0) errorCode = core.groups.validateCommit(p.committedOffset, p.committedMetadata);
          if (errorCode === 0) accepted.push({ topic: name!, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata });
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      };
    });
    const failed = accepted.length ? core.groups.commit(groupId, accepted) : 0; // a storage failure: retriable code
    if (failed) for (const t of topics) for (const p of t.partitions) if (p.errorCode === 0) p.errorCode = failed;
    return { topics };
  },
});
