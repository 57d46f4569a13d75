/**
 * %streams: a live dashboard of every streaming query and data generator: status, rates, batch durations,
 * lag, and a small input-rate vs processing-rate chart per query.
 */
import { escapeHtml, htmlTable, onShutdown, toText, type HtmlTableOptions, type MimeBundle } from "../core";
import type { GeneratorLike, StreamingQueryLike } from "./contract";
import { LiveDisplay, type LiveOptions } from "./live";
import { activeQueries, generators } from "./peers";
import { rememberedQueries, rememberQuery } from "./sinks";
import { rateSparkline } from "./sparkline";
import { statusFromQuery } from "./status";
import { buildTextTable, type DisplayStatus } from "./table";
import { formatNumber, formatTimestamp, toEpochMs } from "./values";

export interface DashboardOptions extends LiveOptions {
  /** Refresh period in milliseconds (default 1000). */
  intervalMs?: number;
  /** Stop refreshing after this long with no active query or generator (default 10 s). */
  idleStopMs?: number;
  /** Render once and stop. */
  once?: boolean;
  /** Where queries and generators come from (tests pass their own; default lib/stream and lib/datagen). */
  sources?: { queries(): StreamingQueryLike[]; generators(): GeneratorLike[] };
}

const STOPPED_SHOWN = 20;

/** The pandas-like markup of every table in the dashboard. */
const TABLE: HtmlTableOptions = { attributes: `class="dataframe streamlab-table" border="1"`, headRowAttributes: `style="text-align:right"` };
const EMPTY = `style="color:#57606a"`;

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function fmtRate(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "" : formatNumber(Math.round(n * 10) / 10);
}

function generatorActive(g: GeneratorLike): boolean {
  return !/^(stopped|finished|done|failed|error|completed)$/i.test(String(g.status ?? "running"));
}

