/**
 * %display, %chart, %streams and %stop.
 */
import { didYouMean, DisplayHandle, isDisplayable, MagicError, registerMagic, type DisplayBridge, type MagicContext, type MagicSpec } from "../core";
import { buildHtmlTable, buildTextTable } from "./table";
import { chart, display, startChart, startDisplay } from "./api";
import { isStreamingDataFrame, isStreamingQuery, type GeneratorLike, type StreamingDataFrameLike, type StreamingQueryLike } from "./contract";
import { allQueries, StreamsDashboard } from "./dashboard";
import { LiveQueryStatus, type SvgPolicy } from "./live";
import { isStateInspectable, LiveStateInspector } from "./state-inspector";
import { generators, loadDatagen } from "./peers";
import { COMPACT_MARKS, validateCompactSpec, type CompactChartSpec, type CompactMark } from "./spec";

const OUTPUT_MODES = ["append", "update", "complete"] as const;

function queryName(q: StreamingQueryLike): string | undefined {
  try {
    return q.name ?? undefined;
  } catch {
    return undefined;
  }
}

/** A query by its name, its id or an id prefix of at least 8 characters. */
function findQuery(name: string): StreamingQueryLike | undefined {
  const queries = allQueries();
  // Prefer an active query when a stopped one had the same name.
  const ordered = [...queries.filter((q) => q.isActive), ...queries.filter((q) => !q.isActive)];
  return (
    ordered.find((q) => queryName(q) === name) ??
    ordered.find((q) => q.id === name || (name.length >= 8 && q.id.startsWith(name)))
  );
}

/** The default query name: the wanted one when no active query has it (so `%stop NAME` stops it), else none. */
function freeQueryName(wanted: string): string | undefined {
  if (!/^[\w.-]+$/.test(wanted)) return undefined;
  return allQueries().some((q) => q.isActive && queryName(q) === wanted) ? undefined : wanted;
}

function candidates(ctx: MagicContext): string[] {
  const names = new Set<string>();
  for (const [k, v] of Object.entries(ctx.scope ?? {})) if (isStreamingDataFrame(v) || isStreamingQuery(v)) names.add(k);
  for (const q of allQueries()) {
    const n = queryName(q);
    if (n) names.add(n);
  }
  return [...names];
}

function notFound(ctx: MagicContext, name: string, what: string): MagicError {
  const names = candidates(ctx);
  const hint = didYouMean(name, names);
  return new MagicError(
    `%${ctx.name}: no ${what} named '${name}'` +
      (hint ? ` (did you mean '${hint}'?)` : names.length ? `; known: ${names.slice(0, 10).join(", ")}` : "; define a streaming DataFrame first (spark.readStream...)"),
  );
}

