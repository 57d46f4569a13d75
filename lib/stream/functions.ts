/** PySpark's pyspark.sql.functions, as TypeScript functions returning Columns. */
import { Column, colArg, colExpr, toExpr, sortOrder, type ColumnLike, type Expr } from "./expr/ast";
import { parseExpression } from "./expr/parser";
import type { StructType, DataType } from "./types";
import { registerUdf, udfSpec, type UdfSpec } from "./expr/udf";

const fn = (name: string, ...args: Expr[]) => new Column({ t: "fn", name, args });
const c = (v: ColumnLike) => colArg(v);

export function col(name: string): Column {
  return new Column(colExpr(name));
}
export const column = col;
export function lit(value: unknown): Column {
  return value instanceof Column ? value : new Column({ t: "lit", value: value === undefined ? null : value });
}
export function expr(sql: string): Column {
  return new Column(parseExpression(sql));
}
/** when(cond, value).when(...).otherwise(...) */
export function when(condition: Column, value: unknown): Column {
  return new Column({ t: "case", branches: [[condition.expr, toExpr(value)]] });
}

// Aggregates
export const count = (v: ColumnLike) => (v === "*" ? fn("count", { t: "star", qualifier: [] }) : fn("count", c(v)));
export const sum = (v: ColumnLike) => fn("sum", c(v));
export const avg = (v: ColumnLike) => fn("avg", c(v));
export const mean = avg;
export const min = (v: ColumnLike) => fn("min", c(v));
export const max = (v: ColumnLike) => fn("max", c(v));
export const first = (v: ColumnLike) => fn("first", c(v));
export const last = (v: ColumnLike) => fn("last", c(v));
export const count_distinct = (...v: ColumnLike[]) => new Column({ t: "fn", name: "count_distinct", args: v.map(c) });
export const countDistinct = count_distinct;
export const approx_count_distinct = (v: ColumnLike, rsd?: number) => (rsd === undefined ? fn("approx_count_distinct", c(v)) : fn("approx_count_distinct", c(v), { t: "lit", value: rsd }));
export const approxCountDistinct = approx_count_distinct;
export const collect_list = (v: ColumnLike) => fn("collect_list", c(v));
export const min_by = (v: ColumnLike, ord: ColumnLike) => fn("min_by", c(v), c(ord));
export const max_by = (v: ColumnLike, ord: ColumnLike) => fn("max_by", c(v), c(ord));
export const median = (v: ColumnLike) => fn("median", c(v));
export const mode = (v: ColumnLike) => fn("mode", c(v));
/** percentile_approx(col, 0.5) or (col, [0.25, 0.75], accuracy). */
export const percentile_approx = (v: ColumnLike, percentage: number | number[], accuracy?: number) =>
  fn("percentile_approx", c(v), { t: "lit", value: percentage }, ...(accuracy === undefined ? [] : [{ t: "lit", value: accuracy } as Expr]));
export const approx_percentile = percentile_approx;
export const collect_set = (v: ColumnLike) => fn("collect_set", c(v));
export const stddev = (v: ColumnLike) => fn("stddev", c(v));
export const variance = (v: ColumnLike) => fn("variance", c(v));

// Windows
/** window(timeColumn, "10 seconds", slide?, startTime?) */
export function window(timeColumn: ColumnLike, windowDuration: string, slideDuration?: string, startTime?: string): Column {
  const args: Expr[] = [c(timeColumn), toExpr(windowDuration)];
  if (slideDuration !== undefined || startTime !== undefined) args.push(toExpr(slideDuration ?? windowDuration));
  if (startTime !== undefined) args.push(toExpr(startTime));
  return new Column({ t: "fn", name: "window", args });
}
export function session_window(timeColumn: ColumnLike, gapDuration: string): Column {
  return fn("session_window", c(timeColumn), toExpr(gapDuration));
}
export const sessionWindow = session_window;

// JSON
export function from_json(v: ColumnLike, schema: string | StructType, options: Record<string, string> = {}): Column {
  return new Column({ t: "fn", name: "from_json", args: [c(v), { t: "lit", value: schema }], options });
}
export const fromJson = from_json;
export const to_json = (v: ColumnLike) => fn("to_json", c(v));
export const toJson = to_json;
export const get_json_object = (v: ColumnLike, path: string) => fn("get_json_object", c(v), toExpr(path));
export const struct = (...cols: ColumnLike[]) => new Column({ t: "fn", name: "struct", args: cols.map(c) });
export const array = (...cols: ColumnLike[]) => new Column({ t: "fn", name: "array", args: cols.map(c) });

