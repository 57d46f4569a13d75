/**
 * Arbitrary stateful processing: `df.groupByKey(fn)` (a KeyValueGroupedDataset) and what it offers:
 * transformWithState (Spark 4's StatefulProcessor with value, list and map state, TTLs and timers),
 * flatMapGroupsWithState and mapGroupsWithState (Spark 3's GroupState with timeouts). The user's code is
 * TypeScript, run per key by exec/transform-with-state.ts and exec/group-state.ts; the output schema is
 * declared (a DDL string or a StructType), as Spark requires. Spark's UnsupportedOperationChecker rules for
 * these operators are checked at start() (checkGroupState, called from checks.ts).
 */
import { AnalysisError } from "../expr/bound";
import { toStructType, type StructType } from "../types";
import { linearize, type GroupStateNode, type GroupStateTimeMode, type PlanNode } from "./nodes";
import type { OutputMode } from "../sinks/registry";

type KeyFn = (row: Record<string, unknown>) => unknown;

/** What the processor passed to transformWithState must have (exec/transform-with-state.ts's StatefulProcessor). */
export interface StatefulProcessorShape {
  handleInputRows(key: never, rows: never[], timerValues: never): unknown;
}

export interface TransformWithStateOptions {
  /** The output's schema: "user STRING, flagged BOOLEAN" or a StructType (Spark requires it). */
  outputSchema?: string | StructType;
  /** Initial state: a static DataFrame grouped by key (`spark.createDataFrame(rows).groupByKey(fn)`). */
  initialState?: KeyValueGroupedDataset<unknown>;
}

const TIME_MODES: Record<string, GroupStateTimeMode> = { none: "None", notime: "None", processingtime: "ProcessingTime", eventtime: "EventTime" };
const TIMEOUTS: Record<string, GroupStateTimeMode> = { notimeout: "None", none: "None", processingtimetimeout: "ProcessingTime", processingtime: "ProcessingTime", eventtimetimeout: "EventTime", eventtime: "EventTime" };

function timeMode(v: unknown, what: string, table: Record<string, GroupStateTimeMode>, names: string): GroupStateTimeMode {
  const m = typeof v === "string" ? table[v.toLowerCase().replace(/[^a-z]/g, "")] : undefined;
  if (!m) throw new AnalysisError(`${what}: unknown ${names.includes("Timeout") ? "timeout" : "time mode"} ${JSON.stringify(v)}; use ${names}`);
  return m;
}

function funcMode(v: unknown, what: string): "append" | "update" {
  const m = typeof v === "string" ? v.toLowerCase() : "";
  if (m !== "append" && m !== "update") throw new AnalysisError(`The output mode of function should be append or update (${what} got ${JSON.stringify(v)})`);
  return m;
}

function outputSchema(v: unknown, what: string): StructType {
  if (v === undefined || v === null) throw new AnalysisError(`${what} needs the output schema, as Spark does: pass a DDL string such as "user STRING, count LONG" (or a StructType)`);
  try {
    return toStructType(v as string | StructType);
  } catch (err) {
    throw new AnalysisError(`${what}: the output schema ${JSON.stringify(v)} is not valid: ${(err as Error).message}`);
  }
}

/** Spark's KeyValueGroupedDataset: rows grouped by the key a TypeScript function computes. */
export class KeyValueGroupedDataset<D> {
  constructor(readonly plan: PlanNode, readonly keyFn: KeyFn, private readonly wrap: (plan: PlanNode) => D) {
    if (typeof keyFn !== "function") throw new AnalysisError("groupByKey() takes a function of the row, e.g. df.groupByKey((r) => r.card)");
  }

  private node(kind: GroupStateNode["kind"], user: unknown, mode: GroupStateTimeMode, out: "append" | "update", schema: StructType, initial: GroupStateNode["initialState"]): D {
    const node: GroupStateNode = { op: "groupState", child: this.plan, kind, keyFn: this.keyFn, user, timeMode: mode, outputMode: out, initialState: initial, schema, streaming: this.plan.streaming };
    return this.wrap(node);
  }