/** What NAME means: a variable of the notebook, else a query's name or id, else an expression. */
async function resolve(ctx: MagicContext, name: string): Promise<unknown> {
  if (ctx.scope && Object.prototype.hasOwnProperty.call(ctx.scope, name)) return ctx.scope[name];
  const query = findQuery(name);
  if (query) return query;
  if (!/^[A-Za-z_$][\w$]*$/.test(name) && typeof ctx.evaluate === "function") {
    try {
      return await ctx.evaluate(name);
    } catch (err) {
      throw new MagicError(`%${ctx.name}: could not evaluate '${name}': ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return undefined;
}

function asError(ctx: MagicContext, err: unknown): MagicError {
  if (err instanceof MagicError) return err;
  return new MagicError(`%${ctx.name}: ${(err as Error)?.message?.split("\n")[0] ?? String(err)}`);
}

interface LateRowLike {
  batchId: number;
  eventTime: Date | null;
  watermark: Date;
  source: string;
  row: Record<string, unknown>;
}

/** `%display QUERY --late`: the rows the watermark dropped, a live table refreshed at each progress. */
function showLateRows(query: StreamingQueryLike & { lateRows(): LateRowLike[] }, rows: number, bridge: DisplayBridge): void {
  const bundle = () => {
    const late = query.lateRows().map((r) => ({ event_time: r.eventTime, watermark: r.watermark, batch: r.batchId, ...r.row, source: r.source }));
    const options = { rows: late, limit: rows, tail: true, note: `rows dropped by the watermark of ${queryName(query) ?? query.id.slice(0, 8)} (${query.isActive ? "running" : "stopped"})` };
    return { "text/plain": buildTextTable(options), "text/html": buildHtmlTable(options) };
  };
  const handle = new DisplayHandle(bundle(), undefined, bridge);
  const offProgress = query.onProgress?.(() => handle.update(bundle()));
  query.onTerminated?.(() => {
    offProgress?.();
    handle.update(bundle());
    handle.close();
  });
}

const displayMagic: MagicSpec = {
  name: "display",
  kind: "line",
  summary: "show a streaming DataFrame or query as a live table",
  usage: "%display NAME [--rows N] [--sort COL] [--keys COL,COL] [--mode append|update|complete] [--name QUERY] [--late | --corrupt]",
  help:
    "NAME is a streaming DataFrame or query in the notebook, or a running query's name. A DataFrame starts a\n" +
    "display-sink query: update/complete mode shows the current result table (upserted by key columns), append\n" +
    "mode the newest rows. A query shows its live status and recent batches. The display keeps its final state\n" +
    "when the query stops. The query started is named NAME (unless --name, or a query of that name is running),\n" +
    "so %stop NAME stops it; %stop --all stops everything.",
  positional: { min: 1, max: 1, names: ["NAME"] },
  options: [
    { name: "rows", alias: "n", type: "number", help: "rows shown", default: 20 },
    { name: "sort", type: "string", help: "sort by this column; 'COL desc' or -COL for descending" },
    { name: "keys", type: "list", help: "upsert key columns in update mode (default: grouping columns)" },
    { name: "mode", type: "string", help: "output mode", choices: OUTPUT_MODES },
    { name: "name", type: "string", help: "name of the query started (queryName)" },
    { name: "max-updates", type: "number", help: "most display updates per second", default: 4 },
    { name: "late", type: "boolean", help: "a running query's rows dropped by the watermark (query.lateRows()), live" },
    { name: "corrupt", type: "boolean", help: "the rows of a streaming DataFrame whose _corrupt_record is set, live" },
  ],
  async run(ctx) {
    const target = ctx.args.positional[0];
    const o = ctx.args.options;
    const rows = o.rows as number;
    if (o.late === true) {
      const q = await resolve(ctx, target);
      if (!isStreamingQuery(q) || typeof (q as { lateRows?: unknown }).lateRows !== "function") {
        throw q === undefined ? notFound(ctx, target, "query") : new MagicError(`%display --late shows a running query's late rows: give the query's name (%display QUERY --late), not '${target}'`);
      }
      showLateRows(q as StreamingQueryLike & { lateRows(): LateRowLike[] }, rows, ctx.display);
      return undefined;
    }
    if (o.corrupt === true) {
      const df = await resolve(ctx, target);
      if (!isStreamingDataFrame(df)) throw df === undefined ? notFound(ctx, target, "streaming DataFrame") : new MagicError(`%display --corrupt needs a streaming DataFrame read with from_json (PERMISSIVE), not '${target}'`);
      const columns = (df as { columns?: string[] }).columns ?? [];
      if (!columns.includes("_corrupt_record")) throw new MagicError(`%display --corrupt: '${target}' has no _corrupt_record column (name a _corrupt_record STRING field in its from_json schema, as in Spark); its columns: ${columns.join(", ")}`);
      try {
        const bad = (df as unknown as { filter(c: string): StreamingDataFrameLike }).filter("_corrupt_record IS NOT NULL");
        startDisplay(bad, { rows, name: (o.name as string | undefined) ?? freeQueryName(`${target}_corrupt`), outputMode: "append" });
      } catch (err) {
        throw asError(ctx, err);
      }
      return undefined;
    }
    if (!Number.isInteger(rows) || rows < 1) throw new MagicError(`%display --rows must be a whole number of at least 1, got ${rows}`);
    const maxUpdates = o["max-updates"] as number;
    if (!(maxUpdates > 0)) throw new MagicError(`%display --max-updates must be above 0, got ${maxUpdates}`);
    const value = await resolve(ctx, target);
    try {
      if (isStreamingDataFrame(value)) {
        startDisplay(value, {
          rows,
          sort: o.sort as string | undefined,
          keys: o.keys as string[] | undefined,
          outputMode: o.mode as "append" | "update" | "complete" | undefined,
          name: (o.name as string | undefined) ?? freeQueryName(target),
          maxUpdatesPerSecond: maxUpdates,
        });
        return undefined;
      }
      if (isStreamingQuery(value)) {
        new LiveQueryStatus(value, { maxUpdatesPerSecond: maxUpdates, bridge: ctx.display }).show();
        return undefined;
      }
      if (value !== undefined && (isDisplayable(value) || Array.isArray(value))) {
        display(value, { rows, sort: o.sort as string | undefined });
        return undefined;
      }
    } catch (err) {
      throw asError(ctx, err);
    }
    throw value === undefined ? notFound(ctx, target, "streaming DataFrame or query") : new MagicError(`%display: '${target}' is not a streaming DataFrame, a query or a displayable value`);
  },
};

const chartMagic: MagicSpec = {
  name: "chart",
  kind: "line",
  summary: "a live vega-lite chart of a streaming DataFrame",
  usage: "%chart NAME --mark line|bar|area|point|heatmap --x FIELD --y FIELD [--color FIELD] [--max-points N]",
  help:
    "Fields may be struct fields (window.start) and may carry a type: region:N, ts:T, amount:Q, hour:O.\n" +
    "The chart keeps the newest --max-points points. It is sent as vega-lite (JupyterLab, VS Code) and as an\n" +
    "SVG drawn in the kernel (classic Notebook, nbconvert HTML, GitHub). The query started is named NAME_chart\n" +
    "(unless --name), so %stop NAME_chart stops it.",
  positional: { min: 1, max: 1, names: ["NAME"] },
  options: [
    { name: "mark", type: "string", help: "mark type", default: "line", choices: COMPACT_MARKS },
    { name: "x", type: "string", help: "field on the x axis" },
    { name: "y", type: "string", help: "field on the y axis" },
    { name: "color", type: "string", help: "field that colors the marks (required for heatmap)" },
    { name: "size", type: "string", help: "field that sizes the marks" },
    { name: "title", type: "string", help: "chart title" },
    { name: "width", type: "number", help: "width in pixels", default: 480 },
    { name: "height", type: "number", help: "height in pixels", default: 240 },
    { name: "max-points", type: "number", help: "most data points kept", default: 1000 },
    { name: "svg", type: "string", help: "when to draw the SVG image", default: "auto", choices: ["auto", "always", "final", "never"] },
    { name: "mode", type: "string", help: "output mode", choices: OUTPUT_MODES },
    { name: "name", type: "string", help: "name of the query started (queryName)" },
    { name: "max-updates", type: "number", help: "most chart updates per second", default: 4 },
  ],
  async run(ctx) {
    const target = ctx.args.positional[0];
    const o = ctx.args.options;
    const spec: CompactChartSpec = {
      mark: o.mark as CompactMark,
      x: (o.x as string) ?? "",
      y: (o.y as string) ?? "",
      width: o.width as number,
      height: o.height as number,
    };
    if (o.color) spec.color = o.color as string;
    if (o.size) spec.size = o.size as string;
    if (o.title) spec.title = o.title as string;
    const problem = validateCompactSpec(spec);
    if (problem) throw new MagicError(`%chart: ${problem.replace(/\b(x|y|color): /, "--$1 ")}; see %chart?`);
    const maxPoints = o["max-points"] as number;
    if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new MagicError(`%chart --max-points must be a whole number of at least 1, got ${maxPoints}`);
    const maxUpdates = o["max-updates"] as number;
    if (!(maxUpdates > 0)) throw new MagicError(`%chart --max-updates must be above 0, got ${maxUpdates}`);
    const value = await resolve(ctx, target);
    try {
      if (isStreamingDataFrame(value)) {
        startChart(value, spec, {
          maxPoints,
          svg: o.svg as SvgPolicy,
          outputMode: o.mode as "append" | "update" | "complete" | undefined,
          name: (o.name as string | undefined) ?? freeQueryName(`${target}_chart`),
          maxUpdatesPerSecond: maxUpdates,
        });
        return undefined;
      }
      if (Array.isArray(value) || (typeof value === "object" && value !== null && (value as { isStreaming?: unknown }).isStreaming === false)) {
        chart(value, spec, { maxPoints, svg: o.svg as SvgPolicy });
        return undefined;
      }
    } catch (err) {
      throw asError(ctx, err);
    }
    if (isStreamingQuery(value)) throw new MagicError(`%chart: '${target}' is a running query; chart its streaming DataFrame instead, or %display ${target} for its rates`);
    throw value === undefined ? notFound(ctx, target, "streaming DataFrame") : new MagicError(`%chart: '${target}' is not a DataFrame or an array of records`);
  },
};

const streamsMagic: MagicSpec = {
  name: "streams",
  kind: "line",
  summary: "live dashboard of every streaming query and data generator",
  usage: "%streams [--once] [--interval 1s]",
  help: "Refreshes while any query or generator is active, and keeps its last state 10 s after all stopped.",
  positional: { max: 0 },
  options: [
    { name: "once", type: "boolean", help: "show the current state once, without refreshing" },
    { name: "interval", type: "duration", help: "refresh period", default: 1000 },
  ],
  async run(ctx) {
    const interval = ctx.args.options.interval as number;
    if (!(interval >= 100)) throw new MagicError(`%streams --interval must be at least 100ms, got ${interval}ms`);
    await loadDatagen();
    new StreamsDashboard({ intervalMs: interval, once: ctx.args.options.once === true, bridge: ctx.display }).start();
    return undefined;
  },
};

function generatorMatches(g: GeneratorLike, name: string): boolean {
  return g.name === name || g.topic === name;
}

const stopMagic: MagicSpec = {
  name: "stop",
  kind: "line",
  summary: "stop streaming queries and data generators",
  usage: "%stop NAME | %stop --all",
  help: "NAME is a query's name or id, a notebook variable holding a query, or a generator's name or topic.",
  positional: { max: 1, names: ["NAME"] },
  options: [{ name: "all", type: "boolean", help: "stop every active query and every running generator" }],
  async run(ctx) {
    const name = ctx.args.positional[0];
    const all = ctx.args.options.all === true;
    if (!name && !all) throw new MagicError("%stop: name a query or generator, or use --all; usage: %stop NAME | %stop --all");
    if (name && all) throw new MagicError("%stop: give a NAME or --all, not both");
    await loadDatagen();
    const queries: StreamingQueryLike[] = [];
    const gens: GeneratorLike[] = [];
    if (all) {
      queries.push(...allQueries().filter((q) => q.isActive));
      gens.push(...generators().filter((g) => !/^(stopped|finished|done|failed|completed)$/i.test(String(g.status ?? ""))));
    } else {
      const scoped = ctx.scope && Object.prototype.hasOwnProperty.call(ctx.scope, name) ? ctx.scope[name] : undefined;
      if (isStreamingQuery(scoped)) queries.push(scoped);
      else {
        const q = findQuery(name);
        if (q) queries.push(q);
      }
      gens.push(...generators().filter((g) => generatorMatches(g, name)));
      if (queries.length === 0 && gens.length === 0) {
        const known = [...candidates(ctx), ...generators().map((g) => g.name)];
        const hint = didYouMean(name, known);
        throw new MagicError(`%stop: no query or generator named '${name}'${hint ? ` (did you mean '${hint}'?)` : known.length ? `; known: ${known.slice(0, 10).join(", ")}` : ""}; %streams lists them`);
      }
    }
    const stopped: string[] = [];
    const failures: string[] = [];
    await Promise.all([
      ...queries.map(async (q) => {
        const label = `query ${queryName(q) ?? q.id.slice(0, 8)}`;
        try {
          await q.stop();
          stopped.push(label);
        } catch (err) {
          failures.push(`${label}: ${(err as Error).message.split("\n")[0]}`);
        }
      }),
      ...gens.map(async (g) => {
        const label = `generator ${g.name}`;
        try {
          await g.stop();
          stopped.push(label);
        } catch (err) {
          failures.push(`${label}: ${(err as Error).message.split("\n")[0]}`);
        }
      }),
    ]);
    if (failures.length) throw new MagicError(`%stop: could not stop ${failures.join("; ")}`);
    ctx.display.print(stopped.length ? `stopped ${stopped.join(", ")}` : "nothing to stop: no active query or running generator");
    return undefined;
  },
};

const stateMagic: MagicSpec = {
  name: "state",
  kind: "line",
  summary: "live view of a query's state: keys and values, open windows, what the next watermark evicts",
  usage: "%state QUERY [--op N] [--search TEXT] [--page N] [--page-size N] [--once]",
  help:
    "QUERY is a running (or stopped) query's name or id, or a notebook variable holding one. For each stateful\n" +
    "operator (aggregation, dropDuplicates, session windows, both sides of a stream-stream join) it shows the\n" +
    "state's rows and bytes, the watermark and how many rows the next one evicts, the open windows (marked when\n" +
    "the next watermark closes them), a page of keys and values, and the rows updated, evicted and dropped late\n" +
    "in recent batches. It updates in place as batches commit. query.state({ op, search, page, pageSize })\n" +
    "returns the same data.",
  positional: { min: 1, max: 1, names: ["QUERY"] },
  options: [
    { name: "op", type: "number", help: "only this stateful operator (its id, as in the checkpoint: 0, 1, ...)" },
    { name: "search", type: "string", help: "only keys and values containing this text (case-insensitive)" },
    { name: "page", type: "number", help: "page of keys and values", default: 1 },
    { name: "page-size", type: "number", help: "keys and values a page", default: 20 },
    { name: "windows", type: "number", help: "open windows listed per operator", default: 20 },
    { name: "once", type: "boolean", help: "show the state now, without updating" },
    { name: "max-updates", type: "number", help: "most updates per second", default: 2 },
  ],
  async run(ctx) {
    const target = ctx.args.positional[0];
    const o = ctx.args.options;
    for (const name of ["page", "page-size", "windows"]) {
      const n = o[name] as number;
      if (!Number.isInteger(n) || n < 1) throw new MagicError(`%state --${name} must be a whole number of at least 1, got ${n}`);
    }
    const op = ctx.args.number("op");
    if (op !== undefined && (!Number.isInteger(op) || op < 0)) throw new MagicError(`%state --op is an operator id (0, 1, ...), got ${op}`);
    const maxUpdates = o["max-updates"] as number;
    if (!(maxUpdates > 0)) throw new MagicError(`%state --max-updates must be above 0, got ${maxUpdates}`);
    const value = await resolve(ctx, target);
    if (!isStateInspectable(value)) {
      throw value === undefined ? notFound(ctx, target, "query") : new MagicError(`%state shows a query's state: give a query's name (.queryName(...)) or a variable holding the query that start() returned, not '${target}'`);
    }
    let inspector: LiveStateInspector;
    try {
      inspector = new LiveStateInspector(value, { op, search: ctx.args.string("search"), page: o.page as number, pageSize: o["page-size"] as number, windows: o.windows as number, maxUpdatesPerSecond: maxUpdates, bridge: ctx.display });
    } catch (err) {
      throw new MagicError(`%state: ${(err as Error).message.replace(/^streamlab: /, "").split("\n")[0]}`);
    }
    inspector.show();
    if (ctx.args.flag("once") || !value.isActive) await inspector.finish();
    return undefined;
  },
};

let registered = false;

/** Register %display, %chart, %streams, %stop and %state with lib/core's registry (once; later calls do nothing). */
export function registerRenderMagics(): void {
  if (registered) return;
  registered = true;
  for (const spec of [displayMagic, chartMagic, streamsMagic, stopMagic, stateMagic]) registerMagic(spec);
}
