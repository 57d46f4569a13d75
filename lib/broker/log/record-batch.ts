/**
 * RecordBatch v2 (magic 2) framing. The broker reads only the fixed 61-byte header: batches are stored and
 * served as the producer sent them, except for the base offset (and partition leader epoch), which sit before
 * the CRC-covered region and so can be rewritten without touching the checksum.
 */
import * as zlib from "node:zlib";
import { crc32c } from "./crc32c";
import { compress, decompress } from "../../protocol/compression";
import { LogError, LogErrorCode } from "./errors";

export { LogError } from "./errors";

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

/** Batch attribute bits (Kafka's RecordBatch): part of a transaction; a control batch (a transaction marker). */
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

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

export class BatchError extends LogError {
  constructor(
    readonly problem: BatchProblem,
    message: string,
  ) {
    super(problem === "magic" ? LogErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : problem === "count" ? LogErrorCode.INVALID_RECORD : LogErrorCode.CORRUPT_MESSAGE, message);
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

export function batchMaxTimestamp(batch: Buffer): number {
  return Number(batch.readBigInt64BE(OFF_MAX_TIMESTAMP));
}

export function batchLastOffsetDelta(batch: Buffer): number {
  return batch.readInt32BE(OFF_LAST_OFFSET_DELTA);
}

/** Largest decompressed record section accepted from one batch (a guard against decompression bombs). */
const MAX_DECOMPRESSED_BYTES = 256 << 20;

/**
 * The records section of a batch as plain bytes: as stored when uncompressed, inflated for gzip. Snappy, lz4
 * and zstd need codecs this broker does not carry; for them undefined is returned and the batch header is
 * trusted.
 */
function recordsSection(batch: Buffer, allCodecs = false): Buffer | undefined {
  const codec = batch.readInt16BE(OFF_ATTRIBUTES) & 0x7;
  const body = batch.subarray(BATCH_HEADER_BYTES);
  if (codec === 0) return body;
  if (allCodecs) return decompress(codec, body, MAX_DECOMPRESSED_BYTES);
  if (codec === 1) {
    try {
      return zlib.gunzipSync(body, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (err) {
      throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `gzip record batch does not inflate: ${(err as Error).message}`);
    }
  }
  return undefined;
}

/** A read position over a records section; varints as Kafka writes them (zigzag). */
class Cursor {
  /** Reads stop here (the end of the current record, or of the section). */
  limit: number;
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {
    this.limit = buf.length;
  }

  varlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.limit) throw new LogError(LogErrorCode.INVALID_RECORD, "record truncated inside a varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      if (i >= 9) throw new LogError(LogErrorCode.INVALID_RECORD, "varint longer than 10 bytes");
      mul *= 128;
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.limit) throw new LogError(LogErrorCode.INVALID_RECORD, "record field past the end of its record");
    this.pos += n;
  }
}

interface RecordInfo {
  offsetDelta: number;
  timestamp: number;
}

/**
 * Walks every record of a records section, checking that each record's length covers exactly its fields and
 * that the records fill the section; calls visit per record (stop early by returning true). One cursor with a
 * moving limit, nothing allocated per record (this runs on every produced record).
 */
function walkRecords(section: Buffer, count: number, baseTimestamp: number, visit: (r: RecordInfo, index: number) => boolean | void): void {
  const c = new Cursor(section, 0);
  const whole = section.length;
  const info: RecordInfo = { offsetDelta: 0, timestamp: 0 };
  for (let i = 0; i < count; i++) {
    c.limit = whole;
    const len = c.varlong();
    const start = c.pos;
    if (len < 6 || start + len > whole) throw new LogError(LogErrorCode.INVALID_RECORD, `record ${i} of ${count} has length ${len}, past the end of its batch`);
    const end = start + len;
    c.limit = end;
    c.skip(1); // attributes
    const timestampDelta = c.varlong();
    const offsetDelta = c.varlong();
    const keyLen = c.varlong();
    if (keyLen >= 0) c.skip(keyLen);
    const valueLen = c.varlong();
    if (valueLen >= 0) c.skip(valueLen);
    const headers = c.varlong();
    if (headers < 0) throw new LogError(LogErrorCode.INVALID_RECORD, `record ${i} has a negative header count`);
    for (let h = 0; h < headers; h++) {
      const hk = c.varlong();
      if (hk < 0) throw new LogError(LogErrorCode.INVALID_RECORD, `record ${i} has a header with a null key`);
      c.skip(hk);
      const hv = c.varlong();
      if (hv >= 0) c.skip(hv);
    }
    if (c.pos !== end) throw new LogError(LogErrorCode.INVALID_RECORD, `record ${i} is ${len} bytes but its fields take ${c.pos - start}`);
    info.offsetDelta = offsetDelta;
    info.timestamp = baseTimestamp === -1 ? -1 : baseTimestamp + timestampDelta;
    if (visit(info, i)) return;
  }
  if (c.pos !== whole) throw new LogError(LogErrorCode.INVALID_RECORD, `batch holds ${whole - c.pos} bytes after its ${count} records`);
}

export interface BatchLimits {
  /** Kafka's message.timestamp.after.max.ms: how far in the future a record's timestamp may be (default 1 h). */
  timestampAfterMaxMs: number;
  /** Kafka's message.timestamp.before.max.ms: how far in the past (default unlimited, -1 here). */
  timestampBeforeMaxMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { timestampAfterMaxMs: 3_600_000, timestampBeforeMaxMs: -1 };

/**
 * What Kafka's LogValidator checks before an append: the header's record count and offset range agree with
 * the records (each record's offset delta is its index), every record is well formed, and every timestamp is
 * within message.timestamp.{before,after}.max.ms of now. The header's max timestamp is set from the records
 * (with a new CRC) when the producer wrote something else there, such as -1, as Kafka does for CreateTime.
 * Throws LogError with Kafka's code (INVALID_RECORD, INVALID_TIMESTAMP, CORRUPT_MESSAGE).
 */
export function validateBatch(info: BatchInfo, now: number, limits: BatchLimits = DEFAULT_BATCH_LIMITS): void {
  const b = info.data;
  if (info.recordCount < 1) throw new LogError(LogErrorCode.INVALID_RECORD, "record batch holds no records");
  if (info.lastOffsetDelta !== info.recordCount - 1)
    throw new LogError(LogErrorCode.INVALID_RECORD, `record batch header says ${info.recordCount} records but an offset range of ${info.lastOffsetDelta + 1}`);
  const codec = info.attributes & 0x7;
  if (codec > 4) throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${codec}`);
  const checkTs = (ts: number) => {
    if (ts === -1) return;
    if (limits.timestampAfterMaxMs >= 0 && ts - now > limits.timestampAfterMaxMs)
      throw new LogError(LogErrorCode.INVALID_TIMESTAMP, `timestamp ${ts} is more than message.timestamp.after.max.ms=${limits.timestampAfterMaxMs} ahead of the broker's clock`);
    if (limits.timestampBeforeMaxMs >= 0 && now - ts > limits.timestampBeforeMaxMs)
      throw new LogError(LogErrorCode.INVALID_TIMESTAMP, `timestamp ${ts} is more than message.timestamp.before.max.ms=${limits.timestampBeforeMaxMs} behind the broker's clock`);
    if (ts < -1) throw new LogError(LogErrorCode.INVALID_TIMESTAMP, `timestamp ${ts} is negative`);
  };
  const section = recordsSection(b);
  if (!section) {
    checkTs(info.maxTimestamp);
    return;
  }
  let max = -1;
  walkRecords(section, info.recordCount, info.baseTimestamp, (r, i) => {
    if (r.offsetDelta !== i) throw new LogError(LogErrorCode.INVALID_RECORD, `record ${i} has offset delta ${r.offsetDelta}`);
    checkTs(r.timestamp);
    if (r.timestamp > max) max = r.timestamp;
  });
  if (max !== info.maxTimestamp) {
    b.writeBigInt64BE(BigInt(max), OFF_MAX_TIMESTAMP);
    b.writeUInt32BE(crc32c(b, OFF_ATTRIBUTES, b.length), OFF_CRC);
    info.maxTimestamp = max;
  }
}

/**
 * The first record whose timestamp is >= ts (ListOffsets by time), read from the records themselves, inflated
 * when gzip-compressed. For codecs this broker cannot inflate, the batch's first offset and max timestamp.
 */
export function firstRecordAtOrAfter(batch: Buffer, ts: number): { offsetDelta: number; timestamp: number } | undefined {
  let section: Buffer | undefined;
  try {
    section = recordsSection(batch);
  } catch {
    section = undefined;
  }
  const maxTs = batchMaxTimestamp(batch);
  if (!section) return maxTs >= ts ? { offsetDelta: 0, timestamp: maxTs } : undefined;
  let found: RecordInfo | undefined;
  try {
    walkRecords(section, batch.readInt32BE(OFF_RECORD_COUNT), Number(batch.readBigInt64BE(OFF_BASE_TIMESTAMP)), (r) => {
      if (r.timestamp >= ts) {
        found = { ...r };
        return true;
      }
    });
  } catch {
    return maxTs >= ts ? { offsetDelta: 0, timestamp: maxTs } : undefined;
  }
  return found && { offsetDelta: found.offsetDelta, timestamp: found.timestamp };
}

/** One record of a batch as the cleaner sees it: its offset, key, whether it is a tombstone, and its bytes. */
export interface RecordView {
  offset: number;
  key: Buffer | null;
  /** A null value: a tombstone (a delete marker in a compacted topic). */
  tombstone: boolean;
  value: Buffer | null;
  /** The record's bytes in the records section, its length varint included. */
  start: number;
  end: number;
}

/** Control batches (transaction markers) carry attribute bit 5. */
export function isControlBatch(batch: Buffer): boolean {
  return (batch.readInt16BE(OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0;
}

/**
 * The records of a stored batch with their keys, for compaction (inflated whatever the codec: gzip, snappy, lz4,
 * zstd); undefined when the batch is malformed or does not inflate (the cleaner then keeps it whole).
 */
export function batchRecords(batch: Buffer): { section: Buffer; records: RecordView[] } | undefined {
  let section: Buffer | undefined;
  try {
    section = recordsSection(batch, true);
  } catch {
    return undefined;
  }
  if (!section) return undefined;
  const base = batchBaseOffset(batch);
  const count = batch.readInt32BE(OFF_RECORD_COUNT);
  const records: RecordView[] = [];
  const c = new Cursor(section, 0);
  try {
    for (let i = 0; i < count; i++) {
      const start = c.pos;
      const len = c.varlong();
      const end = c.pos + len;
      c.skip(1); // attributes
      c.varlong(); // timestamp delta
      const offsetDelta = c.varlong();
      const keyLen = c.varlong();
      let key: Buffer | null = null;
      if (keyLen >= 0) {
        key = section.subarray(c.pos, c.pos + keyLen);
        c.skip(keyLen);
      }
      const valueLen = c.varlong();
      const value = valueLen >= 0 ? section.subarray(c.pos, c.pos + valueLen) : null;
      records.push({ offset: base + offsetDelta, key, tombstone: valueLen < 0, value, start, end });
      c.pos = end;
    }
  } catch {
    return undefined;
  }
  return { section, records };
}

/**
 * A stored batch holding only some of its records, as Kafka's cleaner writes it: the same base offset, last
 * offset delta, timestamps and attributes (so offsets stay where they were, with gaps), the kept records' bytes
 * unchanged (their deltas are relative to the unchanged base), compressed again with the batch's codec (a zstd
 * batch with gzip: there is no zstd compressor here, so its attributes say gzip).
 */
export function filterBatch(batch: Buffer, section: Buffer, kept: RecordView[]): Buffer {
  const attributes = batch.readInt16BE(OFF_ATTRIBUTES);
  const plain = Buffer.concat(kept.map((r) => section.subarray(r.start, r.end)));
  const { codec, data: body } = compress(attributes & 0x7, plain, batch.subarray(BATCH_HEADER_BYTES));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeInt16BE((attributes & ~0x7) | codec, OFF_ATTRIBUTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_BATCH_LENGTH);
  out.writeInt32BE(kept.length, OFF_RECORD_COUNT);
  out.writeUInt32BE(crc32c(out, OFF_ATTRIBUTES, out.length), OFF_CRC);
  return out;
}

/** Whether any record of the batch has a null key (a compacted topic refuses those, as Kafka does). */
export function hasNullKey(batch: Buffer): boolean {
  const r = batchRecords(batch);
  return !!r && r.records.some((x) => x.key === null);
}

function varintBytes(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/**
 * Builds an uncompressed RecordBatch v2 (base offset 0, to be assigned by the log) from keyed records, as the
 * broker writes its own records (the group coordinator's commits to __consumer_offsets).
 */
export function buildBatch(records: { key: Buffer | null; value: Buffer | null }[], timestamp: number): BatchInfo {
  const body = Buffer.concat(
    records.map((r, i) => {
      const parts = [Buffer.from([0]), varintBytes(0), varintBytes(i)];
      parts.push(varintBytes(r.key ? r.key.length : -1));
      if (r.key) parts.push(r.key);
      parts.push(varintBytes(r.value ? r.value.length : -1));
      if (r.value) parts.push(r.value);
      parts.push(varintBytes(0));
      const rec = Buffer.concat(parts);
      return Buffer.concat([varintBytes(rec.length), rec]);
    }),
  );
  const out = Buffer.alloc(BATCH_HEADER_BYTES + body.length);
  out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_BATCH_LENGTH);
  out.writeInt8(2, OFF_MAGIC);
  out.writeInt32BE(records.length - 1, OFF_LAST_OFFSET_DELTA);
  out.writeBigInt64BE(BigInt(timestamp), OFF_BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(timestamp), OFF_MAX_TIMESTAMP);
  out.writeBigInt64BE(-1n, OFF_PRODUCER_ID);
  out.writeInt16BE(-1, 51);
  out.writeInt32BE(-1, 53);
  out.writeInt32BE(records.length, OFF_RECORD_COUNT);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out, OFF_ATTRIBUTES, out.length), OFF_CRC);
  return { data: out, lastOffsetDelta: records.length - 1, baseTimestamp: timestamp, maxTimestamp: timestamp, recordCount: records.length, attributes: 0, producerId: -1 };
}

/**
 * Kafka's LogAppendTime: the batch's timestamp type bit (attribute bit 3) is set and its max timestamp is the
 * broker's time, which readers take as every record's timestamp. The records stay as sent; the CRC is redone.
 */
export function setLogAppendTime(info: BatchInfo, now: number): void {
  const b = info.data;
  b.writeInt16BE(info.attributes | 0x8, OFF_ATTRIBUTES);
  b.writeBigInt64BE(BigInt(now), OFF_MAX_TIMESTAMP);
  b.writeUInt32BE(crc32c(b, OFF_ATTRIBUTES, b.length), OFF_CRC);
  info.attributes |= 0x8;
  info.maxTimestamp = now;
}
