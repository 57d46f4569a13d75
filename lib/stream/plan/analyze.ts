/**
 * Analysis: what the user-facing DataFrame methods build, checked and resolved against the child's schema.
 * Each function takes the child plan and the user's arguments and returns the new plan node, or throws an
 * AnalysisError naming the problem (where the user wrote it). Streaming restrictions are in checks.ts.
 */
import { colExpr, exprName, exprSql, type Expr } from "../expr/ast";
import { AnalysisError, castTo, children, columnNames, metaOf, type BExpr, type FnExpr } from "../expr/bound";
import { bind, resolvePath } from "../expr/bind";
import { functions, parseInterval, parseCalendarInterval, windowType } from "../expr/functions";
import { type StructType, type StructField, type DataType, typeString, commonType } from "../types";
import type { AggSlot, PlanNode, TimeKey } from "./nodes";
import { checkAggregation, checkJoin } from "./checks";

/** Aggregates that take several arguments (packed as struct(c0, c1, ...) per row). */
const MULTI_ARG_AGGREGATES = new Set(["count_distinct", "min_by", "max_by", "percentile_approx", "approx_percentile", "approx_count_distinct"]);

const colRefs = (schema: StructType): BExpr[] => schema.fields.map((f, i) => ({ k: "col", index: i, type: f.type, name: f.name }));

function project(child: PlanNode, exprs: BExpr[], fields: StructField[], names: (string[] | undefined)[] = []): PlanNode {
  const gens = checkGenerators(exprs);
  if (gens.length === 1) return generate(child, exprs, fields, gens[0], names[gens[0]]);
  const windows = new Set<string>();
  const times: BExpr[] = [];
  for (const b of exprs) checkWindowInSelect(b, windows, times);
  // As Spark's TimeWindowing rule: one window expression per operator, and rows whose time is NULL are dropped.
  if (windows.size > 1) throw new AnalysisError("Multiple time/session window expressions would result in a cartesian product of rows, therefore they are currently not supported.");
  if (times.length) child = { op: "filter", child, cond: functions.call("isnotnull", [times[0]]), schema: child.schema, streaming: child.streaming };
  const sliding = findSliding(exprs);
  if (sliding) return expandSliding(child, exprs, fields, sliding);
  return { op: "project", child, exprs, schema: { kind: "struct", fields }, streaming: child.streaming };
}

/** The sliding window() call of a select (one at most, checkWindowInSelect made sure). */
function findSliding(exprs: BExpr[]): Extract<BExpr, { k: "call" }> | undefined {
  for (const b of exprs) {
    const w = metaOf(b, "window");
    if (w && w.sizeMs !== w.slideMs) return b as Extract<BExpr, { k: "call" }>;
    const inner = findSliding(children(b));
    if (inner) return inner;
  }
  return undefined;
}

/**
 * A sliding window() in a select, as Spark's TimeWindowing: each row becomes one row per window it falls in (an
 * Expand). Here: the child's columns plus the list of the row's windows, exploded by a Generate node, then the
 * select with the window call reading the generated column.
 */
function expandSliding(child: PlanNode, exprs: BExpr[], fields: StructField[], call: Extract<BExpr, { k: "call" }>): PlanNode {
  const n = child.schema.fields.length;
  const list = { ...functions.call("__window_list", [call.args[0]]), meta: call.meta };
  const lower: PlanNode = { op: "project", child, exprs: [...colRefs(child.schema), list], schema: { kind: "struct", fields: [...child.schema.fields, { name: "__windows", type: list.type, nullable: true }] }, streaming: child.streaming };
  const genFields = [...child.schema.fields, { name: "__window", type: call.type, nullable: true }];
  const expanded: PlanNode = { op: "generate", child: lower, gen: "explode", outer: false, input: n, at: n, width: 1, schema: { kind: "struct", fields: genFields }, streaming: child.streaming };
  const windowCol: BExpr = { k: "col", index: n, type: call.type, name: "__window" };
  const swap = (b: BExpr): BExpr => {
    if (b === call) return windowCol;
    switch (b.k) {
      case "call": return { ...b, args: b.args.map(swap) };
      case "and":
      case "or": return { ...b, args: [swap(b.args[0]), swap(b.args[1])] };
      case "field":
      case "cast": return { ...b, child: swap(b.child) };
      case "case": return { ...b, branches: b.branches.map(([c, v]) => [swap(c), swap(v)] as [BExpr, BExpr]), otherwise: b.otherwise ? swap(b.otherwise) : null };
      default: return b;
    }
  };
  return { op: "project", child: expanded, exprs: exprs.map(swap), schema: { kind: "struct", fields }, streaming: child.streaming };
}

