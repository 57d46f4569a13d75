/**
 * Plain tables as mime bundles (text/html + text/plain) for the magics of lib/client and lib/datagen, on
 * lib/core's table builder.
 *
 * Deliberately small: lib/render owns the live, sortable tables of streaming queries. These only need to look
 * clean in JupyterLab, Notebook 6, VS Code and nbconvert HTML, with no scripts and no external CSS.
 */
import { alignedTextTable, escapeHtml, htmlTable as htmlTableMarkup, type Displayable, type MimeBundle } from "../core";

export { escapeHtml };

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en-US") : String(Math.round(value * 100) / 100);
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint" || typeof value === "symbol") return value.toString();
  return typeof value;
}

export interface TableOptions {
  /** One line above the table (bold in HTML). */
  title?: string;
  /** One line below the table (muted in HTML). */
  note?: string;
  /** Columns whose cells are preformatted multi-line text (pretty-printed JSON). */
  preColumns?: string[];
  /** Columns aligned right (numbers). */
  numericColumns?: string[];
}

export function htmlTable(columns: string[], rows: unknown[][], options: TableOptions = {}): string {
  const pre = new Set(options.preColumns ?? []);
  const num = new Set(options.numericColumns ?? []);
  const align = (c: number) => `text-align:${num.has(columns[c]) ? "right" : "left"};padding:2px 8px`;
  const table = htmlTableMarkup(
    columns,
    rows.map((r) => columns.map((_, i) => cellText(r[i]))),
    {
      attributes: `style="border-collapse:collapse;font-family:monospace;font-size:13px"`,
      headerAttributes: (c) => `style="${align(c)}"`,
      cellAttributes: (c) => `style="${align(c)};vertical-align:top"`,
      cellHtml: (text, c) => (pre.has(columns[c]) ? `<pre style="margin:0;font-size:12px">${text}</pre>` : text),
      empty: { text: "(none)", attributes: `style="color:#666;padding:2px 8px"` },
    },
  );
  const title = options.title ? `<div style="font-weight:bold;margin:2px 0">${escapeHtml(options.title)}</div>` : "";
  const note = options.note ? `<div style="color:#666;font-size:90%;margin:2px 0">${escapeHtml(options.note)}</div>` : "";
  return `<div class="streamlab-table">${title}${table}${note}</div>`;
}

/** A fixed-width text table, for text/plain and terminals. Multi-line cells are flattened to one line. */
export function textTable(columns: string[], rows: unknown[][], options: TableOptions = {}): string {
  const num = new Set(options.numericColumns ?? []);
  const right = new Set(columns.flatMap((c, i) => (num.has(c) ? [i] : [])));
  const lines: string[] = [];
  if (options.title) lines.push(options.title);
  lines.push(alignedTextTable(columns, rows.map((r) => columns.map((_, i) => cellText(r[i]))), { rightAligned: right, maxWidth: 80 }));
  if (rows.length === 0) lines.push("(none)");
  if (options.note) lines.push(options.note);
  return lines.join("\n");
}

export function tableBundle(columns: string[], rows: unknown[][], options: TableOptions = {}): MimeBundle {
  return { "text/html": htmlTable(columns, rows, options), "text/plain": textTable(columns, rows, options) };
}

/** A table value: the cell's rich result when a magic returns it. */
export class Table implements Displayable {
  constructor(readonly columns: string[], readonly rows: unknown[][], readonly options: TableOptions = {}) {}

  toMimeBundle(): MimeBundle {
    return tableBundle(this.columns, this.rows, this.options);
  }

  /** Rows as objects, handy in tests and notebooks. */
  records(): Record<string, unknown>[] {
    return this.rows.map((r) => Object.fromEntries(this.columns.map((c, i) => [c, r[i]])));
  }
}

/** A one-line message with a text/html twin. */
export class Message implements Displayable {
  constructor(readonly text: string) {}
  toMimeBundle(): MimeBundle {
    return { "text/plain": this.text, "text/html": `<div style="font-family:monospace">${escapeHtml(this.text)}</div>` };
  }
  toString(): string {
    return this.text;
  }
}
