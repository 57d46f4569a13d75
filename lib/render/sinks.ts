/**
 * The "display" and "chart" sink formats: `df.writeStream.format("display")` and
 * `df.writeStream.format("chart").option("mark", "line").option("x", "window.start").option("y", "revenue")`.
 */
import type { MimeBundle } from "../core";
import type { OutputBatch, Sink, SinkContext, StreamingQueryLike } from "./contract";
import { LiveChart, LiveTable, type ChartDisplayOptions, type LiveDisplay, type SvgPolicy, type TableDisplayOptions } from "./live";
import { compactSpecFromOptions, isFullVegaLiteSpec, validateCompactSpec, type ChartSpecInput } from "./spec";

/** Sink options are case-insensitive, as in Spark. */
function lowerKeys(options: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  return out;
}

function numberOption(opts: Record<string, string>, name: string, sink: string): number | undefined {
  const raw = opts[name.toLowerCase()];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw.replace(/[_,]/g, ""));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${sink} sink: option ${name} must be a positive number, got '${raw}'`);
  return n;
}

function listOption(opts: Record<string, string>, name: string): string[] | undefined {
  const raw = opts[name.toLowerCase()];
  return raw ? raw.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
}

function wholeNumber(n: number | undefined, name: string, sink: string): number | undefined {
  if (n !== undefined && !Number.isInteger(n)) throw new Error(`${sink} sink: option ${name} must be a whole number, got ${n}`);
  return n;
}

/** Recently seen queries (bounded), so %streams and %stop know them even without lib/stream's registry. */
const knownQueries = new Map<string, StreamingQueryLike>();
const KNOWN_QUERIES_MAX = 100;

export function rememberQuery(query: StreamingQueryLike | undefined): void {
  if (!query || typeof query.id !== "string") return;
  knownQueries.delete(query.id);
  knownQueries.set(query.id, query);
  while (knownQueries.size > KNOWN_QUERIES_MAX) knownQueries.delete(knownQueries.keys().next().value as string);
}

export function rememberedQueries(): StreamingQueryLike[] {
  return [...knownQueries.values()];
}

export function tableOptionsFrom(options: Record<string, string> | undefined): TableDisplayOptions {
  const opts = lowerKeys(options);
  return {
    rows: wholeNumber(numberOption(opts, "rows", "display"), "rows", "display"),
    sort: opts.sort || undefined,
    keys: listOption(opts, "keys"),
    capacity: wholeNumber(numberOption(opts, "capacity", "display"), "capacity", "display"),
    maxUpdatesPerSecond: numberOption(opts, "maxUpdatesPerSecond", "display"),
    name: opts.queryname || opts.name || undefined,
  };
}

export function chartOptionsFrom(options: Record<string, string> | undefined): { spec: ChartSpecInput; display: ChartDisplayOptions } {
  const opts = lowerKeys(options);
  let spec: ChartSpecInput;
  if (opts.spec) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(opts.spec);
    } catch (err) {
      throw new Error(`chart sink: option spec must be a vega-lite spec as JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null) throw new Error("chart sink: option spec must be a JSON object");
    spec = isFullVegaLiteSpec(parsed) ? (parsed) : compactSpecFromOptions({ ...opts, ...(parsed as Record<string, string>) });
  } else {
    spec = compactSpecFromOptions(opts);
  }
  if (!isFullVegaLiteSpec(spec)) {
    const problem = validateCompactSpec(spec);
    if (problem) throw new Error(`chart sink: ${problem}; set it with .option(...)`);
  }
  const svg = (opts.svg || undefined) as SvgPolicy | undefined;
  if (svg !== undefined && !["auto", "always", "final", "never"].includes(svg)) throw new Error(`chart sink: option svg must be auto, always, final or never, got '${svg}'`);
  return {
    spec,
    display: {
      maxPoints: wholeNumber(numberOption(opts, "maxPoints", "chart"), "maxPoints", "chart"),
      keys: listOption(opts, "keys"),
      svg,
      maxUpdatesPerSecond: numberOption(opts, "maxUpdatesPerSecond", "chart"),
      name: opts.queryname || opts.name || undefined,
    },
  };
}

/** A sink that feeds a live display and shows it in the cell that started the query. */
class LiveDisplaySink implements Sink {
  constructor(
    private readonly view: LiveDisplay & { addBatch(batch: OutputBatch): void },
    query: StreamingQueryLike | undefined,
    private readonly kind: string,
  ) {
    if (query) {
      rememberQuery(query);
      view.attach(query);
    }
    view.show();
  }

  addBatch(batch: OutputBatch): void {
    this.view.addBatch(batch);
  }

  stop(): Promise<void> {
    return this.view.finish();
  }

  /** The query's rich result: a pointer to the live output above it, not a second copy of it. */
  toMimeBundle(): MimeBundle {
    return this.view.summaryBundle(this.kind);
  }

  get display(): LiveDisplay {
    return this.view;
  }
}

export function createDisplaySink(ctx: SinkContext): Sink {
  const table = new LiveTable(tableOptionsFrom(ctx.options));
  return new LiveDisplaySink(table, ctx.query, "table");
}

export function createChartSink(ctx: SinkContext): Sink {
  const { spec, display } = chartOptionsFrom(ctx.options);
  return new LiveDisplaySink(new LiveChart(spec, display), ctx.query, "chart");
}

export type SinkRegistrar = (format: string, factory: (ctx: SinkContext) => Sink) => void;

/** Register "display" and "chart" with the streaming engine's sink registry. */
export function registerRenderSinks(register: SinkRegistrar): void {
  register("display", createDisplaySink);
  register("chart", createChartSink);
}
