/**
 * Pure builders for live tables: the status line, the HTML table and the text table. No I/O, no state.
 */
import type { SchemaField } from "./contract";
import { escapeHtml, htmlTable, sparkTextTable } from "../core";
import { compareValues, flattenSchema, formatNumber, formatTimestamp, formatValue, getPath, inferColumns, toEpochMs, type FlatColumn } from "./values";

export type Row = Record<string, unknown>;

/** What the line above a live display says about its query. */
export interface DisplayStatus {
  queryName?: string | null;
  /** waiting: started, no batch yet. */
  state?: "waiting" | "active" | "stopped" | "failed";
  batchId?: number;
  inputRowsPerSecond?: number;
  processedRowsPerSecond?: number;
  /** Event-time watermark: ISO text or epoch milliseconds. */
  watermark?: string | number | null;
  /** Rows dropped as late (behind the watermark), summed over stateful operators. */
  droppedLate?: number;
  /** Messages between the query's position and the end of its Kafka partitions. */
  lag?: number;
  stateRows?: number;
  stateBytes?: number;
  error?: string | null;
}

export interface SortSpec {
  column: string;
  descending: boolean;
}

/** `revenue`, `revenue desc`, `revenue:desc`, `-revenue` -> a SortSpec. */
export function parseSort(text: string | undefined | null): SortSpec | undefined {
  if (text === undefined || text === null) return undefined;
  const t = String(text).trim();
  if (!t) return undefined;
  if (t.startsWith("-")) return { column: t.slice(1).trim(), descending: true };
  const m = /^(.*?)(?:\s+|:)(asc|desc|ascending|descending)$/i.exec(t);
  if (m) return { column: m[1].trim(), descending: m[2].toLowerCase().startsWith("desc") };
  return { column: t, descending: false };
}

export interface TableOptions {
  /** Schema of the rows; when absent, columns are inferred from the rows. */
  schema?: SchemaField[];
  rows: Row[];
  /** Most rows shown. */
  limit: number;
  sort?: SortSpec;
  /** Without a sort: show the last `limit` rows (newest, for append mode) rather than the first. */
  tail?: boolean;
  /**
   * Without a sort: order rows by these key (grouping) columns ascending, window-like struct keys first, rather
   * than as they arrived. For update and complete mode, whose rows are one per key.
   */
  keyOrder?: string[];
  status?: DisplayStatus;
  /** Rows the result holds in all (when larger than rows.length, e.g. after the display's bound). */
  totalRows?: number;
  /** A note under the table (e.g. "upsert by window, region"). */
  note?: string;
}

/** The table's leaf columns (struct fields flattened), from the schema or the rows. */
export function tableColumns(schema: SchemaField[] | undefined, rows: Row[]): FlatColumn[] {
  return schema && schema.length ? flattenSchema(schema) : inferColumns(rows);
}

/** Choose and order the rows a table shows. An unknown sort column throws a one-line error. */
export function selectRows(rows: Row[], columns: FlatColumn[], limit: number, sort?: SortSpec, tail = false, keyOrder?: string[]): Row[] {
  const n = Math.max(0, Math.floor(limit));
  if (!sort) {
    const ordered = keyOrder?.length ? sortByKeys(rows, columns, keyOrder) : rows;
    return tail ? ordered.slice(Math.max(0, ordered.length - n)) : ordered.slice(0, n);
  }
  const col = columns.find((c) => c.name === sort.column) ?? columns.find((c) => c.name.toLowerCase() === sort.column.toLowerCase());
  if (!col) throw new Error(`cannot sort by '${sort.column}': the result has columns ${columns.map((c) => c.name).join(", ")}`);
  const keyed = rows.map((row, index) => ({ row, index, value: getPath(row, col.path) }));
  keyed.sort((a, b) => {
    const c = compareValues(a.value, b.value);
    if (c !== 0) {
      // Nulls stay last in both directions.
      const aNull = a.value === null || a.value === undefined;
      const bNull = b.value === null || b.value === undefined;
      return sort.descending && !aNull && !bNull ? -c : c;
    }
    return a.index - b.index;
  });
  return keyed.slice(0, n).map((k) => k.row);
}

