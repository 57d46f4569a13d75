/**
 * One micro-batch of a streaming query's result, as the engine (lib/stream) hands it to sinks and live displays
 * (lib/render). Declared here once so both rooms agree without importing each other.
 */

export type OutputMode = "append" | "update" | "complete";

export interface SchemaField {
  name: string;
  /** Spark type as text: `string`, `double`, `timestamp`, `struct<start:timestamp,end:timestamp>`, ... */
  type: string;
}

export interface OutputBatch {
  batchId: number;
  mode: OutputMode;
  schema: SchemaField[];
  numRows: number;
  /** Column-major values: `columns[c][r]` belongs to `schema[c]`. Timestamps are Date, structs plain objects. */
  columns: unknown[][];
  /** Row objects keyed by column name (built on demand). */
  rows(): Record<string, unknown>[];
  /** The grouping columns of an aggregation's result (the upsert key in update mode), when they are in the output. */
  keyColumns?: string[];
}
