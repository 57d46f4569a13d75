/**
 * The result a live display shows, kept bounded whatever the stream's length.
 *
 * - append mode: the newest `appendCapacity` rows (a ring buffer);
 * - update mode: the current result table, upserted by key columns; past `tableCapacity` keys the key
 *   inserted longest ago is dropped (for windowed aggregations, the oldest window);
 * - complete mode: each batch replaces the table (its first `tableCapacity` rows are kept).
 */
import type { OutputBatch, SchemaField } from "./contract";
import { keyString, parseType } from "./values";

export type OutputMode = "append" | "update" | "complete";

export type Row = Record<string, unknown>;

/** Rows [from, to) of a batch, built from its columns so that a huge batch costs only the rows kept. */
export function batchRows(batch: OutputBatch, from = 0, to = batch.numRows): Row[] {
  const start = Math.max(0, from);
  const end = Math.min(batch.numRows, to);
  if (end <= start) return [];
  const cols = batch.columns;
  if (Array.isArray(cols) && batch.schema.length > 0 && cols.length === batch.schema.length && cols.every((c) => Array.isArray(c))) {
    const names = batch.schema.map((f) => f.name);
    const out = new Array<Row>(end - start);
    for (let r = start; r < end; r++) {
      const row: Row = {};
      for (let c = 0; c < names.length; c++) row[names[c]] = cols[c][r];
      out[r - start] = row;
    }
    return out;
  }
  return batch.rows().slice(start, end);
}

/**
 * Which columns identify a row of an aggregation's result: the engine's keyColumns when it gives them, else
 * the columns that cannot be aggregates (text, booleans, timestamps, dates, structs such as `window`).
 * Numeric, array and map columns are taken for aggregates (count, sum, collect_list).
 */
export function inferKeyColumns(schema: SchemaField[], given?: string[]): string[] {
  if (given && given.length > 0) return given;
  const keys = schema.filter((f) => {
    const kind = parseType(f.type).kind;
    return kind !== "number" && kind !== "array" && kind !== "map";
  });
  return keys.map((f) => f.name);
}

export interface ResultStateOptions {
  /** Most rows kept in append mode. */
  appendCapacity: number;
  /** Most rows (keys) kept in update and complete mode; defaults to appendCapacity. */
  tableCapacity?: number;
  /** Upsert key in update mode; inferred from the schema when absent. */
  keyColumns?: string[];
}

export class ResultState {
  readonly appendCapacity: number;
  readonly tableCapacity: number;
  private readonly givenKeys?: string[];
  private keyColumns: string[] | undefined;
  /** append: ring buffer. */
  private ring: Row[] = [];
  private ringStart = 0;
  /** update/complete: rows by key, in first-insertion order. */
  private table = new Map<string, Row>();
  private completeRows: Row[] = [];
  mode: OutputMode | undefined;
  schema: SchemaField[] = [];
  lastBatchId = -1;
  /** Rows received in all batches (for the status line); not rows kept. */
  totalRows = 0;
  /** Rows dropped because the display is bounded. */
  evicted = 0;

  constructor(options: ResultStateOptions) {
    const table = options.tableCapacity ?? options.appendCapacity;
    if (!(options.appendCapacity >= 1) || !(table >= 1)) throw new Error(`a display must keep at least 1 row, got ${options.appendCapacity}`);
    this.appendCapacity = Math.floor(options.appendCapacity);
    this.tableCapacity = Math.floor(table);
    this.givenKeys = options.keyColumns?.length ? options.keyColumns : undefined;
  }

  /** Apply a batch; a batch id already applied (re-delivered after recovery) is skipped. False when skipped. */
  apply(batch: OutputBatch): boolean {
    if (this.lastBatchId >= 0 && batch.batchId <= this.lastBatchId) return false;
    this.lastBatchId = batch.batchId;
    this.totalRows += batch.numRows;
    if (batch.schema.length) this.schema = batch.schema;
    if (this.mode !== batch.mode) {
      this.clear();
      this.mode = batch.mode;
    }
    if (batch.mode === "append") this.applyAppend(batch);
    else if (batch.mode === "complete") this.applyComplete(batch);
    else this.applyUpdate(batch);
    return true;
  }

  private clear(): void {
    this.ring = [];
    this.ringStart = 0;
    this.table.clear();
    this.completeRows = [];
  }

  private applyAppend(batch: OutputBatch): void {
    const cap = this.appendCapacity;
    const skip = Math.max(0, batch.numRows - cap);
    this.evicted += skip;
    for (const row of batchRows(batch, skip)) {
      if (this.ring.length < cap) this.ring.push(row);
      else {
        this.ring[this.ringStart] = row;
        this.ringStart = (this.ringStart + 1) % cap;
        this.evicted++;
      }
    }
  }

  private applyComplete(batch: OutputBatch): void {
    this.evicted += Math.max(0, batch.numRows - this.tableCapacity);
    this.completeRows = batchRows(batch, 0, this.tableCapacity);
    this.keyColumns = inferKeyColumns(batch.schema, this.givenKeys ?? batch.keyColumns);
  }

  private applyUpdate(batch: OutputBatch): void {
    const keys = (this.keyColumns = inferKeyColumns(batch.schema, this.givenKeys ?? batch.keyColumns));
    for (const row of batchRows(batch)) {
      // No key columns at all (a global aggregate): the result is a single row.
      const key = keys.length ? keyString(keys.map((k) => row[k])) : "";
      if (this.table.has(key)) this.table.set(key, row);
      else {
        this.table.set(key, row);
        if (this.table.size > this.tableCapacity) {
          const oldest = this.table.keys().next().value as string;
          this.table.delete(oldest);
          this.evicted++;
        }
      }
    }
  }

  /** Rows kept, oldest first (append), in first-seen key order (update) or as the batch gave them (complete). */
  rows(): Row[] {
    if (this.mode === "append") return this.ring.slice(this.ringStart).concat(this.ring.slice(0, this.ringStart));
    if (this.mode === "complete") return this.completeRows.slice();
    return [...this.table.values()];
  }

  get size(): number {
    if (this.mode === "append") return this.ring.length;
    if (this.mode === "complete") return this.completeRows.length;
    return this.table.size;
  }

  get keys(): string[] | undefined {
    return this.keyColumns;
  }
}
