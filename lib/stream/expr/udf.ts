/**
 * TypeScript UDFs: `udf(fn, returnType)` (one call per row) and `udf.vectorized(fn, returnType)` (one call per
 * batch over whole column arrays, as pandas_udf), and the session's registered UDFs (`spark.udf.register`), for
 * SQL text and expr(). A UDF call binds to a scalar definition whose generated code calls the function through a
 * constant: the plan stays data, the query is compiled once. NULL arguments reach the function as `null`, as
 * PySpark passes None; `undefined` back is NULL; a value not of the declared type is NULL, as a PySpark UDF's.
 * A function that throws fails the query with Spark's FAILED_EXECUTE_UDF naming the UDF (and the row).
 */
import { AnalysisError, type BExpr, type CallExpr, type ScalarDef } from "./bound";
import { RowError, type CodeGen } from "./gen";
import { externalToValue, valueToExternal } from "./runtime";
import { parseDataType, typeString, type DataType } from "../types";

export interface UdfSpec {
  name: string;
  fn: (...args: never[]) => unknown;
  returnType: DataType;
  vectorized: boolean;
}

const registered = new Map<string, UdfSpec>();

export function registerUdf(spec: UdfSpec): void {
  if (!/^[A-Za-z_]\w*$/.test(spec.name)) throw new AnalysisError(`'${spec.name}' is not a function name: use letters, digits and _ (e.g. to_celsius)`);
  registered.set(spec.name.toLowerCase(), spec);
}
export function registeredUdf(name: string): UdfSpec | undefined {
  return registered.get(name.toLowerCase());
}
export function registeredUdfNames(): string[] {
  return [...registered.values()].map((s) => s.name);
}

export function udfSpec(name: string, fn: unknown, returnType: DataType | string, vectorized: boolean): UdfSpec {
  if (typeof fn !== "function") throw new AnalysisError(`udf() takes a TypeScript function, e.g. udf((x: number) => x * 2, "double"), got ${typeof fn}`);
  let type: DataType;
  try {
    type = typeof returnType === "string" ? parseDataType(returnType) : returnType;
  } catch (err) {
    throw new AnalysisError(`udf '${name}': return type ${JSON.stringify(returnType)} is not a Spark type (${(err as Error).message}); e.g. "double", "string", "array<int>"`);
  }
  return { name, fn: fn as UdfSpec["fn"], returnType: type, vectorized };
}

/** The Spark type of `v` against the declared type: the internal value, or null when it is not of that type. */
function fromUdf(v: unknown, t: DataType): unknown {
  if (v === undefined || v === null) return null;
  switch (t.kind) {
    case "double": case "float": case "decimal":
      return typeof v === "number" ? v : null;
    case "integer": case "short": case "byte":
      return typeof v === "number" && Number.isInteger(v) ? v : null;
    case "long":
      return typeof v === "bigint" ? v : typeof v === "number" && Number.isInteger(v) ? v : null;
    case "string":
      return typeof v === "string" ? v : null;
    case "boolean":
      return typeof v === "boolean" ? v : null;
    case "timestamp": case "date":
      return v instanceof Date || typeof v === "string" ? externalToValue(v, t) : null;
    case "array":
      return Array.isArray(v) ? v.map((x) => fromUdf(x, t.elementType)) : null;
    default:
      return typeof v === "object" ? externalToValue(v, t) : null;
  }
}

function signature(spec: UdfSpec, args: BExpr[]): string {
  return `${spec.name}: (${args.map((a) => typeString(a.type)).join(", ")}) => ${typeString(spec.returnType)}`;
}

function oneLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).replace(/\s*\n\s*/g, " ");
}

/** What a row UDF's generated code calls: arguments to the edge form, the function, the result back. */
function rowCaller(spec: UdfSpec, args: BExpr[]): (row: number, ...values: unknown[]) => unknown {
  const types = args.map((a) => a.type);
  const sig = signature(spec, args);
  const fn = spec.fn as (...a: unknown[]) => unknown;
  return (row, ...values) => {
    for (let j = 0; j < values.length; j++) values[j] = valueToExternal(values[j], types[j]);
    let out: unknown;
    try {
      out = fn(...values);
    } catch (err) {
      throw new RowError(row, `[FAILED_EXECUTE_UDF] User defined function (${sig}) failed due to: ${oneLine(err)}`);
    }
    return fromUdf(out, spec.returnType);
  };
}

/** A vectorized UDF's caller: column arrays of `n` rows in, one array of `n` results out. */
export function vectorCaller(spec: UdfSpec, args: BExpr[]): (n: number, columns: unknown[][], firstRow: number) => unknown[] {
  const types = args.map((a) => a.type);
  const sig = signature(spec, args);
  const fn = spec.fn as (...a: unknown[][]) => unknown;
  return (n, columns, firstRow) => {
    const ext = columns.map((c, j) => (["timestamp", "date", "struct", "array"].includes(types[j].kind) ? c.map((v) => valueToExternal(v, types[j])) : c));
    let out: unknown;
    try {
      out = fn(...ext);
    } catch (err) {
      throw new RowError(firstRow, `[FAILED_EXECUTE_UDF] User defined function (${sig}) failed due to: ${oneLine(err)}`);
    }
    if (!Array.isArray(out) && !ArrayBuffer.isView(out)) throw new RowError(firstRow, `[FAILED_EXECUTE_UDF] User defined function (${sig}) failed due to: a vectorized UDF must return an array of ${n} values, got ${typeof out}`);
    const arr = out as ArrayLike<unknown>;
    if (arr.length !== n) throw new RowError(firstRow, `[FAILED_EXECUTE_UDF] User defined function (${sig}) failed due to: it returned ${arr.length} values for ${n} rows; return one value per row`);
    const res = new Array<unknown>(n);
    for (let r = 0; r < n; r++) res[r] = fromUdf(arr[r], spec.returnType);
    return res;
  };
}

/** The bound call of a UDF. */
export function bindUdf(spec: UdfSpec, args: BExpr[]): CallExpr {
  const arity = spec.fn.length;
  if (arity > args.length) throw new AnalysisError(`udf '${spec.name}' takes ${arity} argument${arity === 1 ? "" : "s"}, got ${args.length}`);
  const def: ScalarDef = {
    name: spec.name,
    args: [args.length, args.length],
    nonStrict: true,
    resolve: () => ({ type: spec.returnType }),
    gen: (a: string[], cg: CodeGen) => {
      // A vectorized call outside a projection or filter (an aggregate's argument): one row at a time.
      if (spec.vectorized) return `${cg.konst(vectorCaller(spec, args))}(1, [${a.map((x) => `[${x}]`).join(", ")}], i)[0]`;
      return `${cg.konst(rowCaller(spec, args))}(i${a.map((x) => `, ${x}`).join("")})`;
    },
  };
  return { k: "call", fn: spec.name, def, args, type: spec.returnType, meta: { kind: "udf", name: spec.name, fn: spec.fn as (...a: unknown[]) => unknown, vectorized: spec.vectorized } };
}
