/**
 * Kafka record batches (magic 2) straight to and from columns. Decoding walks each batch once: varints in a
 * tight loop over the fetch buffer, keys and values as views into it (no copy), headers parsed only when
 * asked for, control batches and aborted transactions dropped (read_committed, as Kafka's consumer does).
 * Encoding writes one batch per call, optionally compressed. The codecs are lib/protocol/compression.ts, which
 * the broker's log cleaner uses too (zstd: decompression only).
 */
import { CODEC_ZSTD, compress, decompress } from "../../protocol/compression";
import type { Compression } from "../types";

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The records of one range, column by column. */
export interface RecordColumns {
  offsets: number[];
  timestamps: number[];
  keys: (Buffer | null)[];
  values: (Buffer | null)[];
  /** Per record, its headers; null when not asked for or no record of the range has any. */
  headers: (Record<string, HeaderValue> | null)[] | null;
}

export function emptyColumns(): RecordColumns {
  return { offsets: [], timestamps: [], keys: [], values: [], headers: null };
}

const CODECS: Compression[] = ["none", "gzip", "snappy", "lz4", "zstd"];
/** Largest inflated records section accepted from one batch. */
const MAX_INFLATED = 256 * 1024 * 1024;

function inflate(codec: number, data: Buffer): Buffer {
  if (codec > CODEC_ZSTD) throw new Error(`record batch with unknown compression codec ${codec}: the broker sent data this client cannot read`);
  return decompress(codec, data, MAX_INFLATED);
}

export function deflate(codec: Compression, data: Buffer): Buffer {
  if (codec === "zstd") throw new Error(`compression ${codec} is not supported when producing: use none, gzip, snappy or lz4`);
  return compress(CODECS.indexOf(codec), data, undefined, 1).data;
}

/** int64 at `at` as a number (offsets, timestamps, producer ids stay below 2^53). */
function int64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
}

export interface DecodeState {
  /** Read up to, not including, this offset. */
  to: number;
  /** Skip records before this offset (a fetch returns whole batches). */
  from: number;
  headers: boolean;
  /** Aborted transactions of this partition's fetch answer, by first offset. */
  aborted: { producerId: number; firstOffset: number }[] | null;
  /** Verify each read batch's CRC-32C (Kafka consumers' check.crcs, on by default). */
  checkCrcs?: boolean;
}

/**
 * Appends the records of `buf` (a Fetch answer's records for one partition) with offsets in [from, to) to
 * `out`. Returns the offset after the last complete batch seen (control batches and skipped ones included),
 * or -1 when `buf` holds no complete batch.
 */
