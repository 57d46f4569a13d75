/**
 * The rows the watermark dropped: Spark only counts them (numRowsDroppedByWatermark); streamlab keeps the most
 * recent ones (bounded), with their event time and the watermark that dropped them, for query.lateRows(), and
 * writes them to a dead-letter topic with .option("lateRowsTopic", T).
 */
import type { Batch } from "../exec/batch";
import { valueToExternal } from "../expr/runtime";
import type { StructType } from "../types";
import type { OutputBatch, Sink } from "../sinks/registry";
import type { LateRow } from "./late-row";

export type { LateRow };

export const LATE_ROWS_KEPT = 100;

export class LateRowLog {
  private readonly kept: LateRow[] = [];
  private pending: LateRow[] = [];
  private last = { batchId: -1, row: -1, batch: null as Batch | null };

  constructor(private readonly capacity = LATE_ROWS_KEPT) {}

  record(b: Batch, row: number, eventTimeMs: number | null, schema: StructType, batchId: number, watermarkMs: number, describe: (sourceRow: number) => string, columns?: number[]): void {
    // A row late for several sliding windows is one late row.
    if (this.last.batch === b && this.last.row === row && this.last.batchId === batchId) return;
    this.last = { batchId, row, batch: b };
    const values: Record<string, unknown> = {};
    schema.fields.forEach((f, c) => {
      if (!columns || columns.includes(c)) values[f.name] = valueToExternal(b.cols[c]?.[row] ?? null, f.type);
    });
    const source = b.rowIds ? b.rowIds[row] : row;
    const entry: LateRow = { batchId, eventTime: eventTimeMs === null ? null : new Date(eventTimeMs), watermark: new Date(watermarkMs), source: describe(source), row: values };
    this.kept.push(entry);
    if (this.kept.length > this.capacity) this.kept.shift();
    this.pending.push(entry);
    if (this.pending.length > this.capacity * 10) this.pending.shift();
  }

  rows(): LateRow[] {
    return this.kept.map((r) => ({ ...r, row: { ...r.row } }));
  }

  /** Late rows of the last batch to the dead-letter sink, as JSON values. */
  async flush(sink: Sink | undefined, batchId: number): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (!sink || rows.length === 0) return;
    const values = rows.map((r) => JSON.stringify({ ...r.row, _eventTime: r.eventTime?.toISOString() ?? null, _watermark: r.watermark.toISOString(), _source: r.source, _batchId: r.batchId }));
    const batch: OutputBatch = {
      batchId,
      mode: "append",
      schema: [{ name: "value", type: "string" }],
      numRows: values.length,
      columns: [values],
      rows: () => values.map((value) => ({ value })),
    };
    await sink.addBatch(batch);
  }
}
