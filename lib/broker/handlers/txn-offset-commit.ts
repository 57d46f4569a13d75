/**
 * TxnOffsetCommit v0-5 (to the group coordinator): offsets committed inside a transaction, visible to OffsetFetch
 * only once EndTxn commits (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT meanwhile). v3+ carries
 * the consumer's generation and member id, checked as OffsetCommit checks them. v5 (transaction protocol version 2)
 * adds the group to the transaction itself, as AddOffsetsToTxn would.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { TxnOffsetCommit } from "../../protocol/messages";
import { AclOperation, groupAllowed, topicAllowed, transactionalIdAllowed } from "../acl/check";

export const txnOffsetCommit = defineApi(TxnOffsetCommit, {
  versions: [0, 5],
  handle(req, ctx) {
    const { core } = ctx;
    let error: number = req.groupId ? ErrorCode.NONE : ErrorCode.INVALID_GROUP_ID;
    // With an authorizer: WRITE on the transactional id, READ on the group and on each topic.
    if (!transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) error = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) error = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    // A consumer's generation (v3+) is checked against the group only when the producer names one.
    if (!error && ctx.version >= 3 && (req.generationId >= 0 || req.memberId)) error = core.groups.checkCommit(req.groupId, req.generationId, req.memberId);
    const accepted: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
    const topics = req.topics.map((t) => {
      const topic = core.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          let errorCode = error;
          if (!errorCode && !topicAllowed(ctx, AclOperation.READ, t.name)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          if (!errorCode && !topic?.partitions[p.partitionIndex]) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (!errorCode) errorCode = core.groups.validateCommit(p.committedOffset, p.committedMetadata);
          if (!errorCode) accepted.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? "" }); // null is stored as "", as Kafka's NO_METADATA
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      };
    });
    if (accepted.length) {
      // v5 (transaction protocol version 2): the group joins the transaction here, no AddOffsetsToTxn first.
      const added = ctx.version >= 5 ? core.txns.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId) : ErrorCode.NONE;
      const failed = added === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : added || core.txns.commitOffsets(req.transactionalId, req.groupId, req.producerId, req.producerEpoch, accepted);
      if (failed) for (const t of topics) for (const p of t.partitions) if (p.errorCode === 0) p.errorCode = failed;
    }
    return { topics };
  },
});
