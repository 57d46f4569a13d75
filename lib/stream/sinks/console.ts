/** The console sink and Spark's show() text table. */
import type { OutputBatch } from "./registry";
import { registerSinkFormat } from "./registry";
import { getDisplayBridge } from "../../core";

function cellText(v: unknown, truncate: number): string {
  let s: string;
  if (v === null || v === undefined) s = "NULL";
  else if (v instanceof Date) s = v.toISOString().replace("T", " ").replace(/\.000Z$|Z$/, "");
  else if (Buffer.isBuffer(v)) s = `[${[...v.subarray(0, 20)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}${v.length > 20 ? " ..." : ""}]`;
  else if (Array.isArray(v)) s = `[${v.map((x) => cellText(x, 0)).join(", ")}]`;
  else if (typeof v === "object") s = `{${Object.values(v as object).map((x) => cellText(x, 0)).join(", ")}}`;
  else s = String(v);
  if (truncate > 0 && s.length > truncate) s = s.slice(0, truncate - 3) + "...";
  return s;
}

/** Spark's +---+ table. */
export function formatTable(batch: OutputBatch, numRows = 20, truncate: boolean | number = true): string {
  const limit = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const names = batch.schema.map((f) => f.name);
  const n = Math.min(numRows, batch.numRows);
  const cells: string[][] = [];
  for (let r = 0; r < n; r++) cells.push(batch.columns.map((c) => cellText(c[r], limit)));
  const widths = names.map((name, c) => Math.max(3, name.length, ...cells.map((row) => row[c].length)));
  const sep = "+" + widths.map((w) => "-".repeat(w)).join("+") + "+";
  const line = (vals: string[]) => "|" + vals.map((v, c) => v.padStart(widths[c])).join("|") + "|";
  const out = [sep, line(names), sep, ...cells.map(line), sep];
  if (batch.numRows > n) out.push(`only showing top ${n} row${n === 1 ? "" : "s"}`);
  return out.join("\n") + "\n";
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

export function htmlTable(batch: OutputBatch, numRows = 20): string {
  const n = Math.min(numRows, batch.numRows);
  const head = batch.schema.map((f) => `<th title="${escapeHtml(f.type)}">${escapeHtml(f.name)}</th>`).join("");
  const rows: string[] = [];
  for (let r = 0; r < n; r++) rows.push(`<tr>${batch.columns.map((c) => `<td>${escapeHtml(cellText(c[r], 0))}</td>`).join("")}</tr>`);
  const more = batch.numRows > n ? `<p>only showing top ${n} of ${batch.numRows} rows</p>` : "";
  return `<table class="streamlab-table"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>${more}`;
}

registerSinkFormat("console", (ctx) => {
  const numRows = Number(ctx.options.numRows ?? 20);
  const truncate = ctx.options.truncate === undefined ? true : ctx.options.truncate === "false" ? false : ctx.options.truncate === "true" ? true : Number(ctx.options.truncate);
  return {
    addBatch(batch) {
      const rule = "-------------------------------------------";
      getDisplayBridge().print(`${rule}\nBatch: ${batch.batchId}\n${rule}\n${formatTable(batch, numRows, truncate)}`);
    },
  };
});
