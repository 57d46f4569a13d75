/**
 * Live displays: a table or a chart bound to a streaming query, updated in place by display_id.
 *
 * Each display holds a bounded ResultState, renders a full mime bundle from it through a ThrottledUpdater,
 * and keeps its final state when the query stops (the last update carries the final status).
 */
import { consoleBridge, DisplayHandle, escapeHtml, getDisplayBridge, onShutdown, toText, type DisplayBridge, type Displayable, type MimeBundle } from "../core";
import type { OutputBatch, StreamingQueryLike } from "./contract";
import { rateSparkline } from "./sparkline";
import { buildChartSpec, describeChart, isFullVegaLiteSpec, VEGA_LITE_MIME, type ChartSpecInput, type VegaLiteSpec } from "./spec";
import { ResultState } from "./state";
import { errorMessage, statusFromQuery } from "./status";
import { renderSvgOffThread } from "./svg-pool";
import { buildHtmlTable, buildTextTable, parseSort, statusHtml, statusText, type DisplayStatus, type SortSpec } from "./table";
import { realClock, ThrottledUpdater, type Clock, type RenderRequest } from "./throttle";
import { formatNumber, formatTimestamp, toEpochMs } from "./values";

export interface LiveOptions {
  /** Most display updates per second (default 4). */
  maxUpdatesPerSecond?: number;
  /** Where the display goes; the current bridge (the running cell) by default. */
  bridge?: DisplayBridge;
  clock?: Clock;
  /** Shown in the status line when the query has no name. */
  name?: string;
}

export const DEFAULT_ROWS = 20;
export const DEFAULT_TABLE_CAPACITY = 10_000;
export const DEFAULT_MAX_POINTS = 1_000;

/** The shared machinery: a display handle, a throttled updater, query subscriptions, the final state. */
export abstract class LiveDisplay implements Displayable {
  protected handle: DisplayHandle | undefined;
  protected readonly updater: ThrottledUpdater;
  protected readonly clock: Clock;
  protected query: StreamingQueryLike | undefined;
  protected readonly name: string | undefined;
  private readonly bridge: DisplayBridge | undefined;
  private unsubscribers: (() => void)[] = [];
  private lastBundle: MimeBundle | undefined;
  /** The bridge the display was shown on. */
  private target: DisplayBridge | undefined;
  /** Set once the source stopped: the status says stopped (or failed) even if the query object lags. */
  protected stoppedState: "stopped" | "failed" | undefined;
  private finalError: string | undefined;
  /** Kernel restart or shutdown sends the final state too, as %stop does. */
  private unregisterFinalOnShutdown: (() => void) | undefined;

  constructor(options: LiveOptions) {
    this.clock = options.clock ?? realClock;
    this.name = options.name;
    this.bridge = options.bridge;
    this.updater = new ThrottledUpdater(
      (req) => this.render(req),
      (bundle) => {
        this.lastBundle = bundle;
        this.handle?.update(bundle);
      },
      { maxPerSecond: options.maxUpdatesPerSecond, clock: this.clock },
    );
  }

  get displayId(): string | undefined {
    return this.handle?.displayId;
  }

  /** Show the display now (in the running cell); later changes update it in place. */
  show(): this {
    if (!this.handle) {
      const first = this.initialBundle();
      this.lastBundle = first;
      this.target = this.bridge ?? getDisplayBridge();
      this.handle = new DisplayHandle(first, undefined, this.target, this.displayMetadata());
      this.unregisterFinalOnShutdown = onShutdown(() => this.finish(), `live view ${this.name ?? ""}`.trim());
    }
    return this;
  }

  /** Follow a query's progress and termination (status line, final state). */
  attach(query: StreamingQueryLike): this {
    this.query = query;
    const progress = query.onProgress?.(() => this.refresh());
    if (typeof progress === "function") this.unsubscribers.push(progress);
    // The termination listener stays after finish(): a sink is stopped before its query records why it
    // failed, and the error must still reach the display.
    query.onTerminated?.(() => void this.finish());
    return this;
  }

  /** The state changed: update soon (throttled, coalesced). */
  refresh(): void {
    this.updater.request();
  }

  get isFinished(): boolean {
    return this.updater.isFinished;
  }

