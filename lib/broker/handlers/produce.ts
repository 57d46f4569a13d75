/**
 * Produce v3-12 (v0-2 are advertised but refused, as Kafka 4.0 does: see `advertisedMin`). Each partition's
 * records are split into RecordBatch v2 batches, every CRC32C verified, then appended as received with only the
 * base offset rewritten; records are never decoded into objects. One bad batch fails its partition only.
 */
import { ErrorCode } from "../protocol/apis";
import { defineApi } from "../protocol/api";
import { Produce } from "../protocol/messages";
import { BatchError, LogError, splitBatches } from "../log/record-batch";
import { INTERNAL_TOPICS } from "../log/topics";

export const produce = defineApi(Produce, {
  versions: [3, 12],
  // Kafka 4.0 removed Produce v0-2 but still lists v0 as the minimum in ApiVersions: librdkafka decides whether
  // the broker supports compression from the Produce versions it advertises and would otherwise send gzip,
  // snappy and lz4 uncompressed (KAFKA-18659). A request at v0-2 still closes the connection.
  advertisedMin: 0,
  handle(req, ctx) {
    const { acks } = req;
    const { core } = ctx;
    const responses = req.topicData.map((t) => {
      // Produce never creates a topic in Kafka (a client's Metadata request does, when auto-creation is on).
      const topic = core.topics.get(t.name);
      const partitionResponses = t.partitionData.map((p) => {
        const res = { index: p.index, errorCode: ErrorCode.NONE as number, baseOffset: -1, logStartOffset: -1, errorMessage: null as string | null };
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          res.errorCode = ErrorCode.INVALID_REQUIRED_ACKS;
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
          res.baseOffset = log.append(batches);
          res.logStartOffset = log.logStartOffset;
          core.topics.notifyAppend(t.name, p.index);
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
      return { name: t.name, partitionResponses };
    });
    if (acks === 0) return undefined;
    return { responses };
  },
});
