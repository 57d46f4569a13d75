/**
 * Producer state of one partition, as Kafka's ProducerStateManager keeps it: per producer id its epoch, the
 * metadata of its last 5 batches (sequence range and offsets, for duplicate detection), and the first offset of
 * its open transaction; per partition the aborted transactions (for read_committed fetches) and the last stable
 * offset (the first offset of the oldest open transaction, or the high watermark).
 *
 * The state is kept beside the log (a WeakMap keyed by the PartitionLog) and built on first use by scanning
 * the log's batch headers (and the records of control batches), so it survives a restart with a data dir. A
 * snapshot (`producer-state.json` in the partition's directory, with the offset it covers), as Kafka's .snapshot
 * files, is written at every recovery-point checkpoint and at a clean stop: the next start, clean or after a
 * crash, reads it and scans only the batches that follow it. A snapshot past the log end, or of a partition
 * whose recovery cut damaged data, is ignored and the whole log is scanned: never a stale state.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PartitionLog } from "../log/partition-log";
import type { TopicStore } from "../log/topics";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, readBatchAt, type BatchInfo } from "../log/record-batch";
import { ErrorCode } from "../../protocol/apis";

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
export const BATCHES_RETAINED = 5;
const NO_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

export interface BatchHeader {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  transactional: boolean;
  control: boolean;
}

/** The producer fields of a RecordBatch v2 header (offsets 43..56). */
export function batchHeader(info: BatchInfo): BatchHeader {
  const d = info.data;
  return {
    producerId: info.producerId,
    producerEpoch: d.readInt16BE(51),
    baseSequence: d.readInt32BE(53),
    lastOffsetDelta: info.lastOffsetDelta,
    maxTimestamp: info.maxTimestamp,
    transactional: (info.attributes & ATTR_TRANSACTIONAL) !== 0,
    control: (info.attributes & ATTR_CONTROL) !== 0,
  };
}

/** The last sequence of a batch, wrapping past Int32.MAX_VALUE as Kafka's DefaultRecordBatch.incrementSequence. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  if (baseSequence > INT32_MAX - lastOffsetDelta) return lastOffsetDelta - (INT32_MAX - baseSequence) - 1;
  return baseSequence + lastOffsetDelta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  batches: BatchMeta[];
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction in this partition, -1 when none. */
  currentTxnFirstOffset: number;
}

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

export type AppendCheck = { kind: "append" } | { kind: "duplicate"; firstOffset: number } | { kind: "error"; errorCode: number; message: string };

export class PartitionProducers {
  readonly producers = new Map<number, ProducerEntry>();
  /** Completed aborted transactions, in the order of their markers. */
  readonly aborted: AbortedTxn[] = [];

  /**
   * What Kafka's log does with a client's batch before appending it: a batch equal (producer, epoch, first and
   * last sequence) to one of the producer's last 5 is a duplicate (acknowledged with its first offset, not
   * written again); an older epoch is INVALID_PRODUCER_EPOCH; a sequence not following the last one is
   * OUT_OF_ORDER_SEQUENCE_NUMBER (a new epoch must start at 0; an unknown producer may start anywhere).
   * `inTransaction` says whether the partition is part of the producer's open transaction (for transactional
   * batches).
   */
  check(h: BatchHeader, inTransaction: (producerId: number, epoch: number) => boolean): AppendCheck {
    if (h.producerId < 0) return { kind: "append" };
    const e = this.producers.get(h.producerId);
    if (e && e.epoch === h.producerEpoch) {
      const last = lastSequence(h.baseSequence, h.lastOffsetDelta);
      const dup = e.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === last);
      if (dup) return { kind: "duplicate", firstOffset: dup.firstOffset };
    }
    if (e && h.producerEpoch < e.epoch)
      return { kind: "error", errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch of producer ${h.producerId} at offset is ${h.producerEpoch}, which is smaller than the last seen epoch ${e.epoch}` };
    if (h.transactional && !inTransaction(h.producerId, h.producerEpoch))
      return { kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE, message: `the partition was not added to producer ${h.producerId}'s transaction (AddPartitionsToTxn)` };
    if (e && e.epoch !== NO_EPOCH) {
      if (h.producerEpoch !== e.epoch) {
        if (h.baseSequence !== 0)
          return { kind: "error", errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `invalid sequence number for new epoch of producer ${h.producerId}: ${h.baseSequence} (request epoch), 0 expected` };
      } else {
        const lastSeq = e.batches.length ? e.batches[e.batches.length - 1].lastSeq : -1;
        if (!inSequence(lastSeq, h.baseSequence))
          return { kind: "error", errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `out of order sequence number for producer ${h.producerId}: ${h.baseSequence} (incoming seq. number), ${lastSeq} (current end sequence number)` };
      }
    }
    return { kind: "append" };
  }

