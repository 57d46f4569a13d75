/**
 * One partition's log, laid out as Kafka lays it out: segment files named by their base offset
 * (00000000000000000000.log), each with a sparse offset index and a sparse time index (.index/.timeindex).
 * Reads are served from the files (the page cache does the caching); only the indexes and a few numbers per
 * segment live in memory, so memory stays bounded however much data the partition holds. Without a directory
 * the same segments keep their batches in memory instead.
 *
 * Every batch is written to its file before the produce is acknowledged, so a killed broker loses nothing it
 * acknowledged. A write that fails (ENOSPC, EIO) rolls the segment back to the end of the last complete batch
 * and the produce gets KAFKA_STORAGE_ERROR; if even the roll-back fails the partition goes offline and
 * answers KAFKA_STORAGE_ERROR until restart. Recovery reads every segment back, verifying every batch; the
 * damaged tail of a damaged segment is cut off, later intact segments are kept, and one line per damaged
 * segment says what was dropped (offsets and bytes).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LogError, LogErrorCode, asLogError } from "./errors";
import { CleanerMap, type Removed } from "./cleaner-core";
import { runInCleanerThread } from "./cleaner-pool";
import {
  DEFAULT_BATCH_LIMITS,
  LOG_OVERHEAD,
  assignBaseOffset,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  firstRecordAtOrAfter,
  hasNullKey,
  setLogAppendTime,
  readBatchAt,
  validateBatch,
  type BatchInfo,
  type BatchLimits,
} from "./record-batch";

export interface RetentionPolicy {
  /** Bytes kept per partition; -1 for no limit. */
  retentionBytes: number;
  /** Age of the newest record in a segment after which the segment goes; -1 for no limit. */
  retentionMs: number;
  /** A segment is closed and a new one started past this size (Kafka's segment.bytes, at most 1 GiB here). */
  segmentBytes: number;
  /** Bytes between entries of the sparse indexes (Kafka's index.interval.bytes, default 4096). */
  indexIntervalBytes?: number;
  /** Kafka's message.timestamp.after.max.ms (default 1 hour). */
  timestampAfterMaxMs?: number;
  /** Kafka's message.timestamp.before.max.ms (default unlimited: -1). */
  timestampBeforeMaxMs?: number;
  /** Kafka's cleanup.policy: "delete" (default), "compact", or both ("compact,delete"). */
  cleanupPolicy?: string;
  /** Kafka's delete.retention.ms: how long a tombstone stays readable in a compacted topic (default 1 day). */
  deleteRetentionMs?: number;
  /** Kafka's min.cleanable.dirty.ratio: the share of not yet cleaned bytes that starts a cleaning (0.5). */
  minCleanableDirtyRatio?: number;
  /** Kafka's segment.ms: a segment is closed this long after its first write (default 7 days). */
  segmentMs?: number;
  /** Kafka's message.timestamp.type: "CreateTime" (default) or "LogAppendTime". */
  timestampType?: string;
}

/** Whether a cleanup.policy value includes compaction / deletion ("compact,delete" both). */
export function compacts(policy: string | undefined): boolean {
  return !!policy && policy.split(",").some((p) => p.trim() === "compact");
}
export function deletes(policy: string | undefined): boolean {
  return !policy || policy.split(",").some((p) => p.trim() === "delete");
}

/** What one cleaning of a partition did, for logs, tests and the benchmark. */
export interface CleanStats {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  /** Transaction markers removed: their transaction has no record left and delete.retention.ms has passed. */
  markersRemoved: number;
}

/** The largest segment.bytes accepted: positions in the .index file are 32-bit, as in Kafka. */
export const MAX_SEGMENT_BYTES = 1 << 30;
const DEFAULT_INDEX_INTERVAL = 4096;
const NO_TIMESTAMP_LIMITS: BatchLimits = { timestampAfterMaxMs: -1, timestampBeforeMaxMs: -1 };
/** Bytes read per step when recovery scans a segment. */
const RECOVERY_WINDOW = 8 << 20;
/** Bytes the cleaner reads between pauses (it gives the event loop a turn after each step). */
const CLEAN_STEP_BYTES = 1 << 20;
/** Bytes read at once when a start walks the batch headers of a trusted segment's tail. */
const HEADER_WINDOW = 8 << 10;
/** Bytes read per step when a lookup walks batch headers from an index entry. */
const SCAN_WINDOW = 64 << 10;

/**
 * Open segment files, least recently used closed first, so the number of partitions is not bounded by the
 * file-descriptor limit (10,000 partitions hold no descriptors while idle).
 */
export class FdCache {
  private readonly open = new Map<string, number>();
  constructor(public limit = 256) {}

