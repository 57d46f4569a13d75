/**
 * Analysis of a join of two streams, as Spark's stream-stream join: the condition is column names (`on`), or a
 * condition over both sides' columns, whose equalities between a left and a right column become the join keys
 * and whose comparisons of the two sides' event times (`clickTime >= impressionTime AND clickTime <=
 * impressionTime + interval 1 hour`) bound the time difference, which tells how long each side's state must be
 * kept (Spark's StreamingJoinHelper). The whole non-key condition is evaluated on every candidate pair.
 */
import { AnalysisError, columnNames, type BExpr } from "../expr/bound";
import { bind, resolvePath } from "../expr/bind";
import { columnUses, evalConstant } from "../expr/codegen";
import type { Expr } from "../expr/ast";
import { BooleanType, commonType, typeString, type StructField } from "../types";
import { functions } from "../expr/functions";
import type { JoinTimeBounds, PlanNode, StreamJoinHow, StreamJoinNode } from "./nodes";
import { checkStreamJoin } from "./checks";

const HOW: Record<string, StreamJoinHow> = {
  inner: "inner", left: "left", leftouter: "left", left_outer: "left", right: "right", rightouter: "right", right_outer: "right",
  full: "full", outer: "full", fullouter: "full", full_outer: "full", leftsemi: "leftsemi", left_semi: "leftsemi", semi: "leftsemi",
};

export function streamJoinHow(how: string): StreamJoinHow {
  const h = HOW[how.toLowerCase()];
  if (!h) throw new AnalysisError(`join type '${how}' is not supported between two streams: use inner, left_outer, right_outer, full_outer or left_semi`);
  return h;
}

function conjuncts(e: BExpr): BExpr[] {
  return e.k === "and" ? [...conjuncts(e.args[0]), ...conjuncts(e.args[1])] : [e];
}

function andAll(es: BExpr[]): BExpr | null {
  return es.length ? es.reduce((a, b) => ({ k: "and", args: [a, b], type: a.type })) : null;
}

/** `col`, `col + c` or `col - c` (c a constant interval or number of seconds) -> [column index, offset ms]. */
function linear(e: BExpr): [number, number] | null {
  if (e.k === "col") return e.type.kind === "timestamp" ? [e.index, 0] : null;
  if (e.k === "call" && (e.fn === "+" || e.fn === "-") && e.args[0].k === "col" && e.args[0].type.kind === "timestamp") {
    const c = e.args[1];
    if (c.k === "col" || c.k === "field") return null;
    let v: unknown;
    try {
      v = evalConstant(c);
    } catch {
      return null;
    }
    if (typeof v !== "number") return null;
    const ms = c.type.kind === "interval" ? v : v * 1000;
    return [e.args[0].index, e.fn === "+" ? ms : -ms];
  }
  return null;
}

const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** A comparison of a left and a right event time -> a bound on leftTime - rightTime, or null. */
function timeBound(e: BExpr, nLeft: number): { l: number; r: number; lower?: number; upper?: number } | null {
  if (e.k !== "call" || !(e.fn in FLIP)) return null;
  const a = linear(e.args[0]);
  const b = linear(e.args[1]);
  if (!a || !b) return null;
  let op = e.fn;
  let [x, y] = [a, b];
  if (a[0] >= nLeft && b[0] < nLeft) {
    [x, y] = [b, a];
    op = FLIP[op];
  } else if (!(a[0] < nLeft && b[0] >= nLeft)) return null;
  // x.col + x.off OP y.col + y.off  =>  l - r OP y.off - x.off
  const c = y[1] - x[1];
  const out = { l: x[0], r: y[0] - nLeft };
  if (op === ">=") return { ...out, lower: c };
  if (op === ">") return { ...out, lower: c + 1 };
  if (op === "<=") return { ...out, upper: c };
  return { ...out, upper: c - 1 };
}

function watermarked(f: StructField): boolean {
  return f.watermarkDelayMs !== undefined;
}