  /** Records an appended data batch at [firstOffset, firstOffset + lastOffsetDelta]. */
  onAppend(h: BatchHeader, firstOffset: number): void {
    if (h.producerId < 0) return;
    let e = this.producers.get(h.producerId);
    if (!e) this.producers.set(h.producerId, (e = { producerId: h.producerId, epoch: h.producerEpoch, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1 }));
    if (e.epoch !== h.producerEpoch) {
      e.epoch = h.producerEpoch;
      e.batches = [];
    }
    if (h.baseSequence >= 0) {
      e.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSequence(h.baseSequence, h.lastOffsetDelta), firstOffset, lastOffset: firstOffset + h.lastOffsetDelta });
      if (e.batches.length > BATCHES_RETAINED) e.batches.shift();
    }
    e.lastTimestamp = h.maxTimestamp;
    if (h.transactional && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = firstOffset;
  }

  /** Records a COMMIT or ABORT marker written at `offset` for a producer. */
  onMarker(producerId: number, epoch: number, commit: boolean, offset: number, coordinatorEpoch: number, timestamp: number): void {
    let e = this.producers.get(producerId);
    if (!e) this.producers.set(producerId, (e = { producerId, epoch, batches: [], lastTimestamp: -1, coordinatorEpoch, currentTxnFirstOffset: -1 }));
    if (e.epoch !== epoch) {
      e.epoch = epoch;
      e.batches = [];
    }
    if (!commit && e.currentTxnFirstOffset >= 0) this.aborted.push({ producerId, firstOffset: e.currentTxnFirstOffset, lastOffset: offset });
    e.currentTxnFirstOffset = -1;
    e.coordinatorEpoch = coordinatorEpoch;
    e.lastTimestamp = timestamp;
  }

  /** The first offset of the oldest open transaction, or the high watermark when none is open. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const e of this.producers.values()) if (e.currentTxnFirstOffset >= 0 && e.currentTxnFirstOffset < lso) lso = e.currentTxnFirstOffset;
    return lso;
  }

  /** Aborted transactions overlapping [from, to): what a read_committed fetch from `from` must skip. */
  abortedBetween(from: number, to: number): { producerId: number; firstOffset: number }[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
  }

  /** Producers with state here (DescribeProducers). */
  active(): ProducerEntry[] {
    return [...this.producers.values()];
  }
}

const states = new WeakMap<PartitionLog, PartitionProducers>();
const SNAPSHOT = "producer-state.json";

interface Snapshot {
  offset: number;
  producers: ProducerEntry[];
  aborted: AbortedTxn[];
}

/** The producer state of a partition, rebuilt from its log (after its snapshot, if any) the first time it is asked for. */
export function producerState(log: PartitionLog): PartitionProducers {
  let s = states.get(log);
  if (!s) {
    s = new PartitionProducers();
    rebuild(log, s, loadSnapshot(log, s));
    states.set(log, s);
  }
  return s;
}

/** Loads and removes the partition's snapshot; returns the offset the scan starts from. */
function loadSnapshot(log: PartitionLog, s: PartitionProducers): number {
  if (!log.dir) return log.logStartOffset;
  const file = path.join(log.dir, SNAPSHOT);
  try {
    if (!fs.existsSync(file)) return log.logStartOffset;
    const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot;
    // A recovery that cut damaged data may have removed batches the snapshot counts: rebuild from the log.
    if (!Number.isSafeInteger(snap.offset) || snap.offset > log.highWatermark || log.recovery.truncatedBytes > 0) return log.logStartOffset;
    saved.set(log, snap.offset);
    for (const e of snap.producers) s.producers.set(e.producerId, e);
    s.aborted.push(...snap.aborted);
    return Math.max(snap.offset, log.logStartOffset);
  } catch {
    s.producers.clear();
    s.aborted.length = 0;
    return log.logStartOffset;
  }
}

/** The offset of the snapshot on disk of each partition, so one that has not moved is not written again. */
const saved = new WeakMap<PartitionLog, number>();

/**
 * Writes a snapshot of every partition whose state was built and has moved since its last snapshot (at each
 * recovery-point checkpoint, and at a clean stop before the logs close). The state and the offset it covers are
 * taken in the same turn of the event loop, so they agree.
 */
export function saveSnapshots(topics: TopicStore): void {
  for (const t of topics.topics.values())
    for (const log of t.partitions) {
      const s = states.get(log);
      if (!s || !log.dir || saved.get(log) === log.highWatermark) continue;
      try {
        fs.mkdirSync(log.dir, { recursive: true });
        const file = path.join(log.dir, SNAPSHOT);
        const snap: Snapshot = { offset: log.highWatermark, producers: [...s.producers.values()], aborted: s.aborted };
        fs.writeFileSync(file + ".tmp", JSON.stringify(snap));
        fs.renameSync(file + ".tmp", file);
        saved.set(log, snap.offset);
      } catch {
        // No snapshot: the next start scans the whole log instead.
      }
    }
}

/** Reads every batch header from `from` on (and the type of each control record). */
function rebuild(log: PartitionLog, s: PartitionProducers, from: number): void {
  let offset = from;
  const end = log.highWatermark;
  while (offset < end) {
    const { chunks, bytes } = log.read(offset, 4 << 20, true);
    if (bytes === 0) break;
    const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    let pos = 0;
    let next = offset;
    while (pos < buf.length) {
      const info = readBatchAt(buf, pos, false);
      if (typeof info === "string") break;
      const base = Number(info.data.readBigInt64BE(0));
      const h = batchHeader(info);
      if (h.control) {
        const type = controlType(info.data);
        if (type === 0 || type === 1) s.onMarker(h.producerId, h.producerEpoch, type === 1, base, -1, h.maxTimestamp);
      } else s.onAppend(h, base);
      pos += info.data.length;
      next = base + info.lastOffsetDelta + 1;
    }
    if (next <= offset) break;
    offset = next;
  }
}

/** The type of a control batch's first record (0 ABORT, 1 COMMIT), from its key; -1 when unreadable. */
export function controlType(batch: Buffer): number {
  // Uncompressed records section after the 61-byte header: length, attributes, timestamp delta, offset delta,
  // key length (zigzag varints), then the key: version int16, type int16.
  try {
    let pos = 61;
    const varint = (): number => {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = batch[pos++];
        result |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7;
      }
      return (result >>> 1) ^ -(result & 1);
    };
    varint(); // record length
    pos++; // attributes
    varint(); // timestamp delta
    varint(); // offset delta
    const keyLen = varint();
    if (keyLen < 4) return -1;
    return batch.readInt16BE(pos + 2);
  } catch {
    return -1;
  }
}
