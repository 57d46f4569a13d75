/**
 * `display(dfOrQuery, options?)` and `chart(df, spec)`: the notebook API of live tables and charts.
 */
import { didYouMean, getDisplayBridge, isDisplayable, showOnce } from "../core";
import { isStreamingDataFrame, isStreamingQuery, type OutputBatch, type SchemaField, type StreamingDataFrameLike, type StreamingQueryLike } from "./contract";
import { LiveChart, LiveQueryStatus, type SvgPolicy } from "./live";
import { ensureSinksRegistered } from "./peers";
import { isFullVegaLiteSpec, type ChartSpecInput, type CompactChartSpec, type VegaLiteSpec } from "./spec";
import { buildHtmlTable, buildTextTable, parseSort } from "./table";

export interface QueryStartOptions {
  /** Spark output mode; by default update for an aggregation (the running result), else append. */
  outputMode?: "append" | "update" | "complete";
  /** The query's name (queryName), shown in the status line and used by %display, %stop. */
  name?: string;
  /** e.g. `{processingTime: "1 second"}`. */
  trigger?: Record<string, unknown>;
  checkpointLocation?: string;
  /** Most display updates per second (default 4). */
  maxUpdatesPerSecond?: number;
}

export interface DisplayOptions extends QueryStartOptions {
  /** Rows shown (default 20). */
  rows?: number;
  /** `revenue`, `revenue desc`, `-revenue`. */
  sort?: string;
  /** Upsert key columns in update mode. */
  keys?: string[] | string;
  /** Most rows kept in update/complete mode (default 10,000). */
  capacity?: number;
}

export interface ChartOptions extends QueryStartOptions {
  /** Most data points kept (default 1,000). */
  maxPoints?: number;
  keys?: string[] | string;
  svg?: SvgPolicy;
}

const START_KEYS = new Set(["outputMode", "name", "trigger", "checkpointLocation"]);
const DISPLAY_KEYS = [...START_KEYS, "maxUpdatesPerSecond", "rows", "sort", "keys", "capacity"];
const CHART_KEYS = [...START_KEYS, "maxUpdatesPerSecond", "maxPoints", "keys", "svg"];
const COMPACT_KEYS = ["mark", "x", "y", "color", "size", "tooltip", "title", "width", "height", "stack"];

/** A misspelt option would otherwise be ignored silently: name it, with the closest known one. */
function checkOptionNames(what: string, options: object | undefined, known: string[]): void {
  for (const key of Object.keys(options ?? {})) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    throw new Error(`${what}: unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ""}; options are ${known.join(", ")}`);
  }
}

function toOptionStrings(options: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || v === null || START_KEYS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(",") : typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return out;
}

function looksLikeOutputModeError(err: unknown): boolean {
  return /output ?mode|append mode|not supported.*(aggregat|watermark)/i.test(String((err as Error)?.message ?? err));
}

/**
 * The aggregation in a DataFrame's plan, read structurally (lib/stream's plan nodes: `op`, `child`, `keyNames`):
 * its grouping columns when they all reach the output under their names. Undefined for other plans.
 */
export function aggregationOf(df: unknown): { keyColumns: string[] | undefined } | undefined {
  const root = (df as { plan?: unknown })?.plan as { schema?: { fields?: { name: string }[] } } | undefined;
  let node = root as { op?: unknown; child?: unknown; keyNames?: unknown } | undefined;
  for (let depth = 0; node && typeof node === "object" && depth < 10_000; depth++) {
    if (node.op === "aggregate") {
      const names = Array.isArray(node.keyNames) ? (node.keyNames as unknown[]).filter((k): k is string => typeof k === "string") : [];
      const output = new Set((root?.schema?.fields ?? []).map((f) => f.name));
      return { keyColumns: names.length > 0 && names.every((k) => output.has(k)) ? names : undefined };
    }
    node = node.child as typeof node;
  }
  return undefined;
}

function startQuery(df: StreamingDataFrameLike, format: "display" | "chart", sinkOptions: Record<string, string>, start: QueryStartOptions): StreamingQueryLike {
  if (!ensureSinksRegistered()) {
    throw new Error(`the ${format} sink needs lib/stream, which is not available in this build: run npm run build`);
  }
  const attempt = (mode: string | undefined): StreamingQueryLike => {
    let writer = df.writeStream.format(format);
    if (mode) writer = writer.outputMode(mode);
    for (const [k, v] of Object.entries(sinkOptions)) writer = writer.option(k, v);
    if (start.checkpointLocation) writer = writer.option("checkpointLocation", start.checkpointLocation);
    if (start.name) writer = writer.queryName(start.name);
    if (start.trigger) {
      if (typeof writer.trigger !== "function") throw new Error("this DataFrame's writeStream has no trigger(): leave out the trigger option");
      writer = writer.trigger(start.trigger);
    }
    const query = writer.start();
    if (query && typeof (query as unknown as PromiseLike<unknown>).then === "function") {
      throw new Error("writeStream.start() returned a Promise: use `await startDisplay(...)` style APIs of lib/stream instead");
    }
    return query as StreamingQueryLike;
  };
  // A live display of an aggregation wants the running result: update mode, upserted by the grouping columns.
  const aggregation = aggregationOf(df);
  if (aggregation?.keyColumns && sinkOptions.keys === undefined) sinkOptions.keys = aggregation.keyColumns.join(",");
  if (start.outputMode) return attempt(start.outputMode);
  if (aggregation) return attempt("update");
  // Spark's default is append, which it refuses for aggregations without a watermark: when the plan could not
  // be read, fall back to update mode on that refusal, as a notebook user would.
  try {
    return attempt(undefined);
  } catch (err) {
    if (!looksLikeOutputModeError(err)) throw err;
    return attempt("update");
  }
}

