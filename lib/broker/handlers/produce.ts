/**
 * Produce v3-13 (v13, Kafka 4.1: topics named by id; an unknown id is UNKNOWN_TOPIC_ID) (v0-2 are advertised but refused, as Kafka 4.0 does: see `advertisedMin`). Each partition's
 * records are split into RecordBatch v2 batches, every CRC32C verified, then appended as received with only the
 * base offset rewritten; records are never decoded into objects. One bad batch fails its partition only.
 * Transactional batches at v12+ add their partition to the producer's transaction (transaction protocol version 2,
 * KIP-890 part 2); at v3-11 the partition must have been added with AddPartitionsToTxn.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { Produce } from "../../protocol/messages";
import { AclOperation, topicAllowed, transactionalIdAllowed } from "../acl/check";
import { ATTR_TRANSACTIONAL, BatchError, LogError, splitBatches } from "../log/record-batch";
import { batchHeader, producerState } from "../txn/producer-state";
import { topicMeta } from "./topic-meta";
import { INTERNAL_TOPICS } from "../log/topics";

export const produce = defineApi(Produce, {
  versions: [3, 13],
  // Kafka 4.0 removed Produce v0-2 but still lists v0 as the minimum in ApiVersions: librdkafka decides whether
  // the broker supports compression from the Produce versions it advertises and would otherwise send gzip,
  // snappy and lz4 uncompressed (KAFKA-18659). A request at v0-2 still closes the connection.
  advertisedMin: 0,
  handle(req, ctx) {
    const { acks } = req;
    const { core } = ctx;
    // Transactional batches need the request's transactional id (Kafka authorizes the write on it): without one
    // the whole request is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    const transactional = req.topicData.some((t) => t.partitionData.some((p) => p.records && hasTransactionalBatch(p.records)));
    if (transactional && (req.transactionalId === null || !transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId))) {
      if (acks === 0) return undefined;
      const errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      return { responses: req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1 })) })) };
    }
    const byId = ctx.version >= 13;
    const ids = topicMeta(core);
    const responses = req.topicData.map((t) => {
      // v13 names the topic by id; an id this broker does not know answers UNKNOWN_TOPIC_ID.
      const name = byId ? ids.nameOf(t.topicId) : t.name;
      if (name === undefined)
        return { name: "", topicId: t.topicId, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, baseOffset: -1, errorMessage: null })) };
      // Produce never creates a topic in Kafka (a client's Metadata request does, when auto-creation is on).
      const topic = core.topics.get(name);
      const writable = topicAllowed(ctx, AclOperation.WRITE, name);
      const partitionResponses = t.partitionData.map((p) => {
        const res = { index: p.index, errorCode: ErrorCode.NONE as number, baseOffset: -1, logStartOffset: -1, errorMessage: null as string | null };
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          res.errorCode = ErrorCode.INVALID_REQUIRED_ACKS;
          return res;
        }
        if (!writable) {
          res.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          return res;
        }
        const log = topic?.partitions[p.index];
        if (!topic || !log) {
          res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          return res;
        }
        if (INTERNAL_TOPICS.has(t.name)) {
          res.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION; // as Kafka: clients may not append to internal topics
          res.errorMessage = `Cannot append to internal topic ${t.name}`;
          return res;
        }
        if (!p.records || p.records.length === 0) {
          res.errorCode = ErrorCode.CORRUPT_MESSAGE;
          res.errorMessage = "empty record set";
          return res;
        }
        try {
          const batches = splitBatches(p.records);
          for (const b of batches) {
            if (b.data.length > topic.config.maxMessageBytes) {
              res.errorCode = ErrorCode.MESSAGE_TOO_LARGE;
              res.errorMessage = `batch of ${b.data.length} bytes exceeds max.message.bytes ${topic.config.maxMessageBytes}`;
              return res;
            }
          }
          if (batches.every((b) => b.producerId < 0)) res.baseOffset = log.append(batches);
          else {
            // Idempotent and transactional batches: sequence, epoch and transaction checks against the
            // partition's producer state, one batch at a time (clients send one per partition).
            const state = producerState(log);
            const inTxn = (pid: number, epoch: number) => core.txns.inTransaction(pid, epoch, name, p.index);
            let first = -1;
            for (const b of batches) {
              const h = batchHeader(b);
              // v12+ (transaction protocol version 2): the partition joins the producer's transaction here, as
              // AddPartitionsToTxn would; a fenced producer gets INVALID_PRODUCER_EPOCH, as from Kafka.
              if (ctx.version >= 12 && h.transactional && !inTxn(h.producerId, h.producerEpoch)) {
                const [added] = core.txns.addPartitions(req.transactionalId ?? "", h.producerId, h.producerEpoch, [{ topic: name, partition: p.index }]);
                if (added) {
                  res.errorCode = added === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : added;
                  return res;
                }
              }
              const verdict = state.check(h, inTxn);
              if (verdict.kind === "error") {
                // v11 knows TRANSACTION_ABORTABLE for a partition outside the transaction (KIP-890), older versions INVALID_TXN_STATE.
                res.errorCode = ctx.version >= 11 && verdict.errorCode === ErrorCode.INVALID_TXN_STATE ? ErrorCode.TRANSACTION_ABORTABLE : verdict.errorCode;
                res.errorMessage = verdict.message;
                return res;
              }
              if (verdict.kind === "duplicate") {
                // Already written: acknowledged with the offset it got the first time, not appended again.
                if (first < 0) first = verdict.firstOffset;
                continue;
              }
              const offset = log.append([b]);
              state.onAppend(h, offset);
              if (first < 0) first = offset;
            }
            res.baseOffset = first;
          }
          res.logStartOffset = log.logStartOffset;
          core.topics.notifyAppend(name, p.index);
        } catch (err) {
          if (!(err instanceof LogError)) throw err; // record and storage failures carry Kafka's error code
          res.errorCode = err.code;
          res.errorMessage = err.message;
          if (err instanceof BatchError && err.problem === "magic") {
            // What Kafka 4 answers for a message set older than RecordBatch v2 in Produce v3+.
            res.errorCode = ErrorCode.INVALID_RECORD;
            res.errorMessage = `Produce requests with version ${ctx.version} are only allowed to contain record batches with magic version 2`;
          }
        }
        return res;
      });
      return { name, topicId: t.topicId, partitionResponses };
    });
    if (acks === 0) return undefined;
    return { responses };
  },
});

/** Whether a records field holds a transactional batch (attributes bit 4 of any RecordBatch v2 header in it). */
function hasTransactionalBatch(records: Buffer): boolean {
  let pos = 0;
  while (pos + 23 <= records.length) {
    if (records.readInt8(pos + 16) === 2 && (records.readInt16BE(pos + 21) & ATTR_TRANSACTIONAL) !== 0) return true;
    const len = 12 + records.readInt32BE(pos + 8);
    if (len <= 12) return false;
    pos += len;
  }
  return false;
}
