/**
 * SQL statements -> the DataFrame API's logical plan. Each clause becomes the DataFrame method a user would
 * call (filter, withWatermark, groupBy().agg, join, select, distinct), so a query written in SQL and the same
 * query written with DataFrames give the same plan, analysed and compiled by the same code.
 */
import { Column, exprName, sortOrder, type Expr } from "../expr/ast";
import { AnalysisError } from "../expr/bound";
import { functions } from "../expr/functions";
import { externalToValue } from "../expr/runtime";
import { parseExpression } from "../expr/parser";
import { DataFrame, staticDataFrame } from "../plan/dataframe";
import { analyzeAggregate } from "../plan/analyze";
import type { PlanNode } from "../plan/nodes";
import { runPlanBatch } from "../exec/static";
import { memoryTable, memoryTableNames } from "../sinks/memory";
import { toStructType, typeString, type StructField, type StructType } from "../types";
import type { Query, QueryBody, Relation, Select, SortItem, Statement } from "./ast";
import { dropView, getView, listViews, putView, viewNames } from "./catalog";
import { tableNotFound, unresolvedColumn } from "./errors";

/** How a `CREATE TEMPORARY VIEW ... USING fmt OPTIONS (...)` source is read (session.ts's readStream). */
export type SourceLoader = (format: string, options: Record<string, string>) => DataFrame;

interface RelInfo {
  alias: string;
  columns: string[];
  /** Column renamed when it became a join key under the left side's name. */
  renamed: Record<string, string>;
}

interface Scope {
  df: DataFrame;
  rels: RelInfo[];
}

type Ctes = Map<string, DataFrame>;

const stripAlias = (e: Expr): Expr => (e.t === "alias" ? e.child : e);
const same = (a: Expr, b: Expr): boolean => JSON.stringify(a) === JSON.stringify(b);

function isAggregateCall(e: Expr): boolean {
  return e.t === "fn" && (functions.aggDef(e.name) !== undefined || e.name === "countdistinct" || (e.name === "count" && e.distinct === true));
}

function hasAggregate(e: Expr): boolean {
  switch (e.t) {
    case "fn":
      return isAggregateCall(e) || e.args.some(hasAggregate);
    case "alias":
    case "cast":
      return hasAggregate(e.child);
    case "case":
      return e.branches.some(([c, v]) => hasAggregate(c) || hasAggregate(v)) || (e.otherwise ? hasAggregate(e.otherwise) : false);
    default:
      return false;
  }
}

/** Map an expression tree (children first). */
function mapExpr(e: Expr, f: (x: Expr) => Expr): Expr {
  switch (e.t) {
    case "fn":
      return f({ ...e, args: e.args.map((a) => mapExpr(a, f)) });
    case "alias":
      return f({ ...e, child: mapExpr(e.child, f) });
    case "cast":
      return f({ ...e, child: mapExpr(e.child, f) });
    case "case":
      return f({ ...e, branches: e.branches.map(([c, v]) => [mapExpr(c, f), mapExpr(v, f)] as [Expr, Expr]), otherwise: e.otherwise ? mapExpr(e.otherwise, f) : undefined });
    default:
      return f(e);
  }
}

function colNames(e: Expr, out: string[] = []): string[] {
  mapExpr(e, (x) => {
    if (x.t === "col") out.push(x.path.join("."));
    return x;
  });
  return out;
}

export class SqlPlanner {
  constructor(private readonly text: string, private readonly load: SourceLoader) {}

  /** Where `name` is first written in the statement (for line/pos in errors). */
  private offsetOf(name: string): number | undefined {
    const last = name.split(".").pop()!;
    const re = new RegExp(`(?<![\\w\`])\`?${last.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\`?(?![\\w\`])`, "i");
    const m = re.exec(this.text);
    return m ? m.index : undefined;
  }