// ---- generators (explode, posexplode, inline; expr/functions/generators.ts) -----------------------------------

const isGenerator = (b: BExpr): boolean => metaOf(b, "generator") !== undefined;

function genSql(b: BExpr): string {
  return b.k === "call" ? `"${b.fn}(${b.args.map((a) => (a.k === "col" ? a.name : a.k === "field" ? a.name : "...")).join(", ")})"` : '""';
}

/** Spark's ExtractGenerator rules: generators only at the top of a select item, and one per select. Returns their indexes. */
function checkGenerators(exprs: BExpr[]): number[] {
  const nested = (b: BExpr): BExpr | undefined => {
    for (const c of children(b)) {
      if (isGenerator(c)) return c;
      const n = nested(c);
      if (n) return n;
    }
    return undefined;
  };
  for (const b of exprs) {
    const n = nested(b);
    if (n) throw new AnalysisError(`[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS] The generator is not supported: nested in expressions ${genSql(n)}. Apply it at the top of a select item and compute on its output in a following select.`);
  }
  const gens = exprs.flatMap((b, i) => (isGenerator(b) ? [i] : []));
  if (gens.length > 1) {
    throw new AnalysisError(`[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] The generator is not supported: only one generator allowed per SELECT clause but found ${gens.length}: ${gens.map((i) => genSql(exprs[i])).join(", ")}. Explode in one select, then the next in another.`);
  }
  return gens;
}

/** Outside select (filter, groupBy, agg): Spark's OUTSIDE_SELECT. */
function refuseGenerator(b: BExpr, where: string): void {
  const walk = (x: BExpr): void => {
    if (isGenerator(x)) throw new AnalysisError(`[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT] The generator is not supported: outside the SELECT clause, found: ${where}. Explode in a select() first.`);
    children(x).forEach(walk);
  };
  walk(b);
}

/** A select with one generator: a projection of the other items and the generator's input, then a Generate node. */
function generate(child: PlanNode, exprs: BExpr[], fields: StructField[], g: number, aliases: string[] | undefined): PlanNode {
  const call = exprs[g] as Extract<BExpr, { k: "call" }>;
  const meta = metaOf(call, "generator")!;
  const outFields = meta.fields.map((f) => ({ ...f }));
  if (aliases) {
    if (aliases.length !== outFields.length) throw new AnalysisError(`[UDTF_ALIAS_NUMBER_MISMATCH] The number of aliases supplied in the AS clause does not match the number of columns output by the UDTF. Expected ${outFields.length} aliases, but got ${aliases.map((a) => `"${a}"`).join(", ")}.`);
    aliases.forEach((a, i) => (outFields[i].name = a));
  }
  const lowerExprs = [...exprs.slice(0, g), ...exprs.slice(g + 1), call.args[0]];
  const lowerFields = [...fields.slice(0, g), ...fields.slice(g + 1), { name: "__generator_input", type: call.args[0].type, nullable: true }];
  const lower = project(child, lowerExprs, lowerFields);
  const schema: StructType = { kind: "struct", fields: [...fields.slice(0, g), ...outFields, ...fields.slice(g + 1)] };
  return { op: "generate", child: lower, gen: meta.gen, outer: meta.outer, input: lowerExprs.length - 1, at: g, width: outFields.length, schema, streaming: child.streaming };
}

/** The names a select item gives a generator's columns: `alias("a", "b")` / `AS (a, b)` / `alias("a")`; none: defaults. */
function aliasNames(e: Expr): string[] | undefined {
  return e.t === "alias" ? (e.names ?? [e.name]) : undefined;
}

