/**
 * transformWithState, as Spark 4's TransformWithStateExec: the input rows of a batch are grouped by the
 * user's key function; for each key (in the order keys first appear) the processor's handleInputRows gets the
 * key, its rows and the timer values, and returns (or yields) output rows; then every timer due is fired, in
 * time order, with handleExpiredTimer (processing-time timers at the batch's time, event-time timers at the
 * watermark); then values past their TTL are removed. The processor's state variables (state/handles.ts) and
 * its timers each live in their own store of the checkpoint's state, versioned with the batch like the built-in
 * operators' state: a query killed at any point and restarted gives the same output.
 *
 * The processor runs in this process: `init` once when the query starts (state variables are declared
 * there), `handleInitialState` for each row of the initial state in the first batch, `close` when the query stops.
 */
import type { GroupStateNode, GroupStateTimeMode } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { MemoryStateStore, type StateKey } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";
import { ListState, MapState, ValueState, decodeGroupingKey, encodeGroupingKey, userValueCodec, type AnyStateVariable, type ImplicitKey, type TTLConfig } from "../state/handles";
import { externalToValue, valueToExternal } from "../expr/runtime";
import { parseInterval } from "../expr/functions/common";
import type { StructType } from "../types";
import { QueryExecutionError, type PhysicalOperator, type StatefulOperator } from "./operator";

export type Row = Record<string, unknown>;

/** What a processor sees of time: the batch's processing time and the event-time watermark (-1: none). */
export interface TimerValues {
  getCurrentProcessingTimeInMs(): number;
  getCurrentWatermarkInMs(): number;
}

export interface ExpiredTimerInfo {
  getExpiryTimeInMs(): number;
}

/** Output rows: objects by field name, or arrays in the output schema's order. */
export type OutputRows = Iterable<Row | unknown[]> | void | undefined | null;

/** Spark 4's StatefulProcessor. Extend it (or write an object with the same methods). */
export abstract class StatefulProcessor<K = unknown, I = Row, O = unknown> {
  private handleValue: StatefulProcessorHandle | null = null;
  /** Set by the engine before init. */
  setHandle(handle: StatefulProcessorHandle): void {
    this.handleValue = handle;
  }
  getHandle(): StatefulProcessorHandle {
    if (!this.handleValue) throw new Error("[STATE_STORE_HANDLE_NOT_INITIALIZED] The handle has not been initialized for this StatefulProcessor. Please only use the StatefulProcessor within the transformWithState operator.");
    return this.handleValue;
  }
  /** Declare state variables here: handle.getValueState(name), getListState, getMapState. */
  init(_handle: StatefulProcessorHandle, _outputMode: string, _timeMode: GroupStateTimeMode): void {
    // nothing by default
  }
  abstract handleInputRows(key: K, rows: I[], timerValues: TimerValues): Iterable<O> | void;
  handleExpiredTimer?(key: K, timerValues: TimerValues, expiredTimerInfo: ExpiredTimerInfo): Iterable<O> | void;
  handleInitialState?(key: K, initialState: Row, timerValues: TimerValues): void;
  close(): void {
    // nothing by default
  }
}

interface ProcessorLike {
  setHandle?(h: StatefulProcessorHandle): void;
  init?(h: StatefulProcessorHandle, outputMode: string, timeMode: GroupStateTimeMode): void;
  handleInputRows(key: unknown, rows: Row[], tv: TimerValues): OutputRows;
  handleExpiredTimer?(key: unknown, tv: TimerValues, info: ExpiredTimerInfo): OutputRows;
  handleInitialState?(key: unknown, row: Row, tv: TimerValues): void;
  close?(): void;
}

/** Spark's TimeMode.None() / ProcessingTime() / EventTime(), and OutputMode names. */
export const TimeMode = {
  None: (): GroupStateTimeMode => "None",
  ProcessingTime: (): GroupStateTimeMode => "ProcessingTime",
  EventTime: (): GroupStateTimeMode => "EventTime",
} as const;

