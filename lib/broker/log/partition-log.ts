/**
 * One partition's log: a list of segments, each a list of stored RecordBatch v2 buffers. With a directory the
 * segments are also append-only files named by their base offset (as in Kafka); every batch is written to its
 * file before the produce is acknowledged, so a killed broker loses nothing it acknowledged. Recovery reads
 * the files back, verifying every batch, and truncates a torn tail.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { assignBaseOffset, batchBaseOffset, firstOffsetDeltaAtOrAfter, readBatchAt, type BatchInfo } from "./record-batch";

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  data: Buffer;
}

export interface RetentionPolicy {
  /** Bytes kept per partition; -1 for no limit. */
  retentionBytes: number;
  /** Age of the newest record in a segment after which the segment goes; -1 for no limit. */
  retentionMs: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number;
}

class Segment {
  batches: StoredBatch[] = [];
  bytes = 0;
  maxTimestamp = -1;
  fd: number | undefined;
  constructor(readonly baseOffset: number, readonly file: string | undefined) {}

  get nextOffset(): number {
    return this.batches.length ? this.batches[this.batches.length - 1].lastOffset + 1 : this.baseOffset;
  }
}

const SEGMENT_SUFFIX = ".log";

function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0") + SEGMENT_SUFFIX;
}

export interface RecoveryReport {
  batches: number;
  truncatedBytes: number;
}

export class PartitionLog {
  private segments: Segment[] = [];
  /** Bytes held in all segments. */
  size = 0;
  readonly recovery: RecoveryReport = { batches: 0, truncatedBytes: 0 };

  constructor(readonly dir: string | undefined, public policy: RetentionPolicy) {
    if (dir) {
      fs.mkdirSync(dir, { recursive: true });
      this.recover(dir);
    }
    if (this.segments.length === 0) this.segments.push(this.openSegment(0));
  }

  get logStartOffset(): number {
    return this.segments[0].batches.length ? this.segments[0].batches[0].baseOffset : this.segments[0].baseOffset;
  }

  /** The high watermark: the offset the next record gets (single replica, so also the log end offset). */
  get highWatermark(): number {
    return this.segments[this.segments.length - 1].nextOffset;
  }

  private openSegment(baseOffset: number): Segment {
    const file = this.dir ? path.join(this.dir, segmentName(baseOffset)) : undefined;
    const seg = new Segment(baseOffset, file);
    if (file) seg.fd = fs.openSync(file, "a");
    return seg;
  }

  private recover(dir: string): void {
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .sort();
    let expectedNext: number | undefined;
    for (let i = 0; i < files.length; i++) {
      const file = path.join(dir, files[i]);
      const base = Number(files[i].slice(0, 20));
      const buf = fs.readFileSync(file);
      const seg = new Segment(base, file);
      let pos = 0;
      let torn = false;
      while (pos < buf.length) {
        const info = readBatchAt(buf, pos, true);
        if (typeof info === "string") {
          torn = true;
          break;
        }
        const baseOffset = batchBaseOffset(info.data);
        if (expectedNext !== undefined && baseOffset !== expectedNext) {
          torn = true;
          break;
        }
        // Copy out of the file buffer so one retained batch does not pin a whole segment read.
        const data = Buffer.from(info.data);
        seg.batches.push({ baseOffset, lastOffset: baseOffset + info.lastOffsetDelta, maxTimestamp: info.maxTimestamp, data });
        seg.bytes += data.length;
        seg.maxTimestamp = Math.max(seg.maxTimestamp, info.maxTimestamp);
        expectedNext = baseOffset + info.lastOffsetDelta + 1;
        this.recovery.batches++;
        pos += info.data.length;
      }
      if (torn) {
        // A crash mid-write leaves a partial batch at the end; everything before it was acknowledged or not,
        // but everything acknowledged is before it. Later segments cannot be trusted to follow on.
        this.recovery.truncatedBytes += buf.length - pos;
        fs.truncateSync(file, pos);
        for (const later of files.slice(i + 1)) {
          this.recovery.truncatedBytes += fs.statSync(path.join(dir, later)).size;
          fs.rmSync(path.join(dir, later));
        }
        files.length = i + 1;
      }
      if (seg.batches.length === 0 && expectedNext === undefined) expectedNext = base;
      this.segments.push(seg);
      this.size += seg.bytes;
      if (torn) break;
    }
    // Drop empty non-last segments so offsets stay dense and reads stay simple.
    this.segments = this.segments.filter((s, i, all) => s.batches.length > 0 || i === all.length - 1);
    const last = this.segments[this.segments.length - 1];
    if (last) last.fd = fs.openSync(last.file!, "a");
  }

