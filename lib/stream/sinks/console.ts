/** The console sink and Spark's show() text table. */
import type { OutputBatch } from "./registry";
import { registerSinkFormat } from "./registry";
import { valueText } from "../expr/runtime";
import { getDisplayBridge, sparkTextTable, htmlTable as coreHtmlTable, escapeHtml } from "../../core";

function cellText(v: unknown, truncate: number): string {
  let s: string;
  if (v === null || v === undefined) s = "NULL";
  else if (v instanceof Date) s = v.toISOString().replace("T", " ").replace(/\.000Z$|Z$/, "");
  else if (Buffer.isBuffer(v)) s = `[${[...v.subarray(0, 20)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}${v.length > 20 ? " ..." : ""}]`;
  else if (Array.isArray(v)) s = `[${v.map((x) => cellText(x, 0)).join(", ")}]`;
  else if (typeof v === "object") s = `{${Object.values(v).map((x) => cellText(x, 0)).join(", ")}}`;
  else s = valueText(v);
  if (truncate > 0 && s.length > truncate) s = s.slice(0, truncate - 3) + "...";
  return s;
}

/** Spark's +---+ table (lib/core's builder), with Spark's "only showing top N rows" line. */
export function formatTable(batch: OutputBatch, numRows = 20, truncate: boolean | number = true): string {
  const limit = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const n = Math.min(numRows, batch.numRows);
  const cells: string[][] = [];
  for (let r = 0; r < n; r++) cells.push(batch.columns.map((c) => cellText(c[r], limit)));
  const table = sparkTextTable(batch.schema.map((f) => f.name), cells, { minWidth: 3 });
  const more = batch.numRows > n ? `\nonly showing top ${n} row${n === 1 ? "" : "s"}` : "";
  return table + more + "\n";
}

export function htmlTable(batch: OutputBatch, numRows = 20): string {
  const n = Math.min(numRows, batch.numRows);
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) rows.push(batch.columns.map((c) => cellText(c[r], 0)));
  const more = batch.numRows > n ? `<p>only showing top ${n} of ${batch.numRows} rows</p>` : "";
  const table = coreHtmlTable(batch.schema.map((f) => f.name), rows, { attributes: 'class="streamlab-table"', headerAttributes: (c) => `title="${escapeHtml(batch.schema[c].type)}"` });
  return table + more;
}

registerSinkFormat("console", (ctx) => {
  // ctx.options is case-insensitive (numRows, numrows, NUMROWS), as Spark's options.
  const numRows = Number(ctx.options.numRows ?? 20);
  const truncate = ctx.options.truncate === undefined ? true : ctx.options.truncate === "false" ? false : ctx.options.truncate === "true" ? true : Number(ctx.options.truncate);
  return {
    addBatch(batch) {
      const rule = "-------------------------------------------";
      getDisplayBridge().print(`${rule}\nBatch: ${batch.batchId}\n${rule}\n${formatTable(batch, numRows, truncate)}`);
    },
  };
});
