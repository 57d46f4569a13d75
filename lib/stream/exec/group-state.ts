/**
 * flatMapGroupsWithState / mapGroupsWithState, as Spark's FlatMapGroupsWithStateExec, for code ported from
 * Spark 3: one state value per key (GroupState), kept in the delta state store with its timeout timestamp. In a
 * batch the function is called for each key with rows (keys in order of first appearance), then for each key
 * whose timeout passed (processing time: the batch's time; event time: the watermark) with no rows and
 * `hasTimedOut` true. A call that neither updates nor sets a timeout leaves the state as it was, without a
 * timeout (Spark resets the timeout at every call).
 */
import type { GroupStateNode, GroupStateTimeMode } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { MemoryStateStore, type StateKey } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";
import { decodeGroupingKey, userValueCodec } from "../state/handles";
import { parseCalendarInterval, parseInterval } from "../expr/functions/common";
import { QueryExecutionError, type PhysicalOperator, type StatefulOperator } from "./operator";
import { OutputCollector, batchRows, dropLateRows, groupRows, type OutputRows, type Row } from "./transform-with-state";

/** Spark's GroupStateTimeout. */
export const GroupStateTimeout = {
  NoTimeout: (): GroupStateTimeMode => "None",
  ProcessingTimeTimeout: (): GroupStateTimeMode => "ProcessingTime",
  EventTimeTimeout: (): GroupStateTimeMode => "EventTime",
} as const;

const NO_TIMESTAMP = -1;

/** A duration in ms: a number, or Spark's interval text where a month counts 31 days ("-1 month 31 days 1 second" is 1 s). */
function durationMs(d: number | string): number {
  if (typeof d === "number") return d;
  const cal = parseCalendarInterval(d);
  return cal ? (cal.months * 31 + cal.days) * 86_400_000 + cal.micros / 1000 : parseInterval(d);
}

/** Spark's GroupState: the state of one key while the function runs for it. */
export class GroupState<S = unknown> {
  private value: S | undefined;
  private defined: boolean;
  private updated = false;
  private removed = false;
  private timeoutMs = NO_TIMESTAMP;

  constructor(
    value: S | undefined,
    private readonly batchMs: number,
    private readonly watermarkMs: number | null,
    private readonly timeout: GroupStateTimeMode,
    private readonly timedOut: boolean,
    private readonly fnName: string,
  ) {
    this.value = value;
    this.defined = value !== undefined;
  }

  exists(): boolean {
    return this.defined;
  }
  get(): S {
    if (!this.defined) throw new Error("java.util.NoSuchElementException: State is either not defined or has already been removed");
    return this.value as S;
  }
  getOption(orElse?: S): S | undefined {
    return this.defined ? this.value : orElse;
  }
  update(newValue: S): void {
    if (newValue === null || newValue === undefined) throw new Error("java.lang.IllegalArgumentException: 'null' is not a valid state value");
    this.value = newValue;
    this.defined = true;
    this.updated = true;
    this.removed = false;
  }
  remove(): void {
    this.value = undefined;
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }
  hasTimedOut(): boolean {
    return this.timedOut;
  }
  /** Processing-time timeout: the key times out when no row for it arrives within `duration` (ms or "10 minutes"). */
  setTimeoutDuration(duration: number | string): void {
    if (this.timeout !== "ProcessingTime") throw new Error(`java.lang.UnsupportedOperationException: Cannot set timeout duration without enabling processing time timeout in ${this.fnName}`);
    const ms = durationMs(duration);
    if (!(ms > 0)) throw new Error("java.lang.IllegalArgumentException: Timeout duration must be positive");
    this.timeoutMs = this.batchMs + ms;
  }
  /** Event-time timeout: the key times out once the watermark passes `timestamp` (ms or Date), plus an optional duration. */
  setTimeoutTimestamp(timestamp: number | Date, additional?: number | string): void {
    if (this.timeout !== "EventTime") throw new Error(`java.lang.UnsupportedOperationException: Cannot set timeout timestamp without enabling event time timeout in ${this.fnName}`);
    let ms = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    if (additional !== undefined) {
      const add = durationMs(additional);
      if (!(add > 0)) throw new Error("java.lang.IllegalArgumentException: Timeout duration must be positive");
      ms += add;
    }
    if (!(ms > 0)) throw new Error("java.lang.IllegalArgumentException: Timeout timestamp must be positive");
    if (this.watermarkMs !== null && ms < this.watermarkMs) throw new Error(`java.lang.IllegalArgumentException: Timeout timestamp (${ms}) cannot be earlier than the current watermark (${this.watermarkMs})`);
    this.timeoutMs = ms;
  }
  getCurrentWatermarkMs(): number {
    if (this.watermarkMs === null) throw new Error(`java.lang.UnsupportedOperationException: Cannot get event time watermark timestamp without setting watermark before ${this.fnName}`);
    return this.watermarkMs;
  }
  getCurrentProcessingTimeMs(): number {
    return this.batchMs;
  }
  /** The timeout set in this call (-1: none). */
  getTimeoutTimestampMs(): number {
    return this.timeoutMs;
  }
  /** @internal what the operator writes back. */
  outcome(): { updated: boolean; removed: boolean; exists: boolean; value: S | undefined; timeoutMs: number } {
    return { updated: this.updated, removed: this.removed, exists: this.defined, value: this.value, timeoutMs: this.timeoutMs };
  }
}

