/** Physical operators over columnar batches, built once per query run from the logical plan. */
import type { PlanNode } from "../plan/nodes";
import { metaOf, type BExpr } from "../expr/bound";
import { linearize } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { gather, keyOf, tupleKey } from "./batch";
import { compilePredicate, compileProjection, RowError, columnUses, substitute } from "../expr/codegen";
import { AggregateOperator } from "./aggregate";
import { runPlanBatch } from "./static";

export interface StatefulOperator {
  readonly operatorName: string;
  metrics: { updated: number; removed: number; dropped: number };
  numRowsTotal(): number;
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface PhysicalOperator {
  readonly name: string;
  run(b: Batch, ctx: ExecContext): Batch;
  readonly state?: StatefulOperator;
}

/** An error in a row, with where the row came from (topic, partition, offset). */
export class QueryExecutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryExecutionError";
  }
}

function withRowErrors<T>(b: Batch, ctx: ExecContext, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RowError) {
      const source = b.rowIds ? b.rowIds[err.row] : err.row;
      throw new QueryExecutionError(`${err.message} (${ctx.describeRow(source)})`);
    }
    throw err;
  }
}

class ProjectOperator implements PhysicalOperator {
  readonly name = "project";
  private readonly fn;
  constructor(node: Extract<PlanNode, { op: "project" }>, needed?: boolean[]) {
    this.fn = compileProjection(node.exprs, needed);
  }
  run(b: Batch, ctx: ExecContext): Batch {
    return withRowErrors(b, ctx, () => ({ n: b.n, cols: this.fn(b.cols, b.n, ctx), rowIds: b.rowIds }));
  }
}

class FilterOperator implements PhysicalOperator {
  readonly name = "filter";
  private readonly fn;
  constructor(node: Extract<PlanNode, { op: "filter" }>) {
    this.fn = compilePredicate(node.cond);
  }
  run(b: Batch, ctx: ExecContext): Batch {
    const sel = withRowErrors(b, ctx, () => this.fn(b.cols, b.n, ctx));
    return sel.length === b.n ? b : gather(b, sel);
  }
}

/** Records event-time statistics for the watermark; rows pass through (stateful operators drop late rows). */
class WatermarkOperator implements PhysicalOperator {
  readonly name = "watermark";
  constructor(private readonly column: number) {}
  run(b: Batch, ctx: ExecContext): Batch {
    const col = b.cols[this.column] as (number | null)[];
    const s = ctx.eventTime;
    for (let i = 0; i < b.n; i++) {
      const t = col[i];
      if (t == null) continue;
      if (t < s.min) s.min = t;
      if (t > s.max) s.max = t;
      s.sum += t;
      s.count++;
    }
    return b;
  }
}

class DedupOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "dedup";
  readonly operatorName = "dedupe";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  private seen = new Map<unknown, number | null>();
  constructor(private readonly node: Extract<PlanNode, { op: "dedup" }>) {}
  numRowsTotal(): number {
    return this.seen.size;
  }
  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    const keys = this.node.keys.map((k) => b.cols[k]);
    const et = this.node.eventTime !== null ? (b.cols[this.node.eventTime] as (number | null)[]) : null;
    const wm = et && ctx.streaming ? ctx.watermarkMs : -Infinity;
    const sel = new Int32Array(b.n);
    let m = 0;
    const tuple: unknown[] = new Array(keys.length);
    for (let i = 0; i < b.n; i++) {
      if (et && et[i] != null && (et[i] as number) <= wm) {
        this.metrics.dropped++;
        continue;
      }
      let hk: unknown;
      if (keys.length === 1) hk = keyOf(keys[0][i]);
      else {
        for (let j = 0; j < keys.length; j++) tuple[j] = keys[j][i];
        hk = tupleKey(tuple);
      }
      if (this.seen.has(hk)) continue;
      this.seen.set(hk, et ? et[i] : null);
      this.metrics.updated++;
      sel[m++] = i;
    }
    if (wm > -Infinity) {
      for (const [hk, t] of this.seen) {
        if (t !== null && t <= wm) {
          this.seen.delete(hk);
          this.metrics.removed++;
        }
      }
    }
    return m === b.n ? b : gather(b, sel.subarray(0, m));
  }
  snapshot(): unknown {
    return [...this.seen.entries()];
  }
  restore(state: unknown): void {
    this.seen = new Map(state as [unknown, number | null][]);
  }
}