  /** An fd for reading and positional writing; `create` makes (or empties) the file. */
  get(file: string, create = false): number {
    let fd = this.open.get(file);
    if (fd !== undefined && !create) {
      this.open.delete(file);
      this.open.set(file, fd);
      return fd;
    }
    if (fd !== undefined) this.forget(file);
    fd = fs.openSync(file, create ? "w+" : "r+");
    this.open.set(file, fd);
    while (this.open.size > this.limit) {
      const [oldest, ofd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      try {
        fs.closeSync(ofd);
      } catch {
        /* already closed */
      }
    }
    return fd;
  }

  forget(file: string): void {
    const fd = this.open.get(file);
    if (fd === undefined) return;
    this.open.delete(file);
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  get size(): number {
    return this.open.size;
  }
}

export const sharedFdCache = new FdCache();

interface Snapshot {
  size: number;
  nextOffset: number;
  maxTimestamp: number;
  entries: number;
  sinceIndex: number;
  mem: number;
}

class Segment {
  size = 0;
  nextOffset: number;
  /** Largest record timestamp in the segment (from the records, not trusted from the producer). */
  maxTimestamp = -1;
  /** Sparse index: a batch's base offset, its file position, and the largest timestamp of the batches before it. */
  idxOffset: number[] = [];
  idxPos: number[] = [];
  idxMaxBefore: number[] = [];
  sinceIndex = Number.POSITIVE_INFINITY;
  /** Wall-clock time of the last write (the file's mtime on disk): tombstones stay delete.retention.ms past it. */
  lastModified = 0;
  /** Wall-clock time of the first write, and the first batch's max timestamp: segment.ms counts from these, as in Kafka. */
  firstWrite = 0;
  firstTimestamp = -1;
  /** Whether the file exists: a new segment's file is made at its first append (cheap topic creation). */
  created = false;
  /** Written since the last recovery-point checkpoint (fsynced before the checkpoint may name offsets in it). */
  unflushed = false;
  /** Index entries in the .index file on disk (-1: none), so unchanged index files are not written again. */
  indexOnDisk = -1;
  /** Memory-only logs: the batches, and where each starts. */
  mem: Buffer[] | undefined;
  memPos: number[] | undefined;

  constructor(
    readonly baseOffset: number,
    readonly file: string | undefined,
  ) {
    this.nextOffset = baseOffset;
    if (!file) {
      this.mem = [];
      this.memPos = [];
    }
  }

  get indexFile(): string {
    return this.file!.slice(0, -4) + ".index";
  }

  get timeIndexFile(): string {
    return this.file!.slice(0, -4) + ".timeindex";
  }

  /** Records a batch that now sits at `pos`. */
  track(base: number, last: number, maxTs: number, pos: number, len: number, interval: number): void {
    if (pos === 0) this.firstTimestamp = maxTs;
    if (this.sinceIndex >= interval) {
      this.idxOffset.push(base);
      this.idxPos.push(pos);
      this.idxMaxBefore.push(this.maxTimestamp);
      this.sinceIndex = 0;
    }
    this.sinceIndex += len;
    this.size = pos + len;
    this.nextOffset = last + 1;
    if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
  }

  snapshot(): Snapshot {
    return { size: this.size, nextOffset: this.nextOffset, maxTimestamp: this.maxTimestamp, entries: this.idxOffset.length, sinceIndex: this.sinceIndex, mem: this.mem?.length ?? 0 };
  }

  restore(s: Snapshot): void {
    this.size = s.size;
    this.nextOffset = s.nextOffset;
    this.maxTimestamp = s.maxTimestamp;
    this.idxOffset.length = this.idxPos.length = this.idxMaxBefore.length = s.entries;
    this.sinceIndex = s.sinceIndex;
    if (this.mem) {
      this.mem.length = s.mem;
      this.memPos!.length = s.mem;
    }
  }
}

const SEGMENT_SUFFIX = ".log";
/** What scanSegment returns when the batch at an index entry's position is not the one the entry names. */
const INDEX_MISMATCH = "index mismatch";

function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0") + SEGMENT_SUFFIX;
}

export interface RecoveryReport {
  /** Batches read and verified at start. */
  batches: number;
  /** Bytes of segment files read at start (after a clean shutdown only the tails after each last index entry). */
  scannedBytes: number;
  /** Segments read from their first byte (not covered by the recovery point, or with no usable index). */
  scannedSegments: number;
  /** Segments whose indexes were loaded from their .index/.timeindex files instead. */
  indexedSegments: number;
  /** Bytes cut off damaged or torn segment tails. */
  truncatedBytes: number;
  /** One line per damaged segment: what was dropped, in offsets and bytes. */
  lines: string[];
}

export interface PartitionLogOptions {
  fds?: FdCache;
  /** Receives recovery and fault lines. */
  log?: (line: string) => void;
  /** Name used in log lines ("topic-partition"); the directory by default. */
  name?: string;
  /** A new partition: nothing to recover, and the directory is made at the first append. */
  fresh?: boolean;
  /** Called at each step of a cleaning's file swap ("cleaned", "swap", "deleted", "done"); tests kill the process there. */
  onCleanStep?: (step: string) => void;
  /** Bytes the cleaner reads between two pauses of an incremental cleaning (1 MiB); tests make it small. */
  cleanStepBytes?: number;
  /**
   * Kafka's recovery point: offsets below it were verified and flushed before the last checkpoint, so their
   * segments are trusted at start (indexes loaded from .index/.timeindex; only the bytes after the last index
   * entry at or below it are read and verified). Infinity after a clean shutdown; 0 (default) reads everything.
   */
  recoveryPoint?: number;
}

/** A cleaning's output before its swap, and the swap itself: "<base>-<next base>.swap" replaces [base, next base). */
const CLEANED_SUFFIX = ".log.cleaned";
const SWAP = /^(\d{20})-(\d{20})\.swap$/;

/** Where DeleteRecords keeps a partition's log start offset. */
const LOG_START_FILE = "log-start-offset";
/** Where the cleaner keeps the offset up to which the partition is clean (Kafka's cleaner-offset-checkpoint). */
const CLEANER_CHECKPOINT_FILE = "cleaner-offset-checkpoint";

export class PartitionLog {
  private segments: Segment[] = [];
  /** Bytes held in all segments. */
  size = 0;
  readonly recovery: RecoveryReport = { batches: 0, scannedBytes: 0, scannedSegments: 0, indexedSegments: 0, truncatedBytes: 0, lines: [] };
  /** Set when a failed write could not be rolled back: the partition answers KAFKA_STORAGE_ERROR. */
  offline: string | undefined;
  private readonly fds: FdCache;
  private readonly name: string;

  constructor(
    readonly dir: string | undefined,
    public policy: RetentionPolicy,
    private readonly opts: PartitionLogOptions = {},
  ) {
    this.fds = opts.fds ?? sharedFdCache;
    this.name = opts.name ?? dir ?? "memory";
    if (dir && !opts.fresh) {
      fs.mkdirSync(dir, { recursive: true });
      this.recover(dir);
    }
    if (this.segments.length === 0) this.segments.push(this.newSegment(0));
  }

  /** A log start moved inside the first segment by DeleteRecords (Kafka's log-start-offset checkpoint). */
  private deletedBefore = 0;

  get logStartOffset(): number {
    return Math.min(Math.max(this.segments[0].baseOffset, this.deletedBefore), this.highWatermark);
  }

  /**
   * DeleteRecords: records before `offset` are gone for readers (the log start moves there) and whole segments
   * below it are removed. With a directory the new start is kept in `log-start-offset`, so it survives a restart.
   */
  deleteRecordsBefore(offset: number): void {
    if (offset <= this.logStartOffset) return;
    this.deletedBefore = Math.min(offset, this.highWatermark);
    while (this.segments.length > 1 && this.segments[1].baseOffset <= this.deletedBefore) {
      const oldest = this.segments.shift()!;
      this.size -= oldest.size;
      try {
        this.removeFiles(oldest);
      } catch (err) {
        this.opts.log?.(`delete records: ${this.name}: could not delete ${oldest.file}: ${(err as Error).message}`);
      }
    }
    if (this.dir) {
      fs.mkdirSync(this.dir, { recursive: true }); // a partition never written to has no directory yet
      const file = path.join(this.dir, LOG_START_FILE);
      fs.writeFileSync(file + ".tmp", String(this.deletedBefore));
      fs.renameSync(file + ".tmp", file);
    }
  }

  private highWatermarkOf(): number {
    return this.segments.length ? this.segments[this.segments.length - 1].nextOffset : 0;
  }

