/**
 * The log cleaner's decisions on one batch, shared by the cleaning in the event loop (PartitionLog.clean,
 * cleanIncrementally) and the one in the cleaner's worker thread (cleaner-worker.ts), so both keep the same
 * semantics: the latest offset of every key (records of committed transactions counting at their marker, aborted
 * ones never), tombstones kept while delete.retention.ms has not passed, markers removed once their transaction
 * has no record left and delete.retention.ms has passed.
 */
import { batchBaseOffset, batchRecords, filterBatch } from "./record-batch";

/** A transaction seen by the cleaner: how it ended, its keys (until it ends), and how many of its records are kept. */
export interface Txn {
  state: "open" | "committed" | "aborted";
  keys: [string, number][];
  kept: number;
}

const OFF_ATTRIBUTES = 21;
const OFF_PRODUCER_ID = 43;
const OFF_RECORD_COUNT = 57;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

/** Records, tombstones and markers a cleaning removed. */
export interface Removed {
  records: number;
  tombstones: number;
  markers: number;
}

/** A transaction marker's type: 0 ABORT, 1 COMMIT (its record's key: version, type); undefined if unreadable. */
function controlType(batch: Buffer): number | undefined {
  const key = batchRecords(batch)?.records[0]?.key;
  return key && key.length >= 4 ? key.readInt16BE(2) : undefined;
}

/** What the cleaner learns from a first pass over the closed segments, then applies in a second. */
export class CleanerMap {
  /** The latest offset of every key. */
  readonly latest = new Map<string, number>();
  /** Base offset of a transactional batch or marker -> its transaction. */
  readonly txns = new Map<number, Txn>();
  /** Producer id -> its transaction not ended yet. */
  private readonly open = new Map<number, Txn>();

  private setLatest(key: string, offset: number): void {
    const cur = this.latest.get(key);
    if (cur === undefined || offset > cur) this.latest.set(key, offset);
  }

  /** First pass: one stored batch, in log order. Returns the bytes inflated (0 when none). */
  scan(batch: Buffer): number {
    const attrs = batch.readInt16BE(OFF_ATTRIBUTES);
    const producerId = Number(batch.readBigInt64BE(OFF_PRODUCER_ID));
    if (attrs & ATTR_CONTROL) {
      const t = this.open.get(producerId);
      const type = controlType(batch);
      if (!t || type === undefined) return 0;
      t.state = type === 1 ? "committed" : "aborted";
      if (t.state === "committed") for (const [k, o] of t.keys) this.setLatest(k, o);
      t.keys = [];
      this.open.delete(producerId);
      this.txns.set(batchBaseOffset(batch), t);
      return 0;
    }
    const r = batchRecords(batch);
    if (attrs & ATTR_TRANSACTIONAL) {
      let t = this.open.get(producerId);
      if (!t) this.open.set(producerId, (t = { state: "open", keys: [], kept: 0 }));
      this.txns.set(batchBaseOffset(batch), t);
      if (r) for (const rec of r.records) if (rec.key) t.keys.push([rec.key.toString("latin1"), rec.offset]);
      return r ? r.section.length : 0;
    }
    if (r) for (const rec of r.records) if (rec.key) this.setLatest(rec.key.toString("latin1"), rec.offset);
    return r ? r.section.length : 0;
  }

  /**
   * Second pass: what of one stored batch stays (the batch itself, a rewritten batch, or undefined for nothing),
   * counting what goes in `removed`; `work` is the bytes inflated (0 when none).
   */
  filter(batch: Buffer, keepTombstones: boolean, removed: Removed): { out: Buffer | undefined; work: number } {
    const attrs = batch.readInt16BE(OFF_ATTRIBUTES);
    const t = attrs & ATTR_TRANSACTIONAL ? this.txns.get(batchBaseOffset(batch)) : undefined;
    const count = batch.readInt32BE(OFF_RECORD_COUNT);
    if (attrs & ATTR_CONTROL) {
      // A marker goes once no record of its transaction is left and delete.retention.ms has passed, as in Kafka.
      if ((!t || t.kept === 0) && !keepTombstones) {
        removed.markers++;
        return { out: undefined, work: 0 };
      }
      return { out: batch, work: 0 };
    }
    if (t?.state === "aborted") {
      removed.records += count; // aborted records are never read by read_committed consumers: Kafka's cleaner drops them
      return { out: undefined, work: 0 };
    }
    const r = attrs & ATTR_TRANSACTIONAL && t?.state !== "committed" ? undefined : batchRecords(batch);
    if (!r) {
      // Undecided transactions (their marker is not in a closed segment yet) and batches that do not
      // inflate are kept whole.
      if (t) t.kept += count;
      return { out: batch, work: 0 };
    }
    const work = r.section.length;
    const kept = r.records.filter((rec) => rec.key !== null && this.latest.get(rec.key.toString("latin1")) === rec.offset && (!rec.tombstone || keepTombstones));
    if (kept.length < r.records.length) {
      const keptSet = new Set(kept);
      for (const rec of r.records) {
        if (keptSet.has(rec)) continue;
        if (rec.tombstone) removed.tombstones++;
        else removed.records++;
      }
    }
    if (t) t.kept += kept.length;
    if (kept.length === r.records.length) return { out: batch, work };
    if (kept.length > 0) return { out: filterBatch(batch, r.section, kept), work };
    return { out: undefined, work };
  }
}
