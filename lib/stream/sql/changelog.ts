/**
 * The changelog view, as Flink's SQL client shows it: the stream of changes a query's result goes through.
 * +I a new row, -U/+U a row replaced (its old and new values), -D a row gone (complete mode), each with the
 * micro-batch that emitted it. Rows are matched by the aggregation's key columns; bounded to the newest entries.
 */
import { DisplayHandle, escapeHtml, type MimeBundle, type OutputBatch } from "../../core";
import { registerSinkFormat } from "../sinks/registry";
import { formatTable, htmlTable } from "../sinks/console";

export type ChangeOp = "+I" | "-U" | "+U" | "-D";

export interface ChangeRow {
  op: ChangeOp;
  batchId: number;
  row: Record<string, unknown>;
}

const keyOf = (row: Record<string, unknown>, keys: string[]): string => JSON.stringify(keys.map((k) => row[k]));

export class Changelog {
  private readonly last = new Map<string, Record<string, unknown>>();
  private readonly entries: ChangeRow[] = [];
  columns: string[] = [];
  total = 0;

  constructor(readonly capacity = 200) {}

  /** The changes one output batch makes to the result. */
  apply(batch: OutputBatch): ChangeRow[] {
    this.columns = batch.schema.map((f) => f.name);
    const rows = batch.rows();
    const out: ChangeRow[] = [];
    const add = (op: ChangeOp, row: Record<string, unknown>) => out.push({ op, batchId: batch.batchId, row });
    if (batch.mode === "append") {
      for (const r of rows) add("+I", r);
    } else {
      const keys = batch.keyColumns ?? [];
      const seen = new Set<string>();
      for (const r of rows) {
        const k = keyOf(r, keys);
        seen.add(k);
        const old = this.last.get(k);
        if (!old) add("+I", r);
        else if (JSON.stringify(old) !== JSON.stringify(r)) {
          add("-U", old);
          add("+U", r);
        }
        this.last.set(k, r);
      }
      if (batch.mode === "complete") {
        for (const [k, old] of [...this.last]) {
          if (seen.has(k)) continue;
          add("-D", old);
          this.last.delete(k);
        }
      }
    }
    this.entries.push(...out);
    this.total += out.length;
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return out;
  }

  /** The newest changes (at most `capacity`), oldest first. */
  changes(): ChangeRow[] {
    return this.entries.slice();
  }

  /** The changes as a table: op, batch, then the result's columns. */
  asBatch(limit = this.capacity): OutputBatch {
    const list = this.entries.slice(-limit);
    const names = ["op", "batch", ...this.columns];
    const columns = names.map((n, c) => list.map((e) => (c === 0 ? e.op : c === 1 ? e.batchId : e.row[n])));
    return {
      batchId: list.length ? list[list.length - 1].batchId : 0,
      mode: "append",
      schema: names.map((name, c) => ({ name, type: c === 1 ? "bigint" : "string" })),
      numRows: list.length,
      columns,
      rows: () => list.map((e) => ({ op: e.op, batch: e.batchId, ...e.row })),
    };
  }
}

function bundle(name: string | null, log: Changelog, rows: number, state: string): MimeBundle {
  const table = log.asBatch(rows);
  const head = `changelog of ${name ?? "query"}: ${log.total} changes (showing the newest ${table.numRows}) | ${state}`;
  return { "text/plain": `${head}\n${formatTable(table, rows, false)}`, "text/html": `<div><code>${escapeHtml(head)}</code>${htmlTable(table, rows)}</div>` };
}

/** `.format("changelog")`: the query's changes as a live table in the cell that started it (option rows, default 20). */
registerSinkFormat("changelog", (ctx) => {
  const log = new Changelog(Math.max(200, Number(ctx.options.rows ?? 20)));
  const rows = Number(ctx.options.rows ?? 20) || 20;
  let handle: DisplayHandle | undefined;
  const show = (state: string) => {
    const b = bundle(ctx.query.name, log, rows, state);
    if (!handle) handle = new DisplayHandle(b);
    else handle.update(b);
  };
  show("waiting for the first batch");
  return {
    addBatch(batch) {
      log.apply(batch);
      show(`batch ${batch.batchId}`);
    },
    stop() {
      show("stopped");
      handle?.close();
    },
    toMimeBundle: () => bundle(ctx.query.name, log, rows, "snapshot"),
  };
});
