/**
 * A checkpoint directory, Spark's layout: `metadata` (query id), `offsets/N` (written before batch N runs:
 * its end offsets, watermark and timestamp), `commits/N` (written after the sink took batch N), `state/N.json`
 * (every stateful operator's state after batch N). Files are written to a temporary name and renamed, so a
 * kill -9 at any point leaves either the old file or the new one. On restart, a batch with an offsets entry
 * but no commit is run again with the same offsets, watermark and state, so results are the same as if the
 * query had never stopped.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface OffsetsEntry {
  batchId: number;
  batchWatermarkMs: number;
  batchTimestampMs: number;
  /** End offset of each source for this batch. */
  offsets: unknown[];
  /** Start offsets (the previous batch's end), kept so batch 0 can be replayed too. */
  startOffsets: unknown[];
}

export interface CommitEntry {
  batchId: number;
  nextBatchWatermarkMs: number;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function listBatches(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d+(\.json)?$/.test(f))
    .map((f) => Number(f.replace(/\.json$/, "")))
    .sort((a, b) => a - b);
}

export class Checkpoint {
  constructor(readonly dir: string) {
    for (const sub of ["offsets", "commits", "state"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  }

  /** The query id stored on first use: a restarted query keeps its id (and gets a new runId). */
  queryId(fresh: string): string {
    const file = path.join(this.dir, "metadata");
    if (fs.existsSync(file)) {
      try {
        return (JSON.parse(fs.readFileSync(file, "utf8")) as { id: string }).id;
      } catch {
        // A torn metadata file: fall through and rewrite it.
      }
    }
    writeAtomic(file, JSON.stringify({ id: fresh }));
    return fresh;
  }

  writeOffsets(e: OffsetsEntry): void {
    writeAtomic(path.join(this.dir, "offsets", String(e.batchId)), "v1\n" + JSON.stringify(e) + "\n");
  }

  writeCommit(e: CommitEntry): void {
    writeAtomic(path.join(this.dir, "commits", String(e.batchId)), "v1\n" + JSON.stringify(e) + "\n");
  }

  writeState(batchId: number, state: unknown): void {
    writeAtomic(path.join(this.dir, "state", `${batchId}.json`), JSON.stringify(state));
  }

  private read<T>(sub: string, batchId: number, suffix = ""): T | undefined {
    const file = path.join(this.dir, sub, `${batchId}${suffix}`);
    if (!fs.existsSync(file)) return undefined;
    const text = fs.readFileSync(file, "utf8");
    return JSON.parse(text.startsWith("v1\n") ? text.slice(3) : text) as T;
  }

  latestOffsets(): OffsetsEntry | undefined {
    const ids = listBatches(path.join(this.dir, "offsets"));
    return ids.length ? this.read<OffsetsEntry>("offsets", ids[ids.length - 1]) : undefined;
  }
  commit(batchId: number): CommitEntry | undefined {
    return this.read<CommitEntry>("commits", batchId);
  }
  state(batchId: number): unknown {
    return this.read<unknown>("state", batchId, ".json");
  }

  /** Keep the last few batches' logs and state, so an endless query's checkpoint stays bounded. */
  purge(keep: number, latest: number): void {
    for (const sub of ["offsets", "commits", "state"]) {
      const dir = path.join(this.dir, sub);
      for (const id of listBatches(dir)) {
        if (id <= latest - keep) {
          for (const name of [String(id), `${id}.json`]) {
            try {
              fs.unlinkSync(path.join(dir, name));
            } catch {
              // already gone
            }
          }
        }
      }
    }
  }
}
