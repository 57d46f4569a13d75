/**
 * A checkpoint directory, Spark's layout: `metadata` (query id), `offsets/N` (written before batch N runs:
 * its end offsets, watermark and timestamp), `commits/N` (written after the sink took batch N),
 * `state/<operatorId>/<partitionId>/` (each stateful operator's state store: version N + 1 is the state after
 * batch N, see state/store.ts) and `state/<operatorId>/_metadata/schema` (its key and value schema, see
 * state/schema.ts). Files are written to a temporary name and renamed, so a kill -9 at any point leaves either
 * the old file or the new one. On restart, a batch with an offsets entry but no commit is run again with the
 * same offsets, watermark and state, so results are the same as if the query had never stopped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeAtomic } from "./files";
import { checkOperatorSchema } from "./schema";
import type { MemoryStateStore, StateValueCodec } from "./store";
import type { StoreSchema } from "./schema";

/** One state store of a stateful operator, with what the checkpoint needs to know about it. */
export interface StateStoreBinding {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: MemoryStateStore<any>;
  schema: StoreSchema;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  codec?: StateValueCodec<any>;
}

/** What the checkpoint needs of a stateful operator. */
export interface CheckpointedOperator {
  readonly operatorName: string;
  stateStores(): StateStoreBinding[];
  /** Settings a restart must keep (transformWithState's timeMode, outputMode), recorded beside the schema. */
  operatorProperties?(): Record<string, string>;
}

/** Spark's single partition here: a query runs in one process. */
export const PARTITION_ID = 0;

export interface OffsetsEntry {
  batchId: number;
  batchWatermarkMs: number;
  batchTimestampMs: number;
  /** End offset of each source for this batch. */
  offsets: unknown[];
  /** Start offsets (the previous batch's end), kept so batch 0 can be replayed too. */
  startOffsets: unknown[];
  /** Settings the query keeps across restarts (Spark's offset-log metadata conf): the watermark policy. */
  conf?: Record<string, string>;
}

export interface CommitEntry {
  batchId: number;
  nextBatchWatermarkMs: number;
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

  /** The directory of operator `operatorId`'s state. */
  operatorDir(operatorId: number): string {
    return path.join(this.dir, "state", String(operatorId));
  }

  /**
   * Attach every operator's stores to their directories, after checking (or recording) the state's schema.
   * A checkpoint from before the delta store (state/N.json files) cannot be read: it says so.
   */
  openState(ops: readonly CheckpointedOperator[], schemaCheck: boolean): void {
    const stateDir = path.join(this.dir, "state");
    if (fs.readdirSync(stateDir).some((f) => /^\d+\.json$/.test(f))) {
      throw new Error(`streamlab: checkpoint ${this.dir} keeps state in the old whole-state format (state/N.json): delete the checkpoint to start over`);
    }
    ops.forEach((op, i) => {
      const bindings = op.stateStores();
      const properties = op.operatorProperties?.();
      checkOperatorSchema(this.operatorDir(i), { version: 1, operatorName: op.operatorName, stores: bindings.map((b) => b.schema), ...(properties ? { properties } : {}) }, schemaCheck);
      for (const b of bindings) {
        const base = path.join(this.operatorDir(i), String(PARTITION_ID));
        b.store.attach(b.schema.storeName === "default" ? base : path.join(base, b.schema.storeName), b.codec);
      }
    });
  }

  /** Load every store at `version` (the state after batch `version - 1`; 0 is the empty state). */
  loadState(ops: readonly CheckpointedOperator[], version: number): void {
    for (const op of ops) for (const b of op.stateStores()) if (version > 0) b.store.loadVersion(version);
  }

  /** Snapshots and cleanup (Spark's maintenance task), between batches. */
  maintainState(ops: readonly CheckpointedOperator[], minDeltasForSnapshot: number, minVersionsToRetain: number): void {
    for (const op of ops) for (const b of op.stateStores()) b.store.maintenance(minDeltasForSnapshot, minVersionsToRetain);
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
  /** The offsets-log entry of one batch (undefined once purged). */
  offsets(batchId: number): OffsetsEntry | undefined {
    return this.read<OffsetsEntry>("offsets", batchId);
  }
  commit(batchId: number): CommitEntry | undefined {
    return this.read<CommitEntry>("commits", batchId);
  }

  /** Keep the last few batches' logs, so an endless query's checkpoint stays bounded (state: maintainState). */
  purge(keep: number, latest: number): void {
    for (const sub of ["offsets", "commits"]) {
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