export function decodeBatches(buf: Buffer, st: DecodeState, out: RecordColumns): number {
  let pos = 0;
  let next = -1;
  const len = buf.length;
  const abortedList = st.aborted ? [...st.aborted].sort((a, b) => a.firstOffset - b.firstOffset) : null;
  let abortedAt = 0;
  const abortedProducers = new Set<number>();
  const { offsets, timestamps, keys, values } = out;
  while (pos + 61 <= len) {
    const baseOffset = int64(buf, pos);
    const batchLength = buf.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (end > len) break; // a partial batch at the end of the answer
    const magic = buf[pos + 16];
    if (magic !== 2) throw new Error(`record batch of magic ${magic} at offset ${baseOffset}: only magic 2 (Kafka 0.11+) is readable`);
    const attributes = buf.readInt16BE(pos + 21);
    const lastOffset = baseOffset + buf.readInt32BE(pos + 23);
    next = lastOffset + 1;
    if (lastOffset < st.from) {
      pos = end;
      continue;
    }
    if (st.checkCrcs !== false && crc32c(buf, pos + 21, end) !== buf.readUInt32BE(pos + 17)) {
      throw new Error(`record batch at offset ${baseOffset} fails its CRC-32C check: the data was corrupted on the broker or on the way; read again, or set kafka.check.crcs=false to skip the check`);
    }
    const producerId = int64(buf, pos + 43);
    if (abortedList) {
      while (abortedAt < abortedList.length && abortedList[abortedAt].firstOffset <= lastOffset) abortedProducers.add(abortedList[abortedAt++].producerId);
    }
    if (attributes & 0x20) {
      // A control batch: an abort marker ends that producer's aborted transaction.
      if (abortedProducers.size && attributes & 0x10) {
        const r0 = pos + 61;
        let p = r0;
        // Skip length, attributes, timestamp delta, offset delta to the key (int16 version, int16 type).
        for (let k = 0; k < 4; k++) {
          if (k === 1) {
            p++;
            continue;
          }
          while (buf[p++] & 0x80);
        }
        while (buf[p++] & 0x80); // key length
        if (buf.readInt16BE(p + 2) === 0) abortedProducers.delete(producerId);
      }
      pos = end;
      continue;
    }
    if (attributes & 0x10 && abortedProducers.has(producerId)) {
      pos = end;
      continue;
    }
    const baseTimestamp = int64(buf, pos + 27);
    const logAppend = (attributes & 0x08) !== 0;
    const maxTimestamp = logAppend ? int64(buf, pos + 35) : 0;
    const count = buf.readInt32BE(pos + 57);
    const codec = attributes & 7;
    let data = buf;
    let p = pos + 61;
    let dataEnd = end;
    if (codec !== 0) {
      data = inflate(codec, buf.subarray(pos + 61, end));
      p = 0;
      dataEnd = data.length;
    }
    for (let i = 0; i < count && p < dataEnd; i++) {
      // Varints (zigzag) inline, one byte in the common case: record length, attributes, timestamp delta,
      // offset delta, key length, key, value length, value.
      let b = data[p++];
      let v = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        b = data[p++];
        v |= (b & 0x7f) << shift;
      }
      const recEnd = p + ((v >>> 1) ^ -(v & 1));
      p++; // attributes
      // The timestamp delta is a varlong: past four bytes (28 bits), arithmetic instead of bit operations.
      b = data[p++];
      v = b & 0x7f;
      let shift = 7;
      for (; b & 0x80 && shift < 28; shift += 7) {
        b = data[p++];
        v |= (b & 0x7f) << shift;
      }
      let tsDelta: number;
      if (b & 0x80) {
        let big = v;
        for (; b & 0x80; shift += 7) {
          b = data[p++];
          big += (b & 0x7f) * 2 ** shift;
        }
        tsDelta = big % 2 === 0 ? big / 2 : -(big + 1) / 2;
      } else tsDelta = (v >>> 1) ^ -(v & 1);
      b = data[p++];
      v = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        b = data[p++];
        v |= (b & 0x7f) << shift;
      }
      const offset = baseOffset + ((v >>> 1) ^ -(v & 1));
      if (offset < st.from) {
        p = recEnd;
        continue;
      }
      if (offset >= st.to) return next;
      b = data[p++];
      v = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        b = data[p++];
        v |= (b & 0x7f) << shift;
      }
      const keyLen = (v >>> 1) ^ -(v & 1);
      let key: Buffer | null = null;
      if (keyLen >= 0) {
        key = data.subarray(p, p + keyLen);
        p += keyLen;
      }
      b = data[p++];
      v = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        b = data[p++];
        v |= (b & 0x7f) << shift;
      }
      const valueLen = (v >>> 1) ^ -(v & 1);
      let value: Buffer | null = null;
      if (valueLen >= 0) {
        value = data.subarray(p, p + valueLen);
        p += valueLen;
      }
      offsets.push(offset);
      timestamps.push(logAppend ? maxTimestamp : baseTimestamp + tsDelta);
      keys.push(key);
      values.push(value);
      if (st.headers) {
        const h = readHeaders(data, p);
        if (h) {
          out.headers ??= [];
          while (out.headers.length < offsets.length - 1) out.headers.push(null);
          out.headers.push(h);
        } else if (out.headers) out.headers.push(null);
      }
      p = recEnd;
    }
    pos = end;
  }
  if (out.headers) while (out.headers.length < offsets.length) out.headers.push(null);
  return next;
}

function readHeaders(data: Buffer, p: number): Record<string, HeaderValue> | null {
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = data[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  const n = varint();
  if (n <= 0) return null;
  const out: Record<string, HeaderValue> = {};
  for (let i = 0; i < n; i++) {
    const kl = varint();
    const k = data.toString("utf8", p, p + kl);
    p += kl;
    const vl = varint();
    const val = vl < 0 ? undefined : data.subarray(p, p + vl);
    if (vl > 0) p += vl;
    const prev = out[k];
    if (prev === undefined) out[k] = val;
    else out[k] = Array.isArray(prev) ? [...prev, val ?? ""] : [prev, val ?? ""];
  }
  return out;
}

// ---- encoding ----------------------------------------------------------------------------------------------

function zigzagLen(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function putVarint(b: Buffer, at: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    b[at++] = (z & 0x7f) | 0x80;
    z = Math.floor(z / 128);
  }
  b[at++] = z;
  return at;
}

/** CRC-32C tables for slicing by 8, one flat array: table k at [256 k, 256 k + 256). */
let CRC_TABLE: Int32Array | undefined;

function crcTable(): Int32Array {
  const t = new Int32Array(2048);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let k = 1; k < 8; k++) for (let i = 0; i < 256; i++) t[k * 256 + i] = (t[(k - 1) * 256 + i] >>> 8) ^ t[t[(k - 1) * 256 + i] & 0xff];
  return t;
}

/** Words read as little-endian Int32 views (true on every platform Node ships for but s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * CRC-32C (Castagnoli) of b[start, end), as record batches carry: slicing by 8 (eight lookups per 8 bytes),
 * the 8 bytes read as two aligned 32-bit words of an Int32Array view rather than byte by byte.
 */