  /** The high watermark: the offset the next record gets (single replica, so also the log end offset). */
  get highWatermark(): number {
    return this.segments[this.segments.length - 1].nextOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get interval(): number {
    return this.policy.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL;
  }

  private get limits(): BatchLimits {
    return {
      timestampAfterMaxMs: this.policy.timestampAfterMaxMs ?? DEFAULT_BATCH_LIMITS.timestampAfterMaxMs,
      timestampBeforeMaxMs: this.policy.timestampBeforeMaxMs ?? DEFAULT_BATCH_LIMITS.timestampBeforeMaxMs,
    };
  }

  private newSegment(baseOffset: number): Segment {
    const file = this.dir ? path.join(this.dir, segmentName(baseOffset)) : undefined;
    return new Segment(baseOffset, file);
  }

  private note(line: string): void {
    this.recovery.lines.push(line);
    this.opts.log?.(line);
  }

  private recover(dir: string): void {
    this.finishCleaning(dir);
    // Segments below the recovery point are trusted: their indexes are loaded and only the bytes after the last
    // index entry are read; the others are read whole, every batch verified, and their indexes rebuilt.
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .sort();
    let expectedNext = -1;
    for (let i = 0; i < files.length; i++) {
      const file = path.join(dir, files[i]);
      const base = Number(files[i].slice(0, 20));
      if (base < expectedNext)
        throw new Error(
          `${this.name}: segment ${files[i]} starts at offset ${base} but the segment before it already holds offsets up to ${expectedNext - 1}; ` +
            `the directory mixes two logs: move one of them away and restart`,
        );
      let seg = new Segment(base, file);
      seg.created = true;
      const fd = fs.openSync(file, "r+");
      try {
        const stat = fs.fstatSync(fd);
        const fileSize = stat.size;
        seg.lastModified = seg.firstWrite = stat.mtimeMs;
        const trusted = this.opts.recoveryPoint ?? 0;
        const from = trusted > base && fileSize > 0 ? this.loadIndexes(seg, fd, fileSize, trusted, files[i]) : 0;
        // A segment wholly below the recovery point (every segment after a clean shutdown) is trusted as Kafka
        // trusts it: from its last index entry only the batch headers are read (offsets, timestamps, lengths);
        // one that holds the recovery point is verified batch by batch from its last entry at or below it.
        const nextBase = i + 1 < files.length ? Number(files[i + 1].slice(0, 20)) : Number.POSITIVE_INFINITY;
        const wholeTrusted = from > 0 && (trusted === Number.POSITIVE_INFINITY || nextBase <= trusted);
        let damage = wholeTrusted ? this.walkHeaders(fd, fileSize, seg, from) : this.scanSegment(fd, fileSize, seg, from);
        if (wholeTrusted && damage && damage !== INDEX_MISMATCH) {
          // A header out of place in a trusted tail: verify that tail batch by batch (it cuts what is damaged).
          const again = new Segment(base, file);
          again.created = true;
          again.indexOnDisk = seg.indexOnDisk;
          again.lastModified = again.firstWrite = stat.mtimeMs;
          this.loadIndexes(again, fd, fileSize, trusted, files[i]);
          seg = again;
          damage = this.scanSegment(fd, fileSize, seg, from);
        }
        if (damage === INDEX_MISMATCH) {
          this.note(`recovery: ${this.name}: index of segment ${files[i]} does not match the segment at byte ${from}: rebuilt from the segment`);
          seg = new Segment(base, file);
          seg.created = true;
          seg.indexOnDisk = -2; // written again below
          seg.lastModified = seg.firstWrite = stat.mtimeMs;
          damage = this.scanSegment(fd, fileSize, seg, 0);
        }
        if (damage) {
          const nextBase = i + 1 < files.length ? Number(files[i + 1].slice(0, 20)) : undefined;
          const dropped = fileSize - seg.size;
          const offsets = nextBase === undefined ? `offsets from ${seg.nextOffset} on` : seg.nextOffset < nextBase ? `offsets ${seg.nextOffset}..${nextBase - 1}` : "no offsets";
          this.note(
            `recovery: ${this.name}: segment ${files[i]} ${damage} at byte ${seg.size}: dropped ${dropped} bytes (${offsets}); ` +
              `${files.length - i - 1} later segment(s) kept`,
          );
          this.recovery.truncatedBytes += dropped;
          fs.ftruncateSync(fd, seg.size);
          seg.indexOnDisk = -2; // entries past the cut may be on disk: written again below
        }
        // What was read past the recovery point may be in the page cache only: the next checkpoint flushes it.
        seg.unflushed = seg.nextOffset > trusted;
      } finally {
        fs.closeSync(fd);
      }
      expectedNext = seg.nextOffset;
      this.segments.push(seg);
      this.size += seg.size;
    }
    // Empty segments before the last one hold nothing to read: drop them so the log start is a real offset.
    // (A compacted log keeps its first segment even when cleaning emptied it, so its log start stays put.)
    const keep: Segment[] = [];
    const compacted = compacts(this.policy.cleanupPolicy);
    this.segments.forEach((s, i, all) => {
      if (s.size > 0 || i === all.length - 1 || (i === 0 && compacted)) keep.push(s);
      else this.removeFiles(s);
    });
    this.segments = keep;
    // Index files are written again only where the scan found other entries than the file holds (missing,
    // damaged, stale or cut), so a clean start writes nothing.
    for (const s of this.segments) if (s.size > 0 && s.indexOnDisk !== s.idxOffset.length) this.writeIndexes(s);
    const start = path.join(dir, LOG_START_FILE);
    if (fs.existsSync(start)) {
      const n = Number(fs.readFileSync(start, "utf8"));
      if (Number.isSafeInteger(n) && n >= 0) this.deletedBefore = n;
    }
    // The cleaner checkpoint, unless it points past the recovered log's end (a cut tail): then everything is dirty.
    const checkpoint = path.join(dir, CLEANER_CHECKPOINT_FILE);
    if (fs.existsSync(checkpoint)) {
      const n = Number(fs.readFileSync(checkpoint, "utf8"));
      if (Number.isSafeInteger(n) && n >= 0 && n <= this.highWatermarkOf()) this.firstDirty = n;
      else this.note(`recovery: ${this.name}: cleaner checkpoint ${JSON.stringify(fs.readFileSync(checkpoint, "utf8").slice(0, 40))} is past the log end or not an offset: the log will be cleaned from its start`);
    }
  }

  /**
   * Loads a segment's indexes from its .index/.timeindex files, keeping the entries at or below the recovery
   * point, after sanity checks as Kafka's (sizes, entries increasing, positions inside the segment); returns the
   * position from which the segment must still be read (the last kept entry's; 0 when the files are missing or
   * fail a check: the segment is then read whole). The segment's state is set as it was at that entry.
   */
  private loadIndexes(seg: Segment, fd: number, fileSize: number, trusted: number, name: string): number {
    let idx: Buffer;
    let tix: Buffer;
    try {
      idx = fs.readFileSync(seg.indexFile);
      tix = fs.readFileSync(seg.timeIndexFile);
    } catch {
      return 0; // no index (an older data dir, or a crash during a cleaning's swap): rebuilt by the scan
    }
    const n = idx.length / 8;
    const problem = (): string | undefined => {
      if (!Number.isInteger(n) || tix.length !== n * 12) return `sizes ${idx.length} and ${tix.length} do not hold the same whole entries`;
      if (n === 0) return "no entries";
      if (idx.readInt32BE(4) !== 0) return "first entry not at position 0";
      for (let i = 0; i < n; i++) {
        const rel = idx.readInt32BE(i * 8);
        const pos = idx.readInt32BE(i * 8 + 4);
        if (rel < 0 || pos < 0 || pos >= fileSize) return `entry ${i} outside the segment`;
        if (tix.readInt32BE(i * 12 + 8) !== rel) return `entry ${i} differs between .index and .timeindex`;
        if (i > 0 && (rel <= idx.readInt32BE(i * 8 - 8) || pos <= idx.readInt32BE(i * 8 - 4))) return `entry ${i} not after the one before`;
      }
      return undefined;
    };
    const bad = problem();
    if (bad) {
      this.note(`recovery: ${this.name}: index of segment ${name} is damaged (${bad}): rebuilt from the segment`);
      return 0;
    }
    seg.indexOnDisk = n;
    let keep = 0;
    while (keep < n && seg.baseOffset + idx.readInt32BE(keep * 8) <= trusted) keep++;
    if (keep === 0) return 0;
    // Entries before the last kept one are taken as they are; the scan starts at the last kept one (and adds it again).
    for (let i = 0; i < keep - 1; i++) {
      seg.idxOffset.push(seg.baseOffset + idx.readInt32BE(i * 8));
      seg.idxPos.push(idx.readInt32BE(i * 8 + 4));
      seg.idxMaxBefore.push(Number(tix.readBigInt64BE(i * 12)));
    }
    const j = keep - 1;
    const from = idx.readInt32BE(j * 8 + 4);
    seg.nextOffset = seg.baseOffset + idx.readInt32BE(j * 8);
    seg.maxTimestamp = Number(tix.readBigInt64BE(j * 12));
    if (from > 0) {
      const head = readFully(fd, 0, LOG_OVERHEAD + 49);
      if (head.length === LOG_OVERHEAD + 49) seg.firstTimestamp = Number(head.readBigInt64BE(35));
      this.recovery.indexedSegments++;
    }
    return from;
  }

  /**
   * Reads the batch headers of a trusted segment from a batch start (an index entry's position) to its end,
   * filling its indexes, without reading the records or checking CRCs; returns what stopped it early, if anything.
   */
  private walkHeaders(fd: number, fileSize: number, seg: Segment, from: number): string | undefined {
    const HEADER = LOG_OVERHEAD + 49;
    const interval = this.interval;
    let win = Buffer.alloc(0);
    let winStart = from;
    let pos = from;
    while (pos < fileSize) {
      let off = pos - winStart;
      if (off < 0 || win.length - off < HEADER) {
        win = readFully(fd, pos, Math.min(fileSize - pos, HEADER_WINDOW));
        this.recovery.scannedBytes += win.length;
        winStart = pos;
        off = 0;
        if (win.length < HEADER) return "ends in a torn batch header";
      }
      const base = batchBaseOffset(win.subarray(off));
      if (pos === from && (base !== seg.nextOffset || win.readInt8(off + 16) !== 2)) return INDEX_MISMATCH;
      const len = LOG_OVERHEAD + win.readInt32BE(off + 8);
      if (win.readInt8(off + 16) !== 2 || len < HEADER) return "has a bad batch header";
      if (pos + len > fileSize) return "ends in a torn batch";
      if (base < seg.nextOffset) return `has a batch at offset ${base}, before the offsets already read (${seg.nextOffset})`;
      seg.track(base, base + win.readInt32BE(off + 23), Number(win.readBigInt64BE(off + 35)), pos, len, interval);
      this.recovery.batches++;
      pos += len;
    }
    return undefined;
  }

  /**
   * Verifies every batch of a segment file from a position (a batch start: 0, or an index entry's), filling its
   * indexes; returns what stopped it early, if anything (INDEX_MISMATCH: the batch at `from` is not the one the
   * index says).
   */
  private scanSegment(fd: number, fileSize: number, seg: Segment, from: number): string | undefined {
    let winStart = from;
    let win = Buffer.alloc(0);
    let pos = from;
    if (from > 0) {
      // The last index entry kept must name the batch that starts there (Kafka's sanity check of the last entry).
      const head = readFully(fd, from, LOG_OVERHEAD + 49);
      if (head.length < LOG_OVERHEAD + 49 || head.readInt8(16) !== 2 || batchBaseOffset(head) !== seg.nextOffset) return INDEX_MISMATCH;
    }
    if (from === 0 && fileSize > 0) this.recovery.scannedSegments++;
    this.recovery.scannedBytes += Math.max(0, fileSize - from);
    const interval = this.interval;
    while (pos < fileSize) {
      let off = pos - winStart;
      if (win.length - off < LOG_OVERHEAD || win.length - off < LOG_OVERHEAD + win.readInt32BE(off + 8)) {
        // Refill the window at pos, large enough for the whole batch when its length is known.
        const head = readFully(fd, pos, Math.min(LOG_OVERHEAD, fileSize - pos));
        if (head.length < LOG_OVERHEAD) return "ends in a torn batch header";
        const need = LOG_OVERHEAD + head.readInt32BE(8);
        if (need < LOG_OVERHEAD + 49) return "has a batch with an impossible length";
        if (pos + need > fileSize) return "ends in a torn batch";
        win = readFully(fd, pos, Math.min(fileSize - pos, Math.max(RECOVERY_WINDOW, need)));
        winStart = pos;
        off = 0;
      }
      const info = readBatchAt(win, off, true);
      if (typeof info === "string") return info === "crc" ? "has a batch failing its CRC32C" : `has a bad batch (${info})`;
      const base = batchBaseOffset(info.data);
      if (base < seg.nextOffset) return `has a batch at offset ${base}, before the offsets already read (${seg.nextOffset})`;
      seg.track(base, base + info.lastOffsetDelta, info.maxTimestamp, pos, info.data.length, interval);
      this.recovery.batches++;
      pos += info.data.length;
    }
    return undefined;
  }

  /**
   * Validates and appends batches, rewriting each base offset; returns the first offset assigned. The data is
   * in the file (the page cache, which survives a killed process) when this returns. Throws LogError with a
   * Kafka error code; on a failed write nothing of this call stays in the log.
   */
  append(batches: BatchInfo[], now = Date.now()): number {
    if (this.offline) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `${this.name} is offline after a storage error: ${this.offline}`);
    const limits = this.limits;
    const compacting = compacts(this.policy.cleanupPolicy);
    const logAppendTime = this.policy.timestampType === "LogAppendTime";
    let count = 0;
    for (const b of batches) {
      // With LogAppendTime the producer's timestamps are replaced, so Kafka does not check them.
      validateBatch(b, now, logAppendTime ? NO_TIMESTAMP_LIMITS : limits);
      if (compacting && hasNullKey(b.data)) throw new LogError(LogErrorCode.INVALID_RECORD, `Compacted topic cannot accept message without key in topic partition ${this.name}.`);
      if (logAppendTime) setLogAppendTime(b, now);
      count += b.lastOffsetDelta + 1;
    }
    const first = this.highWatermark;
    if (first + count > Number.MAX_SAFE_INTEGER) throw new LogError(LogErrorCode.INVALID_RECORD, `offsets past 2^53 are not supported`);
    const segCount = this.segments.length;
    const active = this.segments[segCount - 1];
    const snap = active.snapshot();
    const sizeBefore = this.size;
    let next = first;
    try {
      for (const b of batches) {
        let seg = this.segments[this.segments.length - 1];
        const segmentMs = this.policy.segmentMs ?? -1;
        // segment.ms counts, as in Kafka, from the first batch's timestamp to this one's (wall clock without timestamps).
        const waited = seg.firstTimestamp >= 0 && b.maxTimestamp >= 0 ? b.maxTimestamp - seg.firstTimestamp : now - seg.firstWrite;
        if (seg.size > 0 && (seg.size + b.data.length > this.policy.segmentBytes || (segmentMs >= 0 && waited > segmentMs))) seg = this.roll(next);
        if (seg.size === 0) seg.firstWrite = now;
        seg.lastModified = now;
        let data = b.data;
        assignBaseOffset(data, next);
        const pos = seg.size;
        if (seg.file) {
          seg.unflushed = true;
          writeFully(this.segmentFd(seg), data, pos);
        }
        else {
          // A batch arrives as a view into a request frame; keeping that view would pin the whole allocation.
          if (data.buffer.byteLength > data.length + 1024) data = Buffer.from(data);
          seg.mem!.push(data);
          seg.memPos!.push(pos);
        }
        seg.track(next, next + b.lastOffsetDelta, b.maxTimestamp, pos, data.length, this.interval);
        this.size += data.length;
        next += b.lastOffsetDelta + 1;
      }
    } catch (err) {
      this.rollback(segCount, snap, sizeBefore, err);
      throw asLogError(err, `append to ${this.name} failed and was rolled back`);
    }
    return first;
  }

