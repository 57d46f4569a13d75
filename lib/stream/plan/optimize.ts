/**
 * Rewrites of the logical plan before it is compiled, as Spark's optimizer: CollapseProject (a projection over
 * a projection becomes one), column pruning (a projection computes only what is read downstream), and
 * from_json field pruning (a from_json struct read only field by field parses only those fields, into a
 * positional array instead of an object). Results are unchanged; only work is saved.
 */
import { metaOf, type BExpr } from "../expr/bound";
import { columnUses, substitute } from "../expr/codegen";
import type { PlanNode } from "./nodes";

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
      case "field": case "cast": out = { ...e, child: rebuild(e.child) }; break;
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
export function pruneColumns(nodes: PlanNode[]): (boolean[] | undefined)[] {
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
            if (!meta.corruptName || !u.has(meta.corruptName)) return { ...e, meta: { ...meta, keep: [...u] } };
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
      case "generate":
        // Every column of the child is read (its other columns are gathered, its input is expanded).
        n.child.schema.fields.forEach((_, i) => all(i));
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
export function collapseProjections(nodes: PlanNode[]): PlanNode[] {
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
