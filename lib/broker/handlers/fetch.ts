/**
 * Fetch v4-11 with long polling: when fewer than min_bytes are ready, the request waits until a produce to one
 * of its partitions wakes it or max_wait_ms passes. Stored batches are sent by reference, never re-encoded.
 * Fetch sessions (KIP-227) are not kept: session id 0 tells clients to send full requests.
 */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

interface FetchPartition {
  index: number;
  fetchOffset: number;
  maxBytes: number;
}

interface FetchTopic {
  name: string;
  partitions: FetchPartition[];
}

interface PartitionData {
  index: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  chunks: Buffer[];
  bytes: number;
}

export async function handleFetch(ctx: RequestContext, r: Reader): Promise<Writer> {
  const v = ctx.version;
  r.int32(); // replica_id
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation_level
  if (v >= 7) {
    r.int32(); // session_id
    r.int32(); // session_epoch
  }
  const topics: FetchTopic[] = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32();
      if (v >= 9) r.int32(); // current_leader_epoch
      const fetchOffset = r.int64();
      if (v >= 5) r.int64(); // log_start_offset (a follower's; no followers here)
      const maxBytes = r.int32();
      return { index, fetchOffset, maxBytes };
    }),
  }));
  if (v >= 7) r.array((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
  if (v >= 11) r.string(); // rack_id

  const { core } = ctx;
  const deadline = Date.now() + Math.max(0, maxWaitMs);
  let result = collect(ctx, topics, maxBytes);
  while (minBytes > 0 && result.bytes < minBytes && !result.hasError && Date.now() < deadline && topics.length > 0) {
    const keys = new Set<string>();
    for (const t of topics) for (const p of t.partitions) keys.add(t.name + "\0" + p.index);
    await new Promise<void>((resolve) => {
      // The waiter may fire before the timer exists (data already there), so the timer lives in a holder.
      const wait: { timer?: NodeJS.Timeout } = {};
      const remove = core.topics.addWaiter(keys, () => {
        clearTimeout(wait.timer);
        resolve();
      });
      wait.timer = setTimeout(() => {
        remove();
        resolve();
      }, Math.max(1, deadline - Date.now()));
    });
    result = collect(ctx, topics, maxBytes);
  }

  const w = new Writer(1024);
  w.int32(0); // throttle_time_ms
  if (v >= 7) w.int16(ErrorCode.NONE).int32(0);
  w.array(result.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.highWatermark);
      w.int64(p.highWatermark); // last_stable_offset: no transactions
      if (v >= 5) w.int64(p.logStartOffset);
      w.int32(0); // aborted_transactions: none
      if (v >= 11) w.int32(-1); // preferred_read_replica: none
      w.int32(p.bytes);
      for (const c of p.chunks) w.raw(c);
    });
  });
  return w;
}

function collect(ctx: RequestContext, topics: FetchTopic[], maxBytes: number): { topics: { name: string; partitions: PartitionData[] }[]; bytes: number; hasError: boolean } {
  let bytes = 0;
  let hasError = false;
  const out = topics.map((t) => {
    const topic = ctx.core.topics.get(t.name);
    const partitions = t.partitions.map((p): PartitionData => {
      const log = topic?.partitions[p.index];
      if (!log) {
        hasError = true;
        return { index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, chunks: [], bytes: 0 };
      }
      const hw = log.highWatermark;
      const start = log.logStartOffset;
      const base = { index: p.index, highWatermark: hw, logStartOffset: start };
      if (p.fetchOffset < start || p.fetchOffset > hw) {
        hasError = true;
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, chunks: [], bytes: 0 };
      }
      const budget = Math.min(Math.max(0, p.maxBytes), Math.max(0, maxBytes - bytes));
      // The first batch of the response goes out even when larger than the limits (KIP-74), so a consumer
      // whose max bytes are smaller than a batch still makes progress.
      const read = p.fetchOffset < hw ? log.read(p.fetchOffset, budget, bytes === 0) : { chunks: [], bytes: 0 };
      bytes += read.bytes;
      return { ...base, errorCode: ErrorCode.NONE, chunks: read.chunks, bytes: read.bytes };
    });
    return { name: t.name, partitions };
  });
  return { topics: out, bytes, hasError };
}