  /**
   * Spark 4's transformWithState: `processor` (a StatefulProcessor) gets each key's rows per batch and its
   * expired timers; `timeMode` "None" | "ProcessingTime" | "EventTime"; `outputMode` "append" | "update". The
   * 4th argument is the output schema (or options with outputSchema and initialState).
   */
  transformWithState(processor: StatefulProcessorShape, timeModeArg: string, outputModeArg: string, options?: string | StructType | TransformWithStateOptions): D {
    const what = "transformWithState";
    if (!processor || typeof (processor as { handleInputRows?: unknown }).handleInputRows !== "function") throw new AnalysisError(`${what} takes a StatefulProcessor: a class with init(handle), handleInputRows(key, rows, timerValues) and, for timers, handleExpiredTimer(key, timerValues, expiredTimerInfo)`);
    const mode = timeMode(timeModeArg, what, TIME_MODES, '"None", "ProcessingTime" or "EventTime"');
    const out = funcMode(outputModeArg, what);
    const opts: TransformWithStateOptions = typeof options === "string" || (options && (options as StructType).kind === "struct") ? { outputSchema: options as string | StructType } : ((options as TransformWithStateOptions | undefined) ?? {});
    const schema = outputSchema(opts.outputSchema ?? (processor as { outputSchema?: unknown }).outputSchema, what);
    let initial: GroupStateNode["initialState"] = null;
    if (opts.initialState !== undefined) {
      const init = opts.initialState;
      if (!(init instanceof KeyValueGroupedDataset)) throw new AnalysisError(`${what}: initialState must be a static DataFrame grouped by key: spark.createDataFrame(rows).groupByKey((r) => r.key)`);
      if (init.plan.streaming) throw new AnalysisError(`${what}: the initial state must be a static DataFrame (spark.createDataFrame), not a stream`);
      if (typeof (processor as { handleInitialState?: unknown }).handleInitialState !== "function") throw new AnalysisError(`${what}: an initial state needs the processor's handleInitialState(key, row, timerValues)`);
      initial = { plan: init.plan, keyFn: init.keyFn };
    }
    return this.node("transformWithState", processor, mode, out, schema, initial);
  }

  /**
   * Spark's flatMapGroupsWithState: `fn(key, rows, state)` returns the key's output rows (an array, or yield
   * them); `outputMode` is the function's ("append" or "update"); `timeout` "NoTimeout" |
   * "ProcessingTimeTimeout" | "EventTimeTimeout"; `schema` the output schema.
   */
  flatMapGroupsWithState(fn: (key: never, rows: never[], state: never) => unknown, outputModeArg: string, timeout: string, schema: string | StructType): D {
    const what = "flatMapGroupsWithState";
    if (typeof fn !== "function") throw new AnalysisError(`${what} takes a function (key, rows, state) => rows`);
    const mode = timeMode(timeout, what, TIMEOUTS, '"NoTimeout", "ProcessingTimeTimeout" or "EventTimeTimeout"');
    return this.node(what, fn, mode, funcMode(outputModeArg, what), outputSchema(schema, what), null);
  }

  /** Spark's mapGroupsWithState: `fn(key, rows, state)` returns one output row per call; update mode only. */
  mapGroupsWithState(fn: (key: never, rows: never[], state: never) => unknown, timeout: string, schema: string | StructType): D {
    const what = "mapGroupsWithState";
    if (typeof fn !== "function") throw new AnalysisError(`${what} takes a function (key, rows, state) => row`);
    const mode = timeMode(timeout, what, TIMEOUTS, '"NoTimeout", "ProcessingTimeTimeout" or "EventTimeTimeout"');
    return this.node(what, fn, mode, "update", outputSchema(schema, what), null);
  }
}

const sparkMode = (m: OutputMode) => m[0].toUpperCase() + m.slice(1);

/** Spark's UnsupportedOperationChecker rules for (flat)MapGroupsWithState and transformWithState, at start(). */
export function checkGroupState(plan: PlanNode, mode: OutputMode): void {
  const nodes = linearize(plan);
  const aggs = nodes.some((n) => n.op === "aggregate");
  for (const n of nodes) {
    if (n.op !== "groupState" || !n.streaming) continue;
    if (n.kind === "mapGroupsWithState") {
      if (aggs) throw new AnalysisError("mapGroupsWithState is not supported with aggregation on a streaming DataFrame/Dataset");
      if (mode !== "update") throw new AnalysisError(`mapGroupsWithState is not supported with ${sparkMode(mode)} output mode on a streaming DataFrame/Dataset; write it with outputMode("update")`);
    } else if (n.kind === "flatMapGroupsWithState") {
      if (!aggs && n.outputMode !== mode) throw new AnalysisError(`flatMapGroupsWithState in ${n.outputMode} mode is not supported with ${sparkMode(mode)} output mode on a streaming DataFrame/Dataset; use the same output mode for both`);
      if (aggs && n.outputMode === "update") throw new AnalysisError("flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame/Dataset");
    } else if (mode === "complete") {
      throw new AnalysisError(`transformWithState is not supported with Complete output mode on a streaming DataFrame/Dataset; use "append" or "update"`);
    }
    if (n.timeMode === "EventTime" && !n.child.schema.fields.some((f) => f.watermarkDelayMs !== undefined)) {
      const where = n.kind === "transformWithState" ? "transformWithState with TimeMode EventTime" : "[map|flatMap]GroupsWithState";
      throw new AnalysisError(`Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout in a ${where}. Event-time timeout not supported without watermark.`);
    }
  }
}