  /** Spark's wording for the errors the analyser raises in its own words. */
  private sparkError(err: unknown, scope: Scope | null): unknown {
    if (!(err instanceof AnalysisError)) return err;
    const m = /^column '([^']+)' does not exist/.exec(err.message);
    if (m && scope) {
      const candidates = scope.rels.length > 1 ? scope.rels.flatMap((r) => r.columns.map((c) => `${r.alias}.${c}`)) : scope.df.columns;
      return unresolvedColumn(m[1], candidates, this.text, this.offsetOf(m[1]));
    }
    return err;
  }

  private guard<T>(scope: Scope | null, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw this.sparkError(err, scope);
    }
  }

  // ---- statements ------------------------------------------------------------------------------------------------

  run(st: Statement): DataFrame {
    switch (st.kind) {
      case "query":
        return this.query(st.query, new Map());
      case "explain": {
        const inner = st.statement.kind === "query" ? this.query(st.statement.query, new Map()) : undefined;
        const text = inner ? `== Analyzed Logical Plan ==\n${inner.explainString()}` : `== Physical Plan ==\nExecutedCommand ${st.statement.kind}`;
        return staticDataFrame({ kind: "struct", fields: [{ name: "plan", type: { kind: "string" }, nullable: true }] }, { columns: [[text]], numRows: 1 });
      }
      case "createView": {
        const path = st.name;
        const global = st.global || (path.length === 2 && path[0].toLowerCase() === "global_temp");
        if (st.ifNotExists && getView(global ? ["global_temp", path[path.length - 1]] : path)) return emptyResult();
        const df = this.query(st.query, new Map());
        putView(path[path.length - 1], df.plan, { global, replace: st.replace, sql: st.text });
        return emptyResult();
      }
      case "createViewUsing": {
        let df = this.load(st.provider, st.options);
        if (st.schema) {
          if (st.provider !== "kafka") throw new AnalysisError(`a column list in CREATE TEMPORARY VIEW ... USING ${st.provider} is not supported: drop the (columns)`);
          // streamlab's shorthand: the JSON values of the topic parsed with this schema, fields at top level.
          const ddl = st.schema.replace(/'/g, "\\'");
          df = df.select(new Column(parseExpression(`from_json(CAST(value AS STRING), '${ddl}') AS data`))).select("data.*");
        }
        putView(st.name[st.name.length - 1], df.plan, { global: st.global, replace: st.replace, sql: st.text });
        return emptyResult();
      }
      case "dropView": {
        if (!dropView(st.name) && !st.ifExists) throw tableNotFound(st.name.join("."), viewNames(), this.text, this.offsetOf(st.name.join(".")));
        return emptyResult();
      }
      case "showTables": {
        const rows = listViews(st.namespace).filter((t) => !st.pattern || new RegExp(`^${st.pattern.replace(/\*/g, ".*").replace(/\|/g, "|")}$`, "i").test(t.name));
        const schema: StructType = {
          kind: "struct",
          fields: [
            { name: "namespace", type: { kind: "string" }, nullable: false },
            { name: "tableName", type: { kind: "string" }, nullable: false },
            { name: "isTemporary", type: { kind: "boolean" }, nullable: false },
          ],
        };
        return staticDataFrame(schema, { columns: [rows.map((r) => (r.namespace ?? []).join(".")), rows.map((r) => r.name), rows.map((r) => r.isTemporary)], numRows: rows.length });
      }
    }
  }

  // ---- queries ---------------------------------------------------------------------------------------------------

  query(q: Query, outer: Ctes): DataFrame {
    const ctes: Ctes = new Map(outer);
    for (const c of q.ctes) ctes.set(c.name.toLowerCase(), this.query(c.query, ctes));
    let df = this.body(q.body, ctes);
    if (q.orderBy) df = this.orderBy(df, q.orderBy);
    if (q.limit !== undefined) df = this.limit(df, q.limit);
    return df;
  }

  private body(b: QueryBody, ctes: Ctes): DataFrame {
    if (b.kind === "nested") return this.query(b.query, ctes);
    if (b.kind === "select") return this.select(b, ctes);
    const left = this.body(b.left, ctes);
    const right = this.body(b.right, ctes);
    return this.union(left, right, b.all);
  }

  private union(left: DataFrame, right: DataFrame, all: boolean): DataFrame {
    if (left.schema.fields.length !== right.schema.fields.length) {
      throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has ${left.schema.fields.length} columns and the second input has ${right.schema.fields.length} columns. SQLSTATE: 42826`);
    }
    // Over streams: the DataFrame API's union (one global watermark; a stream with a static input is Spark's error);
    // UNION without ALL deduplicates, as dropDuplicates() does on a stream.
    if (left.isStreaming || right.isStreaming) return all ? left.union(right) : left.union(right).distinct();
    left.schema.fields.forEach((f, i) => {
      const g = right.schema.fields[i];
      if (typeString(f.type) !== typeString(g.type)) throw new AnalysisError(`[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on inputs with compatible column types. The column ${i + 1} (\`${g.name}\`) of the second input is ${typeString(g.type)} but the first is ${typeString(f.type)}: CAST one side. SQLSTATE: 42825`);
    });
    const l = runPlanBatch(left.plan);
    const r = runPlanBatch(right.plan);
    const columns = left.schema.fields.map((_, c) => [...l.cols[c].slice(0, l.n), ...r.cols[c].slice(0, r.n)]);
    const df = staticDataFrame(left.schema, { columns, numRows: l.n + r.n });
    return all ? df : df.distinct();
  }

  private orderBy(df: DataFrame, items: SortItem[]): DataFrame {
    const names = df.columns;
    const keys = items.map((it) => {
      const e = stripAlias(it.expr);
      let idx = -1;
      if (e.t === "lit" && typeof e.value === "number") idx = e.value - 1;
      else if (e.t === "col") idx = names.findIndex((n) => n.toLowerCase() === e.path.join(".").toLowerCase() || n.toLowerCase() === e.path[e.path.length - 1].toLowerCase());
      else idx = names.findIndex((n) => n === exprName(e));
      if (idx < 0 || idx >= names.length) throw unresolvedColumn(exprName(e), names, this.text, this.offsetOf(exprName(e)));
      return { idx, desc: it.desc, nullsFirst: it.nullsFirst ?? !it.desc };
    });
    // A stream sorts in its plan; Spark's rule (only after an aggregation, in complete mode) is checked at start().
    if (df.isStreaming) return df.orderBy(keys.map((k) => sortOrder({ t: "col", path: [names[k.idx]] }, k.desc, k.nullsFirst)));
    const b = runPlanBatch(df.plan);
    const order = Array.from({ length: b.n }, (_, i) => i);
    const cmp = (x: unknown, y: unknown): number => (x === y ? 0 : (x as number) < (y as number) ? -1 : 1);
    order.sort((i, j) => {
      for (const k of keys) {
        const x = b.cols[k.idx][i];
        const y = b.cols[k.idx][j];
        if (x === null || x === undefined || y === null || y === undefined) {
          if (x == null && y == null) continue;
          return (x == null) === k.nullsFirst ? -1 : 1;
        }
        const c = cmp(x, y);
        if (c) return k.desc ? -c : c;
      }
      return i - j;
    });
    return staticDataFrame(df.schema, { columns: df.schema.fields.map((_, c) => order.map((r) => b.cols[c][r])), numRows: b.n });
  }

  private limit(df: DataFrame, n: number): DataFrame {
    // A stream limits in its plan (no LIMIT in update mode, Spark's rule, checked at start()).
    if (df.isStreaming) return df.limit(n);
    const b = runPlanBatch(df.plan);
    const k = Math.min(n, b.n);
    return staticDataFrame(df.schema, { columns: df.schema.fields.map((_, c) => b.cols[c].slice(0, k)), numRows: k });
  }

  // ---- FROM ------------------------------------------------------------------------------------------------------

  private table(path: string[], ctes: Ctes): DataFrame {
    if (path.length === 1) {
      const cte = ctes.get(path[0].toLowerCase());
      if (cte) return cte;
    }
    const view = getView(path);
    if (view) return new DataFrame(view.plan);
    // A memory sink's table is a view in Spark: a snapshot of its rows.
    const mem = path.length === 1 ? memoryTable(path[0]) : undefined;
    if (mem) {
      const schema = toStructType(mem.schema.map((f) => `\`${f.name.replace(/`/g, "``")}\` ${f.type}`).join(", "));
      const cols = mem.columns();
      const internal = schema.fields.map((f, c) => (cols[c] ?? []).map((v) => externalToValue(v, f.type)));
      return staticDataFrame(schema, { columns: internal, numRows: mem.numRows() });
    }
    const name = path.join(".");
    throw tableNotFound(name, [...viewNames(), ...ctes.keys(), ...memoryTableNames()], this.text, this.offsetOf(name));
  }

  private relation(rel: Relation, ctes: Ctes): Scope {
    if (rel.kind === "join") return this.join(rel, ctes);
    let df = rel.kind === "table" ? this.table(rel.name, ctes) : this.query(rel.query, ctes);
    const scope0: Scope = { df, rels: [] };
    if (rel.watermark) {
      const wm = rel.watermark;
      df = this.guard(scope0, () => df.withWatermark(wm.column.join("."), `${wm.delayMs} milliseconds`));
    }
    const alias = rel.alias ?? (rel.kind === "table" ? rel.name[rel.name.length - 1] : "__subquery");
    return { df, rels: [{ alias, columns: df.columns, renamed: {} }] };
  }

  private join(rel: Extract<Relation, { kind: "join" }>, ctes: Ctes): Scope {
    const left = this.relation(rel.left, ctes);
    let right = this.relation(rel.right, ctes);
    if (rel.how !== "inner" && rel.how !== "left") {
      const word = rel.how.replace("_", " ").toUpperCase();
      throw new AnalysisError(`${word} JOIN is not supported by streamlab: use JOIN (inner) or LEFT JOIN with a static table, on equal keys`);
    }
    let keys: string[];
    if (rel.using) keys = rel.using;
    else if (rel.on) {
      keys = [];
      const conj: Expr[] = [];
      const split = (e: Expr) => (e.t === "fn" && e.name === "and" ? e.args.forEach(split) : conj.push(e));
      split(rel.on);
      for (const c of conj) {
        if (c.t !== "fn" || c.name !== "=" || c.args[0].t !== "col" || c.args[1].t !== "col") {
          throw new AnalysisError(`JOIN ... ON supports equalities of columns joined by AND (a.k = b.k), not '${exprName(c)}': filter in WHERE instead`);
        }
        const sides = c.args.map((a) => this.sideOf(a as { t: "col"; path: string[] }, left, right));
        const l = sides.find((s) => s.side === "l");
        const r = sides.find((s) => s.side === "r");
        if (!l || !r) throw new AnalysisError(`JOIN ... ON '${exprName(c)}' must compare a column of each side`);
        if (l.name.toLowerCase() !== r.name.toLowerCase()) {
          // Join on differently named keys: the right key takes the left key's name (one key column in the output).
          const renamedTo = l.name;
          const before = r.name;
          right = { df: right.df.withColumnRenamed(before, renamedTo), rels: right.rels.map((ri) => (ri.columns.includes(before) ? { ...ri, renamed: { ...ri.renamed, [before.toLowerCase()]: renamedTo } } : ri)) };
        }
        keys.push(l.name);
      }
    } else throw new AnalysisError("JOIN needs ON a.k = b.k or USING (k): streamlab does not run cross joins");
    const df = this.guard(left, () => left.df.join(right.df, keys, rel.how as "inner" | "left"));
    return { df, rels: [...left.rels, ...right.rels] };
  }

  private sideOf(c: { path: string[] }, left: Scope, right: Scope): { side: "l" | "r"; name: string } {
    const q = c.path.length > 1 ? c.path[0].toLowerCase() : undefined;
    const name = c.path[c.path.length - 1];
    for (const [side, s] of [["l", left], ["r", right]] as const) {
      for (const r of s.rels) {
        if (q !== undefined && r.alias.toLowerCase() !== q) continue;
        if (r.columns.some((col) => col.toLowerCase() === name.toLowerCase())) return { side, name: r.columns.find((col) => col.toLowerCase() === name.toLowerCase())! };
      }
    }
    const all = [...left.rels, ...right.rels].flatMap((r) => r.columns.map((col) => `${r.alias}.${col}`));
    throw unresolvedColumn(c.path.join("."), all, this.text, this.offsetOf(c.path.join(".")));
  }

  // ---- SELECT ----------------------------------------------------------------------------------------------------

  /** Table qualifiers (`o.amount`) dropped, `t.*` expanded, INTERVAL arguments of window() as durations. */
  private rewrite(e: Expr, scope: Scope): Expr {
    const fieldNames = new Set(scope.df.columns.map((c) => c.toLowerCase()));
    return mapExpr(e, (x) => {
      if (x.t === "col" && x.path.length > 1 && !fieldNames.has(x.path[0].toLowerCase())) {
        const rel = scope.rels.find((r) => r.alias.toLowerCase() === x.path[0].toLowerCase());
        if (rel) {
          const rest = x.path.slice(1);
          const renamed = rel.renamed[rest[0].toLowerCase()];
          return { t: "col", path: renamed ? [renamed, ...rest.slice(1)] : rest };
        }
      }
      if (x.t === "fn" && (x.name === "window" || x.name === "session_window") && x.args.some((a, i) => i > 0 && a.t === "fn" && a.name === "interval_ms")) {
        // As Spark 4.1 (checked side by side): window(ts, INTERVAL 10 SECONDS) is refused; the duration is a string.
        throw new AnalysisError(`The duration and time inputs to ${x.name} must be an integer, long or string literal: write ${x.name}(ts, '10 seconds')`);
      }
      if (x.t === "fn" && x.name === "window_time" && x.args.length === 1) {
        // window_time(w): the window's end minus one microsecond; streamlab's timestamps are milliseconds.
        return { t: "alias", child: { t: "fn", name: "-", args: [{ t: "fn", name: "get_field", args: [x.args[0], { t: "lit", value: "end" }] }, { t: "fn", name: "interval_ms", args: [{ t: "lit", value: 1, type: { kind: "long" } }] }] }, name: "window_time" };
      }
      return x;
    });
  }

  private expandItems(items: Expr[], scope: Scope): Expr[] {
    const out: Expr[] = [];
    for (const it of items) {
      if (it.t === "star" && it.qualifier.length === 1) {
        const rel = scope.rels.find((r) => r.alias.toLowerCase() === it.qualifier[0].toLowerCase());
        if (rel && !scope.df.columns.some((c) => c.toLowerCase() === it.qualifier[0].toLowerCase())) {
          for (const c of rel.columns) out.push({ t: "col", path: [rel.renamed[c.toLowerCase()] ?? c] });
          continue;
        }
      }
      out.push(this.rewrite(it, scope));
    }
    return out;
  }

  private select(sel: Select, ctes: Ctes): DataFrame {
    const scope: Scope = sel.from ? this.relation(sel.from, ctes) : { df: oneRow(), rels: [] };
    let df = scope.df;
    if (sel.where) {
      if (hasAggregate(sel.where)) throw new AnalysisError("[INVALID_WHERE_CONDITION] The WHERE condition contains an aggregate function: move it to HAVING. SQLSTATE: 42903");
      const cond = this.rewrite(sel.where, scope);
      df = this.guard(scope, () => df.filter(new Column(cond)));
    }
    const scoped: Scope = { ...scope, df };
    const items = this.expandItems(sel.items, scoped);
    const isAgg = sel.groupBy !== undefined || sel.having !== undefined || items.some(hasAggregate);
    if (isAgg) df = this.aggregate(sel, items, scoped);
    else if (!(items.length === 1 && items[0].t === "star" && items[0].qualifier.length === 0)) df = this.guard(scoped, () => df.select(...items.map((e) => new Column(e))));
    return sel.distinct ? df.distinct() : df;
  }

  /**
   * GROUP BY as groupBy(keys).agg(...): when the select list starts with the keys (as groupBy().agg() outputs
   * them), the plan is the aggregate alone; otherwise the aggregate computes every select item and a projection
   * keeps them in the select list's order. HAVING is one more aggregate column, filtered and dropped.
   */
  private aggregate(sel: Select, items: Expr[], scope: Scope): DataFrame {
    const inputCols = new Set(scope.df.columns.map((c) => c.toLowerCase()));
    const keys = (sel.groupBy ?? []).map((k) => {
      const e = this.rewrite(k, scope);
      if (e.t === "lit" && typeof e.value === "number" && Number.isInteger(e.value)) {
        const item = items[e.value - 1];
        if (!item) throw new AnalysisError(`[GROUP_BY_POS_OUT_OF_RANGE] GROUP BY position ${e.value} is not in select list (valid range is [1, ${items.length}]). SQLSTATE: 42805`);
        return stripAlias(item);
      }
      // GROUP BY a select alias (spark.sql.groupByAliases)
      if (e.t === "col" && e.path.length === 1 && !inputCols.has(e.path[0].toLowerCase())) {
        const aliased = items.find((it) => it.t === "alias" && it.name.toLowerCase() === e.path[0].toLowerCase());
        if (aliased) return stripAlias(aliased);
      }
      return e;
    });
    for (const k of keys) {
      if (hasAggregate(k)) throw new AnalysisError(`[GROUP_BY_AGGREGATE] Aggregate functions are not allowed in GROUP BY, but found ${exprName(k)}. SQLSTATE: 42903`);
    }
    for (const it of items) {
      if (it.t === "star") throw new AnalysisError("[STAR_GROUP_BY_POS] Star (*) is not allowed in a select list when GROUP BY an ordinal position is used; name the columns with GROUP BY. SQLSTATE: 0A000");
    }
    // Leading select items that are the keys in order and under their own names: groupBy().agg() gives them.
    let lead = 0;
    while (lead < keys.length && lead < items.length) {
      const it = items[lead];
      const k = keys[lead];
      const matches = same(stripAlias(it), k) || (it.t === "col" && it.path.length === 1 && it.path[0].toLowerCase() === exprName(k).toLowerCase());
      if (!matches || (it.t === "alias" && it.name !== exprName(k))) break;
      lead++;
    }
    const aggs = lead === keys.length ? items.slice(lead) : items;
    const having = sel.having ? this.rewrite(sel.having, scope) : undefined;
    const list = having ? [...aggs, { t: "alias", child: having, name: "__having" } as Expr] : aggs;
    let plan = this.guard(scope, () => {
      try {
        return analyzeAggregate(scope.df.plan, keys, list);
      } catch (err) {
        const m = err instanceof AnalysisError ? /^column '([^']+)' is neither a groupBy\(\) key/.exec(err.message) : null;
        if (m) {
          throw new AnalysisError(`[MISSING_AGGREGATION] The non-aggregating expression \`${m[1]}\` is based on columns which are not participating in the GROUP BY clause. Add the columns or the expression to the GROUP BY, aggregate the expression, or use "any_value(${m[1]})" if you do not care which of the values within a group is returned. SQLSTATE: 42803`);
        }
        if (err instanceof AnalysisError && list.length === 0) throw new AnalysisError("a GROUP BY query needs an aggregate or a key in its select list");
        throw err;
      }
    });
    const outKeys = keys.length;
    const fields = plan.schema.fields;
    if (having) {
      const hIdx = fields.length - 1;
      const hType = fields[hIdx].type;
      if (hType.kind !== "boolean") throw new AnalysisError(`HAVING condition must be boolean, but '${exprName(sel.having!)}' is ${typeString(hType)}`);
      plan = { op: "filter", child: plan, cond: { k: "col", index: hIdx, type: hType, name: "__having" }, schema: plan.schema, streaming: plan.streaming };
    }
    const indexes = lead === keys.length ? [...Array(keys.length + aggs.length).keys()] : items.map((_, i) => outKeys + i);
    if (!having && indexes.length === fields.length) return new DataFrame(plan);
    return new DataFrame(projectIndexes(plan, indexes));
  }
}

/** A projection of some columns of `child` by position: the plan node select() would build for them. */
function projectIndexes(child: PlanNode, indexes: number[]): PlanNode {
  const fields: StructField[] = indexes.map((i) => ({ ...child.schema.fields[i] }));
  return { op: "project", child, exprs: indexes.map((i) => ({ k: "col", index: i, type: child.schema.fields[i].type, name: child.schema.fields[i].name })), schema: { kind: "struct", fields }, streaming: child.streaming };
}

function oneRow(): DataFrame {
  return staticDataFrame({ kind: "struct", fields: [{ name: "__one", type: { kind: "integer" }, nullable: false }] }, { columns: [[1]], numRows: 1 });
}

function emptyResult(): DataFrame {
  return staticDataFrame({ kind: "struct", fields: [] }, { columns: [], numRows: 0 });
}

export { colNames };
