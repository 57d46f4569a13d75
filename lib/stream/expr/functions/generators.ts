/**
 * Generators (Spark's explode, explode_outer, posexplode, posexplode_outer, inline, inline_outer) and flatten.
 * A generator call is typed as the struct of the columns it outputs and carries `generator` metadata; it is never
 * compiled as a value: analysis (plan/analyze.ts) turns a select with one into a Generate plan node, and
 * exec/generate.ts repeats the rows over the column arrays.
 */
import { type BExpr, type FnExpr } from "../bound";
import { IntegerType, typeString, type DataType, type StructField } from "../../types";
import { fail } from "./common";
import type { FunctionRegistry } from "./registry";
import { exprSql } from "../ast";

type GenKind = "explode" | "posexplode" | "inline";

/** The columns a generator outputs, under Spark's default names (col, key/value, pos, or the struct's fields). */
function outputFields(kind: GenKind, name: string, arg: BExpr, e: FnExpr): StructField[] {
  const t = arg.type;
  const field = (n: string, type: DataType): StructField => ({ name: n, type, nullable: true });
  const argText = e.args[0] ? exprSql(e.args[0]) : "";
  const mismatch = (want: string) =>
    fail(`[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "${name}(${argText})" due to data type mismatch: The first parameter requires the ${want} type, however "${argText}" has the type "${typeString(t).toUpperCase()}".`);
  if (kind === "inline") {
    if (t.kind !== "array" || t.elementType.kind !== "struct") return mismatch('"ARRAY<STRUCT>"');
    return t.elementType.fields.map((f) => field(f.name, f.type));
  }
  const pos = kind === "posexplode" ? [field("pos", IntegerType)] : [];
  if (t.kind === "array") return [...pos, field("col", t.elementType)];
  if (t.kind === "map") return [...pos, field("key", t.keyType), field("value", t.valueType)];
  return mismatch('("ARRAY" or "MAP")');
}

export function registerGeneratorFunctions(r: FunctionRegistry): void {
  for (const kind of ["explode", "posexplode", "inline"] as const) {
    for (const outer of [false, true]) {
      const name = outer ? `${kind}_outer` : kind;
      r.scalar(name, {
        args: [1, 1],
        nonStrict: true,
        resolve: (args, e) => {
          const fields = outputFields(kind, name, args[0], e);
          return { type: { kind: "struct", fields }, meta: { kind: "generator", gen: kind, outer, fields } };
        },
        gen: () => {
          throw new Error(`streamlab: generator ${name}() reached the code generator; analysis should have made it a Generate node`);
        },
      });
    }
  }
  // flatten(array<array<T>>): one array; NULL when the outer array or any inner array is NULL (Spark's Flatten).
  r.scalar("flatten", {
    args: [1, 1],
    resolve: (args) => {
      const t = args[0].type;
      if (t.kind === "null") return { type: t };
      if (t.kind !== "array" || t.elementType.kind !== "array") return fail(`[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "flatten" due to data type mismatch: The first parameter requires the "ARRAY<ARRAY>" type, however it has the type "${typeString(t).toUpperCase()}".`);
      return { type: t.elementType };
    },
    gen: (a, cg) => `${cg.konst(flatten)}(${a[0]})`,
  });
}

function flatten(arr: (unknown[] | null)[]): unknown[] | null {
  const out: unknown[] = [];
  for (const inner of arr) {
    if (inner == null) return null;
    for (const x of inner) out.push(x);
  }
  return out;
}
