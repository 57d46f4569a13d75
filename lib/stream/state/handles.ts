/**
 * The state variables of transformWithState (Spark 4's ValueState, ListState, MapState) over the delta state
 * store: one store per variable (Spark's column family), keyed by the encoded grouping key, so a batch's commit
 * writes only the keys it touched. Every handle reads and writes the state of the key being processed (the
 * implicit key, as in Spark). With a TTL (TTLConfig), each value (list element, map entry) carries its
 * expiration, batch time + ttl at its last update; an expired value is invisible at once and removed from the
 * store at the end of the batch (Spark's TTL eviction, by processing time).
 */
import type { MemoryStateStore, StateKey, StateValueCodec } from "./store";

/** Spark's TTLConfig: how long a state value lives after its last update (ms, or a duration such as "10 minutes"). */
export interface TTLConfig {
  ttlDuration: number | string;
}

/** What a handle needs from the operator running it: the current key and the batch's processing time. */
export interface ImplicitKey {
  /** The encoded grouping key being processed; throws when none is (e.g. in init). */
  currentKey(what: string): StateKey;
  /** The batch's processing time (ms), against which TTLs are judged. */
  batchTimeMs(): number;
}

/** A stored value with its expiration (null: never). */
type Cell<T> = [T, number | null];

export type StateVariableKind = "ValueState" | "ListState" | "MapState";

/** Spark's StateTTL.isExpired: a value whose expiration is before the batch's time. */
const expired = (exp: number | null, now: number) => exp !== null && exp < now;

abstract class StateVariable {
  /** Writes and removals of this batch (the operator's numRowsUpdated / numRowsRemoved). */
  ops = { updated: 0, removed: 0 };
  constructor(
    readonly name: string,
    readonly kind: StateVariableKind,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly store: MemoryStateStore<any>,
    protected readonly ctx: ImplicitKey,
    readonly ttlMs: number | null,
  ) {}
  protected expiry(): number | null {
    return this.ttlMs === null ? null : this.ctx.batchTimeMs() + this.ttlMs;
  }
  protected key(what: string): StateKey {
    return this.ctx.currentKey(`${this.kind} '${this.name}'.${what}`);
  }
  /** Remove the current key's state (counted when there was some). */
  protected removeAll(what: string): void {
    const k = this.key(what);
    if (this.store.get(k) === undefined) return;
    this.store.remove(k);
    this.ops.removed++;
  }
  protected nullKey(what: string, userKey: unknown): void {
    if (userKey === null || userKey === undefined) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.NULL_VALUE] Cannot write a null value to the state store for state variable ${this.name}: ${what} with a null user key. SQLSTATE: 42601`);
  }
  /** Remove what expired by `now` from every key (end of batch); returns the number of values removed. */
  abstract evictExpired(now: number): number;
  /** Values held (list elements and map entries count one each). */
  count(): number {
    let n = 0;
    for (const [, list] of this.store.iterator()) n += (list as unknown[]).length;
    return n;
  }
  /** For states holding a list per key (ListState cells, MapState entries): drop the items expired by `now`. */
  protected evictExpiredItems<I>(now: number, expiration: (item: I) => number | null): number {
    let n = 0;
    for (const [k, list] of this.store.iterator()) {
      const items = list as I[];
      const kept = items.filter((it) => !expired(expiration(it), now));
      if (kept.length === items.length) continue;
      n += items.length - kept.length;
      if (kept.length) this.store.put(k, kept);
      else this.store.remove(k);
    }
    return n;
  }
}

export class ValueState<T = unknown> extends StateVariable {
  constructor(name: string, store: MemoryStateStore<Cell<T>>, ctx: ImplicitKey, ttlMs: number | null) {
    super(name, "ValueState", store, ctx, ttlMs);
  }
  private cell(): Cell<T> | undefined {
    const c = this.store.get(this.key("get")) as Cell<T> | undefined;
    return c && !expired(c[1], this.ctx.batchTimeMs()) ? c : undefined;
  }
  exists(): boolean {
    return this.cell() !== undefined;
  }
  /** The value, or undefined when there is none (Spark's get() returns null). */
  get(): T | undefined {
    return this.cell()?.[0];
  }
  /** Scala's getOption: the value or the default. */
  getOption(orElse?: T): T | undefined {
    const c = this.cell();
    return c ? c[0] : orElse;
  }
  update(value: T): void {
    if (value === null || value === undefined) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.NULL_VALUE] Cannot write a null value to ValueState '${this.name}': use clear() to remove it`);
    this.store.put(this.key("update"), [value, this.expiry()]);
    this.ops.updated++;
  }
  clear(): void {
    this.removeAll("clear");
  }
  evictExpired(now: number): number {
    let n = 0;
    for (const [k, c] of this.store.iterator()) {
      if (expired((c as Cell<T>)[1], now)) {
        this.store.remove(k);
        n++;
      }
    }
    return n;
  }
  count(): number {
    return this.store.size;
  }
}