/** Spark's TimeMode name in its messages. */
export const sparkTimeMode = (m: GroupStateTimeMode) => (m === "None" ? "NoTime" : m);

type Phase = "CREATED" | "INITIALIZED" | "DATA_PROCESSED" | "TIMER_PROCESSED" | "CLOSED";

function invalidHandleState(op: string, phase: Phase): Error {
  return new Error(`[STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_HANDLE_STATE] Failed to perform stateful processor operation=${op} with invalid handle state=${phase}. Declare state variables in init().`);
}

function ttlMs(ttl: TTLConfig | undefined, name: string, timeMode: GroupStateTimeMode): number | null {
  if (!ttl) return null;
  const d = typeof ttl.ttlDuration === "string" ? parseInterval(ttl.ttlDuration) : ttl.ttlDuration;
  if (!(typeof d === "number" && d > 0)) throw new Error(`[STATEFUL_PROCESSOR_TTL_DURATION_MUST_BE_POSITIVE] TTL duration must be greater than zero for State store operation=getState on state=${name}.`);
  void timeMode;
  return d;
}

/** Spark's StatefulProcessorHandle: state variables, timers, query info. */
export class StatefulProcessorHandle implements ImplicitKey {
  phase: Phase = "CREATED";
  readonly variables = new Map<string, AnyStateVariable>();
  /** Timers: encoded key -> expiry times, ascending (Spark's $procTimers / $eventTimers column family). */
  readonly timers: MemoryStateStore<number[]>;
  key: StateKey | undefined;
  batchMs = 0;
  watermarkMs = -Infinity;
  counters = { registered: 0, deleted: 0 };

  constructor(private readonly operatorName: string, readonly timeMode: GroupStateTimeMode, private readonly info: { queryId: () => string; batchId: () => number }) {
    this.timers = new MemoryStateStore(operatorName, timeMode === "EventTime" ? "$eventTimers" : "$procTimers");
  }

  currentKey(what: string): StateKey {
    if (this.key === undefined) throw new Error(`[STATE_STORE_IMPLICIT_KEY_NOT_FOUND] ${what} needs a grouping key: state and timers are per key, use them in handleInputRows, handleExpiredTimer or handleInitialState (not in init or close)`);
    return this.key;
  }
  batchTimeMs(): number {
    return this.batchMs;
  }

  private declare<T extends AnyStateVariable>(name: string, op: string, make: () => T): T {
    if (this.phase !== "CREATED") throw invalidHandleState(op, this.phase);
    if (typeof name !== "string" || !name || name.startsWith("$")) throw new Error(`${op}: a state variable needs a name (letters, digits, _), got '${String(name)}'`);
    if (this.variables.has(name)) throw new Error(`[STATEFUL_PROCESSOR_DUPLICATE_STATE_VARIABLE_DEFINED] State variable with name ${name} has already been defined in the StatefulProcessor.`);
    const v = make();
    this.variables.set(name, v);
    return v;
  }
  getValueState<T = unknown>(name: string, ttl?: TTLConfig): ValueState<T> {
    return this.declare<ValueState<T>>(name, "getValueState", () => new ValueState<T>(name, new MemoryStateStore(this.operatorName, name), this, ttlMs(ttl, name, this.timeMode)));
  }
  getListState<T = unknown>(name: string, ttl?: TTLConfig): ListState<T> {
    return this.declare<ListState<T>>(name, "getListState", () => new ListState<T>(name, new MemoryStateStore(this.operatorName, name), this, ttlMs(ttl, name, this.timeMode)));
  }
  getMapState<K = unknown, V = unknown>(name: string, ttl?: TTLConfig): MapState<K, V> {
    return this.declare<MapState<K, V>>(name, "getMapState", () => new MapState<K, V>(name, new MemoryStateStore(this.operatorName, name), this, ttlMs(ttl, name, this.timeMode)));
  }