// Avro and Protobuf (spark-avro, spark-protobuf; registry forms as on Databricks)
/** Schema registry options: the subject whose latest schema reads the data, and the registry's URL. */
export interface AvroRegistryOptions {
  subject: string;
  schemaRegistryAddress: string;
}
const litExpr = (value: unknown): Expr => ({ t: "lit", value });
/** from_avro(col, jsonFormatSchema[, options]) or from_avro(col, {subject, schemaRegistryAddress}[, options]). */
export function from_avro(v: ColumnLike, schema: string | AvroRegistryOptions, options: Record<string, string> = {}): Column {
  return new Column({ t: "fn", name: "from_avro", args: [c(v), litExpr(schema)], options });
}
/** to_avro(col[, jsonFormatSchema]) or to_avro(col, {subject, schemaRegistryAddress}): registry-framed. */
export function to_avro(v: ColumnLike, schema?: string | AvroRegistryOptions): Column {
  return new Column({ t: "fn", name: "to_avro", args: schema === undefined ? [c(v)] : [c(v), litExpr(schema)] });
}
/** from_protobuf(col, messageName, protoFileOrText[, options]) or from_protobuf(col, messageName, {"schema.registry.subject", "schema.registry.address"}). */
export function from_protobuf(v: ColumnLike, messageName: string, desc: string | Record<string, string>, options: Record<string, string> = {}): Column {
  return new Column({ t: "fn", name: "from_protobuf", args: [c(v), litExpr(messageName), litExpr(desc)], options });
}
export function to_protobuf(v: ColumnLike, messageName: string, desc: string | Record<string, string>, options: Record<string, string> = {}): Column {
  return new Column({ t: "fn", name: "to_protobuf", args: [c(v), litExpr(messageName), litExpr(desc)], options });
}

// Time
export const current_timestamp = () => fn("current_timestamp");
export const current_date = () => fn("current_date");
export const to_timestamp = (v: ColumnLike, format?: string) => (format ? fn("to_timestamp", c(v), toExpr(format)) : fn("to_timestamp", c(v)));
export const to_date = (v: ColumnLike, format?: string) => (format ? fn("to_date", c(v), toExpr(format)) : fn("to_date", c(v)));
export const date_format = (v: ColumnLike, format: string) => fn("date_format", c(v), toExpr(format));
export const unix_timestamp = (v?: ColumnLike, format?: string) => (v === undefined ? fn("unix_timestamp") : format ? fn("unix_timestamp", c(v), toExpr(format)) : fn("unix_timestamp", c(v)));
export const from_unixtime = (v: ColumnLike, format?: string) => (format ? fn("from_unixtime", c(v), toExpr(format)) : fn("from_unixtime", c(v)));
export const timestamp_seconds = (v: ColumnLike) => fn("timestamp_seconds", c(v));
export const date_trunc = (unit: string, v: ColumnLike) => fn("date_trunc", toExpr(unit), c(v));
export const year = (v: ColumnLike) => fn("year", c(v));
export const month = (v: ColumnLike) => fn("month", c(v));
export const dayofmonth = (v: ColumnLike) => fn("dayofmonth", c(v));
export const dayofweek = (v: ColumnLike) => fn("dayofweek", c(v));
export const hour = (v: ColumnLike) => fn("hour", c(v));
export const minute = (v: ColumnLike) => fn("minute", c(v));
export const second = (v: ColumnLike) => fn("second", c(v));

// Strings
export const upper = (v: ColumnLike) => fn("upper", c(v));
export const lower = (v: ColumnLike) => fn("lower", c(v));
export const length = (v: ColumnLike) => fn("length", c(v));
export const trim = (v: ColumnLike) => fn("trim", c(v));
export const concat = (...v: ColumnLike[]) => new Column({ t: "fn", name: "concat", args: v.map(c) });
export const concat_ws = (sep: string, ...v: ColumnLike[]) => new Column({ t: "fn", name: "concat_ws", args: [toExpr(sep), ...v.map(c)] });
export const substring = (v: ColumnLike, pos: number, len: number) => fn("substring", c(v), toExpr(pos), toExpr(len));
export const regexp_replace = (v: ColumnLike, pattern: string, replacement: string) => fn("regexp_replace", c(v), toExpr(pattern), toExpr(replacement));
export const regexp_extract = (v: ColumnLike, pattern: string, idx: number) => fn("regexp_extract", c(v), toExpr(pattern), toExpr(idx));
export const split = (v: ColumnLike, pattern: string) => fn("split", c(v), toExpr(pattern));

