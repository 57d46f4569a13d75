/**
 * The sink registry: `df.writeStream.format(NAME)` looks NAME up here. streamlab's own sinks (memory, console,
 * kafka, foreachBatch) register themselves; lib/render registers the live `display` and `chart` sinks.
 */
import type { MimeBundle, OutputBatch, OutputMode } from "../../core";
import type { StreamingQuery } from "../query/types";

/** One micro-batch of results as sinks and lib/render's displays get it: declared once, in lib/core. */
export type { OutputBatch, OutputMode } from "../../core";

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
