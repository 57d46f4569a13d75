/** OffsetCommit v2-9 (v0-1 were removed in Kafka 4.0): stored per group, durable before the answer with a data dir. */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { OffsetCommit } from "../../protocol/messages";
import { AclOperation, groupAllowed, topicAllowed } from "../acl/check";

export const offsetCommit = defineApi(OffsetCommit, {
  versions: [2, 9],
  handle(req, ctx) {
    const { core } = ctx;
    const { groupId } = req;
    const membership = !groupAllowed(ctx, AclOperation.READ, groupId)
      ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : groupId
        ? core.groups.checkCommit(groupId, req.generationIdOrMemberEpoch, req.memberId)
        : ErrorCode.INVALID_GROUP_ID;
    const accepted: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
    const topics = req.topics.map((t) => {
      const topic = core.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          let errorCode: number = membership;
          if (errorCode === 0 && !topicAllowed(ctx, AclOperation.READ, t.name)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          if (errorCode === 0 && (!topic || !topic.partitions[p.partitionIndex])) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (errorCode === 0) errorCode = core.groups.validateCommit(p.committedOffset, p.committedMetadata);
          if (errorCode === 0) accepted.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata });
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      };
    });
    const failed = accepted.length ? core.groups.commit(groupId, accepted) : 0; // a storage failure: retriable code
    if (failed) for (const t of topics) for (const p of t.partitions) if (p.errorCode === 0) p.errorCode = failed;
    return { topics };
  },
});