/** Start a display-sink query on a streaming DataFrame; returns the query (display() returns nothing). */
export function startDisplay(df: StreamingDataFrameLike, options: DisplayOptions = {}): StreamingQueryLike {
  checkOptionNames("display()", options, DISPLAY_KEYS);
  if (!isStreamingDataFrame(df)) throw new Error("startDisplay() needs a streaming DataFrame (spark.readStream...)");
  return startQuery(df, "display", toOptionStrings(options), options);
}

/** Start a chart-sink query on a streaming DataFrame; returns the query. */
export function startChart(df: StreamingDataFrameLike, spec: ChartSpecInput, options: ChartOptions = {}): StreamingQueryLike {
  checkOptionNames("chart()", options, CHART_KEYS);
  if (!isFullVegaLiteSpec(spec)) checkOptionNames("chart()", spec, COMPACT_KEYS);
  if (!isStreamingDataFrame(df)) throw new Error("startChart() needs a streaming DataFrame (spark.readStream...)");
  const sinkOptions = toOptionStrings(options);
  if (isFullVegaLiteSpec(spec)) sinkOptions.spec = JSON.stringify(spec);
  else Object.assign(sinkOptions, toOptionStrings(spec));
  return startQuery(df, "chart", sinkOptions, options);
}

type Row = Record<string, unknown>;

function isStaticDataFrame(value: unknown): value is { isStreaming: false; collect(): unknown } {
  return typeof value === "object" && value !== null && (value as { isStreaming?: unknown }).isStreaming === false && typeof (value as { collect?: unknown }).collect === "function";
}

function isRowArray(value: unknown): value is Row[] {
  return Array.isArray(value) && value.every((r) => typeof r === "object" && r !== null && !Array.isArray(r));
}

/** Rows as a one-off batch, for tables and charts of plain data. */
function staticBatch(rows: Row[], schema: SchemaField[] = []): OutputBatch {
  return { batchId: 0, mode: "append", schema, numRows: rows.length, columns: [], rows: () => rows };
}

/**
 * Show a value. A streaming DataFrame starts a live table (a display-sink query); a running query shows its
 * live status; an array of records shows a table; anything else that can display itself is shown once.
 */
export function display(value: unknown, options: DisplayOptions = {}): void {
  checkOptionNames("display()", options, DISPLAY_KEYS);
  if (value === undefined || value === null) {
    throw new Error(`display() got ${value}: pass a streaming DataFrame, a query, a DataFrame or an array of records`);
  }
  if (isStreamingDataFrame(value)) {
    startDisplay(value, options);
    return;
  }
  if (isStreamingQuery(value)) {
    new LiveQueryStatus(value, { maxUpdatesPerSecond: options.maxUpdatesPerSecond }).show();
    return;
  }
  if (isDisplayable(value)) {
    showOnce(value);
    return;
  }
  if (isRowArray(value)) {
    const limit = options.rows ?? 20;
    const tableOptions = { rows: value, limit, sort: parseSort(options.sort) };
    getDisplayBridge().display({ "text/html": buildHtmlTable(tableOptions), "text/plain": buildTextTable(tableOptions) });
    return;
  }
  showOnce(value);
}

/**
 * A live vega-lite chart of a streaming DataFrame (`chart(df, {mark: "line", x: "window.start", y: "revenue",
 * color: "region"})`), or a one-off chart of an array of records. The spec may also be a full vega-lite spec.
 */
export function chart(data: unknown, spec: (CompactChartSpec & ChartOptions) | VegaLiteSpec, options: ChartOptions = {}): void {
  if (!isFullVegaLiteSpec(spec)) checkOptionNames("chart()", spec, [...COMPACT_KEYS, ...CHART_KEYS]);
  checkOptionNames("chart()", options, CHART_KEYS);
  if (isStreamingDataFrame(data)) {
    // Display options may ride along in a compact spec: chart(df, {mark: "line", ..., maxPoints: 500}).
    const { maxPoints, svg, keys, maxUpdatesPerSecond, outputMode, name, trigger, checkpointLocation, ...rest } = spec as CompactChartSpec & ChartOptions;
    const merged: ChartOptions = { maxPoints, svg, keys, maxUpdatesPerSecond, outputMode, name, trigger, checkpointLocation, ...options };
    startChart(data, isFullVegaLiteSpec(spec) ? spec : (rest), merged);
    return;
  }
  if (isStreamingQuery(data)) {
    throw new Error("chart() needs a streaming DataFrame, not a running query: chart the DataFrame, or display(query) for its rates");
  }
  // A static DataFrame (spark.createDataFrame, spark.table): chart its rows.
  const rows = isStaticDataFrame(data) ? data.collect() : data;
  if (!isRowArray(rows)) throw new Error("chart() needs a streaming DataFrame, a static DataFrame or an array of records");
  const { maxPoints, svg, keys } = { ...(spec as ChartOptions), ...options };
  const view = new LiveChart(spec, { maxPoints: maxPoints ?? Math.max(1, rows.length), svg, keys: typeof keys === "string" ? keys.split(",") : keys });
  view.show();
  view.addBatch(staticBatch(rows));
  void view.finish();
}