  private segmentFd(seg: Segment): number {
    if (seg.created) return this.fds.get(seg.file!);
    fs.mkdirSync(this.dir!, { recursive: true });
    const fd = this.fds.get(seg.file!, true);
    seg.created = true;
    return fd;
  }

  /** Undoes a partial append: segments it created go, the active segment is cut back to its last whole batch. */
  private rollback(segCount: number, snap: Snapshot, sizeBefore: number, cause: unknown): void {
    try {
      while (this.segments.length > segCount) this.removeFiles(this.segments.pop()!);
      const active = this.segments[segCount - 1];
      if (active.file && active.created) fs.ftruncateSync(this.fds.get(active.file), snap.size);
      active.restore(snap);
      this.size = sizeBefore;
    } catch (err) {
      this.offline = `${(cause as Error)?.message}; then the roll-back failed: ${(err as Error).message}`;
      this.opts.log?.(`storage: ${this.name} is offline until restart: ${this.offline}`);
    }
  }

  private roll(baseOffset: number): Segment {
    const old = this.segments[this.segments.length - 1];
    const seg = this.newSegment(baseOffset);
    this.segments.push(seg);
    if (old.file) this.writeIndexes(old);
    return seg;
  }

  /**
   * Writes a segment's sparse indexes in Kafka's layouts: .index holds (relative offset int32, position int32),
   * .timeindex (largest timestamp before the entry int64, relative offset int32). A start loads them for the
   * segments below the recovery point (after sanity checks) and rebuilds them for the others.
   */
  private writeIndexes(seg: Segment): void {
    if (!seg.file || !seg.created) return;
    try {
      const n = seg.idxOffset.length;
      const idx = Buffer.alloc(n * 8);
      const tix = Buffer.alloc(n * 12);
      for (let i = 0; i < n; i++) {
        idx.writeInt32BE(seg.idxOffset[i] - seg.baseOffset, i * 8);
        idx.writeInt32BE(seg.idxPos[i], i * 8 + 4);
        tix.writeBigInt64BE(BigInt(seg.idxMaxBefore[i]), i * 12);
        tix.writeInt32BE(seg.idxOffset[i] - seg.baseOffset, i * 12 + 8);
      }
      // Each file is replaced whole (written aside, then renamed), so a crash never leaves half an index.
      fs.writeFileSync(seg.indexFile + ".tmp", idx);
      fs.renameSync(seg.indexFile + ".tmp", seg.indexFile);
      fs.writeFileSync(seg.timeIndexFile + ".tmp", tix);
      fs.renameSync(seg.timeIndexFile + ".tmp", seg.timeIndexFile);
      seg.indexOnDisk = n;
    } catch {
      // Indexes are advisory on disk; a full disk must not fail the append that rolled the segment.
    }
  }

