/** danfojs at the edges only: memory-sink snapshots, foreachBatch batches, static DataFrames from danfo. */
import type { OutputBatch } from "./sinks/registry";
import { type StructType, type DataType, StringType, DoubleType, LongType, BooleanType, TimestampType, NullType } from "./types";
import { litType } from "./expr/bound";

import type { DataFrame as DanfoFrameClass, Series as DanfoSeriesClass } from "danfojs-node";

/**
 * One value of a frame streamlab hands out: a number, string, boolean, null, Date or nested value, whatever
 * the column's Spark type holds. `any`, as danfojs types a column read by name (`df["revenue"]`), so that
 * exploratory cells (`r[1] * 2`, `r[0] > 3`) type-check as they run in pandas.
 */
export type FrameValue = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A column of a streamlab frame: danfojs' Series, with `values` typed as the 1-D array it is. */
export interface DanfoSeries extends DanfoSeriesClass {
  readonly values: FrameValue[];
}

/**
 * danfojs' DataFrame (a type only: importing it does not load danfojs), as spark.table(), toDanfo() and
 * foreachBatch hand it out. danfojs types `values` as `ArrayType1D | ArrayType2D` (the same getter serves
 * Series), so `df.values.map((r: any[]) => ...)` and `for (const [k, v] of df.values)` do not type-check;
 * a DataFrame's values are always rows, typed so here, also after the common row selections.
 */
export interface DanfoDataFrame extends DanfoFrameClass {
  readonly values: FrameValue[][];
  head(rows?: number): DanfoDataFrame;
  tail(rows?: number): DanfoDataFrame;
  copy(): DanfoDataFrame;
  iloc(selection: Parameters<DanfoFrameClass["iloc"]>[0]): DanfoDataFrame;
  loc(selection: Parameters<DanfoFrameClass["loc"]>[0]): DanfoDataFrame;
  sortValues(column: string, options?: Parameters<DanfoFrameClass["sortValues"]>[1]): DanfoDataFrame;
  query(condition: Parameters<DanfoFrameClass["query"]>[0], options?: Parameters<DanfoFrameClass["query"]>[1]): DanfoDataFrame;
  column(column: string): DanfoSeries;
}

type Danfo = typeof import("danfojs-node");
let danfo: Danfo | undefined;
/** danfojs loads TensorFlow.js: load it on first use, not when streamlab is imported. */
export function loadDanfo(): Danfo {
  // Loaded on first use (TensorFlow.js takes seconds to load), so a synchronous require, not an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  danfo ??= require("danfojs-node") as Danfo;
  return danfo;
}

export function toDanfo(batch: OutputBatch): DanfoDataFrame {
  const dfd = loadDanfo();
  const columns = batch.schema.map((f) => f.name);
  if (batch.numRows === 0) return new dfd.DataFrame([], { columns }) as DanfoDataFrame;
  const data: Record<string, unknown[]> = {};
  batch.schema.forEach((f, i) => (data[f.name] = batch.columns[i]));
  return new dfd.DataFrame(data, { columns }) as DanfoDataFrame;
}

export function isDanfoFrame(v: unknown): v is { columns: string[]; values: unknown[][] } {
  if (!v || typeof v !== "object") return false;
  const o = v as { columns?: unknown; values?: unknown; $data?: unknown };
  return Array.isArray(o.columns) && Array.isArray(o.values) && "$data" in o;
}

function inferType(values: unknown[]): DataType {
  let t: DataType = NullType;
  for (const v of values) {
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) continue;
    const vt = v instanceof Date ? TimestampType : typeof v === "number" ? (Number.isInteger(v) ? LongType : DoubleType) : litType(v);
    if (t.kind === "null") t = vt;
    else if (t.kind === "long" && vt.kind === "double") t = DoubleType;
    else if (t.kind !== vt.kind && !(t.kind === "double" && vt.kind === "long")) return StringType;
  }
  return t.kind === "null" ? StringType : t;
}

/** Rows (objects) -> column arrays plus an inferred schema (numbers: bigint if all integral, else double). */
export function inferSchema(names: string[], columns: unknown[][]): StructType {
  return { kind: "struct", fields: names.map((name, i) => ({ name, type: inferType(columns[i]), nullable: true })) };
}

export function danfoToColumns(df: { columns: string[]; values: unknown[][] }): { names: string[]; columns: unknown[][] } {
  const names = df.columns.map(String);
  const columns = names.map((_, c) => df.values.map((row) => row[c]));
  return { names, columns };
}

export { BooleanType };
