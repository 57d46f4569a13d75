/** Bytes of records per produce batch/request: under Kafka's default max.message.bytes (1048588). */
export const SEND_CHUNK_BYTES = 900_000;

/** Consecutive runs of `items` of at most `limit` bytes each by `size`; an item larger than `limit` is a run alone. */
export function chunksBySize<T>(items: T[], size: (item: T) => number, limit = SEND_CHUNK_BYTES): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (cur.length > 0 && bytes + n > limit) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