/** Stream-static join: the static side is computed once and hashed on its keys. */
class StaticJoinOperator implements PhysicalOperator {
  readonly name = "join";
  private readonly table = new Map<unknown, number[]>();
  private readonly right: Batch;
  constructor(private readonly node: Extract<PlanNode, { op: "join" }>) {
    this.right = runPlanBatch(node.right);
    const tuple: unknown[] = new Array(node.rightKeys.length);
    for (let r = 0; r < this.right.n; r++) {
      let hasNull = false;
      for (let j = 0; j < node.rightKeys.length; j++) {
        const v = this.right.cols[node.rightKeys[j]][r];
        if (v == null) hasNull = true;
        tuple[j] = normalizeJoinKey(v);
      }
      if (hasNull) continue;
      const hk = tupleKey(tuple);
      const list = this.table.get(hk);
      if (list) list.push(r);
      else this.table.set(hk, [r]);
    }
  }
  run(b: Batch): Batch {
    const { leftKeys, output, how } = this.node;
    const leftIdx: number[] = [];
    const rightIdx: number[] = [];
    const tuple: unknown[] = new Array(leftKeys.length);
    for (let i = 0; i < b.n; i++) {
      let hasNull = false;
      for (let j = 0; j < leftKeys.length; j++) {
        const v = b.cols[leftKeys[j]][i];
        if (v == null) hasNull = true;
        tuple[j] = normalizeJoinKey(v);
      }
      const matches = hasNull ? undefined : this.table.get(tupleKey(tuple));
      if (matches) {
        for (const r of matches) {
          leftIdx.push(i);
          rightIdx.push(r);
        }
      } else if (how === "left") {
        leftIdx.push(i);
        rightIdx.push(-1);
      }
    }
    const m = leftIdx.length;
    const cols = output.map(([side, c]) => {
      const src = side === "l" ? b.cols[c] : this.right.cols[c];
      const idx = side === "l" ? leftIdx : rightIdx;
      const out = new Array(m);
      for (let k = 0; k < m; k++) out[k] = idx[k] < 0 ? null : src[idx[k]];
      return out;
    });
    const rowIds = new Int32Array(m);
    for (let k = 0; k < m; k++) rowIds[k] = b.rowIds ? b.rowIds[leftIdx[k]] : leftIdx[k];
    return { n: m, cols, rowIds };
  }
}

/** Numbers and numeric strings join equal (a long key against a double key). */
function normalizeJoinKey(v: unknown): unknown {
  return typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) && String(Number(v)) === v ? Number(v) : v;
}

/** The physical pipeline for `root`: every operator after the source, in order. */
export function buildPipeline(root: PlanNode): PhysicalOperator[] {
  const ops: PhysicalOperator[] = [];
  const nodes = collapseProjections(linearize(root).slice(1));
  const needed = pruneColumns(nodes);
  nodes.forEach((n, i) => {
    switch (n.op) {
      case "project": ops.push(new ProjectOperator(n, needed[i])); break;
      case "filter": ops.push(new FilterOperator(n)); break;
      case "watermark": ops.push(new WatermarkOperator(n.column)); break;
      case "aggregate": {
        const agg = new AggregateOperator(n);
        ops.push({ name: "aggregate", state: agg, run: (b, ctx) => agg.run(b, ctx) });
        break;
      }
      case "dedup": ops.push(new DedupOperator(n)); break;
      case "join": ops.push(new StaticJoinOperator(n)); break;
      default: throw new Error(`streamlab: unexpected plan node ${n.op} inside a pipeline`);
    }
  });
  return ops;
}