  private timerOp(op: string): StateKey {
    if (this.timeMode === "None") throw new Error(`[STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_TIME_MODE] Failed to perform stateful processor operation=${op} with invalid timeMode=NoTime. Pass TimeMode "ProcessingTime" or "EventTime" to transformWithState.`);
    if (this.phase === "CREATED" || this.phase === "CLOSED") throw invalidHandleState(op, this.phase);
    return this.currentKey(op);
  }
  /** A timer for the current key at `expiryMs` (processing time or event time, by the query's TimeMode). */
  registerTimer(expiryMs: number): void {
    const k = this.timerOp("registerTimer");
    if (typeof expiryMs !== "number" || !Number.isFinite(expiryMs)) throw new Error(`registerTimer takes a time in ms, got ${String(expiryMs)}`);
    const list = this.timers.get(k) ?? [];
    if (list.includes(expiryMs)) return;
    this.timers.put(k, [...list, expiryMs].sort((a, b) => a - b));
    this.counters.registered++;
  }
  deleteTimer(expiryMs: number): void {
    const k = this.timerOp("deleteTimer");
    const list = this.timers.get(k);
    if (!list || !list.includes(expiryMs)) return;
    const kept = list.filter((t) => t !== expiryMs);
    if (kept.length) this.timers.put(k, kept);
    else this.timers.remove(k);
    this.counters.deleted++;
  }
  listTimers(): number[] {
    return [...(this.timers.get(this.timerOp("listTimers")) ?? [])];
  }
  /** Spark's deleteIfExists: forget a state variable of an earlier version of the processor (in init). */
  deleteIfExists(name: string): void {
    if (this.phase !== "CREATED") throw invalidHandleState("deleteIfExists", this.phase);
    void name;
  }
  getQueryInfo(): { getQueryId(): string; getBatchId(): number } {
    return { getQueryId: this.info.queryId, getBatchId: this.info.batchId };
  }
}

// ---- rows in and out ---------------------------------------------------------------------------------------

/** The batch's rows as objects of external values (timestamps as Date), as user code sees them. */
export function batchRows(b: Batch, schema: StructType, sel?: number[]): Row[] {
  const fields = schema.fields;
  const idx = sel ?? Array.from({ length: b.n }, (_, i) => i);
  return idx.map((r) => {
    const o: Row = {};
    fields.forEach((f, c) => (o[f.name] = valueToExternal(b.cols[c][r], f.type)));
    return o;
  });
}

