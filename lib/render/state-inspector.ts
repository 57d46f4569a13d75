/**
 * `%state QUERY`: a live view of a running query's state, updated in place as its batches commit. For each
 * stateful operator (aggregation, deduplication, session windows, each side of a stream-stream join): its
 * size (rows, bytes), the watermark and what the next one evicts, the open event-time windows (those the next
 * watermark closes marked), a page of its keys and values (searchable), and the rows updated, evicted and
 * dropped as late in recent batches. The data is `query.state(options)` (lib/stream query/state-view.ts);
 * this file only lays it out, as HTML and as text, through the live-display machinery (live.ts).
 */
import { escapeHtml, type MimeBundle } from "../core";
import type { QueryStateView, StateInspectOptions, StateOperatorView } from "../stream";
import type { StreamingQueryLike } from "./contract";
import { LiveDisplay, type LiveOptions } from "./live";
import { buildHtmlTable, buildTextTable, statusHtml, statusText, type DisplayStatus, type Row } from "./table";

/** A query that can show its state (lib/stream's StreamingQuery). */
export interface StateInspectable extends StreamingQueryLike {
  state(options?: StateInspectOptions): QueryStateView;
}

export function isStateInspectable(value: unknown): value is StateInspectable {
  return typeof value === "object" && value !== null && typeof (value as { state?: unknown }).state === "function" && typeof (value as { id?: unknown }).id === "string";
}

export interface StateInspectorOptions extends LiveOptions, StateInspectOptions {
  /** Open windows listed per operator (default 20, the newest kept). */
  windows?: number;
  /** Recent batches in the history table (default 10). */
  history?: number;
}

