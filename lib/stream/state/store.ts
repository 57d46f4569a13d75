/**
 * The state store: what a stateful operator (aggregation, deduplication, session windows, joins) keeps between
 * micro-batches, as Spark's `StateStore` (HDFSBackedStateStoreProvider). Operators read and write entries by
 * key (exec/keys.ts encodes them); at the end of a batch the query commits every store: version `v + 1` is
 * version `v` plus this batch's puts and removes, and only those are written, to `<v + 1>.delta`. Now and then
 * (`maintenance`, after the batch's commit log is written, as Spark's maintenance task) a version is written
 * whole to `<v>.snapshot` and files no longer needed to load the last `minBatchesToRetain` versions are
 * deleted. Loading version `v` reads the newest snapshot at or before `v` and replays the deltas after it. So a
 * batch's commit costs what the batch touched, not the size of the state.
 *
 * Without a directory (no checkpointLocation, static plans) the store is memory only.
 */
import * as fs from "node:fs";
import { encodeLine, listVersions, readLines, stateFile, writeAtomic } from "./files";

/** An encoded group key (see exec/keys.ts): a primitive, equal for equal keys. */
export type StateKey = string | number | boolean | bigint | null;

export interface StateStore<V> {
  /** Versions committed so far (0 for a new store; a restored store continues from the checkpoint's). */
  readonly version: number;
  /** Number of entries. */
  readonly size: number;
  get(key: StateKey): V | undefined;
  /** Insert or replace; also called when a value was changed in place in this version (marks it updated). */
  put(key: StateKey, value: V): void;
  remove(key: StateKey): void;
  /** Every entry; removing the current entry while iterating is allowed. */
  iterator(): IterableIterator<[StateKey, V]>;
  /** Close this version: its puts and removes become the state of version `version + 1`, which is returned. */
  commit(): number;
  /**
   * Abandon this version (the batch failed). The store is unusable until it is loaded again from the last
   * committed version (the query restarts from its checkpoint), so a half-applied batch is never read.
   */
  abort(): void;
}

/** How a store's values are written to its files and read back (identity when omitted). */
export interface StateValueCodec<V> {
  encode(value: V): unknown;
  decode(data: unknown, key: StateKey): V;
}

/** What the last commit cost (the query's progress reports it; the benchmark measures it). */
export interface CommitStats {
  version: number;
  /** Keys written to the delta file (put or removed). */
  changed: number;
  bytes: number;
  ms: number;
}

export class MemoryStateStore<V> implements StateStore<V> {
  private entries = new Map<StateKey, V>();
  private versionValue = 0;
  private aborted = false;
  /** Keys put or removed in the current version: what the delta file gets. */
  private readonly touched = new Set<StateKey>();
  private dir: string | null = null;
  private codec: StateValueCodec<V> | null = null;
  /** The newest version written whole (0: none, the empty state). */
  private snapshotVersion = 0;
  lastCommit: CommitStats = { version: 0, changed: 0, bytes: 0, ms: 0 };

  /** `storeName`: Spark's store name ("default"; joins keep several stores per operator). */
  constructor(readonly operatorName: string, readonly storeName = "default") {}

  get version(): number {
    return this.versionValue;
  }
  get size(): number {
    return this.entries.size;
  }
  /** How many keys this version changed so far. */
  get changed(): number {
    return this.touched.size;
  }
  /** The directory of this store's delta and snapshot files, null when memory only. */
  get directory(): string | null {
    return this.dir;
  }

  /** Keep this store's versions in `dir` (created if missing); `load` then reads them. */
  attach(dir: string, codec?: StateValueCodec<V>): void {
    fs.mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.codec = codec ?? null;
  }

  private usable(): void {
    if (this.aborted) throw new Error(`streamlab: the ${this.operatorName} state store was aborted at version ${this.versionValue}; restart the query from its checkpoint`);
  }
  get(key: StateKey): V | undefined {
    return this.entries.get(key);
  }
  put(key: StateKey, value: V): void {
    this.usable();
    this.entries.set(key, value);
    this.touched.add(key);
  }
  remove(key: StateKey): void {
    this.usable();
    if (this.entries.delete(key)) this.touched.add(key);
  }
  iterator(): IterableIterator<[StateKey, V]> {
    return this.entries.entries();
  }

  private encode(v: V): unknown {
    return this.codec ? this.codec.encode(v) : v;
  }

