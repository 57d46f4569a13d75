/**
 * Produce v3-8. Each partition's records are split into RecordBatch v2 batches, every CRC32C verified, then
 * appended as received with only the base offset rewritten. One bad batch fails its partition, never others.
 */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";
import { BatchError, splitBatches } from "../log/record-batch";

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
  errorMessage: string | null;
}

export function handleProduce(ctx: RequestContext, r: Reader): Writer | undefined {
  const v = ctx.version;
  r.nullableString(); // transactional_id: transactions are not supported, plain appends are
  const acks = r.int16();
  r.int32(); // timeout_ms: a single node has no replicas to wait for
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
  }));
  const { core } = ctx;
  const results = topics.map((t) => {
    const topic = core.topicOrAutoCreate(t.name, true);
    const partitions: PartitionResult[] = t.partitions.map((p) => {
      const res: PartitionResult = { index: p.index, errorCode: ErrorCode.NONE, baseOffset: -1, logStartOffset: -1, errorMessage: null };
      if (acks !== 0 && acks !== 1 && acks !== -1) {
        res.errorCode = ErrorCode.INVALID_REQUIRED_ACKS;
        return res;
      }
      const log = topic?.partitions[p.index];
      if (!topic || !log) {
        res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
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
        if (!(err instanceof BatchError)) throw err;
        res.errorCode = err.problem === "magic" ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : ErrorCode.CORRUPT_MESSAGE;
        res.errorMessage = err.message;
      }
      return res;
    });
    return { name: t.name, partitions };
  });
  if (acks === 0) return undefined;
  const w = new Writer();
  w.array(results, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      w.int64(-1); // log_append_time: topics use CreateTime
      if (v >= 5) w.int64(p.logStartOffset);
      if (v >= 8) {
        w.int32(0);
        w.nullableString(p.errorMessage);
      }
    });
  });
  w.int32(0);
  return w;
}