  /**
   * Appends verified batches, rewriting each base offset; returns the first offset assigned. The data is on
   * disk (in the page cache, which survives a killed process) when this returns.
   */
  append(batches: BatchInfo[]): number {
    const first = this.highWatermark;
    let next = first;
    for (const b of batches) {
      let seg = this.segments[this.segments.length - 1];
      if (seg.bytes > 0 && seg.bytes + b.data.length > this.policy.segmentBytes) seg = this.roll(next);
      // A batch arrives as a view into a request frame or a socket read buffer; keeping that view would pin
      // the whole underlying allocation (64 KiB for a 100-byte batch) for as long as retention keeps the batch.
      const data = b.data.buffer.byteLength > b.data.length + 1024 ? Buffer.from(b.data) : b.data;
      assignBaseOffset(data, next);
      if (seg.fd !== undefined) writeFully(seg.fd, data);
      seg.batches.push({ baseOffset: next, lastOffset: next + b.lastOffsetDelta, maxTimestamp: b.maxTimestamp, data });
      seg.bytes += data.length;
      seg.maxTimestamp = Math.max(seg.maxTimestamp, b.maxTimestamp);
      this.size += data.length;
      next += b.lastOffsetDelta + 1;
    }
    return first;
  }

  private roll(baseOffset: number): Segment {
    const old = this.segments[this.segments.length - 1];
    if (old.fd !== undefined) {
      fs.closeSync(old.fd);
      old.fd = undefined;
    }
    const seg = this.openSegment(baseOffset);
    this.segments.push(seg);
    return seg;
  }

  /**
   * Stored batches from the one holding `offset`, up to maxBytes (at least one batch when `atLeastOne`, so a
   * batch larger than the limit still gets through, as KIP-74 specifies).
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): { chunks: Buffer[]; bytes: number } {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let si = this.findSegment(offset);
    if (si < 0) return { chunks, bytes };
    let bi = findBatch(this.segments[si].batches, offset);
    while (si < this.segments.length) {
      const batches = this.segments[si].batches;
      for (; bi < batches.length; bi++) {
        const d = batches[bi].data;
        if (bytes + d.length > maxBytes && !(atLeastOne && chunks.length === 0)) return { chunks, bytes };
        chunks.push(d);
        bytes += d.length;
      }
      si++;
      bi = 0;
    }
    return { chunks, bytes };
  }

  private findSegment(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** First offset whose timestamp is >= ts, or undefined when none is (ListOffsets by timestamp). */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | undefined {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < ts) continue;
      for (const b of seg.batches) {
        if (b.maxTimestamp < ts) continue;
        const delta = firstOffsetDeltaAtOrAfter(b.data, ts);
        return { offset: b.baseOffset + (delta ?? 0), timestamp: b.maxTimestamp };
      }
    }
    return undefined;
  }

  /** Deletes whole closed segments beyond the size or age limit; the active segment always stays. */
  applyRetention(now: number): number {
    let removed = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const overSize = this.policy.retentionBytes >= 0 && this.size - oldest.bytes >= this.policy.retentionBytes;
      const overAge = this.policy.retentionMs >= 0 && oldest.maxTimestamp >= 0 && now - oldest.maxTimestamp > this.policy.retentionMs;
      if (!overAge && !overSize) break;
      this.segments.shift();
      this.size -= oldest.bytes;
      removed++;
      if (oldest.file) fs.rmSync(oldest.file, { force: true });
    }
    return removed;
  }

  close(): void {
    for (const s of this.segments) {
      if (s.fd !== undefined) {
        fs.closeSync(s.fd);
        s.fd = undefined;
      }
    }
  }
}

function findBatch(batches: StoredBatch[], offset: number): number {
  let lo = 0;
  let hi = batches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (batches[mid].lastOffset < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return lo;
}

function writeFully(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}