/** select(...): `*` and `s.*` expand to columns; anything else is bound and named after what the user wrote. */
export function analyzeSelect(child: PlanNode, list: Expr[]): PlanNode {
  if (list.length === 0) throw new AnalysisError("select() needs at least one column");
  const schema = child.schema;
  const exprs: BExpr[] = [];
  const fields: StructField[] = [];
  const names: (string[] | undefined)[] = [];
  for (const e of list) {
    if (e.t === "star") {
      if (e.qualifier.length === 0) {
        schema.fields.forEach((f, i) => {
          exprs.push({ k: "col", index: i, type: f.type, name: f.name });
          fields.push({ ...f });
        });
        continue;
      }
      const base = resolvePath(schema, e.qualifier);
      if (base.type.kind !== "struct") throw new AnalysisError(`'${e.qualifier.join(".")}.*' needs a struct column, but '${e.qualifier.join(".")}' is ${typeString(base.type)}`);
      for (const f of base.type.fields) {
        exprs.push({ k: "field", child: base, name: f.name, type: f.type });
        fields.push({ name: f.name, type: f.type, nullable: true });
      }
      continue;
    }
    const b = bind(e, { schema });
    names[exprs.length] = aliasNames(e);
    exprs.push(b);
    // A column keeps its watermark; so do a window() and a window_time() over a watermarked column (Spark's TimeWindowing).
    const wm = watermarkOf(b.k === "call" && b.fn === "window" ? b.args[0] : b, schema);
    // s.getItem("a") / s["a"] on a struct is the field s.a, named so (Spark's ExtractValue).
    const name = e.t === "fn" && e.name === "element_at_0" && b.k === "field" ? `${exprSql(e.args[0])}.${b.name}` : exprName(e);
    fields.push({ name, type: b.type, nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) });
  }
  return project(child, exprs, fields, names);
}

/** withColumns({name: expr}): replaces a column of that name (any case) or appends one. */
export function analyzeWithColumns(child: PlanNode, map: Record<string, Expr>): PlanNode {
  const schema = child.schema;
  const exprs = colRefs(schema);
  const fields: StructField[] = schema.fields.map((f) => ({ ...f }));
  const names: (string[] | undefined)[] = [];
  for (const [name, e] of Object.entries(map)) {
    const b = bind(e, { schema });
    const at = fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
    if (isGenerator(b)) names[at >= 0 ? at : exprs.length] = [name];
    // window() and window_time() of a watermarked column keep its watermark (Spark's TimeWindowing), as in select.
    const wm = b.k === "call" && (b.fn === "window" || b.fn === "window_time") ? watermarkOf(b.fn === "window" ? b.args[0] : b, schema) : undefined;
    const field: StructField = { name, type: b.type, nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) };
    if (at >= 0) {
      exprs[at] = b;
      fields[at] = field;
    } else {
      exprs.push(b);
      fields.push(field);
    }
  }
  return project(child, exprs, fields, names);
}

/** withColumnRenamed: a no-op when the column does not exist, as in Spark. */
export function analyzeRename(child: PlanNode, existing: string, renamed: string): PlanNode {
  const schema = child.schema;
  if (!schema.fields.some((f) => f.name.toLowerCase() === existing.toLowerCase())) return child;
  return project(child, colRefs(schema), schema.fields.map((f) => (f.name.toLowerCase() === existing.toLowerCase() ? { ...f, name: renamed } : { ...f })));
}

/** drop(names): unknown names are ignored, as in Spark. */
export function analyzeDrop(child: PlanNode, names: string[]): PlanNode {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const schema = child.schema;
  const keep = schema.fields.map((f, i) => [f, i] as const).filter(([f]) => !drop.has(f.name.toLowerCase()));
  if (keep.length === schema.fields.length) return child;
  return project(child, keep.map(([f, i]) => ({ k: "col", index: i, type: f.type, name: f.name })), keep.map(([f]) => ({ ...f })));
}

export function analyzeToDF(child: PlanNode, names: string[]): PlanNode {
  const schema = child.schema;
  if (names.length !== schema.fields.length) throw new AnalysisError(`toDF() needs ${schema.fields.length} names (${columnNames(schema)}), got ${names.length}`);
  return project(child, colRefs(schema), schema.fields.map((f, i) => ({ ...f, name: names[i] })));
}

export function analyzeFilter(child: PlanNode, e: Expr): PlanNode {
  const cond = bind(e, { schema: child.schema });
  refuseGenerator(cond, "Filter");
  if (cond.type.kind !== "boolean" && cond.type.kind !== "null") throw new AnalysisError(`filter condition must be boolean, but '${exprName(e)}' is ${typeString(cond.type)}`);
  return { op: "filter", child, cond, schema: child.schema, streaming: child.streaming };
}