  commit(): number {
    this.usable();
    const t0 = performance.now();
    const next = this.versionValue + 1;
    let bytes = 0;
    if (this.dir) {
      // Values changed in place after their put are written as they are now, at the end of the batch.
      let text = "";
      for (const k of this.touched) {
        const v = this.entries.get(k);
        text += (v === undefined ? encodeLine(["r", k]) : encodeLine(["p", k, this.encode(v)])) + "\n";
      }
      writeAtomic(stateFile(this.dir, next, "delta"), text);
      bytes = Buffer.byteLength(text);
    }
    this.lastCommit = { version: next, changed: this.touched.size, bytes, ms: performance.now() - t0 };
    this.touched.clear();
    this.versionValue = next;
    return next;
  }
  abort(): void {
    this.aborted = true;
    this.touched.clear();
  }

  /** Replace the whole content by a committed version's entries (restart from a checkpoint). */
  load(version: number, entries: Iterable<[StateKey, V]>): void {
    this.entries = new Map(entries);
    this.versionValue = version;
    this.aborted = false;
    this.touched.clear();
  }

  /**
   * Load `version` from the files: the newest snapshot at or before it, then each delta after it. A version a
   * later run wrote but never committed (its batch is replayed) is not read: the replay writes it again.
   */
  loadVersion(version: number): void {
    const dir = this.dir;
    if (!dir) throw new Error("streamlab: loadVersion needs a state directory (attach)");
    const snap = listVersions(dir, "snapshot").filter((v) => v <= version).pop() ?? 0;
    const map = new Map<StateKey, V>();
    const decode = (d: unknown, k: StateKey): V => (this.codec ? this.codec.decode(d, k) : (d as V));
    if (snap > 0) {
      for (const line of readLines(stateFile(dir, snap, "snapshot"))) {
        const [k, d] = line as [StateKey, unknown];
        map.set(k, decode(d, k));
      }
    }
    for (let v = snap + 1; v <= version; v++) {
      if (!fs.existsSync(stateFile(dir, v, "delta"))) {
        const kept = listVersions(dir, "snapshot")[0];
        if (kept !== undefined && kept > version) {
          throw new Error(`streamlab: cannot load version ${version} of the ${this.operatorName} state from ${dir}: only versions from ${kept} are kept (spark.sql.streaming.minBatchesToRetain); the checkpoint is damaged, delete it to start over`);
        }
      }
      for (const line of readLines(stateFile(dir, v, "delta"))) {
        const rec = line as [string, StateKey, unknown];
        if (rec[0] === "r") map.delete(rec[1]);
        else map.set(rec[1], decode(rec[2], rec[1]));
      }
    }
    this.entries = map;
    this.versionValue = version;
    this.snapshotVersion = snap;
    this.aborted = false;
    this.touched.clear();
  }

  /** Write the current (committed) version whole. */
  writeSnapshot(): void {
    if (!this.dir || this.touched.size) return;
    const lines: string[] = [];
    for (const [k, v] of this.entries) lines.push(encodeLine([k, this.encode(v)]));
    writeAtomic(stateFile(this.dir, this.versionValue, "snapshot"), lines.length ? lines.join("\n") + "\n" : "");
    this.snapshotVersion = this.versionValue;
  }

  /**
   * Spark's maintenance: a snapshot once `minDeltasForSnapshot` deltas follow the last one, then delete the
   * files no longer needed to load any of the last `minVersionsToRetain` versions. Call it between batches
   * (after a commit): it costs the state's size when it writes a snapshot, which is why it is not part of commit.
   */
  maintenance(minDeltasForSnapshot: number, minVersionsToRetain: number): { snapshot: boolean; deleted: number } {
    const dir = this.dir;
    if (!dir || this.aborted) return { snapshot: false, deleted: 0 };
    let snapshot = false;
    if (this.versionValue - this.snapshotVersion >= minDeltasForSnapshot) {
      this.writeSnapshot();
      snapshot = true;
    }
    const earliest = this.versionValue - minVersionsToRetain + 1;
    // The newest snapshot from which `earliest` can be loaded; everything before it can go.
    const base = listVersions(dir, "snapshot").filter((v) => v <= earliest).pop();
    let deleted = 0;
    if (base !== undefined) {
      for (const kind of ["delta", "snapshot"] as const) {
        for (const v of listVersions(dir, kind)) {
          if (v < base || (kind === "delta" && v === base)) {
            try {
              fs.unlinkSync(stateFile(dir, v, kind));
              deleted++;
            } catch {
              // already gone
            }
          }
        }
      }
    }
    return { snapshot, deleted };
  }
}
