/**
 * union / unionByName, as Spark: by position (union) or by name (unionByName, optionally adding missing columns
 * as nulls); column types widen to their common type (casts are inserted into the inputs); names come from the
 * first input. Nested unions flatten into one node. Streams and static DataFrames cannot be mixed.
 */
import { AnalysisError, castTo } from "../expr/bound";
import type { BExpr } from "../expr/bound";
import { commonType, typeString, type StructField } from "../types";
import type { PlanNode } from "./nodes";
import { checkUnion } from "./checks";

const ORDINAL = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
const ordinal = (i: number) => ORDINAL[i] ?? `${i + 1}th`;
const nth = (i: number) => (i === 0 ? "1st" : i === 1 ? "2nd" : i === 2 ? "3rd" : `${i + 1}th`);

function inputsOf(p: PlanNode): PlanNode[] {
  return p.op === "union" ? p.inputs : [p];
}

/** `right`'s columns reordered to `left`'s names (missing ones null when allowed). */
function byName(left: PlanNode, right: PlanNode, allowMissing: boolean): { right: PlanNode; extraLeft: StructField[] } {
  const rf = right.schema.fields;
  const find = (name: string) => rf.findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
  const exprs: BExpr[] = [];
  const fields: StructField[] = [];
  for (const f of left.schema.fields) {
    const i = find(f.name);
    if (i < 0) {
      if (!allowMissing) {
        throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns: column \`${f.name}\` is missing from the second input (its columns: ${rf.map((x) => x.name).join(", ")}); pass allowMissingColumns=true to fill it with nulls`);
      }
      exprs.push({ k: "lit", value: null, type: f.type });
      fields.push({ name: f.name, type: f.type, nullable: true });
    } else {
      exprs.push({ k: "col", index: i, type: rf[i].type, name: rf[i].name });
      fields.push({ ...rf[i], name: f.name });
    }
  }
  const extra = rf.filter((f) => !left.schema.fields.some((l) => l.name.toLowerCase() === f.name.toLowerCase()));
  if (extra.length && !allowMissing) {
    throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has ${left.schema.fields.length} columns and the second input has ${rf.length} columns (extra: ${extra.map((f) => f.name).join(", ")}); pass allowMissingColumns=true to keep them`);
  }
  for (const f of extra) {
    exprs.push({ k: "col", index: rf.indexOf(f), type: f.type, name: f.name });
    fields.push({ ...f });
  }
  return { right: { op: "project", child: right, exprs, schema: { kind: "struct", fields }, streaming: right.streaming }, extraLeft: extra.map((f) => ({ ...f, nullable: true })) };
}

function withNulls(p: PlanNode, extra: StructField[]): PlanNode {
  if (!extra.length) return p;
  const exprs: BExpr[] = [...p.schema.fields.map((f, i): BExpr => ({ k: "col", index: i, type: f.type, name: f.name })), ...extra.map((f): BExpr => ({ k: "lit", value: null, type: f.type }))];
  return { op: "project", child: p, exprs, schema: { kind: "struct", fields: [...p.schema.fields.map((f) => ({ ...f })), ...extra] }, streaming: p.streaming };
}

/** Cast `p`'s columns to `types` where they differ. */
function castInput(p: PlanNode, fields: StructField[]): PlanNode {
  if (p.schema.fields.every((f, i) => typeString(f.type) === typeString(fields[i].type))) return p;
  const exprs = p.schema.fields.map((f, i) => castTo({ k: "col", index: i, type: f.type, name: f.name }, fields[i].type));
  return { op: "project", child: p, exprs, schema: { kind: "struct", fields: p.schema.fields.map((f, i) => ({ ...f, type: fields[i].type })) }, streaming: p.streaming };
}

export function analyzeUnion(left: PlanNode, right: PlanNode, mode: "position" | "name", allowMissingColumns = false): PlanNode {
  checkUnion(left, right);
  let l = left;
  let r = right;
  if (mode === "name") {
    const aligned = byName(l, r, allowMissingColumns);
    r = aligned.right;
    if (aligned.extraLeft.length) {
      // Extra columns of the right become null columns of every left input.
      l = l.op === "union" ? { ...l, inputs: l.inputs.map((i) => withNulls(i, aligned.extraLeft)), schema: { kind: "struct", fields: [...l.schema.fields, ...aligned.extraLeft] } } : withNulls(l, aligned.extraLeft);
    }
  }
  const inputs = [...inputsOf(l), ...inputsOf(r)];
  const first = inputs[0].schema.fields;
  inputs.forEach((p, k) => {
    if (p.schema.fields.length !== first.length) {
      throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has ${first.length} columns and the ${ordinal(k)} input has ${p.schema.fields.length} columns`);
    }
  });
  const fields: StructField[] = first.map((f, c) => {
    let t = f.type;
    let nullable = f.nullable;
    let watermarkDelayMs = f.watermarkDelayMs;
    inputs.forEach((p, k) => {
      const g = p.schema.fields[c];
      const w = commonType(t, g.type);
      if (!w) {
        throw new AnalysisError(`[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on tables with compatible column types. The ${nth(c)} column of the ${ordinal(k)} table is "${typeString(g.type).toUpperCase()}" type which is not compatible with "${typeString(t).toUpperCase()}" at the same column of the first table; cast one of them`);
      }
      t = w;
      nullable = nullable || g.nullable;
      watermarkDelayMs ??= g.watermarkDelayMs;
    });
    return { name: f.name, type: t, nullable, ...(watermarkDelayMs !== undefined ? { watermarkDelayMs } : {}) };
  });
  return { op: "union", inputs: inputs.map((p) => castInput(p, fields)), schema: { kind: "struct", fields }, streaming: left.streaming };
}