export function crc32c(b: Uint8Array, start: number, end: number): number {
  const t = (CRC_TABLE ??= crcTable());
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= 64) {
    // Bytes up to a 4-byte boundary of the underlying memory, then 8 bytes (two words) per step.
    const lead = (4 - ((b.byteOffset + i) & 3)) & 3;
    for (let k = 0; k < lead; k++, i++) crc = t[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
    const words = ((end - i) >> 3) << 1;
    const w = new Int32Array(b.buffer, b.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const a = crc ^ w[j];
      const c = w[j + 1];
      crc = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^ t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
    }
    i += words * 4;
  }
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    crc = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^ t[768 + b[i + 4]] ^ t[512 + b[i + 5]] ^ t[256 + b[i + 6]] ^ t[b[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

export interface OutRecord {
  /** Strings are written as UTF-8 straight into the batch (no Buffer per record). */
  key: Buffer | string | null;
  value: Buffer | string | null;
  timestamp: number;
  headers?: [string, Buffer][];
  /** UTF-8 byte lengths of key and value (-1 = null) when the caller knows them already. */
  keyBytes?: number;
  valueBytes?: number;
}

function byteLen(v: Buffer | string | null): number {
  return v === null ? -1 : typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length;
}

/** One record batch (magic 2, no producer id) holding `records`, compressed with `compression`. */
export function encodeBatch(records: readonly OutRecord[], compression: Compression = "none"): Buffer {
  const n = records.length;
  const base = n ? records[0].timestamp : Date.now();
  let maxTs = base;
  let size = 0;
  const lens = new Int32Array(n);
  const kls = new Int32Array(n);
  const vls = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (r.timestamp > maxTs) maxTs = r.timestamp;
    const kl = r.keyBytes ?? byteLen(r.key);
    const vl = r.valueBytes ?? byteLen(r.value);
    kls[i] = kl;
    vls[i] = vl;
    let body = 1 + zigzagLen(r.timestamp - base) + zigzagLen(i) + zigzagLen(kl) + Math.max(kl, 0) + zigzagLen(vl) + Math.max(vl, 0);
    const hs = r.headers;
    if (hs) {
      body += zigzagLen(hs.length);
      for (const [hk, hv] of hs) {
        const kb = Buffer.byteLength(hk);
        body += zigzagLen(kb) + kb + zigzagLen(hv.length) + hv.length;
      }
    } else body += 1;
    lens[i] = body;
    size += zigzagLen(body) + body;
  }
  // Records written after the 61-byte header in one buffer; a compressed batch gets a new one.
  const whole = Buffer.allocUnsafe(61 + size);
  const recs = whole;
  let p = 61;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    p = putVarint(recs, p, lens[i]);
    recs[p++] = 0;
    p = putVarint(recs, p, r.timestamp - base);
    p = putVarint(recs, p, i);
    const k = r.key;
    p = putVarint(recs, p, kls[i]);
    if (k !== null) p += typeof k === "string" ? recs.write(k, p, kls[i], "utf8") : k.copy(recs, p);
    const v = r.value;
    p = putVarint(recs, p, vls[i]);
    if (v !== null) p += typeof v === "string" ? recs.write(v, p, vls[i], "utf8") : v.copy(recs, p);
    const hs = r.headers;
    if (hs) {
      p = putVarint(recs, p, hs.length);
      for (const [hk, hv] of hs) {
        p = putVarint(recs, p, Buffer.byteLength(hk));
        p += recs.write(hk, p);
        p = putVarint(recs, p, hv.length);
        p += hv.copy(recs, p);
      }
    } else recs[p++] = 0;
  }
  if (p !== 61 + size) throw new Error(`record batch encoding wrote ${p - 61} bytes where ${size} were computed: a key or value changed while it was sent`);
  const codec = CODECS.indexOf(compression);
  if (codec < 0) throw new Error(`unknown compression '${String(compression)}': use none, gzip, snappy or lz4`);
  let out = whole;
  if (codec) {
    const packed = deflate(compression, whole.subarray(61));
    out = Buffer.allocUnsafe(61 + packed.length);
    packed.copy(out, 61);
  }
  const bodyLength = out.length - 61;
  out.writeInt32BE(0, 0);
  out.writeInt32BE(0, 4); // base offset 0: the broker assigns offsets
  out.writeInt32BE(49 + bodyLength, 8);
  out.writeInt32BE(-1, 12); // partition leader epoch
  out[16] = 2;
  out.writeInt16BE(codec, 21);
  out.writeInt32BE(Math.max(0, n - 1), 23);
  out.writeInt32BE(Math.floor(base / 4294967296), 27);
  out.writeUInt32BE(base >>> 0, 31);
  out.writeInt32BE(Math.floor(maxTs / 4294967296), 35);
  out.writeUInt32BE(maxTs >>> 0, 39);
  out.writeInt32BE(-1, 43);
  out.writeInt32BE(-1, 47); // producer id -1
  out.writeInt16BE(-1, 51); // producer epoch
  out.writeInt32BE(-1, 53); // base sequence
  out.writeInt32BE(n, 57);
  out.writeUInt32BE(crc32c(out, 21, out.length), 17);
  return out;
}
