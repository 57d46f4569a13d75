/**
 * The sink registry: `df.writeStream.format(NAME)` looks NAME up here. streamlab's own sinks (memory, console,
 * kafka, foreachBatch) register themselves; lib/render registers the live `display` and `chart` sinks.
 */
import type { MimeBundle } from "../../core";
import type { StreamingQuery } from "../query/types";

export type OutputMode = "append" | "update" | "complete";

/** One micro-batch of results, as handed to a sink. Values are at the edge representation (Date, objects). */
export interface OutputBatch {
  batchId: number;
  mode: OutputMode;
  schema: { name: string; type: string }[];
  numRows: number;
  /** Column-major values: `columns[c][r]`. Timestamps are Date, structs plain objects. */
  columns: unknown[][];
  /** Row objects keyed by column name (built on demand). */
  rows(): Record<string, unknown>[];
  /** The grouping columns of an aggregation's result (the upsert key in update mode), when they are in the output. */
  keyColumns?: string[];
}

export interface SinkContext {
  query: StreamingQuery;
  options: Record<string, string>;
  outputMode: OutputMode;
}

export interface Sink {
  /** Called once per batch id. Re-delivery of a batch id after recovery is possible: sinks may dedupe by it. */
  addBatch(batch: OutputBatch): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** A sink that can show itself; the query's own toMimeBundle delegates to it. */
  toMimeBundle?(): MimeBundle;
}

export type SinkFactory = (ctx: SinkContext) => Sink;

const factories = new Map<string, SinkFactory>();

export function registerSinkFormat(format: string, factory: SinkFactory): void {
  factories.set(format.toLowerCase(), factory);
}

export function getSinkFormat(format: string): SinkFactory | undefined {
  return factories.get(format.toLowerCase());
}

export function sinkFormats(): string[] {
  return [...factories.keys()].sort();
}
