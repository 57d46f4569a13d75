/** danfojs at the edges only: memory-sink snapshots, foreachBatch batches, static DataFrames from danfo. */
import type { OutputBatch } from "./sinks/registry";
import { type StructType, type DataType, StringType, DoubleType, LongType, BooleanType, TimestampType, NullType } from "./types";
import { litType } from "./expr/bound";

import type { DataFrame as DanfoDataFrame } from "danfojs-node";

/** danfojs' DataFrame class, as a type only: importing it for types does not load danfojs. */
export type { DanfoDataFrame };

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
  if (batch.numRows === 0) return new dfd.DataFrame([], { columns });
  const data: Record<string, unknown[]> = {};
  batch.schema.forEach((f, i) => (data[f.name] = batch.columns[i]));
  return new dfd.DataFrame(data, { columns });
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