function bytesText(n: number, estimated: boolean): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${estimated ? "~" : ""}${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function heading(op: StateOperatorView): string {
  return `operator ${op.operatorId}: ${op.kind} (${op.operatorName}), ${op.numRowsTotal.toLocaleString("en-US")} rows, ${bytesText(op.bytes, op.bytesEstimated)}`;
}

function watermarkLine(op: StateOperatorView): string {
  if (op.watermark === null && op.nextWatermark === null) return "no watermark yet: nothing is evicted";
  return `watermark ${op.watermark ?? "none"}; next ${op.nextWatermark ?? "none"} evicts ${op.evictsNext.toLocaleString("en-US")} row${op.evictsNext === 1 ? "" : "s"}`;
}

/** Key and value fields side by side (a value field named like a key field is shown as value.NAME). */
function entryRows(op: StateOperatorView): Row[] {
  const join = op.stores.length > 1;
  return op.entries.map((e) => {
    const row: Row = {};
    if (join) row.store = e.store;
    for (const [k, v] of Object.entries(e.key)) row[k] = v;
    for (const [k, v] of Object.entries(e.value)) row[k in row ? `value.${k}` : k] = v;
    row["evicts next"] = e.evictsNext;
    return row;
  });
}

function windowRows(op: StateOperatorView): Row[] {
  return (op.windows ?? []).map((w) => ({ start: w.start, end: w.end, rows: w.rows, "closes next": w.closesNext }));
}

function historyRows(op: StateOperatorView): Row[] {
  return op.history.map((h) => ({ batch: h.batchId, watermark: h.watermark, rows: h.numRowsTotal, updated: h.numRowsUpdated, evicted: h.numRowsRemoved, "dropped late": h.numRowsDroppedByWatermark }));
}

function pageNote(op: StateOperatorView): string {
  const rows = `${op.matching.toLocaleString("en-US")} row${op.matching === 1 ? "" : "s"}`;
  const what = op.search ? `${rows} matching '${op.search}'` : rows;
  return `keys and values: page ${op.page} of ${op.pageCount} (${what}; ${op.pageSize} a page)`;
}

function windowNote(op: StateOperatorView): string {
  const ws = op.windows ?? [];
  const closing = ws.filter((w) => w.closesNext).length;
  return `${ws.length} open window${ws.length === 1 ? "" : "s"}; ${closing} close${closing === 1 ? "s" : ""} at the next watermark`;
}

/** The inspector's bundle for one state view (pure; tests call it on query.state() results). */
export function stateBundle(view: QueryStateView, status: DisplayStatus, options: { windows?: number; history?: number } = {}): MimeBundle {
  const maxWindows = options.windows ?? 20;
  const maxHistory = options.history ?? 10;
  const html: string[] = [`<div class="streamlab-live streamlab-state-view">`, statusHtml(status)];
  const text: string[] = [statusText(status)];
  if (view.operators.length === 0) {
    html.push(`<div style="font-family:monospace;font-size:12px;color:#57606a">this query keeps no state (no aggregation, dropDuplicates or stream-stream join)</div>`);
    text.push("this query keeps no state (no aggregation, dropDuplicates or stream-stream join)");
  }
  for (const op of view.operators) {
    html.push(
      `<div class="streamlab-state-operator" data-operator="${op.operatorId}" style="margin-top:6px">`,
      `<div style="font-weight:600">${escapeHtml(heading(op))}</div>`,
      `<div style="font-family:monospace;font-size:11px;color:#57606a">${escapeHtml(watermarkLine(op))}</div>`,
      `<div style="font-family:monospace;font-size:11px;color:#57606a">${op.stores.map((s) => escapeHtml(`${s.storeName}: key ${s.keySchema}, value ${s.valueSchema}, version ${s.version}`)).join("<br>")}</div>`,
    );
    text.push("", heading(op), watermarkLine(op), ...op.stores.map((s) => `${s.storeName}: key ${s.keySchema}, value ${s.valueSchema}, version ${s.version}`));
    if (op.windows) {
      const t = { rows: windowRows(op), limit: maxWindows, tail: true, note: windowNote(op) };
      html.push(buildHtmlTable(t));
      text.push(buildTextTable(t));
    }
    const entries = { rows: entryRows(op), limit: op.pageSize, note: pageNote(op) };
    html.push(buildHtmlTable(entries));
    text.push(buildTextTable(entries));
    const history = { rows: historyRows(op), limit: maxHistory, tail: true, note: "recent batches: state rows, rows updated, evicted by the watermark, dropped as late" };
    html.push(buildHtmlTable(history), `</div>`);
    text.push(buildTextTable(history));
  }
  html.push(`</div>`);
  return { "text/html": html.join(""), "text/plain": text.join("\n") };
}

/** The live inspector: re-reads query.state() at each progress report (throttled), final state when the query stops. */
export class LiveStateInspector extends LiveDisplay {
  private readonly inspect: StateInspectOptions;
  private readonly layout: { windows?: number; history?: number };

  constructor(query: StateInspectable, options: StateInspectorOptions = {}) {
    super({ maxUpdatesPerSecond: options.maxUpdatesPerSecond ?? 2, ...options });
    this.inspect = { op: options.op, search: options.search, page: options.page, pageSize: options.pageSize };
    this.layout = { windows: options.windows, history: options.history };
    // A bad --op or --page fails now, in the cell, not in a later update.
    query.state(this.inspect);
    this.attach(query);
  }

  protected initialBundle(): MimeBundle {
    return this.render();
  }

  protected render(): MimeBundle {
    const status = this.status();
    const query = this.query as StateInspectable;
    let view: QueryStateView;
    try {
      view = query.state(this.inspect);
    } catch (err) {
      const message = (err as Error).message.split("\n")[0];
      return { "text/html": `<div class="streamlab-live streamlab-state-view">${statusHtml(status)}<div style="color:#cf222e">${escapeHtml(message)}</div></div>`, "text/plain": `${statusText(status)}\n${message}` };
    }
    // The state's own size, which the progress reports do not carry in bytes.
    status.stateRows = view.operators.reduce((n, o) => n + o.numRowsTotal, 0);
    status.stateBytes = view.operators.reduce((n, o) => n + o.bytes, 0);
    return stateBundle(view, status, this.layout);
  }
}
