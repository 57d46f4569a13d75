/** df.writeStream: Spark's DataStreamWriter, validating the query (output mode rules) before it starts. */
import type { DataFrame } from "../plan/dataframe";
import { linearize } from "../plan/nodes";
import { getSinkFormat, sinkFormats, type OutputMode } from "../sinks/registry";
import { registerForeachFunction, type ForeachBatchFunction } from "../sinks/foreach";
import { StreamingQueryImpl, type Trigger } from "./query";
import type { StreamingQuery } from "./types";
import { AnalysisError } from "../expr/bound";
import { parseInterval } from "../expr/functions";
import { didYouMean } from "../../core";
import { streams } from "./registry";

/** Default trigger interval in notebooks: one second, so displays update at a readable pace. */
export const DEFAULT_TRIGGER_MS = 1000;

export interface TriggerSpec {
  processingTime?: string | number;
  once?: boolean;
  availableNow?: boolean;
}

export class DataStreamWriter {
  private fmt = "memory";
  private formatGiven = false;
  private mode: OutputMode = "append";
  private opts: Record<string, string> = {};
  private queryNameValue: string | null = null;
  private triggerValue: Trigger = { kind: "processingTime", intervalMs: DEFAULT_TRIGGER_MS };

  constructor(private readonly df: DataFrame) {}

  format(source: string): this {
    this.fmt = source;
    this.formatGiven = true;
    return this;
  }
  outputMode(mode: OutputMode | string): this {
    const m = String(mode).toLowerCase();
    if (m !== "append" && m !== "update" && m !== "complete") throw new AnalysisError(`unknown output mode '${mode}': use "append", "update" or "complete"`);
    this.mode = m;
    return this;
  }
  option(key: string, value: string | number | boolean): this {
    this.opts[key] = String(value);
    return this;
  }
  options(map: Record<string, string | number | boolean>): this {
    for (const [k, v] of Object.entries(map)) this.option(k, v);
    return this;
  }
  queryName(name: string): this {
    this.queryNameValue = name;
    return this;
  }
  trigger(spec: TriggerSpec): this {
    const keys = Object.keys(spec ?? {}).filter((k) => (spec as Record<string, unknown>)[k] !== undefined && (spec as Record<string, unknown>)[k] !== false);
    if (keys.length !== 1) throw new AnalysisError('trigger() takes exactly one of { processingTime: "1 second" }, { once: true }, { availableNow: true }');
    if (spec.processingTime !== undefined) {
      const ms = typeof spec.processingTime === "number" ? spec.processingTime : parseInterval(spec.processingTime);
      this.triggerValue = { kind: "processingTime", intervalMs: ms };
    } else if (spec.once) this.triggerValue = { kind: "once" };
    else if (spec.availableNow) this.triggerValue = { kind: "availableNow" };
    else throw new AnalysisError(`unknown trigger ${JSON.stringify(spec)}: use processingTime, once or availableNow`);
    return this;
  }
  partitionBy(..._cols: string[]): this {
    throw new AnalysisError("partitionBy() applies to file sinks, which streamlab does not have; write to kafka, memory or foreachBatch");
  }
  /** foreachBatch((batch: danfo DataFrame, batchId) => ...). `{ raw: true }` hands the OutputBatch instead. */
  foreachBatch(fn: ForeachBatchFunction, options: { raw?: boolean } = {}): this {
    if (typeof fn !== "function") throw new AnalysisError("foreachBatch() needs a function (batch, batchId) => ...");
    this.fmt = "foreachBatch";
    this.formatGiven = true;
    this.opts.__function = registerForeachFunction(fn);
    if (options.raw) this.opts.__raw = "true";
    return this;
  }

  start(): StreamingQuery {
    const factory = getSinkFormat(this.fmt);
    if (!factory) {
      const hint = didYouMean(this.fmt, sinkFormats());
      throw new AnalysisError(`unknown sink format '${this.fmt}'${hint ? ` (did you mean '${hint}'?)` : ""}; formats: ${sinkFormats().join(", ")}`);
    }
    if (!this.formatGiven && this.fmt === "memory" && !this.queryNameValue) {
      throw new AnalysisError('writeStream needs a sink: .format("memory").queryName("NAME"), .format("console"), .format("kafka") or .foreachBatch(fn)');
    }
    checkOutputMode(this.df, this.mode);
    const name = this.queryNameValue ?? (this.fmt === "memory" ? null : null);
    return new StreamingQueryImpl(
      {
        df: this.df,
        name,
        outputMode: this.mode,
        trigger: this.triggerValue,
        format: this.fmt,
        options: this.opts,
        sinkFactory: factory,
        checkpointLocation: this.opts.checkpointLocation,
      },
      streams,
    );
  }

  toTable(name: string): StreamingQuery {
    return this.queryName(name).format("memory").start();
  }
}

/** Spark's UnsupportedOperationChecker rules for output modes, with Spark's messages. */
export function checkOutputMode(df: DataFrame, mode: OutputMode): void {
  const nodes = linearize(df.plan);
  const aggIndex = nodes.findIndex((n) => n.op === "aggregate");
  const agg = aggIndex >= 0 ? (nodes[aggIndex] as Extract<typeof nodes[number], { op: "aggregate" }>) : undefined;
  if (!agg && mode === "complete") {
    throw new AnalysisError("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets");
  }
  if (agg && mode === "append" && agg.eventTimeKey === null) {
    throw new AnalysisError("Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark");
  }
  if (agg && mode === "update" && agg.timeKey?.kind === "session" && agg.eventTimeKey === null) {
    throw new AnalysisError("Update output mode not supported for session window aggregation without watermark; add withWatermark() on the event-time column");
  }
  if (agg) {
    for (const n of nodes.slice(aggIndex + 1)) {
      if (n.op === "dedup" && mode !== "complete") throw new AnalysisError("dropDuplicates after a streaming aggregation is not supported; deduplicate before groupBy()");
      if (n.op === "join") throw new AnalysisError("a join after a streaming aggregation is not supported; join before groupBy()");
    }
  }
}