  private removeFiles(seg: Segment): void {
    if (!seg.file) return;
    this.fds.forget(seg.file);
    for (const f of [seg.file, seg.indexFile, seg.timeIndexFile]) fs.rmSync(f, { force: true });
  }

  private readAt(seg: Segment, pos: number, len: number): Buffer[] {
    if (len <= 0) return [];
    if (seg.file) return [readFully(this.fds.get(seg.file), pos, len)];
    const out: Buffer[] = [];
    let i = Math.max(0, upperBound(seg.memPos!, pos) - 1);
    let at = pos;
    while (at < pos + len && i < seg.mem!.length) {
      const b = seg.mem![i];
      const start = seg.memPos![i];
      const from = at - start;
      const to = Math.min(b.length, pos + len - start);
      out.push(from === 0 && to === b.length ? b : b.subarray(from, to));
      at = start + to;
      i++;
    }
    return out;
  }

  /** Visits batch headers from a position in a segment until visit returns true; returns whether it did. */
  private scan(seg: Segment, from: number, visit: (pos: number, base: number, last: number, len: number, maxTs: number) => boolean): boolean {
    if (seg.mem) {
      for (let i = Math.max(0, upperBound(seg.memPos!, from) - 1); i < seg.mem.length; i++) {
        const b = seg.mem[i];
        const base = batchBaseOffset(b);
        if (visit(seg.memPos![i], base, base + batchLastOffsetDelta(b), b.length, batchMaxTimestamp(b))) return true;
      }
      return false;
    }
    let pos = from;
    let win = Buffer.alloc(0);
    let winStart = 0;
    while (pos < seg.size) {
      let off = pos - winStart;
      if (win.length - off < 61) {
        win = readFully(this.fds.get(seg.file!), pos, Math.min(SCAN_WINDOW, seg.size - pos));
        winStart = pos;
        off = 0;
        if (win.length < 61) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: segment shorter than its index says`);
      }
      const len = LOG_OVERHEAD + win.readInt32BE(off + 8);
      const base = batchBaseOffset(win.subarray(off));
      if (visit(pos, base, base + win.readInt32BE(off + 23), len, Number(win.readBigInt64BE(off + 35)))) return true;
      pos += len;
    }
    return false;
  }

  /** Position of the first batch holding an offset >= offset in the segment, or its size when none does. */
  private locate(seg: Segment, offset: number): number {
    const e = upperBound(seg.idxOffset, offset) - 1;
    let found = seg.size;
    this.scan(seg, e >= 0 ? seg.idxPos[e] : 0, (pos, _base, last) => {
      if (last < offset) return false;
      found = pos;
      return true;
    });
    return found;
  }

  /**
   * Stored batches from the one holding `offset`, up to maxBytes (at least one batch when `atLeastOne`, so a
   * batch larger than the limit still gets through, as KIP-74 specifies). Whole batches only.
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): { chunks: Buffer[]; bytes: number } {
    if (this.offline) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `${this.name} is offline after a storage error`);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let si = Math.max(0, this.findSegment(offset));
    let pos = this.locate(this.segments[si], offset);
    try {
      while (si < this.segments.length) {
        const seg = this.segments[si];
        if (pos >= seg.size) {
          si++;
          pos = 0;
          continue;
        }
        const budget = maxBytes - bytes;
        // Batch boundaries within the budget, from the headers (in memory for memory logs, read for files).
        let end = pos;
        let firstLen = 0;
        this.scan(seg, pos, (p, _b, _l, len) => {
          if (p < pos) return false;
          if (firstLen === 0) firstLen = len;
          if (p + len - pos > budget) return true;
          end = p + len;
          return false;
        });
        if (end === pos) {
          if (atLeastOne && chunks.length === 0 && firstLen > 0) {
            chunks.push(...this.readAt(seg, pos, firstLen));
            bytes += firstLen;
          }
          return { chunks, bytes };
        }
        chunks.push(...this.readAt(seg, pos, end - pos));
        bytes += end - pos;
        if (end < seg.size) return { chunks, bytes };
        si++;
        pos = 0;
      }
    } catch (err) {
      throw asLogError(err, `read from ${this.name} failed`);
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

  /**
   * The first offset whose record timestamp is >= ts, and that record's timestamp (ListOffsets by time);
   * undefined when no record is. Uses the records' own timestamps, also inside compressed batches.
   */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | undefined {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < ts) continue;
      // The last index entry before which every timestamp is < ts is where the scan starts.
      let e = -1;
      for (let lo = 0, hi = seg.idxMaxBefore.length - 1; lo <= hi; ) {
        const mid = (lo + hi) >> 1;
        if (seg.idxMaxBefore[mid] < ts) {
          e = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      let result: { offset: number; timestamp: number } | undefined;
      this.scan(seg, e >= 0 ? seg.idxPos[e] : 0, (pos, base, _last, len, maxTs) => {
        if (maxTs < ts) return false;
        const batch = Buffer.concat(this.readAt(seg, pos, len));
        const hit = firstRecordAtOrAfter(batch, ts);
        if (!hit) return false;
        result = { offset: base + hit.offsetDelta, timestamp: hit.timestamp };
        return true;
      });
      if (result) return result;
    }
    return undefined;
  }

  /** Offset from which the log has not been cleaned (Kafka's cleaner checkpoint, kept in `cleaner-offset-checkpoint`). */
  private firstDirty = 0;
  /** Set by close(): a cleaning in progress stops at its next pause and leaves the log as it is. */
  private closing = false;
  /** Whether a cleaning is in progress (one at a time per partition). */
  private cleaning = false;

  /** Share of the closed segments' bytes not cleaned yet (Kafka's dirty ratio); 0 when nothing is closed. */
  get dirtyRatio(): number {
    let total = 0;
    let dirty = 0;
    for (const s of this.segments.slice(0, -1)) {
      total += s.size;
      if (s.baseOffset >= this.firstDirty) dirty += s.size;
    }
    return total === 0 ? 0 : dirty / total;
  }

  /** Whether a cleaning of this partition is in progress. */
  get isCleaning(): boolean {
    return this.cleaning;
  }

  /** The cleaner checkpoint: the offset before which the log is clean (survives restarts with a directory). */
  get cleanedUpTo(): number {
    return this.firstDirty;
  }

  /**
   * Log compaction (cleanup.policy=compact): rewrites the closed segments keeping, for every key, only its latest
   * record; offsets stay where they were (with gaps). Tombstones (null values) stay while their segment was
   * written less than delete.retention.ms ago, then go. Runs when the dirty ratio reaches
   * min.cleanable.dirty.ratio (or always with `force`); the active segment is never touched, so produce goes on.
   * Crash-safe: each group of segments is written to "<base>.log.cleaned", renamed to "<base>-<next>.swap" (the
   * commit point), the old segments deleted, and the swap renamed into place; recovery finishes or forgets a
   * cleaning cut short. Records of aborted transactions are removed; records of transactions not ended in the
   * closed segments are kept whole; a transaction marker is removed once no record of its transaction is left and
   * its segment is older than delete.retention.ms. Compressed batches are inflated and written back with their codec
   * (zstd as gzip); a batch that does not inflate is kept whole.
   * This runs the whole cleaning at once; the broker's cleaner uses cleanIncrementally.
   */
  clean(now = Date.now(), force = false): CleanStats | undefined {
    if (this.cleaning) return undefined;
    const steps = this.cleanSteps(now, force);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * The same cleaning, pausing (setImmediate) after every CLEAN_STEP_BYTES read or written, so the event loop
   * serves produce and fetch while a large partition is cleaned. Each group of segments is swapped in within one
   * turn of the loop, so a read sees either the old segments or the cleaned one. A cleaning that finds its
   * segments gone at the swap (retention, DeleteRecords) or the log closed stops and leaves the log as it is.
   */
  async cleanIncrementally(now = Date.now(), force = false, pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<CleanStats | undefined> {
    if (this.cleaning) return undefined;
    const steps = this.cleanSteps(now, force);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await pause();
      if (this.closing) {
        steps.return(undefined); // runs the cleaning's finally blocks: its .cleaned file goes
        return undefined;
      }
    }
  }

  /**
   * The same cleaning with its heavy part (reading the closed segments, the key map, filtering, rewriting and
   * writing each group's cleaned file) in the broker's cleaner thread (cleaner-pool.ts), so the event loop only
   * swaps the cleaned files in (the same steps as clean(), each group in one turn of the loop). Falls back to
   * cleanIncrementally for a log without a directory or where the thread cannot run (TypeScript sources). A
   * cleaning that finds its segments gone at the swap, the log closed, or a segment file gone while it read stops
   * and leaves the log as it is. The broker's cleaner uses this.
   */
  async cleanInWorker(now = Date.now(), force = false): Promise<CleanStats | undefined> {
    if (this.cleaning) return undefined;
    const plan = this.dir ? this.cleanPlan(force) : undefined;
    if (!plan) return this.cleanIncrementally(now, force);
    const { closed, groups, dirtyFrom } = plan;
    const retention = this.policy.deleteRetentionMs ?? 86_400_000;
    const cleanedFiles = groups.map((g) => path.join(this.dir!, String(g[0].baseOffset).padStart(20, "0") + CLEANED_SUFFIX));
    const job = {
      segments: closed.map((s) => ({ file: s.file!, size: s.created ? s.size : 0 })),
      groups: groups.map((g, gi) => ({ cleanedFile: cleanedFiles[gi], segments: g.map((s) => ({ index: closed.indexOf(s), keepTombstones: now - s.lastModified < retention })) })),
    };
    const running = runInCleanerThread(job);
    if (!running) return this.cleanIncrementally(now, force);
    this.cleaning = true;
    let gi = 0;
    try {
      const stats: CleanStats = { segmentsBefore: this.segments.length, segmentsAfter: 0, bytesBefore: this.size, bytesAfter: 0, recordsRemoved: 0, tombstonesRemoved: 0, markersRemoved: 0 };
      const result = await running;
      if (result.error !== undefined || !result.groups) throw new Error(result.error ?? "the cleaner thread gave no result");
      for (; gi < groups.length; gi++) {
        const group = groups[gi];
        const out = new Segment(group[0].baseOffset, group[0].file);
        out.created = true;
        out.lastModified = out.firstWrite = Math.max(...group.map((s) => s.lastModified));
        const b = result.groups[gi].batches;
        for (let i = 0; i < b.length; i += 5) out.track(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], this.interval);
        const nextBase = gi + 1 < groups.length ? groups[gi + 1][0].baseOffset : dirtyFrom;
        if (!this.swapIn(group, out, cleanedFiles[gi], nextBase, gi === 0, result.groups[gi].removed, stats)) return undefined;
      }
      this.firstDirty = dirtyFrom;
      this.writeCleanerCheckpoint();
      stats.segmentsAfter = this.segments.length;
      stats.bytesAfter = this.size;
      return stats;
    } catch (err) {
      this.opts.log?.(`cleaner: ${this.name}: cleaning stopped, the log is intact: ${(err as Error).message}`);
      return undefined;
    } finally {
      // The cleaned files of groups not swapped in (the one that failed at its swap is gone or renamed already).
      for (let i = gi; i < cleanedFiles.length; i++) fs.rmSync(cleanedFiles[i], { force: true });
      this.cleaning = false;
    }
  }

  /** The closed segments a cleaning now would clean, in groups that each fit one segment once cleaned; undefined when none is due. */
  private cleanPlan(force: boolean): { closed: Segment[]; groups: Segment[][]; dirtyFrom: number } | undefined {
    if (this.offline || !compacts(this.policy.cleanupPolicy)) return undefined;
    const closed = this.segments.slice(0, -1);
    if (closed.length === 0) return undefined;
    const ratio = this.dirtyRatio;
    if (ratio === 0 || (!force && ratio < (this.policy.minCleanableDirtyRatio ?? 0.5))) return undefined;
    // Groups of consecutive closed segments that fit in one segment once cleaned (by their size before).
    const groups: Segment[][] = [];
    for (const seg of closed) {
      const g = groups[groups.length - 1];
      if (g && g.reduce((n, s) => n + s.size, 0) + seg.size <= this.policy.segmentBytes) g.push(seg);
      else groups.push([seg]);
    }
    // The segment after the cleaned ones (the active segment when the cleaning started; it may be closed by now).
    return { closed, groups, dirtyFrom: this.segments[closed.length].baseOffset };
  }

  private *cleanSteps(now: number, force: boolean): Generator<void, CleanStats | undefined, void> {
    const plan = this.cleanPlan(force);
    if (!plan) return undefined;
    const { closed, groups, dirtyFrom } = plan;
    this.cleaning = true;
    try {
      // The latest offset of every key, counting only records outside transactions and those of committed
      // transactions (a transaction's records count at its COMMIT marker, and never once it is aborted).
      const map = new CleanerMap();
      for (const seg of closed) yield* this.eachBatchSteps(seg, (batch) => void (this.stepWork = map.scan(batch)));
      const stats: CleanStats = { segmentsBefore: this.segments.length, segmentsAfter: 0, bytesBefore: this.size, bytesAfter: 0, recordsRemoved: 0, tombstonesRemoved: 0, markersRemoved: 0 };
      const retention = this.policy.deleteRetentionMs ?? 86_400_000;
      for (let gi = 0; gi < groups.length; gi++) {
        const nextBase = gi + 1 < groups.length ? groups[gi + 1][0].baseOffset : dirtyFrom;
        const done = yield* this.cleanGroup(groups[gi], nextBase, map, now, retention, stats, gi === 0);
        if (!done) return undefined;
      }
      this.firstDirty = dirtyFrom;
      this.writeCleanerCheckpoint();
      stats.segmentsAfter = this.segments.length;
      stats.bytesAfter = this.size;
      return stats;
    } catch (err) {
      // Groups already swapped in stay (each swap is complete); the rest of the log is as it was. Tried again later.
      this.opts.log?.(`cleaner: ${this.name}: cleaning stopped, the log is intact: ${(err as Error).message}`);
      return undefined;
    } finally {
      this.cleaning = false;
    }
  }

  /** Keeps the cleaner checkpoint in the partition directory (written atomically), so a restart does not clean again. */
  private writeCleanerCheckpoint(): void {
    if (!this.dir || !fs.existsSync(this.dir)) return;
    const file = path.join(this.dir, CLEANER_CHECKPOINT_FILE);
    fs.writeFileSync(file + ".tmp", String(this.firstDirty));
    fs.renameSync(file + ".tmp", file);
  }

  /**
   * Cleans one group of segments into one and swaps it in (in one turn of the event loop); false when the
   * cleaning stopped because the log was closed or the group's segments went meanwhile.
   */
  private *cleanGroup(group: Segment[], nextBase: number, map: CleanerMap, now: number, retention: number, stats: CleanStats, first: boolean): Generator<void, boolean, void> {
    const base = group[0].baseOffset;
    const out = new Segment(base, group[0].file);
    out.created = !!out.file;
    out.lastModified = out.firstWrite = Math.max(...group.map((s) => s.lastModified));
    const cleanedFile = out.file ? path.join(this.dir!, String(base).padStart(20, "0") + CLEANED_SUFFIX) : undefined;
    const fd = cleanedFile ? fs.openSync(cleanedFile, "w") : undefined;
    let committed = false;
    let closedFd = false;
    const removed: Removed = { records: 0, tombstones: 0, markers: 0 };
    try {
      const emit = (batch: Buffer) => {
        const b = fd === undefined ? Buffer.from(batch) : batch;
        const pos = out.size;
        if (fd !== undefined) writeFully(fd, b, pos);
        else {
          out.mem!.push(b);
          out.memPos!.push(pos);
        }
        const first = batchBaseOffset(b);
        out.track(first, first + batchLastOffsetDelta(b), batchMaxTimestamp(b), pos, b.length, this.interval);
      };
      for (const seg of group) {
        const keepTombstones = now - seg.lastModified < retention;
        yield* this.eachBatchSteps(seg, (batch) => {
          const { out: kept, work } = map.filter(batch, keepTombstones, removed);
          this.stepWork = work;
          if (kept) emit(kept);
        });
      }
      if (fd !== undefined) fs.fsyncSync(fd);
      // From here to the end, no pause: the swap and the segment list change happen in one turn of the loop.
      if (cleanedFile) fs.closeSync(fd!);
      closedFd = true;
      committed = this.swapIn(group, out, cleanedFile, nextBase, first, removed, stats);
      return committed;
    } finally {
      if (fd !== undefined && !committed) {
        try {
          if (!closedFd) fs.closeSync(fd);
        } catch {
          /* already closed */
        }
        fs.rmSync(cleanedFile!, { force: true });
      }
    }
  }

  /**
   * Swaps a group's cleaned segment (its file, when there is one, written and fsynced as "<base>.log.cleaned")
   * into the log, in one turn of the event loop: false, and nothing changed, when the log was closed or the
   * group's segments went meanwhile. The rename to ".swap" is the commit point; tests kill the process at each step.
   */
  private swapIn(group: Segment[], out: Segment, cleanedFile: string | undefined, nextBase: number, first: boolean, removed: Removed, stats: CleanStats): boolean {
    const base = group[0].baseOffset;
    const at = this.segments.indexOf(group[0]);
    if (this.closing || this.offline || at < 0 || group.some((s, i) => this.segments[at + i] !== s)) return false;
    out.nextOffset = Math.max(out.nextOffset, base);
    if (cleanedFile) {
      this.opts.onCleanStep?.("cleaned");
      const swap = path.join(this.dir!, `${String(base).padStart(20, "0")}-${String(nextBase).padStart(20, "0")}.swap`);
      fs.renameSync(cleanedFile, swap); // the commit point: recovery finishes the swap from here on
      this.opts.onCleanStep?.("swap");
      for (const seg of group) this.removeFiles(seg);
      this.opts.onCleanStep?.("deleted");
      fs.renameSync(swap, out.file!);
      const t = new Date(out.lastModified);
      fs.utimesSync(out.file!, t, t);
      this.opts.onCleanStep?.("done");
    }
    const keep = out.size > 0 || first;
    if (!keep) this.removeFiles(out);
    else if (out.file) this.writeIndexes(out);
    this.segments.splice(at, group.length, ...(keep ? [out] : []));
    this.size = this.segments.reduce((n, s) => n + s.size, 0);
    stats.recordsRemoved += removed.records;
    stats.tombstonesRemoved += removed.tombstones;
    stats.markersRemoved += removed.markers;
    return true;
  }

  /** Finishes or forgets a cleaning that a crash cut short (before the segments are read at start). */
  private finishCleaning(dir: string): void {
    const names = fs.readdirSync(dir);
    for (const f of names) if (f.endsWith(CLEANED_SUFFIX) || f.endsWith("index.tmp")) fs.rmSync(path.join(dir, f), { force: true });
    for (const f of names) {
      const m = SWAP.exec(f);
      if (!m) continue;
      const from = Number(m[1]);
      const to = Number(m[2]);
      let removed = 0;
      for (const g of names) {
        const lm = /^(\d{20})\.(log|index|timeindex)$/.exec(g);
        if (lm && Number(lm[1]) >= from && Number(lm[1]) < to) {
          fs.rmSync(path.join(dir, g), { force: true });
          if (lm[2] === "log") removed++;
        }
      }
      fs.renameSync(path.join(dir, f), path.join(dir, segmentName(from)));
      this.note(`recovery: ${this.name}: finished a cleaning cut short: offsets ${from}..${to - 1} now in ${segmentName(from)} (replacing ${removed} segment file(s) still there)`);
    }
  }

  /** Bytes the cleaner has read (inflated) since its last pause. */
  private sincePause = 0;
  /** Bytes a visit of the cleaner inflated (a compressed batch's records section), set by the visitors. */
  private stepWork = 0;

  /**
   * Visits every stored batch of a segment, in order, pausing (a yield) whenever the cleaner has read
   * cleanStepBytes since its last pause, so that a caller can give the event loop a turn.
   */
  private *eachBatchSteps(seg: Segment, visit: (batch: Buffer) => void): Generator<void, void, void> {
    const step = this.opts.cleanStepBytes ?? CLEAN_STEP_BYTES;
    const visited = function* (this: PartitionLog, batch: Buffer): Generator<void, void, void> {
      this.stepWork = 0;
      visit(batch);
      // A compressed batch counts as the bytes it inflated to, so a step is about the same work whatever the codec.
      this.sincePause += Math.max(batch.length, this.stepWork);
      if (this.sincePause >= step) {
        this.sincePause = 0;
        yield;
      }
    }.bind(this);
    if (seg.mem) {
      for (const b of seg.mem) yield* visited(b);
      return;
    }
    const size = seg.size;
    let pos = 0;
    while (pos < size) {
      // Whole windows are owned here, so pausing inside one is safe; the fd is fetched again for each window.
      const fd = this.fds.get(seg.file!);
      const win = readFully(fd, pos, Math.min(CLEAN_STEP_BYTES, size - pos));
      let off = 0;
      while (win.length - off >= LOG_OVERHEAD) {
        const len = LOG_OVERHEAD + win.readInt32BE(off + 8);
        if (off + len > win.length) break;
        yield* visited(win.subarray(off, off + len));
        off += len;
      }
      if (off === 0) {
        if (win.length < LOG_OVERHEAD) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: segment ${seg.file} shorter than its index says`);
        const len = LOG_OVERHEAD + win.readInt32BE(8);
        yield* visited(readFully(fd, pos, len));
        off = len;
      }
      pos += off;
    }
  }

