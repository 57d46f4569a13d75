/**
 * The plain table builder every room's tables stand on: cells arrive as text (each room formats its own values),
 * and come out as an HTML table (every cell escaped, inline attributes only, no scripts, no external CSS), as
 * Spark's `show()` text table (`+---+` rules, right-aligned cells) or as an aligned column listing.
 */
import { escapeHtml } from "./text";

export interface HtmlTableOptions {
  /** Attributes of `<table>`, written as given (e.g. `class="dataframe" border="1"`); escape values yourself. */
  attributes?: string;
  /** Attributes of the header row's `<tr>`. */
  headRowAttributes?: string;
  /** Attributes of header cell `column`. */
  headerAttributes?(column: number): string | undefined;
  /** Attributes of body cell (`row`, `column`). */
  cellAttributes?(column: number, row: number): string | undefined;
  /** The inside of a body cell, given its already-escaped text (e.g. wrap it in `<pre>`). */
  cellHtml?(escaped: string, column: number, row: number): string;
  /** When there are no rows: one row spanning every column with this text. */
  empty?: { text: string; attributes?: string };
}

const attr = (a: string | undefined) => (a ? ` ${a}` : "");

/** An HTML `<table>` of text cells. Header and cells are escaped here. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], options: HtmlTableOptions = {}): string {
  const head = header.map((h, c) => `<th${attr(options.headerAttributes?.(c))}>${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map(
      (row, r) =>
        `<tr>${header
          .map((_, c) => {
            const text = escapeHtml(row[c] ?? "");
            return `<td${attr(options.cellAttributes?.(c, r))}>${options.cellHtml ? options.cellHtml(text, c, r) : text}</td>`;
          })
          .join("")}</tr>`,
    )
    .join("");
  const empty =
    rows.length === 0 && options.empty
      ? `<tr><td colspan="${Math.max(1, header.length)}"${attr(options.empty.attributes)}>${escapeHtml(options.empty.text)}</td></tr>`
      : "";
  return `<table${attr(options.attributes)}><thead><tr${attr(options.headRowAttributes)}>${head}</tr></thead><tbody>${body}${empty}</tbody></table>`;
}

/**
 * Spark's `show()` layout: a `+---+` rule, the right-aligned header, a rule, the right-aligned rows, a rule.
 * Lines joined by "\n", no trailing newline. `minWidth` is the narrowest column (Spark uses 3).
 */
export function sparkTextTable(header: readonly string[], rows: readonly (readonly string[])[], options: { minWidth?: number } = {}): string {
  const minWidth = options.minWidth ?? 0;
  const widths = header.map((h, c) => Math.max(minWidth, h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const rule = "+" + widths.map((w) => "-".repeat(w)).join("+") + "+";
  const line = (values: readonly string[]) => "|" + widths.map((w, c) => (values[c] ?? "").padStart(w)).join("|") + "|";
  return [rule, line(header), rule, ...rows.map(line), rule].join("\n");
}

export interface AlignedTextOptions {
  /** Columns (by index) aligned right, e.g. numbers. */
  rightAligned?: ReadonlySet<number>;
  /** Widest column; longer cells end in `…` (default 80). */
  maxWidth?: number;
}

/**
 * A fixed-width listing: header, a dashed rule per column, one line per row; columns two spaces apart, trailing
 * spaces trimmed, multi-line cells flattened to one line.
 */
export function alignedTextTable(header: readonly string[], rows: readonly (readonly string[])[], options: AlignedTextOptions = {}): string {
  const maxWidth = options.maxWidth ?? 80;
  const right = options.rightAligned ?? new Set<number>();
  const cells = rows.map((r) => header.map((_, c) => (r[c] ?? "").replace(/\s*\n\s*/g, " ")));
  const widths = header.map((h, c) => Math.min(maxWidth, Math.max(h.length, ...cells.map((r) => r[c].length))));
  const fmt = (v: string, c: number) => {
    const s = v.length > widths[c] ? v.slice(0, widths[c] - 1) + "…" : v;
    return right.has(c) ? s.padStart(widths[c]) : s.padEnd(widths[c]);
  };
  const lines = [header.map(fmt).join("  ").trimEnd(), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of cells) lines.push(r.map(fmt).join("  ").trimEnd());
  return lines.join("\n");
}