/** withWatermark(eventTime, delay): marks a top-level timestamp column with its delay. */
export function analyzeWatermark(child: PlanNode, eventTime: string, delayThreshold: string): PlanNode {
  const schema = child.schema;
  const ref = colExpr(eventTime);
  const b = resolvePath(schema, ref.t === "col" ? ref.path : [eventTime]);
  if (b.k !== "col") throw new AnalysisError(`withWatermark() needs a top-level column; select '${eventTime}' into its own column first`);
  if (b.type.kind !== "timestamp") throw new AnalysisError(`withWatermark('${eventTime}', ...) needs a timestamp column, but it is ${typeString(b.type)}; cast it with to_timestamp()`);
  // As Spark's: a calendar interval whose months count 31 days each; no part of it may be negative.
  const cal = parseCalendarInterval(delayThreshold);
  if (cal && (cal.months < 0 || cal.days < 0 || cal.micros < 0)) throw new AnalysisError(`Delay threshold (${delayThreshold}) should not be negative.`);
  const delayMs = cal ? (cal.months * 31 + cal.days) * 86_400_000 + cal.micros / 1000 : parseInterval(delayThreshold);
  if (delayMs < 0) throw new AnalysisError(`Delay threshold (${delayThreshold}) should not be negative.`);
  // A new watermark replaces the old one: the column marked before loses its mark (Spark's EventTimeWatermark).
  const fields = schema.fields.map((f, i) => {
    if (i === b.index) return { ...f, watermarkDelayMs: delayMs };
    const { watermarkDelayMs: _old, ...rest } = f;
    return rest;
  });
  return { op: "watermark", child, column: b.index, delayMs, schema: { kind: "struct", fields }, streaming: child.streaming };
}

/** dropDuplicates(subset): with a watermarked event-time column among the keys, state is evicted by it. */
export function analyzeDropDuplicates(child: PlanNode, subset?: string[] | string): PlanNode {
  const schema = child.schema;
  const names = subset === undefined ? schema.fields.map((f) => f.name) : Array.isArray(subset) ? subset : [subset];
  const keys = names.map((n) => (resolvePath(schema, [n]) as { index: number }).index);
  // The watermarked event time among the keys (after an aggregation: window_time(window), not the window).
  const etKey = keys.find((k) => schema.fields[k].watermarkDelayMs !== undefined && schema.fields[k].type.kind === "timestamp") ?? null;
  return { op: "dedup", child, keys, eventTime: etKey, schema, streaming: child.streaming };
}

/** A stream (or static) left side joined with a static right side on same-named columns. */
export function analyzeJoin(child: PlanNode, right: PlanNode, on: string | string[], how: string): PlanNode {
  checkJoin(right);
  const kind = how === "inner" ? "inner" : how === "left" || how === "left_outer" || how === "leftouter" ? "left" : null;
  if (!kind) throw new AnalysisError(`join type '${how}' is not supported between a stream and a static DataFrame: use "inner" or "left"`);
  const names = Array.isArray(on) ? on : [on];
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  for (const n of names) {
    const l = resolvePath(child.schema, [n]) as { index: number; type: DataType };
    let r: { index: number; type: DataType };
    try {
      r = resolvePath(right.schema, [n]) as { index: number; type: DataType };
    } catch {
      throw new AnalysisError(`join column '${n}' does not exist in the static DataFrame; its columns: ${columnNames(right.schema)}`);
    }
    if (!commonType(l.type, r.type)) throw new AnalysisError(`join column '${n}' is ${typeString(l.type)} on the left but ${typeString(r.type)} on the right`);
    leftKeys.push(l.index);
    rightKeys.push(r.index);
  }
  const output: ["l" | "r", number][] = [];
  const fields: StructField[] = [];
  leftKeys.forEach((li) => {
    output.push(["l", li]);
    fields.push({ ...child.schema.fields[li] });
  });
  child.schema.fields.forEach((f, i) => {
    if (!leftKeys.includes(i)) {
      output.push(["l", i]);
      fields.push({ ...f });
    }
  });
  right.schema.fields.forEach((f, i) => {
    if (!rightKeys.includes(i)) {
      output.push(["r", i]);
      fields.push({ name: f.name, type: f.type, nullable: true });
    }
  });
  return { op: "join", child, right, leftKeys, rightKeys, how: kind, output, schema: { kind: "struct", fields }, streaming: child.streaming };
}

/** A sliding window() or a session_window() is a grouping key only. Collects the distinct windows and their times. */
function checkWindowInSelect(b: BExpr, windows: Set<string>, times: BExpr[]): void {
  if (b.k === "call" && b.fn === "session_window") throw new AnalysisError("session_window() can only be used as a groupBy() key");
  if (b.k === "call" && b.fn === "window") {
    const x = metaOf(b, "window")!;
    const key = JSON.stringify([x, b.args[0]]);
    if (!windows.has(key)) times.push(b.args[0]);
    windows.add(key);
  }
  children(b).forEach((c) => checkWindowInSelect(c, windows, times));
}

