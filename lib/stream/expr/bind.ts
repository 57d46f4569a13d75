/**
 * The binder: an `Expr` bound against an input schema. Every node gets its type; column references become
 * column indexes; function calls are resolved through the function registry (which checks argument types).
 * Wrong names fail here, when the DataFrame is defined, listing the available columns.
 */
import type { Expr } from "./ast";
import { exprName } from "./ast";
import { type StructType, typeString, commonType, StringType, BooleanType, IntegerType, NullType, type DataType } from "../types";
import { didYouMean } from "../../core";
import { castFunction } from "./runtime";
import { fromBig } from "./long";
import { AnalysisError, castTo, columnNames, litType, type BExpr, type FnExpr } from "./bound";
import { functions } from "./functions";
import { bindUdf, registeredUdf, type UdfSpec } from "./udf";

export interface BindContext {
  schema: StructType;
  /** Called for aggregate calls; without it an aggregate is an error (aggregates need groupBy/agg). */
  onAggregate?: (e: FnExpr) => BExpr;
}

/** Resolve `a` or `a.b.c` against the schema (case-insensitive, as Spark by default). */
export function resolvePath(schema: StructType, path: string[]): BExpr {
  const lowerFirst = path[0].toLowerCase();
  // A top-level column whose own name contains dots (`window.start` after flattening) wins when it matches whole.
  const whole = path.join(".").toLowerCase();
  let idx = path.length > 1 ? schema.fields.findIndex((f) => f.name.toLowerCase() === whole) : -1;
  if (idx >= 0) return { k: "col", index: idx, type: schema.fields[idx].type, name: schema.fields[idx].name };
  idx = schema.fields.findIndex((f) => f.name.toLowerCase() === lowerFirst);
  if (idx < 0) {
    const hint = didYouMean(path[0], schema.fields.map((f) => f.name));
    throw new AnalysisError(`column '${path.join(".")}' does not exist${hint ? ` (did you mean '${hint}'?)` : ""}; available columns: ${columnNames(schema)}`);
  }
  let e: BExpr = { k: "col", index: idx, type: schema.fields[idx].type, name: schema.fields[idx].name };
  for (let i = 1; i < path.length; i++) e = fieldAccess(e, path[i], path.slice(0, i).join("."));
  return e;
}

export function fieldAccess(e: BExpr, name: string, where: string): BExpr {
  if (e.type.kind === "map") return { ...functions.call("map_get", [e, { k: "lit", value: name, type: StringType }]), type: e.type.valueType };
  if (e.type.kind !== "struct") throw new AnalysisError(`'${where}' is a ${typeString(e.type)}, not a struct: it has no field '${name}'`);
  const f = e.type.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!f) throw new AnalysisError(`struct '${where}' has no field '${name}'; its fields: ${e.type.fields.map((x) => x.name).join(", ")}`);
  return { k: "field", child: e, name: f.name, type: f.type };
}

function fail64(v: bigint): never {
  throw new AnalysisError(`the literal ${v} does not fit in a BIGINT (64 bits): use a DOUBLE or a DECIMAL`);
}

/** Spark 4 (ANSI mode) fails the query when an explicit CAST of a string to one of these meets a malformed value. */
const ANSI_CAST_TARGETS = new Set(["byte", "short", "integer", "long", "float", "double", "decimal", "boolean", "date", "timestamp"]);

