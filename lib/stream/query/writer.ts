/**
 * df.writeStream: Spark's DataStreamWriter. It takes the logical plan (not the DataFrame), checks it against
 * the streaming rules (plan/checks.ts) and starts the query.
 */
import type { PlanNode } from "../plan/nodes";
import { checkForStreaming } from "../plan/checks";
import { checkSortLimit } from "../plan/order";
import { caseInsensitive } from "../options";
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
  /** Spark option names are case-insensitive: `checkpointLocation` and `checkpointlocation` are one option. */
  private opts = caseInsensitive();
  private queryNameValue: string | null = null;
  private triggerValue: Trigger = { kind: "processingTime", intervalMs: DEFAULT_TRIGGER_MS };

  constructor(private readonly plan: PlanNode) {}

  format(source: string): this {
    this.fmt = source;
    this.formatGiven = true;
    return this;
  }
  outputMode(mode: string): this {
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
    checkForStreaming(this.plan, this.mode);
    checkSortLimit(this.plan, this.mode);
    const name = this.queryNameValue ?? (this.fmt === "memory" ? null : null);
    return new StreamingQueryImpl(
      {
        plan: this.plan,
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