/** `left.join(right, on, how)` with both sides streams. `on`: column names, or a condition (an unbound Expr). */
export function analyzeStreamJoin(left: PlanNode, right: PlanNode, on: string[] | Expr, howName: string): StreamJoinNode {
  const how = streamJoinHow(howName);
  const lf = left.schema.fields;
  const rf = right.schema.fields;
  const nLeft = lf.length;
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  const rest: BExpr[] = [];
  const leftOnly: BExpr[] = [];
  const rightOnly: BExpr[] = [];
  const nullSafe: boolean[] = [];
  let output: { l?: number; r?: number }[];
  let fields: StructField[];
  if (Array.isArray(on)) {
    for (const n of on) {
      const l = resolvePath(left.schema, [n]);
      let r: BExpr;
      try {
        r = resolvePath(right.schema, [n]);
      } catch {
        throw new AnalysisError(`join column '${n}' does not exist in the right stream; its columns: ${columnNames(right.schema)}`);
      }
      if (l.k !== "col" || r.k !== "col") throw new AnalysisError(`join column '${n}' must be a top-level column`);
      if (!commonType(l.type, r.type)) throw new AnalysisError(`join column '${n}' is ${typeString(l.type)} on the left but ${typeString(r.type)} on the right`);
      leftKeys.push(l.index);
      rightKeys.push(r.index);
      nullSafe.push(false);
    }
    output = [];
    fields = [];
    leftKeys.forEach((li, k) => {
      const ri = rightKeys[k];
      output.push(how === "right" ? { r: ri } : how === "full" ? { l: li, r: ri } : { l: li });
      const f = how === "right" ? rf[ri] : lf[li];
      fields.push({ ...f, nullable: how === "full" ? lf[li].nullable || rf[ri].nullable : f.nullable });
    });
    lf.forEach((f, i) => {
      if (leftKeys.includes(i)) return;
      output.push({ l: i });
      fields.push({ ...f, nullable: f.nullable || how === "right" || how === "full" });
    });
    if (how !== "leftsemi") {
      rf.forEach((f, i) => {
        if (rightKeys.includes(i)) return;
        output.push({ r: i });
        fields.push({ ...f, nullable: f.nullable || how === "left" || how === "full" });
      });
    }
  } else {
    const both = { kind: "struct" as const, fields: [...lf, ...rf] };
    for (const name of new Set(lf.map((f) => f.name.toLowerCase()))) {
      if (rf.some((f) => f.name.toLowerCase() === name) && JSON.stringify(on).toLowerCase().includes(`"${name}"`)) {
        throw new AnalysisError(`[AMBIGUOUS_REFERENCE] Reference \`${name}\` is ambiguous: both streams have it; rename one side's column (withColumnRenamed) before the join`);
      }
    }
    const cond = bind(on, { schema: both });
    if (cond.type.kind !== "boolean") throw new AnalysisError(`the join condition must be boolean, not ${typeString(cond.type)}`);
    for (const c of conjuncts(cond)) {
      if (c.k === "call" && (c.fn === "=" || c.fn === "<=>") && c.args[0].k === "col" && c.args[1].k === "col") {
        const [a, b] = [c.args[0].index, c.args[1].index];
        if ((a < nLeft && b >= nLeft) || (b < nLeft && a >= nLeft)) {
          leftKeys.push(Math.min(a, b));
          rightKeys.push(Math.max(a, b) - nLeft);
          nullSafe.push(c.fn === "<=>");
          continue;
        }
      }
      const uses = new Map<number, number>();
      columnUses(c, uses);
      const cols = [...uses.keys()];
      if (cols.length && cols.every((i) => i < nLeft)) leftOnly.push(c);
      else if (cols.length && cols.every((i) => i >= nLeft)) rightOnly.push(c);
      else rest.push(c);
    }
    output = [...lf.map((_, i) => ({ l: i })), ...(how === "leftsemi" ? [] : rf.map((_, i) => ({ r: i })))];
    fields = [
      ...lf.map((f) => ({ ...f, nullable: f.nullable || how === "right" || how === "full" })),
      ...(how === "leftsemi" ? [] : rf.map((f) => ({ ...f, nullable: f.nullable || how === "left" || how === "full" }))),
    ];
  }
  if (!leftKeys.length) {
    throw new AnalysisError("Stream-stream join without equality predicate is not supported: join on columns (left.join(right, [\"key\"])) or a condition with an equality such as expr(\"leftKey = rightKey AND ...\")");
  }
  // Time bounds: of the comparisons between one left and one right event time, the tightest.
  let bounds: JoinTimeBounds | null = null;
  for (const c of rest) {
    const b = timeBound(c, nLeft);
    if (!b) continue;
    if (bounds && (bounds.leftTime !== b.l || bounds.rightTime !== b.r)) continue;
    bounds ??= { leftTime: b.l, rightTime: b.r, lowerMs: -Infinity, upperMs: Infinity };
    if (b.lower !== undefined) bounds.lowerMs = Math.max(bounds.lowerMs, b.lower);
    if (b.upper !== undefined) bounds.upperMs = Math.min(bounds.upperMs, b.upper);
  }
  const timeKeyIdx = leftKeys.findIndex((li, k) => (watermarked(lf[li]) || watermarked(rf[rightKeys[k]])) && (lf[li].type.kind === "timestamp" || lf[li].type.kind === "struct"));
  const timeKey = timeKeyIdx >= 0 ? timeKeyIdx : null;
  // Left state can go once no future right row (time > watermark) can match it: a lower bound on l - r and a
  // watermark on the right time; the right state symmetrically.
  const leftEvictable = timeKey !== null || (bounds !== null && Number.isFinite(bounds.lowerMs) && watermarked(rf[bounds.rightTime]));
  const rightEvictable = timeKey !== null || (bounds !== null && Number.isFinite(bounds.upperMs) && watermarked(lf[bounds.leftTime]));
  checkStreamJoin(how, leftEvictable, rightEvictable);
  // Spark infers isnotnull(key) for the equi-join keys of a side whose rows are never output unmatched
  // (InferFiltersFromConstraints) and pushes it below that side's withWatermark (filters not on the event time
  // go under EventTimeWatermark): a row with a NULL key never moves that side's watermark.
  const notNullBelowWatermark = (input: PlanNode, keys: number[]): PlanNode => {
    const cols = keys.filter((_, k) => !nullSafe[k]);
    if (input.op !== "watermark" || !cols.length || cols.includes(input.column)) return input;
    const fs = input.child.schema.fields;
    const conds: BExpr[] = cols.map((c) => functions.call("isnotnull", [{ k: "col", index: c, type: fs[c].type, name: fs[c].name }]));
    const cond = conds.reduce((a, b): BExpr => ({ k: "and", args: [a, b], type: BooleanType }));
    return { ...input, child: { op: "filter", child: input.child, cond, schema: input.child.schema, streaming: input.child.streaming } };
  };
  if (how === "inner" || how === "leftsemi" || how === "right") left = notNullBelowWatermark(left, leftKeys);
  if (how === "inner" || how === "leftsemi" || how === "left") right = notNullBelowWatermark(right, rightKeys);
  return {
    op: "streamJoin",
    inputs: [left, right],
    how,
    leftKeys,
    rightKeys,
    nullSafe,
    cond: andAll(rest),
    leftCond: andAll(leftOnly),
    rightCond: andAll(rightOnly),
    bounds,
    timeKey,
    output,
    schema: { kind: "struct", fields },
    streaming: true,
  };
}