  /** Stop updating after sending the final state; idempotent. A query error that shows up later is still shown. */
  async finish(error?: unknown): Promise<void> {
    const message = errorMessage(error) ?? errorMessage(safeCall(() => this.query?.exception()));
    if (this.updater.isFinished) {
      if (message && message !== this.finalError) {
        this.finalError = message;
        this.stoppedState = "failed";
        const bundle = await this.render({ final: true });
        this.lastBundle = bundle;
        this.handle?.update(bundle);
      }
      return;
    }
    this.unregisterFinalOnShutdown?.();
    this.unregisterFinalOnShutdown = undefined;
    this.finalError = message;
    this.stoppedState = message ? "failed" : "stopped";
    for (const u of this.unsubscribers.splice(0)) safeCall(u);
    await this.updater.finish();
    // A terminal cannot update an earlier output: outside a notebook, print the final state once.
    if (this.target === consoleBridge && this.lastBundle?.["text/plain"] !== undefined) consoleBridge.print(toText(this.lastBundle["text/plain"]));
  }

  /** The status line: the query's, with the display's own knowledge (batches seen, stopped) on top. */
  protected status(lastBatchId?: number): DisplayStatus {
    const status = statusFromQuery(this.query, this.name);
    if (lastBatchId !== undefined && lastBatchId >= 0 && (status.batchId === undefined || status.batchId < lastBatchId)) status.batchId = lastBatchId;
    if (status.state === "waiting" && lastBatchId !== undefined && lastBatchId >= 0) status.state = "active";
    if (this.stoppedState) status.state = this.finalError ? "failed" : status.state === "failed" ? "failed" : "stopped";
    if (this.finalError) status.error = this.finalError;
    return status;
  }

  /** Output metadata sent with the display and its updates (per mime type); none by default. */
  protected displayMetadata(): Record<string, unknown> | undefined {
    return undefined;
  }

  /** The bundle shown first, before any batch (synchronous). */
  protected abstract initialBundle(): MimeBundle;
  protected abstract render(req: RenderRequest): MimeBundle | Promise<MimeBundle>;

  toMimeBundle(): MimeBundle {
    return this.lastBundle ?? this.initialBundle();
  }

  /**
   * A one-line bundle pointing at the live output: what a query's own rich result shows when its sink is this
   * display, so a cell ending in `...format("display").start()` does not show the table twice.
   */
  summaryBundle(kind: string): MimeBundle {
    const status = this.status();
    const where = this.handle ? `live ${kind} above` : `live ${kind}`;
    return {
      "text/html": `<div class="streamlab-query-summary">${statusHtml(status)}<div style="font-family:monospace;font-size:11px;color:#57606a">${escapeHtml(where)}</div></div>`,
      "text/plain": `${statusText(status)}\n(${where})`,
    };
  }
}

function safeCall<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export interface TableDisplayOptions extends LiveOptions {
  /** Rows shown (default 20): the newest in append mode, the top ones by `sort` otherwise. */
  rows?: number;
  /** `revenue`, `revenue desc` or `-revenue`. */
  sort?: string;
  /** Upsert key of update mode (default: the engine's grouping columns, else the non-numeric columns). */
  keys?: string[];
  /** Most result rows kept in update/complete mode (default 10,000); append mode keeps `rows`. */
  capacity?: number;
}

/** A live table of a query's result. */
export class LiveTable extends LiveDisplay {
  readonly state: ResultState;
  readonly rows: number;
  readonly sort: SortSpec | undefined;

  constructor(options: TableDisplayOptions = {}) {
    super(options);
    this.rows = positiveInt(options.rows ?? DEFAULT_ROWS, "rows");
    this.sort = parseSort(options.sort);
    const tableCapacity = Math.max(this.rows, positiveInt(options.capacity ?? DEFAULT_TABLE_CAPACITY, "capacity"));
    this.state = new ResultState({ appendCapacity: this.rows, tableCapacity, keyColumns: options.keys });
  }

  addBatch(batch: OutputBatch): void {
    this.state.apply(batch);
    this.refresh();
  }

  private tableOptions() {
    const mode = this.state.mode;
    const keys = this.state.keys;
    return {
      schema: this.state.schema,
      rows: this.state.rows(),
      limit: this.rows,
      sort: this.sort,
      tail: mode !== "complete",
      // Update and complete mode: one row per key, listed by key (windows first) unless `sort` says otherwise.
      keyOrder: mode === "update" || mode === "complete" ? keys : undefined,
      totalRows: this.state.size,
      status: this.status(this.state.lastBatchId),
      note: mode === "update" ? `update mode${keys && keys.length ? `, keyed by ${keys.join(", ")}` : ""}` : mode ? `${mode} mode` : undefined,
    };
  }

  protected initialBundle(): MimeBundle {
    return this.render();
  }

  protected render(): MimeBundle {
    const options = this.tableOptions();
    return { "text/html": buildHtmlTable(options), "text/plain": buildTextTable(options) };
  }
}

export type SvgPolicy = "auto" | "always" | "final" | "never";