/** Collects a user function's output rows (objects or arrays) into columns of `schema`. */
export class OutputCollector {
  private readonly cols: unknown[][];
  n = 0;
  constructor(private readonly schema: StructType, private readonly who: string) {
    this.cols = schema.fields.map(() => []);
  }
  add(rows: OutputRows): void {
    if (rows === undefined || rows === null) return;
    if (typeof (rows as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function") throw new QueryExecutionError(`${this.who} must return an iterable of rows (an array, or yield from a generator), got ${typeof rows}`);
    const fields = this.schema.fields;
    for (const row of rows) {
      if (row === null || typeof row !== "object") throw new QueryExecutionError(`${this.who} returned ${JSON.stringify(row)}: a row is an object with the output columns (${fields.map((f) => f.name).join(", ")}) or an array of them`);
      if (Array.isArray(row)) {
        if (row.length !== fields.length) throw new QueryExecutionError(`${this.who} returned a row of ${row.length} values, the output schema has ${fields.length} columns (${fields.map((f) => f.name).join(", ")})`);
        fields.forEach((f, c) => this.cols[c].push(externalToValue(row[c], f.type)));
      } else {
        fields.forEach((f, c) => this.cols[c].push(externalToValue(row[f.name], f.type)));
      }
      this.n++;
    }
  }
  batch(): Batch {
    return { n: this.n, cols: this.cols, rowIds: null };
  }
}

/** Rows grouped by key, keys in order of first appearance. */
export function groupRows(rows: Row[], keyFn: (r: Row) => unknown): Map<string, { key: unknown; rows: Row[] }> {
  const groups = new Map<string, { key: unknown; rows: Row[] }>();
  for (const r of rows) {
    let key: unknown;
    try {
      key = keyFn(r);
    } catch (err) {
      throw new QueryExecutionError(`groupByKey's key function failed on ${JSON.stringify(r)}: ${(err as Error).message}`);
    }
    const k = encodeGroupingKey(key);
    const g = groups.get(k);
    if (g) g.rows.push(r);
    else groups.set(k, { key, rows: [r] });
  }
  return groups;
}

/** Input rows later than the late-events watermark, by the input's watermarked column; the rest's indexes. */
export function dropLateRows(b: Batch, schema: StructType, ctx: ExecContext, onDrop: () => void): number[] {
  const et = schema.fields.findIndex((f) => f.watermarkDelayMs !== undefined);
  const keep: number[] = [];
  const wm = et >= 0 && ctx.streaming ? Math.min(ctx.watermarkMs, ctx.lateWatermarkMs ?? ctx.watermarkMs) : -Infinity;
  for (let i = 0; i < b.n; i++) {
    const t = et >= 0 ? (b.cols[et][i] as number | null) : null;
    if (t != null && t <= wm) {
      onDrop();
      ctx.onLate?.(b, i, t, schema);
      continue;
    }
    keep.push(i);
  }
  return keep;
}

// ---- the operator ------------------------------------------------------------------------------------------

export class TransformWithStateOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "transformWithState";
  readonly operatorName = "transformWithStateExec";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  customMetrics: Record<string, number> = {};
  private readonly handle: StatefulProcessorHandle;
  private readonly processor: ProcessorLike;
  private batchId = 0;
  private initialDone = false;

  /** `initial`: the initial state's rows (exec/pipeline.ts runs its static plan), null without one. */
  constructor(private readonly node: GroupStateNode, private readonly initial: Batch | null) {
    // Each query runs its own copy of the processor (as Spark deserializes one per partition): two queries
    // started from the same processor object never share its handle or the fields init() sets.
    const user = node.user as ProcessorLike;
    this.processor = Object.assign(Object.create(Object.getPrototypeOf(user) as object) as ProcessorLike, user);
    this.handle = new StatefulProcessorHandle(this.operatorName, node.timeMode, { queryId: () => "", batchId: () => this.batchId });
    this.processor.setHandle?.(this.handle);
    this.processor.init?.(this.handle, node.outputMode === "append" ? "Append" : "Update", node.timeMode);
    this.handle.phase = "INITIALIZED";
  }

  private stores(): MemoryStateStore<unknown>[] {
    const out = [...this.handle.variables.values()].map((v) => v.store as MemoryStateStore<unknown>);
    if (this.node.timeMode !== "None") out.push(this.handle.timers);
    return out;
  }

  numRowsTotal(): number {
    let n = 0;
    for (const v of this.handle.variables.values()) n += v.count();
    return n;
  }

  private timerValues(): TimerValues {
    const { timeMode } = this.node;
    const now = this.handle.batchMs;
    const wm = this.handle.watermarkMs;
    return {
      getCurrentProcessingTimeInMs: () => (timeMode === "ProcessingTime" ? now : -1),
      getCurrentWatermarkInMs: () => (timeMode === "EventTime" && Number.isFinite(wm) ? wm : -1),
    };
  }

  private call(what: string, f: () => OutputRows, out: OutputCollector): void {
    let rows: OutputRows;
    try {
      rows = f();
      out.add(rows);
    } catch (err) {
      if (err instanceof QueryExecutionError) throw err;
      const e = err as Error;
      throw new QueryExecutionError(`${what} failed: ${e.message ?? String(e)}`);
    }
  }

  /** The time timers are due by: the batch's time (processing time) or the watermark (event time). */
  private timerThreshold(): number {
    return this.node.timeMode === "ProcessingTime" ? this.handle.batchMs : this.node.timeMode === "EventTime" ? this.handle.watermarkMs : -Infinity;
  }

  /** The earliest timer and TTL expiration in the state, computed once per batch (null: to compute). */
  private due: { timer: number; ttl: number } | null = null;

  private nextDue(): { timer: number; ttl: number } {
    let timer = Infinity;
    let ttl = Infinity;
    for (const [, list] of this.handle.timers.iterator()) timer = Math.min(timer, list[0]);
    for (const v of this.handle.variables.values()) {
      if (v.ttlMs === null) continue;
      for (const [, cell] of v.store.iterator()) {
        const exps: (number | null)[] = v.kind === "ValueState" ? [(cell as [unknown, number | null])[1]] : (cell as unknown[][]).map((c) => c[c.length - 1] as number | null);
        for (const e of exps) if (e !== null && e < ttl) ttl = e;
      }
    }
    return { timer, ttl };
  }

  /** Whether a batch without data has work: a timer due or a TTL expired by `now`, or a timer due by `watermarkMs`. */
  wantsNoDataBatch(now: number, watermarkMs: number): boolean {
    const { timeMode } = this.node;
    if (timeMode === "None" && ![...this.handle.variables.values()].some((v) => v.ttlMs !== null)) return false;
    // Between batches the state does not change: scan it once, not at every idle trigger.
    this.due ??= this.nextDue();
    const threshold = timeMode === "ProcessingTime" ? now : timeMode === "EventTime" ? watermarkMs : -Infinity;
    return this.due.timer <= threshold || this.due.ttl < now;
  }

  run(b: Batch, ctx: ExecContext): Batch {
    const node = this.node;
    const h = this.handle;
    const p = this.processor;
    this.batchId = ctx.batchId;
    this.due = null;
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    h.counters = { registered: 0, deleted: 0 };
    for (const v of h.variables.values()) v.ops = { updated: 0, removed: 0 };
    h.batchMs = ctx.now;
    h.watermarkMs = ctx.streaming ? ctx.watermarkMs : -Infinity;
    const out = new OutputCollector(node.schema, "transformWithState's processor");
    const tv = this.timerValues();
    // The initial state, in the first batch only (a restarted query has it in its checkpoint's state).
    if (this.initial && node.initialState && ctx.batchId === 0 && !this.initialDone) {
      if (typeof p.handleInitialState !== "function") throw new QueryExecutionError("transformWithState was given an initial state, but the processor has no handleInitialState(key, row, timerValues) method");
      const rows = batchRows(this.initial, node.initialState.plan.schema);
      const keyFn = node.initialState.keyFn;
      for (const r of rows) {
        const key = keyFn(r);
        h.key = encodeGroupingKey(key);
        this.call("handleInitialState", () => p.handleInitialState!(key, r, tv), out);
      }
      this.initialDone = true;
    }
    const keep = dropLateRows(b, node.child.schema, ctx, () => this.metrics.dropped++);
    const groups = groupRows(batchRows(b, node.child.schema, keep), node.keyFn);
    for (const [k, g] of groups) {
      h.key = k;
      this.call("handleInputRows", () => p.handleInputRows(g.key, g.rows, tv), out);
    }
    h.phase = "DATA_PROCESSED";
    // Timers due, in time order (a timer a handler registers in the past fires in the next batch).
    const threshold = this.timerThreshold();
    let expiredTimers = 0;
    if (node.timeMode !== "None") {
      const due: [StateKey, number][] = [];
      for (const [k, list] of h.timers.iterator()) for (const t of list) if (t <= threshold) due.push([k, t]);
      due.sort((a, c) => a[1] - c[1]);
      for (const [k, t] of due) {
        h.key = k;
        expiredTimers++;
        if (typeof p.handleExpiredTimer !== "function") throw new QueryExecutionError("a timer expired but the processor has no handleExpiredTimer(key, timerValues, expiredTimerInfo) method");
        const key = decodeGroupingKey(k as string);
        // As Spark: the handler still sees its timer in listTimers(); the timer is deleted after it returns.
        this.call("handleExpiredTimer", () => p.handleExpiredTimer!(key, tv, { getExpiryTimeInMs: () => t }), out);
        const list = (h.timers.get(k) ?? []).filter((x) => x !== t);
        if (list.length) h.timers.put(k, list);
        else h.timers.remove(k);
      }
    }
    h.phase = "TIMER_PROCESSED";
    h.key = undefined;
    // TTL: values expired by this batch's time leave the state.
    let evicted = 0;
    for (const v of h.variables.values()) if (v.ttlMs !== null) evicted += v.evictExpired(h.batchMs);
    h.phase = "INITIALIZED";
    for (const v of h.variables.values()) {
      this.metrics.updated += v.ops.updated;
      this.metrics.removed += v.ops.removed;
    }
    this.metrics.removed += evicted;
    const kinds = [...h.variables.values()].map((v) => v.kind);
    let timers = 0;
    for (const [, list] of h.timers.iterator()) timers += list.length;
    this.customMetrics = {
      numValueStateVars: kinds.filter((x) => x === "ValueState").length,
      numListStateVars: kinds.filter((x) => x === "ListState").length,
      numMapStateVars: kinds.filter((x) => x === "MapState").length,
      numRegisteredTimers: timers,
      numDeletedTimers: h.counters.deleted + expiredTimers,
      numExpiredTimers: expiredTimers,
      numValuesRemovedDueToTTLExpiry: evicted,
    };
    return out.batch();
  }

  commit(): void {
    for (const s of this.stores()) s.commit();
  }
  abort(): void {
    this.due = null;
    for (const s of this.stores()) s.abort();
  }
  /** The query stopped: the processor's close(). */
  close(): void {
    this.handle.phase = "CLOSED";
    this.processor.close?.();
  }
  /** Spark's TransformWithStateOperatorProperties: a restart with another timeMode or outputMode fails. */
  operatorProperties(): Record<string, string> {
    return { timeMode: sparkTimeMode(this.node.timeMode), outputMode: this.node.outputMode === "append" ? "Append" : "Update" };
  }
  stateStores(): StateStoreBinding[] {
    const key = [{ name: "key", type: "string" }];
    const vars = [...this.handle.variables.values()].map((v) => ({
      store: v.store,
      codec: v.kind === "ValueState" ? cellCodec : v.kind === "ListState" ? listCodec : mapCodec,
      schema: { storeName: v.name, keySchema: key, valueSchema: [{ name: v.kind, type: "json" }, ...(v.ttlMs !== null ? [{ name: "ttlExpirationMs", type: "bigint" }] : [])] },
    }));
    if (this.node.timeMode === "None") return vars;
    return [...vars, { store: this.handle.timers, schema: { storeName: this.handle.timers.storeName, keySchema: key, valueSchema: [{ name: "expiryTimestampMs", type: "array<bigint>" }] } }];
  }
}

/** State values go through the user-value codec (Dates); expirations are numbers. */
const cellCodec = {
  encode: (c: [unknown, number | null]) => [userValueCodec.encode(c[0]), c[1]],
  decode: (d: unknown, k: StateKey) => {
    const c = d as [unknown, number | null];
    return [userValueCodec.decode(c[0], k), c[1]];
  },
};
const listCodec = {
  encode: (l: [unknown, number | null][]) => l.map(cellCodec.encode),
  decode: (d: unknown, k: StateKey) => (d as [unknown, number | null][]).map((c) => cellCodec.decode(c, k)),
};
const mapCodec = {
  encode: (l: [unknown, unknown, number | null][]) => l.map((e) => [userValueCodec.encode(e[0]), userValueCodec.encode(e[1]), e[2]]),
  decode: (d: unknown, k: StateKey) => (d as [unknown, unknown, number | null][]).map((e) => [userValueCodec.decode(e[0], k), userValueCodec.decode(e[1], k), e[2]]),
};