/** Is input column `i` (a from_json result) read only through field accesses in `exprs`? */
function onlyFieldUses(exprs: BExpr[], i: number, source: BExpr): boolean {
  if (source.k !== "call" || source.fn !== "from_json") return false;
  let ok = true;
  const walk = (e: BExpr, underField: boolean): void => {
    if (e.k === "col") {
      if (e.index === i && !underField) ok = false;
      return;
    }
    if (e.k === "field") return walk(e.child, e.child.k === "col");
    const kids: BExpr[] = e.k === "call" || e.k === "and" || e.k === "or" ? e.args : e.k === "cast" ? [e.child] : e.k === "case" ? [...e.branches.flat(), ...(e.otherwise ? [e.otherwise] : [])] : [];
    kids.forEach((k) => walk(k, false));
  };
  exprs.forEach((e) => walk(e, false));
  return ok;
}

/**
 * from_json results read only field by field (after projections collapsed) are never built as objects: the
 * parser returns the values by position in a reused array, and only the fields read are parsed.
 */
function jsonAsArrays(exprs: BExpr[], needed: boolean[]): BExpr[] {
  const uses = new Map<BExpr, { names: Set<string>; other: boolean }>();
  const visit = (e: BExpr, fieldName: string | null): void => {
    if (e.k === "call" && e.fn === "from_json") {
      let u = uses.get(e);
      if (!u) uses.set(e, (u = { names: new Set(), other: false }));
      if (fieldName === null) u.other = true;
      else u.names.add(fieldName);
      e.args.forEach((a) => visit(a, null));
      return;
    }
    if (e.k === "field") return visit(e.child, e.name);
    const kids: BExpr[] = e.k === "call" || e.k === "and" || e.k === "or" ? e.args : e.k === "cast" ? [e.child] : e.k === "case" ? [...e.branches.flat(), ...(e.otherwise ? [e.otherwise] : [])] : [];
    kids.forEach((k) => visit(k, null));
  };
  exprs.forEach((e, i) => needed[i] && visit(e, null));
  const replace = new Map<BExpr, BExpr>();
  for (const [call, u] of uses) {
    if (u.other || !u.names.size || call.k !== "call") continue;
    const meta = metaOf(call, "from_json");
    if (!meta) continue;
    const keep = meta.corruptName && u.names.has(meta.corruptName) ? undefined : [...u.names];
    replace.set(call, { ...call, meta: { ...meta, asArray: true, ...(keep ? { keep } : {}) } });
  }
  if (!replace.size) return exprs;
  const rebuilt = new Map<BExpr, BExpr>();
  const rebuild = (e: BExpr): BExpr => {
    const r = replace.get(e) ?? rebuilt.get(e);
    if (r) return r;
    let out: BExpr;
    switch (e.k) {
      case "call": out = { ...e, args: e.args.map(rebuild) }; break;
      case "and": case "or": out = { ...e, args: [rebuild(e.args[0]), rebuild(e.args[1])] }; break;
      case "field": case "cast": out = { ...e, child: rebuild(e.child) } as BExpr; break;
      case "case": out = { ...e, branches: e.branches.map(([c, v]) => [rebuild(c), rebuild(v)] as [BExpr, BExpr]), otherwise: e.otherwise ? rebuild(e.otherwise) : null }; break;
      default: out = e;
    }
    rebuilt.set(e, out);
    return out;
  };
  return exprs.map(rebuild);
}

type FieldUses = Map<number, Set<string> | "all">;

