/** ListOffsets v0-5: earliest (-2), latest (-1) or the first offset at or after a timestamp. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

const LATEST = -1;
const EARLIEST = -2;

export function handleListOffsets(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  r.int32(); // replica_id
  if (v >= 2) r.int8(); // isolation_level: no transactions, so committed == everything
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32();
      if (v >= 4) r.int32();
      const timestamp = r.int64();
      if (v === 0) r.int32();
      return { index, timestamp };
    }),
  }));
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(topics, (w, t) => {
    const topic = ctx.core.topics.get(t.name);
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      const log = topic?.partitions[p.index];
      let offset = -1;
      let timestamp = -1;
      let error: number = ErrorCode.NONE;
      if (!log) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.timestamp === LATEST) offset = log.highWatermark;
      else if (p.timestamp === EARLIEST) offset = log.logStartOffset;
      else {
        const found = log.offsetForTimestamp(p.timestamp);
        if (found) {
          offset = found.offset;
          timestamp = found.timestamp;
        }
      }
      w.int32(p.index).int16(error);
      if (v === 0) w.array(offset >= 0 ? [offset] : [], (w, o) => w.int64(o));
      else {
        w.int64(timestamp).int64(offset);
        if (v >= 4) w.int32(0);
      }
    });
  });
  return w;
}
