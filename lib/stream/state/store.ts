/**
 * The state store: what a stateful operator (aggregation, deduplication, session windows) keeps between
 * micro-batches, as Spark's `StateStore`. Operators read and write entries by group key (exec/keys.ts encodes
 * them); at the end of a batch the query commits every store (a new version, one per batch) and the checkpoint
 * saves it; a batch that fails aborts its stores.
 *
 * `MemoryStateStore` keeps entries in a Map and is saved whole into the checkpoint's `state/N.json`, as
 * before. A delta-based store (only the keys put or removed since the last version) can implement the same
 * interface: `put` is called whenever an entry changes in a batch, so the changed keys are known.
 */

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

export class MemoryStateStore<V> implements StateStore<V> {
  private entries = new Map<StateKey, V>();
  private versionValue = 0;
  private aborted = false;
  /** Keys put or removed in the current version (what a delta-based store would write). */
  private readonly touched = new Set<StateKey>();

  constructor(readonly operatorName: string) {}

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
  commit(): number {
    this.usable();
    this.touched.clear();
    return ++this.versionValue;
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
}
