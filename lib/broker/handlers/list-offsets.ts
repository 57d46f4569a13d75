/**
 * ListOffsets v1-10 (v0 was removed in Kafka 4.0): earliest (-2), latest (-1), max timestamp (-3), earliest
 * local (-4, the same as earliest here: no tiered storage), or the first offset at or after a timestamp.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { ListOffsets } from "../../protocol/messages";
import { AclOperation, topicAllowed } from "../acl/check";
import { producerState } from "../txn/producer-state";

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;

export const listOffsets = defineApi(ListOffsets, {
  versions: [1, 10],
  handle(req, ctx) {
    const topics = req.topics.map((t) => {
      const topic = ctx.core.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const log = topic?.partitions[p.partitionIndex];
          if (!topicAllowed(ctx, AclOperation.DESCRIBE, t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, timestamp: -1, offset: -1, leaderEpoch: -1 };
          const out = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number, timestamp: -1, offset: -1, leaderEpoch: 0 };
          if (!log) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1 };
          // read_committed (isolation level 1): the latest offset is the last stable offset.
          if (p.timestamp === LATEST) out.offset = req.isolationLevel === 1 ? producerState(log).lastStableOffset(log.highWatermark) : log.highWatermark;
          else if (p.timestamp === EARLIEST || p.timestamp === EARLIEST_LOCAL) out.offset = log.logStartOffset;
          else if (p.timestamp === LATEST_TIERED) out.offset = -1; // nothing is tiered
          else if (p.timestamp === MAX_TIMESTAMP) {
            const found = maxTimestamp(log);
            if (found) Object.assign(out, found);
          } else {
            const found = log.offsetForTimestamp(p.timestamp);
            if (found) {
              out.offset = found.offset;
              out.timestamp = found.timestamp;
            }
          }
          return out;
        }),
      };
    });
    return { topics };
  },
});

/** The offset and timestamp of the record with the largest timestamp (KIP-734), or undefined when empty. */
function maxTimestamp(log: { offsetForTimestamp(ts: number): { offset: number; timestamp: number } | undefined; highWatermark: number; logStartOffset: number }): { offset: number; timestamp: number } | undefined {
  if (log.highWatermark <= log.logStartOffset) return undefined;
  // offsetForTimestamp(ts) finds the first record at or after ts; searching down from the top for the largest
  // timestamp present would need an index, so walk by doubling to the last timestamp that still finds a record.
  let lo = 0;
  let hi = 2 ** 52;
  if (!log.offsetForTimestamp(lo)) return undefined;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (log.offsetForTimestamp(mid)) lo = mid;
    else hi = mid;
  }
  return log.offsetForTimestamp(lo);
}
