/**
 * The log cleaner's worker thread: the CPU-heavy part of cleaning one partition (reading its closed segments,
 * building the key -> latest offset map, filtering and rewriting batches, inflating and compressing again, and
 * writing each group's "<base>.log.cleaned" file, fsynced) runs here, so produce and fetch in the broker's event
 * loop are never held up by it. The swap into the live log stays with the main thread (PartitionLog.cleanInWorker).
 */
import * as fs from "node:fs";
import { parentPort } from "node:worker_threads";
import { LOG_OVERHEAD, batchBaseOffset, batchLastOffsetDelta, batchMaxTimestamp } from "./record-batch";
import { CleanerMap, type Removed } from "./cleaner-core";

/** One cleaning: the closed segments (file, size) in log order, and the groups each to be written to one file. */
export interface CleanJob {
  id: number;
  segments: { file: string; size: number }[];
  groups: { cleanedFile: string; segments: { index: number; keepTombstones: boolean }[] }[];
}

/** What each group's cleaned file holds: per batch base, last offset, max timestamp, position and length. */
export interface CleanResult {
  id: number;
  groups?: { batches: number[]; removed: Removed }[];
  error?: string;
}

const WINDOW = 1 << 20;

function readFully(fd: number, position: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, position + off);
    if (n === 0) throw new Error(`unexpected end of segment at ${position + off}`);
    off += n;
  }
  return buf;
}

/** Visits every batch of the first `size` bytes of a segment file, in order. */
function eachBatch(file: string, size: number, visit: (batch: Buffer) => void): void {
  const fd = fs.openSync(file, "r");
  try {
    let pos = 0;
    while (pos < size) {
      const win = readFully(fd, pos, Math.min(WINDOW, size - pos));
      let off = 0;
      while (win.length - off >= LOG_OVERHEAD) {
        const len = LOG_OVERHEAD + win.readInt32BE(off + 8);
        if (off + len > win.length) break;
        visit(win.subarray(off, off + len));
        off += len;
      }
      if (off === 0) {
        if (win.length < LOG_OVERHEAD) throw new Error(`segment ${file} shorter than its index says`);
        const len = LOG_OVERHEAD + win.readInt32BE(8);
        visit(readFully(fd, pos, len));
        off = len;
      }
      pos += off;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

/** Runs one cleaning job; on failure removes the cleaned files it wrote. */
export function runCleanJob(job: CleanJob): CleanResult {
  const written: string[] = [];
  try {
    const map = new CleanerMap();
    for (const s of job.segments) eachBatch(s.file, s.size, (b) => void map.scan(b));
    const groups: { batches: number[]; removed: Removed }[] = [];
    for (const g of job.groups) {
      const removed: Removed = { records: 0, tombstones: 0, markers: 0 };
      const batches: number[] = [];
      written.push(g.cleanedFile);
      const fd = fs.openSync(g.cleanedFile, "w");
      try {
        let pos = 0;
        for (const { index, keepTombstones } of g.segments) {
          const s = job.segments[index];
          eachBatch(s.file, s.size, (batch) => {
            const { out } = map.filter(batch, keepTombstones, removed);
            if (!out) return;
            writeFully(fd, out, pos);
            const first = batchBaseOffset(out);
            batches.push(first, first + batchLastOffsetDelta(out), batchMaxTimestamp(out), pos, out.length);
            pos += out.length;
          });
        }
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      groups.push({ batches, removed });
    }
    return { id: job.id, groups };
  } catch (err) {
    for (const f of written) fs.rmSync(f, { force: true });
    return { id: job.id, error: (err as Error).message };
  }
}

parentPort?.on("message", (job: CleanJob) => {
  parentPort!.postMessage(runCleanJob(job));
});
