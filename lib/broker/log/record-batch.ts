/**
 * RecordBatch v2 (magic 2) framing. The broker reads only the fixed 61-byte header: batches are stored and
 * served as the producer sent them, except for the base offset (and partition leader epoch), which sit before
 * the CRC-covered region and so can be rewritten without touching the checksum.
 */
import { crc32c } from "./crc32c";

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's count starts: baseOffset (8) + batchLength (4). */
export const LOG_OVERHEAD = 12;

const OFF_BASE_OFFSET = 0;
const OFF_BATCH_LENGTH = 8;
const OFF_LEADER_EPOCH = 12;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_BASE_TIMESTAMP = 27;
const OFF_MAX_TIMESTAMP = 35;
const OFF_PRODUCER_ID = 43;
const OFF_RECORD_COUNT = 57;

export interface BatchInfo {
  /** The whole batch, header included (a view, not a copy). */
  data: Buffer;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  recordCount: number;
  attributes: number;
  producerId: number;
}

export type BatchProblem = "truncated" | "magic" | "crc" | "count";

export class BatchError extends Error {
  constructor(readonly problem: BatchProblem, message: string) {
    super(message);
  }
}

/** Splits a produce request's records field into batches and verifies each; throws BatchError on the first bad one. */
export function splitBatches(records: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < records.length) {
    const info = readBatchAt(records, pos, true);
    if (typeof info === "string") throw new BatchError(info, describeProblem(info));
    out.push(info);
    pos += info.data.length;
  }
  return out;
}

function describeProblem(p: BatchProblem): string {
  switch (p) {
    case "truncated":
      return "record batch truncated";
    case "magic":
      return "only RecordBatch v2 (magic 2) is accepted; upgrade the client or set its message format to v2";
    case "crc":
      return "record batch CRC32C mismatch";
    case "count":
      return "record batch header is inconsistent";
  }
}

/** Reads the batch at pos; returns a problem instead of throwing so log recovery can stop at a torn tail. */
export function readBatchAt(buf: Buffer, pos: number, verifyCrc: boolean): BatchInfo | BatchProblem {
  if (buf.length - pos < LOG_OVERHEAD + 5) return "truncated";
  const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
  // Magic sits at the same place in every message format, so an old-format batch is recognised as such.
  const magic = buf.readInt8(pos + OFF_MAGIC);
  if (magic !== 2) return "magic";
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD) return "truncated";
  const total = LOG_OVERHEAD + batchLength;
  if (pos + total > buf.length) return "truncated";
  if (verifyCrc) {
    const expected = buf.readUInt32BE(pos + OFF_CRC);
    if (crc32c(buf, pos + OFF_ATTRIBUTES, pos + total) !== expected) return "crc";
  }
  const lastOffsetDelta = buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
  const recordCount = buf.readInt32BE(pos + OFF_RECORD_COUNT);
  if (lastOffsetDelta < 0 || recordCount < 0 || recordCount > batchLength) return "count";
  return {
    data: buf.subarray(pos, pos + total),
    lastOffsetDelta,
    baseTimestamp: Number(buf.readBigInt64BE(pos + OFF_BASE_TIMESTAMP)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + OFF_MAX_TIMESTAMP)),
    recordCount,
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    producerId: Number(buf.readBigInt64BE(pos + OFF_PRODUCER_ID)),
  };
}

/** Gives a batch its place in the log: base offset and leader epoch are outside the CRC, so it stays valid. */
export function assignBaseOffset(batch: Buffer, baseOffset: number): void {
  batch.writeBigInt64BE(BigInt(baseOffset), OFF_BASE_OFFSET);
  batch.writeInt32BE(0, OFF_LEADER_EPOCH);
}

export function batchBaseOffset(batch: Buffer): number {
  return Number(batch.readBigInt64BE(OFF_BASE_OFFSET));
}

export function isCompressed(attributes: number): boolean {
  return (attributes & 0x7) !== 0;
}

/** zigzag varint/varlong as in Kafka's Record encoding; returns [value, nextPos]. */
function readVarlong(buf: Buffer, pos: number): [number, number] {
  let shift = 0;
  let raw = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error("varint past end");
    const b = buf[pos++];
    raw |= BigInt(b & 0x7f) << BigInt(shift);
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw new Error("varint too long");
  }
  const v = (raw >> 1n) ^ -(raw & 1n);
  return [Number(v), pos];
}

/**
 * Offset delta of the first record whose timestamp is >= ts in an uncompressed batch (ListOffsets by time);
 * undefined when the batch is compressed or malformed, and the caller then answers with the batch start.
 */
export function firstOffsetDeltaAtOrAfter(batch: Buffer, ts: number): number | undefined {
  const attributes = batch.readInt16BE(OFF_ATTRIBUTES);
  if (isCompressed(attributes)) return undefined;
  const baseTimestamp = Number(batch.readBigInt64BE(OFF_BASE_TIMESTAMP));
  const count = batch.readInt32BE(OFF_RECORD_COUNT);
  let pos = BATCH_HEADER_BYTES;
  try {
    for (let i = 0; i < count; i++) {
      const [len, afterLen] = readVarlong(batch, pos);
      const [tsDelta, afterTs] = readVarlong(batch, afterLen + 1);
      const [offsetDelta] = readVarlong(batch, afterTs);
      if (baseTimestamp + tsDelta >= ts) return offsetDelta;
      pos = afterLen + len;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