/**
 * The watermark delay an expression's value carries: a watermarked column's, through window_time() of a
 * watermarked window column (a windowed aggregation's output, for a chained aggregation) and casts to timestamp.
 */
function watermarkOf(b: BExpr, schema: StructType): number | undefined {
  if (b.k === "col") return schema.fields[b.index]?.watermarkDelayMs;
  if (b.k === "call" && b.fn === "window_time") return watermarkOf(b.args[0], schema);
  if (b.k === "cast" && b.type.kind === "timestamp") return watermarkOf(b.child, schema);
  return undefined;
}

/**
 * groupBy(keys).agg(aggs): keys are bound against the input; each aggregate call becomes a slot (the same
 * call twice is one slot); what surrounds aggregates (sum(a) / count(*), key columns) is bound against
 * [keys..., slot results...] as the final projection. A window()/session_window() key becomes the time key.
 */
export function analyzeAggregate(child: PlanNode, keyExprs: Expr[], aggExprs: Expr[]): PlanNode {
  const schema = child.schema;
  const keys: BExpr[] = [];
  const keyNames: string[] = [];
  const keyFields: StructField[] = [];
  let timeKey: TimeKey | null = null;
  let eventTimeKey: number | null = null;
  keyExprs.forEach((ke, i) => {
    if (ke.t === "star") throw new AnalysisError("groupBy('*') is not supported: name the key columns");
    const b = bind(ke, { schema });
    refuseGenerator(b, "Aggregate");
    const name = exprName(ke);
    if (b.k === "call" && (b.fn === "window" || b.fn === "session_window")) {
      if (timeKey) throw new AnalysisError("only one window() or session_window() key per groupBy()");
      const w = metaOf(b, "window");
      const s = metaOf(b, "session_window");
      timeKey = w ? { kind: "window", keyIndex: i, sizeMs: w.sizeMs, slideMs: w.slideMs, startMs: w.startMs } : { kind: "session", keyIndex: i, gapMs: s!.gapMs };
      const arg = b.args[0];
      keys.push(arg);
      const wm = watermarkOf(arg, schema);
      if (wm !== undefined) eventTimeKey = i;
      keyFields.push({ name, type: windowType(), nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) });
    } else {
      keys.push(b);
      const wm = watermarkOf(b, schema);
      if (wm !== undefined && b.type.kind === "timestamp" && eventTimeKey === null) eventTimeKey = i;
      keyFields.push({ name, type: b.type, nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) });
    }
    keyNames.push(name);
  });
  const slots: AggSlot[] = [];
  const slotFields: StructField[] = [];
  const slotKeys = new Map<string, number>();
  const intermediate = (): StructType => ({ kind: "struct", fields: [...keyFields, ...slotFields] });
  const onAggregate = (e: FnExpr): BExpr => {
    let name = e.name;
    const distinct = e.distinct === true || name === "count_distinct" || name === "countdistinct";
    if (name === "countdistinct" || (name === "count" && distinct)) name = "count_distinct";
    const def = functions.aggDef(name)!;
    const star = e.args.length === 1 && e.args[0].t === "star";
    if (star && name !== "count") throw new AnalysisError(`${name}(*) is not valid: only count(*) takes *`);
    if (!star && e.args.length < 1) throw new AnalysisError(`${name}() needs a column`);
    const argExprs = star ? [] : e.args.map((a) => bind(a, { schema }));
    if (argExprs.length > 1) {
      if (!MULTI_ARG_AGGREGATES.has(name)) throw new AnalysisError(`${name}() takes one column`);
    }
    const args = argExprs.length > 1 ? [functions.call("struct", argExprs, argExprs.map((_, i) => `c${i}`))] : argExprs;
    const r = star ? { type: def.resolve([{ k: "lit", value: 1, type: { kind: "integer" } }], false).type, args: [] as BExpr[] } : def.resolve(args, distinct);
    const arg = star ? null : (r.args ?? args)[0];
    const key = `${name}|${distinct}|${JSON.stringify(arg)}`;
    let slot = slotKeys.get(key);
    if (slot === undefined) {
      slot = slots.length;
      slotKeys.set(key, slot);
      slots.push({ fn: name, def: ("impl" in r && r.impl) || def, arg, distinct });
      slotFields.push({ name: `__agg${slot}`, type: r.type, nullable: true });
    }
    return { k: "col", index: keyFields.length + slot, type: r.type, name: `__agg${slot}` };
  };
  // Aggregate expressions are bound against the input; what surrounds them (sum(a) / count(*), key columns)
  // is bound against [keys..., aggregate results...].
  const post: BExpr[] = [];
  const outFields: StructField[] = keyFields.map((f) => ({ ...f }));
  keyFields.forEach((f, i) => post.push({ k: "col", index: i, type: f.type, name: f.name }));
  for (const ae of aggExprs) {
    const name = exprName(ae);
    const b = bindPostAggregate(ae, schema, keyExprs, keyFields, onAggregate, intermediate);
    post.push(b);
    outFields.push({ name, type: b.type, nullable: true });
  }
  const plan: PlanNode = { op: "aggregate", child, keys, keyNames, timeKey, eventTimeKey, slots, post, schema: { kind: "struct", fields: outFields }, streaming: child.streaming };
  checkAggregation(plan);
  return plan;
}