// Math and nulls
export const abs = (v: ColumnLike) => fn("abs", c(v));
export const round = (v: ColumnLike, scale = 0) => fn("round", c(v), toExpr(scale));
export const floor = (v: ColumnLike) => fn("floor", c(v));
export const ceil = (v: ColumnLike) => fn("ceil", c(v));
export const sqrt = (v: ColumnLike) => fn("sqrt", c(v));
export const pow = (a: ColumnLike, b: unknown) => fn("pow", c(a), toExpr(b));
export const coalesce = (...v: ColumnLike[]) => new Column({ t: "fn", name: "coalesce", args: v.map(c) });
export const isnull = (v: ColumnLike) => fn("isnull", c(v));
export const greatest = (...v: ColumnLike[]) => new Column({ t: "fn", name: "greatest", args: v.map(c) });
export const least = (...v: ColumnLike[]) => new Column({ t: "fn", name: "least", args: v.map(c) });

export type { Column, DataType };

// Generators (one per select; see README "explode and friends") and flatten
export const explode = (v: ColumnLike) => fn("explode", c(v));
export const explode_outer = (v: ColumnLike) => fn("explode_outer", c(v));
export const posexplode = (v: ColumnLike) => fn("posexplode", c(v));
export const posexplode_outer = (v: ColumnLike) => fn("posexplode_outer", c(v));
export const inline = (v: ColumnLike) => fn("inline", c(v));
export const inline_outer = (v: ColumnLike) => fn("inline_outer", c(v));
export const flatten = (v: ColumnLike) => fn("flatten", c(v));

// TypeScript UDFs (expr/udf.ts)
/** A UDF as PySpark's: call it with columns (or column names) to get a Column. */
export interface UserDefinedFunction {
  (...cols: ColumnLike[]): Column;
  readonly udfName: string;
  readonly returnType: DataType;
  readonly vectorized: boolean;
}

function makeUdf(spec: UdfSpec): UserDefinedFunction {
  const call = (...cols: ColumnLike[]) => new Column({ t: "fn", name: spec.name, args: cols.map(c), options: { udf: spec } });
  return Object.assign(call, { udfName: spec.name, returnType: spec.returnType, vectorized: spec.vectorized });
}

/**
 * `udf((x: number) => x * 1.8 + 32, "double")`: a function of row values (NULL arrives as null). Usable in select,
 * filter, withColumn; `spark.udf.register(name, fn, type)` makes it callable from SQL and expr().
 */
export const udf = Object.assign(
  (fn: (...args: never[]) => unknown, returnType: DataType | string = "string", name?: string): UserDefinedFunction => makeUdf(udfSpec(name ?? (fn.name || "udf"), fn, returnType, false)),
  {
    /** A vectorized UDF (pandas_udf's model): called once per batch with whole column arrays, returns one array of results. */
    vectorized: (fn: (...columns: never[][]) => ArrayLike<unknown>, returnType: DataType | string = "double", name?: string): UserDefinedFunction =>
      makeUdf(udfSpec(name ?? (fn.name || "vectorized_udf"), fn, returnType, true)),
  },
);
export const pandas_udf = udf.vectorized;

/** `spark.udf`: register UDFs for SQL text and expr() (`spark.udf.register("f_to_c", fn, "double")`). */
export class UDFRegistration {
  register(name: string, fn: ((...args: never[]) => unknown) | UserDefinedFunction, returnType?: DataType | string): UserDefinedFunction {
    const existing = typeof fn === "function" && "udfName" in fn ? fn : undefined;
    const spec = udfSpec(name, fn, returnType ?? existing?.returnType ?? "string", existing?.vectorized ?? false);
    registerUdf(spec);
    return makeUdf(spec);
  }
  /** A vectorized UDF for SQL: called once per batch with column arrays. */
  registerVectorized(name: string, fn: (...columns: never[][]) => ArrayLike<unknown>, returnType: DataType | string = "double"): UserDefinedFunction {
    const spec = udfSpec(name, fn, returnType, true);
    registerUdf(spec);
    return makeUdf(spec);
  }
}
export const udfRegistration = new UDFRegistration();

// Sort orders for orderBy/sort
export const asc = (v: ColumnLike) => sortOrder(c(v), false, true);
export const asc_nulls_first = asc;
export const asc_nulls_last = (v: ColumnLike) => sortOrder(c(v), false, false);
export const desc = (v: ColumnLike) => sortOrder(c(v), true, false);
export const desc_nulls_last = desc;
export const desc_nulls_first = (v: ColumnLike) => sortOrder(c(v), true, true);
