/** Columnar batches: the unit every physical operator consumes and produces. */
import type { StructType, DataType } from "../types";
import type { SourceBatch } from "../sources/types";
import { valueToExternal } from "../expr/runtime";
import type { OutputBatch, OutputMode } from "../sinks/registry";
import { typeString } from "../types";

export interface Batch {
  n: number;
  /** Column-major values: cols[c][r]. Arrays may be shared with the operator's input: never mutate. */
  cols: unknown[][];
  /** For each row, its row number in the source batch (null when rows are the source rows 1:1). */
  rowIds: Int32Array | null;
  /** A union's input: each input's source rows (sources/multi.ts), read by exec/union.ts. */
  parts?: SourceBatch[];
}

export interface EventTimeStats {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface ExecContext {
  batchId: number;
  /** The batch's timestamp (current_timestamp()). */
  now: number;
  /** The watermark this batch runs with (ms), -Infinity before the first: state older than it is evicted. */
  watermarkMs: number;
  /**
   * The watermark input rows are judged late by (Spark's eventTimeWatermarkForLateEvents, SPARK-40925): the
   * previous batch's watermark, the one in effect when this batch's rows were read. Defaults to watermarkMs.
   */
  lateWatermarkMs?: number;
  mode: OutputMode;
  streaming: boolean;
  eventTime: EventTimeStats;
  /** Event-time statistics per watermark operator (by its index in the pipeline), for the global watermark. */
  eventTimes?: EventTimeStats[];
  describeRow(row: number): string;
  /**
   * A row a stateful operator dropped as later than the watermark: `b` is the operator's input (of `schema`), of
   * which only `columns` (the ones the operator reads; all when absent) are computed.
   */
  onLate?: (b: Batch, row: number, eventTimeMs: number | null, schema: StructType, columns?: number[]) => void;
}

export function emptyStats(): EventTimeStats {
  return { min: Infinity, max: -Infinity, sum: 0, count: 0 };
}

export function gather(b: Batch, sel: Int32Array): Batch {
  const m = sel.length;
  const cols = b.cols.map((col) => {
    if (col.length === 0) return col; // a pruned column
    const out = new Array<unknown>(m);
    for (let k = 0; k < m; k++) out[k] = col[sel[k]];
    return out;
  });
  let rowIds: Int32Array;
  if (b.rowIds) {
    rowIds = new Int32Array(m);
    for (let k = 0; k < m; k++) rowIds[k] = b.rowIds[sel[k]];
  } else rowIds = sel.slice();
  return { n: m, cols, rowIds };
}

function needsConversion(t: DataType): boolean {
  return t.kind === "timestamp" || t.kind === "date" || t.kind === "struct" || t.kind === "array";
}

/** Internal batch -> the edge form sinks get (Dates, nested objects); columns without conversion are shared. */
export function toOutputBatch(b: Batch, schema: StructType, batchId: number, mode: OutputMode): OutputBatch {
  const columns = schema.fields.map((f, c) => {
    const col = b.cols[c];
    if (!needsConversion(f.type)) return col.length === b.n ? col : col.slice(0, b.n);
    const out = new Array<unknown>(b.n);
    for (let r = 0; r < b.n; r++) out[r] = valueToExternal(col[r], f.type);
    return out;
  });
  const names = schema.fields.map((f) => f.name);
  let rows: Record<string, unknown>[] | undefined;
  return {
    batchId,
    mode,
    schema: schema.fields.map((f) => ({ name: f.name, type: typeString(f.type) })),
    numRows: b.n,
    columns,
    rows() {
      if (!rows) {
        rows = new Array(b.n);
        for (let r = 0; r < b.n; r++) {
          const o: Record<string, unknown> = {};
          for (let c = 0; c < names.length; c++) o[names[c]] = columns[c][r];
          rows[r] = o;
        }
      }
      return rows;
    },
  };
}