/** Rows ordered by their key columns ascending (nulls last), struct keys such as `window` first (by start, end). */
export function sortByKeys(rows: Row[], columns: FlatColumn[], keys: string[]): Row[] {
  const leavesOf = (key: string) => columns.filter((c) => c.path[0] === key || (c.path.length === 1 && c.name === key));
  const known = keys.filter((k) => leavesOf(k).length > 0);
  const isStruct = (key: string) => leavesOf(key).some((c) => c.path.length > 1);
  const ordered = [...known.filter(isStruct), ...known.filter((k) => !isStruct(k))];
  const leaves = ordered.flatMap(leavesOf);
  if (!leaves.length) return rows;
  const keyed = rows.map((row, index) => ({ row, index, values: leaves.map((c) => getPath(row, c.path)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < leaves.length; i++) {
      const c = compareValues(a.values[i], b.values[i]);
      if (c !== 0) return c;
    }
    return a.index - b.index;
  });
  return keyed.map((k) => k.row);
}

function rate(n: number | undefined): string | undefined {
  return n === undefined || !Number.isFinite(n) ? undefined : n >= 100 ? Math.round(n).toLocaleString("en-US") : formatNumber(Math.round(n * 10) / 10);
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** The status line's parts as [label, value] pairs, in a fixed order; absent facts are left out. */
export function statusParts(status: DisplayStatus): [string, string][] {
  const parts: [string, string][] = [];
  if (status.queryName) parts.push(["query", String(status.queryName)]);
  if (status.state) parts.push(["state", status.state]);
  if (status.batchId !== undefined && status.batchId >= 0) parts.push(["batch", String(status.batchId)]);
  const input = rate(status.inputRowsPerSecond);
  if (input !== undefined) parts.push(["input", `${input} rows/s`]);
  const processed = rate(status.processedRowsPerSecond);
  if (processed !== undefined) parts.push(["processed", `${processed} rows/s`]);
  if (status.watermark !== undefined && status.watermark !== null && status.watermark !== "") {
    const ms = toEpochMs(status.watermark);
    parts.push(["watermark", ms === null ? String(status.watermark) : ms === 0 ? "none yet" : formatTimestamp(ms)]);
  }
  if (status.droppedLate !== undefined) parts.push(["late rows dropped", status.droppedLate.toLocaleString("en-US")]);
  if (status.lag !== undefined) parts.push(["lag", `${status.lag.toLocaleString("en-US")} msgs`]);
  if (status.stateRows !== undefined || status.stateBytes !== undefined) {
    const rows = status.stateRows !== undefined ? `${status.stateRows.toLocaleString("en-US")} rows` : "";
    const mem = status.stateBytes !== undefined ? bytes(status.stateBytes) : "";
    parts.push(["state store", [rows, mem].filter(Boolean).join(", ")]);
  }
  if (status.error) parts.push(["error", status.error.split("\n")[0]]);
  return parts;
}

export function statusText(status: DisplayStatus): string {
  return statusParts(status).map(([k, v]) => `${k}: ${v}`).join(" | ");
}

const STATE_COLORS: Record<string, string> = { waiting: "#8a6d00", active: "#1a7f37", stopped: "#57606a", failed: "#cf222e" };

export function statusHtml(status: DisplayStatus): string {
  const parts = statusParts(status).map(([k, v]) => {
    const color = k === "error" ? "#cf222e" : k === "state" && STATE_COLORS[v] ? STATE_COLORS[v] : undefined;
    return `<span class="streamlab-status-${escapeHtml(k.replace(/\s+/g, "-"))}"${color ? ` style="color:${color}"` : ""}><b>${escapeHtml(k)}</b> ${escapeHtml(v)}</span>`;
  });
  return `<div class="streamlab-status" style="font-family:monospace;font-size:12px;margin:2px 0 6px 0;display:flex;flex-wrap:wrap;gap:4px 14px">${parts.join("")}</div>`;
}

function footerText(options: TableOptions, shown: number, total: number): string {
  const bits = [`${shown} of ${total} row${total === 1 ? "" : "s"}`];
  if (options.sort) bits.push(`sorted by ${options.sort.column}${options.sort.descending ? " desc" : ""}`);
  else if (options.keyOrder?.length) bits.push(`by ${options.keyOrder.join(", ")}${options.tail && shown < total ? ", last rows" : ""}`);
  else if (options.tail && shown < total) bits.push("newest");
  if (options.note) bits.push(options.note);
  return bits.join(" · ");
}

/**
 * The columns and the rows a table shows. A bad `sort` must not blank a live table: the rows are shown unsorted
 * and the sort's error is returned for the builder to print above them.
 */
function visibleRows(options: TableOptions): { columns: ReturnType<typeof tableColumns>; shown: Row[]; sortError?: string; total: number } {
  const columns = tableColumns(options.schema, options.rows);
  let shown: Row[];
  let sortError: string | undefined;
  try {
    shown = selectRows(options.rows, columns, options.limit, options.sort, options.tail, options.keyOrder);
  } catch (err) {
    sortError = (err as Error).message;
    shown = selectRows(options.rows, columns, options.limit, undefined, options.tail);
  }
  const total = Math.max(options.totalRows ?? options.rows.length, options.rows.length);
  return { columns, shown, sortError, total };
}

/** An HTML table (pandas-like markup, inline styles only, every value escaped) with the status line above. */
export function buildHtmlTable(options: TableOptions): string {
  const { columns, shown, sortError, total } = visibleRows(options);
  const status = options.status ? statusHtml(options.status) : "";
  const table = htmlTable(
    columns.map((c) => c.name),
    shown.map((row) => columns.map((c) => formatValue(getPath(row, c.path), c.kind))),
    { attributes: `class="dataframe streamlab-table" border="1"`, headRowAttributes: `style="text-align:right"`, empty: { text: "no rows yet", attributes: `style="text-align:center;color:#57606a"` } },
  );
  const error = sortError ? `<div style="color:#cf222e;font-family:monospace;font-size:12px">${escapeHtml(sortError)}</div>` : "";
  return (
    `<div class="streamlab-live streamlab-table-view">${status}${error}` +
    table +
    `<div class="streamlab-footer" style="font-family:monospace;font-size:11px;color:#57606a;margin-top:2px">${escapeHtml(footerText(options, shown.length, total))}</div></div>`
  );
}

/** A text table in the style of Spark's show(): right-aligned cells between +---+ rules. */
export function buildTextTable(options: TableOptions): string {
  const { columns, shown, sortError, total } = visibleRows(options);
  const cells = shown.map((row) => columns.map((c) => formatValue(getPath(row, c.path), c.kind, 40).replace(/\s+/g, " ")));
  const lines: string[] = [];
  if (options.status) {
    const s = statusText(options.status);
    if (s) lines.push(s);
  }
  if (sortError) lines.push(sortError);
  if (columns.length) lines.push(sparkTextTable(columns.map((c) => c.name), cells));
  if (shown.length === 0) lines.push("(no rows yet)");
  lines.push(footerText(options, shown.length, total));
  return lines.join("\n");
}
