/** Structs, arrays and maps: struct, named_struct, array, size, array_contains, element_at, map access. */
import type { Expr } from "../ast";
import { castTo, metaOf, type BExpr, type CallExpr } from "../bound";
import { RowError, type CodeGen } from "../gen";
import { BooleanType, IntegerType, typeString } from "../../types";
import { fail, literalArg, commonOf } from "./common";
import type { FunctionRegistry } from "./registry";

/** A struct literal with the call's field names. */
const structGen = (a: string[], _cg: unknown, call: CallExpr): string => `{ ${metaOf(call, "struct")!.names.map((n, i) => `${JSON.stringify(n)}: ${a[i]}`).join(", ")} }`;

function structFieldName(e: Expr, i: number): string {
  if (e.t === "alias") return e.name;
  if (e.t === "col") return e.path[e.path.length - 1];
  return `col${i + 1}`;
}

export function registerCollectionFunctions(r: FunctionRegistry): void {
  r.scalar("struct", {
    args: [1, Infinity],
    nonStrict: true,
    resolve: (args, e) => ({
      type: { kind: "struct", fields: args.map((a, i) => ({ name: structFieldName(e.args[i], i), type: a.type, nullable: true })) },
      meta: { kind: "struct", names: args.map((_, i) => structFieldName(e.args[i], i)) },
    }),
    gen: structGen,
  });
  r.scalar("named_struct", {
    args: [2, Infinity],
    nonStrict: true,
    resolve: (args) => {
      const names: string[] = [];
      const values: BExpr[] = [];
      for (let i = 0; i < args.length; i += 2) {
        names.push(String(literalArg(args[i], "named_struct", "a field name")));
        values.push(args[i + 1]);
      }
      return { type: { kind: "struct", fields: names.map((name, i) => ({ name, type: values[i].type, nullable: true })) }, args: values, meta: { kind: "struct", names } };
    },
    gen: structGen,
  });
  r.scalar("array", {
    args: [0, Infinity],
    nonStrict: true,
    resolve: (args) => {
      const t = commonOf("array", args);
      return { type: { kind: "array", elementType: t }, args: args.map((a) => castTo(a, t)) };
    },
    gen: (a) => `[${a.join(", ")}]`,
  });
  // size(NULL) is NULL in Spark 4 (spark.sql.legacy.sizeOfNull is false when ANSI mode is on, the default).
  r.scalar("size", { args: [1, 1], resolve: () => ({ type: IntegerType }), gen: (a) => `Array.isArray(${a[0]}) ? ${a[0]}.length : Object.keys(${a[0]}).length` });
  // array_sort(a): ascending, NULL elements last; sort_array(a[, asc]): NULLs first ascending, last descending.
  const arrayOf = (name: string, t: BExpr) => (t.type.kind === "array" ? t.type : fail(`${name}() needs an array, got ${typeString(t.type)}`));
  r.scalar("array_sort", { args: [1, 1], resolve: (args) => ({ type: arrayOf("array_sort", args[0]) }), gen: (a, cg) => `${cg.konst(sortArray)}(${a[0]}, true, false)` });
  r.scalar("sort_array", {
    args: [1, 2],
    resolve: (args) => ({ type: arrayOf("sort_array", args[0]), args: [args[0], ...(args[1] ? [castTo(args[1], BooleanType)] : [])] }),
    gen: (a, cg) => `${cg.konst(sortArray)}(${a[0]}, ${a[1] ?? "true"}, ${a[1] ?? "true"})`,
  });
  r.scalar("array_contains", { args: [2, 2], resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]}.includes(${a[1]})` });
  // Arrays under Spark 4 (ANSI mode): element_at(a, i) (1-based, negative from the end) and a[i] (0-based) fail
  // the query on an index outside the array; try_element_at and get(a, i) (0-based) give NULL. Maps give NULL.
  const elementType = (name: string, t: BExpr) => (t.type.kind === "array" ? t.type.elementType : t.type.kind === "map" ? t.type.valueType : fail(`${name} needs an array or map, got ${typeString(t.type)}`));
  const oneBased = (mode: "fail" | "null") => (a: string[], cg: CodeGen, call: CallExpr) =>
    call.args[0].type.kind === "array" ? `${cg.konst(mode === "fail" ? elementAt : tryElementAt)}(${a[0]}, ${a[1]}, i)` : `${a[0]}[${a[1]}] ?? null`;
  r.scalar("element_at", { args: [2, 2], resolve: (args) => ({ type: elementType("element_at()", args[0]) }), gen: oneBased("fail") });
  r.scalar("try_element_at", { args: [2, 2], resolve: (args) => ({ type: elementType("try_element_at()", args[0]) }), gen: oneBased("null") });
  r.scalar("element_at_0", {
    args: [2, 2],
    resolve: (args) => ({ type: elementType("[]", args[0]) }),
    gen: (a, cg, call) => (call.args[0].type.kind === "array" ? `${cg.konst(arrayItem)}(${a[0]}, ${a[1]}, i)` : `${a[0]}[${a[1]}] ?? null`),
  });
  r.scalar("get", {
    args: [2, 2],
    resolve: (args) => ({ type: args[0].type.kind === "array" ? args[0].type.elementType : fail(`get() needs an array, got ${typeString(args[0].type)}`), args: [args[0], castTo(args[1], IntegerType)] }),
    gen: (a) => `(${a[1]} >= 0 && ${a[1]} < ${a[0]}.length ? ${a[0]}[${a[1]}] ?? null : null)`,
  });
  r.scalar("map_get", { args: [2, 2], resolve: (args) => ({ type: args[0].type }), gen: (a) => `${a[0]}[${a[1]}] ?? null` });

}

/** element_at(a, i) on an array: 1-based, negative counts from the end; 0 or beyond the array fails the query. */
function elementAt(a: unknown[], i: number, row: number): unknown {
  if (i === 0) throw new RowError(row, "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1). SQLSTATE: 22003");
  if (Math.abs(i) > a.length) throw new RowError(row, `[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index ${i} is out of bounds. The array has ${a.length} elements. Use \`try_element_at\` to tolerate accessing element at invalid index and return NULL instead. SQLSTATE: 22003`);
  return a[i > 0 ? i - 1 : a.length + i] ?? null;
}

/** try_element_at(a, i): element_at, with NULL for an index outside the array (index 0 still fails, as in Spark). */
function tryElementAt(a: unknown[], i: number, row: number): unknown {
  if (i === 0) return elementAt(a, i, row);
  return Math.abs(i) > a.length ? null : a[i > 0 ? i - 1 : a.length + i] ?? null;
}

/** a[i] on an array: 0-based; outside the array fails the query. */
function arrayItem(a: unknown[], i: number, row: number): unknown {
  if (i < 0 || i >= a.length) throw new RowError(row, `[INVALID_ARRAY_INDEX] The index ${i} is out of bounds. The array has ${a.length} elements. Use the SQL function \`get()\` to tolerate accessing element at invalid index and return NULL instead. SQLSTATE: 22003`);
  return a[i] ?? null;
}

/** Spark's ordering of array elements (numbers, strings, booleans, timestamps as numbers); NULLs first or last. */
function sortArray(arr: unknown[], asc: boolean, nullsFirst: boolean): unknown[] {
  const cmp = (x: unknown, y: unknown): number => {
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : nullsFirst ? -1 : 1;
    if (y === null || y === undefined) return nullsFirst ? 1 : -1;
    const d = (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
    return asc ? d : -d;
  };
  return [...arr].sort(cmp);
}