export interface ChartDisplayOptions extends LiveOptions {
  /** Most data points kept (default 1,000): the newest in append mode, the newest keys in update mode. */
  maxPoints?: number;
  keys?: string[];
  /**
   * When to render the SVG image (image/svg+xml and the HTML): "auto" (default) renders it with every update
   * while it is cheap and less often when it is slow (at most SVG_BUDGET of wall time), always on stop;
   * "always" with every update; "final" only on stop; "never" not at all.
   */
  svg?: SvgPolicy;
}

/**
 * Share of wall time the SVG rendering of one chart may take in "auto" mode. The drawing runs in the SVG worker
 * thread, off the kernel's event loop, so half the wall time keeps the image within a batch or two of its table
 * (at 10% a 90 ms drawing was redone only every 0.9 s: "image as of batch 9" beside a table at batch 20).
 */
export const SVG_BUDGET = 0.5;

/** A live vega-lite chart of a query's result. */
export class LiveChart extends LiveDisplay {
  readonly state: ResultState;
  readonly spec: ChartSpecInput;
  readonly svgPolicy: SvgPolicy;
  private svg: string | undefined;
  private svgBatchId = -1;
  private lastSvgCost = 0;
  private lastSvgEnd = -Infinity;
  /** Renders of the SVG, for tests and benchmarks. */
  svgRenders = 0;

  constructor(spec: ChartSpecInput, options: ChartDisplayOptions = {}) {
    super(options);
    this.spec = spec;
    const maxPoints = positiveInt(options.maxPoints ?? DEFAULT_MAX_POINTS, "maxPoints");
    this.state = new ResultState({ appendCapacity: maxPoints, tableCapacity: maxPoints, keyColumns: options.keys });
    this.svgPolicy = options.svg ?? "auto";
    if (!["auto", "always", "final", "never"].includes(this.svgPolicy)) throw new Error(`svg must be auto, always, final or never, got '${this.svgPolicy}'`);
  }

  /**
   * JupyterLab's and VS Code's vega-lite renderers draw on a canvas unless told otherwise: as SVG the chart is
   * crisp when zoomed, its marks and title are in the page (for screen readers and for tests), and it matches
   * the SVG the kernel draws for other viewers.
   */
  protected displayMetadata(): Record<string, unknown> {
    return { [VEGA_LITE_MIME]: { embed_options: { renderer: "svg" } } };
  }

  addBatch(batch: OutputBatch): void {
    this.state.apply(batch);
    this.refresh();
  }

  private svgDue(final: boolean): boolean {
    if (this.svgPolicy === "never") return false;
    if (final || this.svgPolicy === "always" || this.svg === undefined) return this.svgPolicy !== "final" || final;
    if (this.svgPolicy === "final") return false;
    // Render again once the time since the last render is large next to what that render cost.
    return this.clock.now() - this.lastSvgEnd >= (this.lastSvgCost * (1 - SVG_BUDGET)) / SVG_BUDGET;
  }

  /** The vega-lite spec for the current state, with the status as subtitle (JupyterLab shows only this). */
  buildSpec(status: DisplayStatus): { spec: VegaLiteSpec; points: number; plain: VegaLiteSpec } {
    const built = buildChartSpec(this.spec, this.state.rows(), this.state.schema);
    const text = statusText(status);
    const withStatus: VegaLiteSpec = { ...built.spec };
    if (!isFullVegaLiteSpec(this.spec) && text) {
      // vega-lite drops a title whose text is empty (and its subtitle with it): without a title of the user's,
      // the status itself is the title, in the status line's small grey type.
      const title = (this.spec).title;
      withStatus.title = title
        ? { text: title, subtitle: text, anchor: "start", subtitleFontSize: 10, subtitleColor: "#57606a" }
        : { text, anchor: "start", fontSize: 10, fontWeight: "normal", color: "#57606a" };
    }
    return { spec: withStatus, points: built.points, plain: built.spec };
  }

  protected initialBundle(): MimeBundle {
    const status = this.status(this.state.lastBatchId);
    // The vega-lite part is there from the start (an empty chart in JupyterLab), so the output keeps its kind.
    let spec: VegaLiteSpec | undefined;
    try {
      spec = this.buildSpec(status).spec;
    } catch {
      spec = undefined;
    }
    return this.bundle(status, spec, undefined, 0);
  }