function bindPostAggregate(
  e: Expr,
  input: StructType,
  keyExprs: Expr[],
  keyFields: StructField[],
  onAggregate: (e: FnExpr) => BExpr,
  intermediate: () => StructType,
): BExpr {
  // A key expression used as is refers to the key column.
  const keyIndex = keyExprs.findIndex((k) => JSON.stringify(k) === JSON.stringify(e.t === "alias" ? e.child : e));
  if (keyIndex >= 0) return { k: "col", index: keyIndex, type: keyFields[keyIndex].type, name: keyFields[keyIndex].name };
  switch (e.t) {
    case "alias":
      return bindPostAggregate(e.child, input, keyExprs, keyFields, onAggregate, intermediate);
    case "fn": {
      if (functions.aggDef(e.name) || e.name === "countdistinct" || (e.name === "count" && e.distinct)) return onAggregate(e);
      const args = e.args.map((a) => ({ t: "lit", value: null, __bound: bindPostAggregate(a, input, keyExprs, keyFields, onAggregate, intermediate) }) as unknown as Expr);
      return rebind(e, args, intermediate);
    }
    case "cast": {
      const child = bindPostAggregate(e.child, input, keyExprs, keyFields, onAggregate, intermediate);
      return castTo(child, e.to);
    }
    case "case": {
      const bound = bind(e, { schema: intermediate() });
      return bound;
    }
    case "lit":
      return bind(e, { schema: input });
    case "col": {
      try {
        return bind(e, { schema: { kind: "struct", fields: keyFields } });
      } catch {
        throw new AnalysisError(`column '${e.path.join(".")}' is neither a groupBy() key nor inside an aggregate function; keys: ${keyFields.map((f) => f.name).join(", ") || "(none)"}`);
      }
    }
    default:
      return bind(e, { schema: intermediate() });
  }
}

/** Bind a scalar function whose arguments are already bound (smuggled as pseudo-literals). */
function rebind(e: FnExpr, args: Expr[], intermediate: () => StructType): BExpr {
  const bound = args.map((a) => (a as unknown as { __bound: BExpr }).__bound);
  const schema = intermediate();
  const fields: StructField[] = [...schema.fields];
  const refs: Expr[] = bound.map((b, i) => {
    fields.push({ name: `__arg${i}`, type: b.type, nullable: true });
    return { t: "col", path: [`__arg${i}`] };
  });
  const out = bind({ ...e, args: e.args.map((orig, i) => (orig.t === "lit" ? orig : refs[i])) }, { schema: { kind: "struct", fields } });
  // Substitute the temporary references by the bound arguments.
  const base = schema.fields.length;
  const subst = (x: BExpr): BExpr => {
    if (x.k === "col" && x.index >= base) return bound[x.index - base];
    if (x.k === "call") return { ...x, args: x.args.map(subst) };
    if (x.k === "and" || x.k === "or") return { ...x, args: [subst(x.args[0]), subst(x.args[1])] };
    if (x.k === "cast" || x.k === "field") return { ...x, child: subst(x.child) };
    if (x.k === "case") return { ...x, branches: x.branches.map(([c, v]) => [subst(c), subst(v)] as [BExpr, BExpr]), otherwise: x.otherwise ? subst(x.otherwise) : null };
    return x;
  };
  return subst(out);
}