function fieldUses(e: BExpr, acc: FieldUses): void {
  if (e.k === "field" && e.child.k === "col") {
    const cur = acc.get(e.child.index);
    if (cur !== "all") acc.set(e.child.index, (cur ?? new Set()).add(e.name));
    return;
  }
  if (e.k === "col") {
    acc.set(e.index, "all");
    return;
  }
  const kids: BExpr[] = e.k === "call" || e.k === "and" || e.k === "or" ? e.args : e.k === "field" || e.k === "cast" ? [e.child] : e.k === "case" ? [...e.branches.flat(), ...(e.otherwise ? [e.otherwise] : [])] : [];
  kids.forEach((k) => fieldUses(k, acc));
}

/**
 * Column pruning, walking from the sink back to the source: a projection computes only the columns someone
 * downstream reads, and a from_json whose struct is only read field by field parses only those fields (unless
 * `_corrupt_record` is read, which depends on every field). Returns, per node, which outputs are needed.
 * Project nodes in `nodes` are replaced by their pruned form.
 */
function pruneColumns(nodes: PlanNode[]): (boolean[] | undefined)[] {
  const result: (boolean[] | undefined)[] = nodes.map(() => undefined);
  let uses: FieldUses = new Map();
  const last = nodes[nodes.length - 1];
  if (!last) return result;
  last.schema.fields.forEach((_, i) => uses.set(i, "all"));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const next: FieldUses = new Map();
    const all = (i: number) => next.set(i, "all");
    switch (n.op) {
      case "project": {
        const needed = n.exprs.map((_, i) => uses.has(i));
        result[k] = needed;
        const exprs = jsonAsArrays(n.exprs, needed).map((e, i) => {
          const u = uses.get(i);
          const meta = metaOf(e, "from_json");
          if (u instanceof Set && e.k === "call" && meta) {
            if (!meta.corruptName || !u.has(meta.corruptName)) return { ...e, meta: { ...meta, keep: [...u] } } as BExpr;
          }
          return e;
        });
        nodes[k] = { ...n, exprs };
        exprs.forEach((e, i) => needed[i] && fieldUses(e, next));
        break;
      }
      case "filter":
        for (const [i, u] of uses) next.set(i, u);
        fieldUses(n.cond, next);
        break;
      case "watermark":
      case "dedup":
        for (const [i, u] of uses) next.set(i, u);
        if (n.op === "watermark") all(n.column);
        else n.keys.forEach(all);
        break;
      case "aggregate":
        n.keys.forEach((e) => fieldUses(e, next));
        n.slots.forEach((sl) => sl.arg && fieldUses(sl.arg, next));
        break;
      case "join":
        n.leftKeys.forEach(all);
        n.output.forEach(([side, c], i) => side === "l" && uses.has(i) && all(c));
        break;
      default:
        n.schema.fields.forEach((_, i) => all(i));
    }
    uses = next;
  }
  return result;
}

/**
 * Spark's CollapseProject: a projection over a projection becomes one, when no computed column of the lower
 * one is used twice above (that would compute it twice). `CAST(value AS STRING) AS json` then
 * `from_json(json)` becomes `from_json(CAST(value AS STRING))`, which the code generator parses from bytes.
 */
function collapseProjections(nodes: PlanNode[]): PlanNode[] {
  const out: PlanNode[] = [];
  for (const n of nodes) {
    const prev = out[out.length - 1];
    if (n.op === "project" && prev?.op === "project") {
      const uses = new Map<number, number>();
      n.exprs.forEach((e) => columnUses(e, uses));
      // A from_json read only field by field may be shared: the code generator parses it once per row.
      const safe = [...uses].every(([i, count]) => count <= 1 || prev.exprs[i].k === "col" || prev.exprs[i].k === "lit" || onlyFieldUses(n.exprs, i, prev.exprs[i]));
      if (safe) {
        out[out.length - 1] = { ...n, child: prev.child, exprs: n.exprs.map((e) => substitute(e, prev.exprs)) };
        continue;
      }
    }
    out.push(n);
  }
  return out;
}

export function runPipeline(ops: PhysicalOperator[], b: Batch, ctx: ExecContext): Batch {
  let cur = b;
  for (const op of ops) cur = op.run(cur, ctx);
  return cur;
}