export function bind(e: Expr, ctx: BindContext): BExpr {
  switch (e.t) {
    case "col":
      return resolvePath(ctx.schema, e.path);
    case "star":
      throw new AnalysisError(`'${[...e.qualifier, "*"].join(".")}' can only be used in select, not inside an expression`);
    case "lit": {
      const type = e.type ?? litType(e.value);
      // A bigint is a BIGINT in its one representation (a number while safe; expr/long.ts).
      let value = e.value instanceof Date ? e.value.getTime() : typeof e.value === "bigint" ? fromBig(e.value) ?? fail64(e.value) : e.value;
      if (type.kind === "long" && typeof value === "number" && !Number.isSafeInteger(value)) value = fromBig(BigInt(value)) ?? fail64(BigInt(value));
      return { k: "lit", value, type };
    }
    case "alias":
      return bind(e.child, ctx);
    case "cast": {
      const child = bind(e.child, ctx);
      try {
        castFunction(child.type, e.to);
      } catch {
        throw new AnalysisError(`cannot cast ${exprName(e.child)} from ${typeString(child.type)} to ${typeString(e.to)}`);
      }
      const b = castTo(child, e.to);
      return b.k === "cast" && ANSI_CAST_TARGETS.has(e.to.kind) && (child.type.kind === "string" || child.type.kind === "binary") ? { ...b, ansi: e.try ? "null" : "fail" } : b;
    }
    case "case": {
      const branches = e.branches.map(([c, v]) => [bind(c, ctx), bind(v, ctx)] as [BExpr, BExpr]);
      for (const [c] of branches) {
        if (c.type.kind !== "boolean" && c.type.kind !== "null") throw new AnalysisError(`WHEN condition must be boolean, got ${typeString(c.type)}`);
      }
      const otherwise = e.otherwise ? bind(e.otherwise, ctx) : null;
      let type: DataType = NullType;
      for (const v of [...branches.map((b) => b[1]), ...(otherwise ? [otherwise] : [])]) {
        const c = commonType(type, v.type);
        if (!c) throw new AnalysisError(`CASE branches have incompatible types ${typeString(type)} and ${typeString(v.type)}`);
        type = c;
      }
      return { k: "case", branches: branches.map(([c, v]) => [c, castTo(v, type)]), otherwise: otherwise ? castTo(otherwise, type) : null, type };
    }
    case "fn": {
      const udf = (e.options?.udf as UdfSpec | undefined) ?? registeredUdf(e.name);
      if (udf) return bindUdf(udf, e.args.map((a) => bind(a, ctx)));
      if (functions.isAggregate(e.name) || (e.name === "count" && e.distinct)) {
        if (!ctx.onAggregate) throw new AnalysisError(`aggregate function ${e.name}() can only be used in agg() after groupBy(), or in a global agg()`);
        return ctx.onAggregate(e);
      }
      if (e.name === "and" || e.name === "or") {
        const [l, r] = e.args.map((a) => bind(a, ctx));
        for (const x of [l, r]) {
          if (x.type.kind !== "boolean" && x.type.kind !== "null") throw new AnalysisError(`${e.name.toUpperCase()} needs boolean operands, got ${typeString(x.type)} in ${exprName(e)}`);
        }
        return { k: e.name, args: [l, r], type: BooleanType };
      }
      if (e.name === "get_field") {
        const child = bind(e.args[0], ctx);
        return fieldAccess(child, String((e.args[1] as { value: unknown }).value), exprName(e.args[0]));
      }
      if (e.name === "struct" && e.args.some((a) => a.t === "star")) {
        // Spark's "whole row" idiom, struct(*) / struct(o.*): the star becomes the columns it names, here at analysis time.
        return bind({ ...e, args: e.args.flatMap((a) => (a.t === "star" ? expandStar(a.qualifier, ctx.schema) : [a])) }, ctx);
      }
      const one: BExpr = { k: "lit", value: 1, type: IntegerType };
      const args = e.args.map((a) => (a.t === "star" && e.name === "count" ? one : bind(a, ctx)));
      const key = e.args[1];
      if (e.name === "element_at_0" && args[0].type.kind === "struct" && key?.t === "lit" && typeof key.value === "string") {
        // Spark's ExtractValue: s["f"] and s.getItem("f") on a struct extract the field, as s.f does.
        return fieldAccess(args[0], key.value, exprName(e.args[0]));
      }
      const out = functions.resolveScalar(e.name, args, e);
      if (!out) {
        const hint = didYouMean(e.name, functions.names());
        throw new AnalysisError(`unknown function ${e.name}()${hint ? ` (did you mean ${hint}()?)` : ""}`);
      }
      return out;
    }
  }
}

/** The columns `*` or `qualifier.*` stands for, as column references (named after their fields). */
function expandStar(qualifier: string[], schema: StructType): Expr[] {
  if (qualifier.length === 0) return schema.fields.map((f) => ({ t: "col", path: [f.name] }));
  const base = resolvePath(schema, qualifier);
  if (base.type.kind !== "struct") throw new AnalysisError(`'${qualifier.join(".")}.*' needs a struct column, but '${qualifier.join(".")}' is ${typeString(base.type)}`);
  return base.type.fields.map((f) => ({ t: "col", path: [...qualifier, f.name] }));
}