  /** Deletes whole closed segments beyond the size or age limit; the active segment always stays. */
  applyRetention(now: number): number {
    if (!deletes(this.policy.cleanupPolicy)) return 0;
    let removed = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const overSize = this.policy.retentionBytes >= 0 && this.size - oldest.size >= this.policy.retentionBytes;
      const overAge = this.policy.retentionMs >= 0 && oldest.maxTimestamp >= 0 && now - oldest.maxTimestamp > this.policy.retentionMs;
      if (!overAge && !overSize) break;
      this.segments.shift();
      this.size -= oldest.size;
      removed++;
      try {
        this.removeFiles(oldest);
      } catch (err) {
        this.opts.log?.(`retention: ${this.name}: could not delete ${oldest.file}: ${(err as Error).message}`);
      }
    }
    return removed;
  }

  /** Bytes of index kept in memory, for tests and stats. */
  get indexEntries(): number {
    let n = 0;
    for (const s of this.segments) n += s.idxOffset.length;
    return n;
  }

  /**
   * For the recovery-point checkpoint (TopicStore): the log end offset now, and the segment files written since
   * the last call, which must be flushed (fsync) before a checkpoint may name that offset. Also writes the active
   * segment's indexes when they changed, so that a start after a crash reads the active segment only from its
   * last index entry at or below the checkpoint.
   */
  checkpointTargets(): { offset: number; files: string[] } {
    const files: string[] = [];
    if (this.offline) return { offset: -1, files };
    for (const s of this.segments)
      if (s.unflushed && s.file) {
        files.push(s.file);
        s.unflushed = false;
      }
    const last = this.segments[this.segments.length - 1];
    if (last.file && last.size > 0 && last.indexOnDisk !== last.idxOffset.length) this.writeIndexes(last);
    return { offset: this.highWatermark, files };
  }

  /** A flush for the checkpoint failed: the segment is flushed again at the next one. */
  flushFailed(file: string): void {
    const seg = this.segments.find((s) => s.file === file);
    if (seg) seg.unflushed = true;
  }

  close(): void {
    this.closing = true;
    const last = this.segments[this.segments.length - 1];
    if (last?.file && last.size > 0 && last.indexOnDisk !== last.idxOffset.length) this.writeIndexes(last);
    for (const s of this.segments) if (s.file) this.fds.forget(s.file);
  }
}

function upperBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

function readFully(fd: number, position: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return off === len ? buf : buf.subarray(0, off);
}