  /**
   * The chart's bundle. With a vega-lite spec it carries no text/html: JupyterLab, Notebook 7 and VS Code rank
   * HTML above vega-lite, so an HTML part would hide their own renderer, and an untrusted notebook's sanitizer
   * strips the SVG out of HTML (leaving axis labels). The SVG drawn here (image/svg+xml, with the status as its
   * title) is what classic Notebook, nbconvert's HTML and GitHub show. Only an error, which has no spec, is HTML.
   */
  private bundle(status: DisplayStatus, spec: VegaLiteSpec | undefined, svg: string | undefined, points: number, error?: string): MimeBundle {
    const stale = svg !== undefined && this.svgBatchId >= 0 && this.svgBatchId < this.state.lastBatchId;
    const note = error ? `error: ${error}` : svg === undefined ? (points ? `${points} points; the chart image is drawn when the query stops` : "no data yet") : stale ? `image as of batch ${this.svgBatchId}` : "";
    const plain = [statusText(status), error ? "" : describeChart(this.spec, points), note].filter(Boolean).join("\n");
    const bundle: MimeBundle = {};
    if (spec) bundle[VEGA_LITE_MIME] = spec;
    else bundle["text/html"] = `<div class="streamlab-live streamlab-chart-view">${statusHtml(status)}<div style="color:#cf222e;font-family:monospace;font-size:12px">${escapeHtml(note)}</div></div>`;
    if (svg) bundle["image/svg+xml"] = svg;
    bundle["text/plain"] = plain;
    return bundle;
  }

  protected async render(req: RenderRequest): Promise<MimeBundle> {
    const status = this.status(this.state.lastBatchId);
    let built: ReturnType<LiveChart["buildSpec"]>;
    try {
      built = this.buildSpec(status);
    } catch (err) {
      return this.bundle({ ...status, error: status.error ?? (err as Error).message }, undefined, undefined, 0, (err as Error).message);
    }
    if (this.svgDue(req.final)) {
      const start = this.clock.now();
      try {
        // The image carries the status line as its title: viewers of the SVG alone (classic Notebook, nbconvert) see it.
        this.svg = await renderSvgOffThread(built.spec);
        this.svgBatchId = this.state.lastBatchId;
        this.svgRenders++;
      } catch (err) {
        return this.bundle(status, built.spec, undefined, built.points, `chart could not be drawn: ${(err as Error).message}`);
      }
      this.lastSvgEnd = this.clock.now();
      this.lastSvgCost = this.lastSvgEnd - start;
    }
    return this.bundle(status, built.spec, this.svg, built.points);
  }
}

/** display(query): a running query's live status, recent batches and its input vs processing rate. */
export class LiveQueryStatus extends LiveDisplay {
  private poll: unknown = null;

  constructor(query: StreamingQueryLike, options: LiveOptions = {}) {
    super(options);
    this.attach(query);
    // Queries without progress events are polled once a second while they run.
    if (typeof query.onProgress !== "function") this.schedulePoll();
  }

  private schedulePoll(): void {
    this.poll = this.clock.setTimeout(() => {
      this.poll = null;
      if (this.isFinished) return;
      const active = safeCall(() => this.query?.isActive);
      if (active === false) void this.finish();
      else {
        this.refresh();
        this.schedulePoll();
      }
    }, 1000);
  }

  override async finish(error?: unknown): Promise<void> {
    if (this.poll !== null) {
      this.clock.clearTimeout(this.poll);
      this.poll = null;
    }
    return super.finish(error);
  }

  protected initialBundle(): MimeBundle {
    return this.render();
  }

  protected render(): MimeBundle {
    const status = this.status();
    const recent = (safeCall(() => this.query?.recentProgress) ?? []).slice(-10);
    const rows = recent.map((p) => ({
      batch: p.batchId,
      "input rows": p.numInputRows,
      "input rows/s": p.inputRowsPerSecond === undefined ? null : formatNumber(Math.round(p.inputRowsPerSecond * 10) / 10),
      "processed rows/s": p.processedRowsPerSecond === undefined ? null : formatNumber(Math.round(p.processedRowsPerSecond * 10) / 10),
      "duration ms": p.durationMs?.triggerExecution ?? null,
      watermark: (() => {
        const ms = toEpochMs(p.eventTime?.watermark);
        return ms ? formatTimestamp(ms) : null;
      })(),
    }));
    const table = { rows, limit: 10, tail: true, note: "recent batches" };
    const all = safeCall(() => this.query?.recentProgress) ?? [];
    const html = `<div class="streamlab-live streamlab-query-view">${statusHtml(status)}${rateSparkline(all, 320, 64)}${buildHtmlTable(table)}</div>`;
    return { "text/html": html, "text/plain": `${statusText(status)}\n${buildTextTable(table)}` };
  }
}

function positiveInt(value: unknown, what: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number of at least 1, got '${String(value)}'`);
  return n;
}