function elapsedText(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  const s = Math.floor(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${(ms / 1000).toFixed(1)}s`;
}

interface QueryRow {
  query: StreamingQueryLike;
  status: DisplayStatus;
  lastBatchMs?: number;
  avgBatchMs?: number;
}

let current: StreamsDashboard | undefined;

export class StreamsDashboard extends LiveDisplay {
  private readonly intervalMs: number;
  private readonly idleStopMs: number;
  private readonly once: boolean;
  private readonly sources: NonNullable<DashboardOptions["sources"]>;
  private timer: unknown = null;
  private lastActive: number;
  private unregisterShutdown: (() => void) | undefined;

  constructor(options: DashboardOptions = {}) {
    super(options);
    this.intervalMs = options.intervalMs ?? 1000;
    this.idleStopMs = options.idleStopMs ?? 10_000;
    this.once = options.once ?? false;
    this.sources = options.sources ?? { queries: allQueries, generators };
    this.lastActive = this.clock.now();
  }

  /** Show the dashboard and keep it fresh; a previous live dashboard stops (keeping its last state). */
  start(): this {
    if (current && current !== this) void current.finish();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the module keeps the one live dashboard
    current = this;
    // On kernel shutdown or restart the dashboard stops refreshing and keeps its last state.
    this.unregisterShutdown = onShutdown(() => this.finish(), "%streams dashboard");
    this.show();
    if (this.once) void this.finish();
    else this.tick();
    return this;
  }

  private tick(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.isFinished) return;
      const anyActive = safe(() => this.sources.queries().some((q) => q.isActive) || this.sources.generators().some(generatorActive), false);
      if (anyActive) this.lastActive = this.clock.now();
      if (this.clock.now() - this.lastActive >= this.idleStopMs) {
        void this.finish();
        return;
      }
      this.refresh();
      this.tick();
    }, this.intervalMs);
  }

  override async finish(error?: unknown): Promise<void> {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (current === this) current = undefined;
    this.unregisterShutdown?.();
    this.unregisterShutdown = undefined;
    return super.finish(error);
  }

  private queryRows(): QueryRow[] {
    const queries = safe(() => this.sources.queries(), []);
    const active = queries.filter((q) => safe(() => q.isActive, false));
    const stopped = queries.filter((q) => !safe(() => q.isActive, false)).slice(-STOPPED_SHOWN);
    return [...active, ...stopped].map((query) => {
      const recent = safe(() => query.recentProgress ?? [], []);
      const durations = recent.map((p) => p.durationMs?.triggerExecution).filter((d): d is number => typeof d === "number");
      return {
        query,
        status: statusFromQuery(query),
        lastBatchMs: durations.at(-1),
        avgBatchMs: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined,
      };
    });
  }

  protected initialBundle(): MimeBundle {
    return this.render();
  }

  protected render(): MimeBundle {
    const rows = this.queryRows();
    const gens = safe(() => this.sources.generators(), []);
    const live = this.isFinished ? "final state" : `refreshing every ${formatNumber(this.intervalMs / 1000)} s`;
    const str = (v: unknown) => (v === undefined || v === null ? "" : toText(v));
    const queryHead = ["query", "id", "state", "batch", "input rows/s", "processed rows/s", "last batch ms", "avg batch ms", "lag", "watermark", "input vs processed"];
    const STATE = 2;
    const SPARKLINE = 10;
    const queryCells = rows.map(({ query, status, lastBatchMs, avgBatchMs }) => {
      const wm = toEpochMs(status.watermark ?? null);
      return [
        str(status.queryName ?? ""),
        String(safe(() => query.id, "")).slice(0, 8),
        `${status.state ?? ""}${status.error ? `: ${status.error}` : ""}`,
        str(status.batchId),
        str(fmtRate(status.inputRowsPerSecond)),
        str(fmtRate(status.processedRowsPerSecond)),
        str(lastBatchMs),
        str(avgBatchMs === undefined ? "" : Math.round(avgBatchMs)),
        str(status.lag),
        wm ? formatTimestamp(wm) : "",
        "",
      ];
    });
    const queryTable = htmlTable(queryHead, queryCells, {
      ...TABLE,
      empty: { text: "no streaming queries", attributes: EMPTY },
      cellAttributes: (c, r) => {
        if (c !== STATE) return undefined;
        const status = rows[r].status;
        const color = status.state === "failed" ? "#cf222e" : status.state === "active" ? "#1a7f37" : "#57606a";
        return `style="color:${color}" title="${escapeHtml(status.error ?? "")}"`;
      },
      cellHtml: (escaped, c, r) => (c === SPARKLINE ? rateSparkline(safe(() => rows[r].query.recentProgress ?? [], []), 180, 40) : escaped),
    });
    const genHead = ["generator", "topic", "status", "sent", "rate msg/s", "errors", "elapsed"];
    const genCells = gens.map((g) => [g.name, g.topic, g.status, g.sent, fmtRate(g.rate), g.errors, elapsedText(g.elapsed)].map(str));
    const genTable = htmlTable(genHead, genCells, { ...TABLE, empty: { text: "no data generators", attributes: EMPTY } });
    const html =
      `<div class="streamlab-live streamlab-streams">` +
      `<div style="font-family:monospace;font-size:12px;color:#57606a">streams: ${rows.filter((r) => r.status.state === "active" || r.status.state === "waiting").length} active quer${rows.length === 1 ? "y" : "ies"}, ${gens.filter(generatorActive).length} running generator(s) · ${escapeHtml(live)}</div>` +
      `<h4 style="margin:6px 0 2px 0">Queries</h4>${queryTable}` +
      `<h4 style="margin:8px 0 2px 0">Generators</h4>${genTable}</div>`;
    const text = [
      `streams (${live})`,
      "Queries",
      buildTextTable({
        rows: rows.map(({ query, status, lastBatchMs, avgBatchMs }) => ({
          query: status.queryName ?? "",
          id: String(safe(() => query.id, "")).slice(0, 8),
          state: status.state ?? "",
          batch: status.batchId ?? "",
          "input rows/s": fmtRate(status.inputRowsPerSecond),
          "processed rows/s": fmtRate(status.processedRowsPerSecond),
          "last batch ms": lastBatchMs ?? "",
          "avg batch ms": avgBatchMs === undefined ? "" : Math.round(avgBatchMs),
          lag: status.lag ?? "",
          error: status.error ?? "",
        })),
        limit: 100,
      }),
      "Generators",
      buildTextTable({
        rows: gens.map((g) => ({ generator: g.name, topic: g.topic ?? "", status: g.status ?? "", sent: g.sent ?? "", "rate msg/s": fmtRate(g.rate), errors: g.errors ?? "", elapsed: elapsedText(g.elapsed) })),
        limit: 100,
      }),
    ].join("\n");
    return { "text/html": html, "text/plain": text };
  }
}

/** Active queries from lib/stream plus the ones lib/render's displays have seen (stopped ones too). */
export function allQueries(): StreamingQueryLike[] {
  // Remembering every active query seen keeps it on the dashboard (as stopped) after it leaves the active list.
  for (const q of activeQueries()) rememberQuery(q);
  return rememberedQueries();
}
