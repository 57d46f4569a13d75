/**
 * Bound (resolved) expressions: what analysis turns an `Expr` into. Every node has its type; column
 * references are column indexes; a function call carries its own definition (`def`) and typed metadata
 * (`meta`), so the code generator compiles it without looking anything up. The binder is bind.ts; function
 * definitions live in functions/.
 */
import type { Expr } from "./ast";
import type { CodeGen } from "./gen";
import { type DataType, type StructType, type StructField, typeString, StringType, BooleanType, IntegerType, DoubleType, LongType, TimestampType, NullType } from "../types";

/** An unresolved function call, as the user wrote it. */
export type FnExpr = Extract<Expr, { t: "fn" }>;

/** JSON parse modes from_json supports (DROPMALFORMED is refused, as by Spark). */
export type JsonMode = "PERMISSIVE" | "FAILFAST";

/** What a call knows beyond its arguments, by function: typed, so no reader guesses at keys. */
export type CallMeta =
  | { kind: "window"; sizeMs: number; slideMs: number; startMs: number }
  | { kind: "session_window"; gapMs: number }
  | { kind: "struct"; names: string[] }
  /** explode/posexplode/inline (and _outer): a generator, never compiled as a value; analysis makes it a Generate node. */
  | { kind: "generator"; gen: "explode" | "posexplode" | "inline"; outer: boolean; fields: StructField[] }
  /** A TypeScript UDF (lib/stream/udf.ts): the function, its name, and whether it takes whole columns. */
  | { kind: "udf"; name: string; fn: (...args: unknown[]) => unknown; vectorized: boolean }
  /** from_avro/to_avro/from_protobuf/to_protobuf: the compiled codec, value and row index in, value out. */
  | { kind: "codec"; decode: (value: unknown, row: number) => unknown }
  /** round/bround of a DECIMAL: the digits kept, the input and result scales, ties to even (bround). */
  | { kind: "round"; digits: number; from: number; to: number; even: boolean }
  | {
      kind: "from_json";
      /** The schema as written (without the corrupt-record column). */
      schema: StructType;
      mode: JsonMode;
      /** Name of the corrupt-record field in the result (PERMISSIVE), or null. */
      corruptName: string | null;
      /** Column pruning: the only fields read downstream (the others are not parsed). */
      keep?: string[];
      /** The parser returns field values by position in a reused array (read field by field only). */
      asArray?: boolean;
    };

export type CallExpr = { k: "call"; fn: string; def: ScalarDef; args: BExpr[]; type: DataType; meta?: CallMeta };

export type BExpr =
  | { k: "col"; index: number; type: DataType; name: string }
  | { k: "field"; child: BExpr; name: string; type: DataType }
  | { k: "lit"; value: unknown; type: DataType }
  | CallExpr
  | { k: "and" | "or"; args: [BExpr, BExpr]; type: DataType }
  | { k: "case"; branches: [BExpr, BExpr][]; otherwise: BExpr | null; type: DataType }
  /** `ansi` (explicit casts of strings, Spark 4's ANSI parse): CAST fails the query on a malformed value, try_cast gives NULL. */
  | { k: "cast"; child: BExpr; type: DataType; ansi?: "fail" | "null" }
  | { k: "aggref"; slot: number; type: DataType };

/** The metadata of `call` when it is of `kind` (a typed read; undefined for another function). */
export function metaOf<K extends CallMeta["kind"]>(call: BExpr, kind: K): Extract<CallMeta, { kind: K }> | undefined {
  return call.k === "call" && call.meta?.kind === kind ? (call.meta as Extract<CallMeta, { kind: K }>) : undefined;
}

/** How a resolved scalar call is typed: its result type, its (coerced) arguments, its metadata. */
export interface Resolution {
  type: DataType;
  args?: BExpr[];
  meta?: CallMeta;
}

/**
 * A scalar function: how to type a call (and which casts to insert) and the JS it compiles to. Strict
 * functions get null handling from the code generator (null in, null out); `nonStrict` ones handle nulls.
 */
export interface ScalarDef {
  /** The canonical name (aliases resolve to it). */
  readonly name: string;
  /** Minimum and maximum number of arguments. */
  readonly args: readonly [number, number];
  resolve(args: BExpr[], e: FnExpr): Resolution;
  gen(a: string[], cg: CodeGen, call: CallExpr): string;
  readonly nonStrict?: boolean;
}

/**
 * An aggregate: its result type, and code snippets for the aggregation loop. Accumulators live in the
 * group's `a` array at the slot's index(es); `update` sees the argument value (maybe null) as `v`.
 */
export interface AggDef {
  readonly name: string;
  /** `impl`: the aggregate that runs this call instead (sum of BIGINT values runs the exact 64-bit sum). */
  resolve(args: BExpr[], distinct: boolean): { type: DataType; args?: BExpr[]; impl?: AggDef };
  /** Accumulator slots and their initial values (JS expressions, evaluated per new group). */
  readonly init: string[];
  /** Statement updating slots `a[s0]`, `a[s1]`... from `v`. `S(k)` names slot k. */
  update(v: string, S: (k: number) => string): string;
  /** Result from the slots. */
  finalize(slots: unknown[]): unknown;
  /** Slots as JSON for checkpoints, and back. */
  save?(slots: unknown[]): unknown[];
  load?(saved: unknown[]): unknown[];
}

export class AnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnalysisError";
  }
}

export function litType(v: unknown): DataType {
  if (v === null || v === undefined) return NullType;
  // As PySpark's lit(): an int beyond 32 bits is a BIGINT (a double beyond 64 bits).
  if (typeof v === "number") return Number.isInteger(v) ? (Math.abs(v) <= 2147483647 ? IntegerType : Math.abs(v) < 2 ** 63 ? LongType : DoubleType) : DoubleType;
  if (typeof v === "bigint") return LongType;
  if (typeof v === "string") return StringType;
  if (typeof v === "boolean") return BooleanType;
  if (v instanceof Date) return TimestampType;
  if (Array.isArray(v)) return { kind: "array", elementType: v.length ? litType(v[0]) : NullType };
  if (typeof v === "object") return { kind: "struct", fields: Object.entries(v).map(([name, x]) => ({ name, type: litType(x), nullable: true })) };
  throw new AnalysisError(`unsupported literal ${typeof v}`);
}

export function columnNames(schema: StructType): string {
  return schema.fields.map((f) => f.name).join(", ");
}

export function castTo(e: BExpr, to: DataType): BExpr {
  if (typeString(e.type) === typeString(to)) return e;
  if (e.k === "lit" && e.value === null) return { k: "lit", value: null, type: to };
  return { k: "cast", child: e, type: to };
}

/** The direct children of a bound expression (for walks that do not care about the node kind). */
export function children(e: BExpr): BExpr[] {
  switch (e.k) {
    case "call":
    case "and":
    case "or":
      return e.args;
    case "field":
    case "cast":
      return [e.child];
    case "case":
      return [...e.branches.flat(), ...(e.otherwise ? [e.otherwise] : [])];
    default:
      return [];
  }
}