export class ListState<T = unknown> extends StateVariable {
  constructor(name: string, store: MemoryStateStore<Cell<T>[]>, ctx: ImplicitKey, ttlMs: number | null) {
    super(name, "ListState", store, ctx, ttlMs);
  }
  private live(): Cell<T>[] {
    const now = this.ctx.batchTimeMs();
    return ((this.store.get(this.key("get")) ?? []) as Cell<T>[]).filter((c) => !expired(c[1], now));
  }
  exists(): boolean {
    return this.live().length > 0;
  }
  /** The list's values, oldest first. */
  get(): T[] {
    return this.live().map((c) => c[0]);
  }
  [Symbol.iterator](): Iterator<T> {
    return this.get()[Symbol.iterator]();
  }
  private check(values: T[], op: string): void {
    if (values === null || values === undefined) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.NULL_VALUE] Cannot write a null list to ListState '${this.name}' (${op})`);
    if (!Array.isArray(values)) throw new Error(`ListState '${this.name}'.${op} takes an array of values`);
    if (values.some((v) => v === null || v === undefined)) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.NULL_VALUE] Cannot write a null value to ListState '${this.name}'`);
  }
  /** Replace the list. An empty list is Spark's error (use clear()). */
  put(values: T[]): void {
    this.check(values, "put");
    if (values.length === 0) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.EMPTY_LIST_VALUE] Cannot write an empty list to ListState '${this.name}': use clear() to remove it`);
    const exp = this.expiry();
    this.store.put(this.key("put"), values.map((v) => [v, exp]));
    this.ops.updated++;
  }
  appendValue(value: T): void {
    this.appendList([value]);
  }
  appendList(values: T[]): void {
    this.check(values, "appendList");
    if (values.length === 0) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.EMPTY_LIST_VALUE] Cannot write an empty list to ListState '${this.name}'`);
    const k = this.key("appendList");
    const exp = this.expiry();
    const list = [...((this.store.get(k) ?? []) as Cell<T>[]), ...values.map((v): Cell<T> => [v, exp])];
    this.store.put(k, list);
    this.ops.updated++;
  }
  clear(): void {
    this.removeAll("clear");
  }
  evictExpired(now: number): number {
    return this.evictExpiredItems(now, (c: Cell<T>) => c[1]);
  }
}

/** Map entries as [userKey, value, expiration], user keys compared by their JSON text. */
type Entry<K, V> = [K, V, number | null];
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

export class MapState<K = unknown, V = unknown> extends StateVariable {
  constructor(name: string, store: MemoryStateStore<Entry<K, V>[]>, ctx: ImplicitKey, ttlMs: number | null) {
    super(name, "MapState", store, ctx, ttlMs);
  }
  private live(): Entry<K, V>[] {
    const now = this.ctx.batchTimeMs();
    return ((this.store.get(this.key("get")) ?? []) as Entry<K, V>[]).filter((e) => !expired(e[2], now));
  }
  exists(): boolean {
    return this.live().length > 0;
  }
  getValue(userKey: K): V | undefined {
    this.nullKey("getValue", userKey);
    return this.live().find((e) => same(e[0], userKey))?.[1];
  }
  containsKey(userKey: K): boolean {
    this.nullKey("containsKey", userKey);
    return this.live().some((e) => same(e[0], userKey));
  }
  updateValue(userKey: K, value: V): void {
    this.nullKey("updateValue", userKey);
    if (value === null || value === undefined) throw new Error(`[ILLEGAL_STATE_STORE_VALUE.NULL_VALUE] Cannot write a null value to MapState '${this.name}': use removeKey()`);
    const k = this.key("updateValue");
    const entries = ((this.store.get(k) ?? []) as Entry<K, V>[]).filter((e) => !same(e[0], userKey));
    entries.push([userKey, value, this.expiry()]);
    this.store.put(k, entries);
    this.ops.updated++;
  }
  /** [key, value] pairs. */
  iterator(): IterableIterator<[K, V]> {
    return this.live().map((e): [K, V] => [e[0], e[1]])[Symbol.iterator]();
  }
  keys(): K[] {
    return this.live().map((e) => e[0]);
  }
  values(): V[] {
    return this.live().map((e) => e[1]);
  }
  removeKey(userKey: K): void {
    this.nullKey("removeKey", userKey);
    const k = this.key("removeKey");
    const entries = (this.store.get(k) ?? []) as Entry<K, V>[];
    const kept = entries.filter((e) => !same(e[0], userKey));
    if (kept.length === entries.length) return;
    if (kept.length) this.store.put(k, kept);
    else this.store.remove(k);
    this.ops.removed++;
  }
  clear(): void {
    this.removeAll("clear");
  }
  evictExpired(now: number): number {
    return this.evictExpiredItems(now, (e: Entry<K, V>) => e[2]);
  }
}
export type AnyStateVariable = ValueState | ListState | MapState;

/**
 * How user values are written to the state files: JSON, with Dates kept as Dates (the store's own encoding
 * keeps bigint, NaN, Buffer and Set).
 */
function toData(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.getTime() };
  if (Array.isArray(v)) return v.map(toData);
  if (v && typeof v === "object" && !Buffer.isBuffer(v) && !(v instanceof Set)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toData(x);
    return o;
  }
  return v;
}
function fromData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromData);
  if (v && typeof v === "object" && !Buffer.isBuffer(v) && !(v instanceof Set)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "$date" && typeof o.$date === "number") return new Date(o.$date);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = fromData(x);
    return out;
  }
  return v;
}
export const userValueCodec: StateValueCodec<unknown> = { encode: toData, decode: (d) => fromData(d) };

/** The state key of a grouping key: its JSON text (Dates as their time), equal for equal keys. */
export function encodeGroupingKey(key: unknown): string {
  return JSON.stringify(toData(key ?? null), (_k, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v));
}
export function decodeGroupingKey(text: string): unknown {
  return fromData(JSON.parse(text, (_k, v: unknown) => (v && typeof v === "object" && typeof (v as { $big?: unknown }).$big === "string" ? BigInt((v as { $big: string }).$big) : v)));
}