type Stored = [unknown, number];
type GroupFn = (key: unknown, rows: Row[], state: GroupState) => unknown;

export class FlatMapGroupsWithStateOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "flatMapGroupsWithState";
  readonly operatorName = "flatMapGroupsWithState";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  /** Key -> [state value, timeout timestamp (-1: none)]. */
  private readonly store = new MemoryStateStore<Stored>("flatMapGroupsWithState");
  private readonly fn: GroupFn;
  private readonly fnName: string;
  private readonly watermarked: boolean;

  constructor(private readonly node: GroupStateNode) {
    this.fn = node.user as GroupFn;
    this.fnName = node.kind === "mapGroupsWithState" ? "mapGroupsWithState" : "flatMapGroupsWithState";
    this.watermarked = node.child.schema.fields.some((f) => f.watermarkDelayMs !== undefined);
  }

  numRowsTotal(): number {
    return this.store.size;
  }

  /** The earliest timeout in the state, computed once per batch (null: to compute). */
  private due: number | null = null;

  wantsNoDataBatch(now: number, watermarkMs: number): boolean {
    const t = this.node.timeMode;
    if (t === "None") return false;
    if (this.due === null) {
      let due = Infinity;
      for (const [, s] of this.store.iterator()) if (s[1] !== NO_TIMESTAMP && s[1] < due) due = s[1];
      this.due = due;
    }
    const threshold = t === "ProcessingTime" ? now : this.watermarked ? watermarkMs : -Infinity;
    return this.due < threshold;
  }

  private callFn(key: unknown, k: StateKey, rows: Row[], stored: Stored | undefined, timedOut: boolean, ctx: ExecContext, out: OutputCollector): void {
    const wm = this.watermarked && ctx.streaming ? (Number.isFinite(ctx.watermarkMs) ? ctx.watermarkMs : 0) : null;
    const gs = new GroupState(stored && stored[0] !== null ? stored[0] : undefined, ctx.now, wm, this.node.timeMode, timedOut, this.fnName);
    let result: unknown;
    try {
      result = this.fn(key, rows, gs);
      if (this.node.kind === "mapGroupsWithState") out.add([result as Row]);
      else out.add(result as OutputRows);
    } catch (err) {
      if (err instanceof QueryExecutionError) throw err;
      throw new QueryExecutionError(`${this.fnName}'s function failed for key ${JSON.stringify(key)}: ${(err as Error).message}`);
    }
    const o = gs.outcome();
    // Spark's FlatMapGroupsWithStateExec.onIteratorCompletion.
    if (o.removed && o.timeoutMs === NO_TIMESTAMP) {
      if (stored) {
        this.store.remove(k);
        // Spark counts a removal as an updated state row too (numUpdatedStateRows).
        this.metrics.updated++;
        this.metrics.removed++;
      }
      return;
    }
    const before = stored ? stored[1] : NO_TIMESTAMP;
    if (o.updated || o.removed || o.timeoutMs !== before) {
      this.store.put(k, [o.exists ? o.value : null, o.timeoutMs]);
      this.metrics.updated++;
    }
  }

  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    this.due = null;
    const node = this.node;
    const out = new OutputCollector(node.schema, `${this.fnName}'s function`);
    const keep = node.timeMode === "EventTime" ? dropLateRows(b, node.child.schema, ctx, () => this.metrics.dropped++) : undefined;
    const groups = groupRows(batchRows(b, node.child.schema, keep), node.keyFn);
    for (const [k, g] of groups) this.callFn(g.key, k, g.rows, this.store.get(k), false, ctx, out);
    if (node.timeMode !== "None" && ctx.streaming) {
      const threshold = node.timeMode === "ProcessingTime" ? ctx.now : this.watermarked && Number.isFinite(ctx.watermarkMs) ? ctx.watermarkMs : -Infinity;
      const due: [StateKey, Stored][] = [];
      for (const [k, s] of this.store.iterator()) if (s[1] !== NO_TIMESTAMP && s[1] < threshold) due.push([k, s]);
      for (const [k, s] of due) this.callFn(decodeGroupingKey(k as string), k, [], s, true, ctx, out);
    }
    return out.batch();
  }

  commit(): void {
    this.store.commit();
  }
  abort(): void {
    this.store.abort();
  }
  stateStores(): StateStoreBinding[] {
    return [{
      store: this.store,
      codec: { encode: (s: Stored) => [userValueCodec.encode(s[0]), s[1]], decode: (d: unknown, k: StateKey) => [userValueCodec.decode((d as Stored)[0], k), (d as Stored)[1]] },
      schema: { storeName: "default", keySchema: [{ name: "key", type: "string" }], valueSchema: [{ name: "groupState", type: "json" }, { name: "timeoutTimestamp", type: "bigint" }] },
    }];
  }
}
