/**
 * DataFrame: an immutable logical plan plus its analysed schema. Every method analyses its expressions
 * against the child's schema at once, so a wrong name or type fails where the user wrote it.
 */
import { Column, colArg, colExpr, exprName, toExpr, type ColumnLike, type Expr } from "../expr/ast";
import { parseExpression } from "../expr/parser";
import { AnalysisError, castTo, columnNames, metaOf, type BExpr } from "../expr/bound";
import { bind, resolvePath } from "../expr/bind";
import { functions, parseInterval, windowType } from "../expr/functions";
import { type StructType, type StructField, type DataType, typeString, treeString, toDDL, commonType } from "../types";
import type { AggSlot, PlanNode, StaticData, TimeKey } from "./nodes";
import { countStateful } from "./nodes";
import { getDisplayBridge, type MimeBundle } from "../../core";
import { runStatic } from "../exec/static";
import { toDanfo, type DanfoDataFrame } from "../danfo";
import { formatTable, htmlTable } from "../sinks/console";
import { DataStreamWriter } from "../query/writer";

export class DataFrame {
  constructor(readonly plan: PlanNode) {}

  get schema(): StructType {
    return this.plan.schema;
  }
  get columns(): string[] {
    return this.plan.schema.fields.map((f) => f.name);
  }
  get dtypes(): [string, string][] {
    return this.plan.schema.fields.map((f) => [f.name, typeString(f.type)]);
  }
  get isStreaming(): boolean {
    return this.plan.streaming;
  }
  /** Prints the schema tree and returns nothing, as in PySpark, so a cell ending with it shows it once. */
  printSchema(): void {
    getDisplayBridge().print(this.schemaString());
  }
  /** The tree printSchema() prints, as a string (Spark's `schema.treeString`). */
  schemaString(): string {
    return treeString(this.schema);
  }
  schemaDDL(): string {
    return toDDL(this.schema);
  }

  // ---- projections -------------------------------------------------------------------------------------------

  select(...cols: (ColumnLike | ColumnLike[])[]): DataFrame {
    const list = cols.flat() as ColumnLike[];
    if (list.length === 0) throw new AnalysisError("select() needs at least one column");
    const exprs: BExpr[] = [];
    const fields: StructField[] = [];
    for (const c of list) {
      const e = colArg(c);
      this.expandInto(e, exprs, fields);
    }
    return this.project(exprs, fields);
  }

  selectExpr(...sql: (string | string[])[]): DataFrame {
    return this.select(...(sql.flat() as string[]).map((s) => new Column(parseExpression(s))));
  }

  private expandInto(e: Expr, exprs: BExpr[], fields: StructField[]): void {
    const schema = this.schema;
    if (e.t === "star") {
      if (e.qualifier.length === 0) {
        schema.fields.forEach((f, i) => {
          exprs.push({ k: "col", index: i, type: f.type, name: f.name });
          fields.push({ ...f });
        });
        return;
      }
      const base = resolvePath(schema, e.qualifier);
      if (base.type.kind !== "struct") throw new AnalysisError(`'${e.qualifier.join(".")}.*' needs a struct column, but '${e.qualifier.join(".")}' is ${typeString(base.type)}`);
      for (const f of base.type.fields) {
        exprs.push({ k: "field", child: base, name: f.name, type: f.type });
        fields.push({ name: f.name, type: f.type, nullable: true });
      }
      return;
    }
    const b = bind(e, { schema });
    exprs.push(b);
    const name = exprName(e);
    const source = b.k === "col" ? schema.fields[b.index] : undefined;
    fields.push({ name, type: b.type, nullable: true, ...(source?.watermarkDelayMs !== undefined ? { watermarkDelayMs: source.watermarkDelayMs } : {}) });
  }

  private project(exprs: BExpr[], fields: StructField[]): DataFrame {
    for (const b of exprs) checkWindowInSelect(b);
    return new DataFrame({ op: "project", child: this.plan, exprs, schema: { kind: "struct", fields }, streaming: this.plan.streaming });
  }

  withColumn(name: string, col: Column): DataFrame {
    return this.withColumns({ [name]: col });
  }

  withColumns(map: Record<string, Column>): DataFrame {
    const schema = this.schema;
    const exprs: BExpr[] = schema.fields.map((f, i) => ({ k: "col", index: i, type: f.type, name: f.name }));
    const fields: StructField[] = schema.fields.map((f) => ({ ...f }));
    for (const [name, col] of Object.entries(map)) {
      if (!(col instanceof Column)) throw new AnalysisError(`withColumn('${name}', ...) needs a Column: use lit(value) for constants or expr("...") for SQL`);
      const b = bind(col.expr, { schema });
      const at = fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
      const field: StructField = { name, type: b.type, nullable: true };
      if (at >= 0) {
        exprs[at] = b;
        fields[at] = field;
      } else {
        exprs.push(b);
        fields.push(field);
      }
    }
    return this.project(exprs, fields);
  }

  withColumnRenamed(existing: string, renamed: string): DataFrame {
    const schema = this.schema;
    if (!schema.fields.some((f) => f.name.toLowerCase() === existing.toLowerCase())) return this;
    const exprs: BExpr[] = schema.fields.map((f, i) => ({ k: "col", index: i, type: f.type, name: f.name }));
    const fields = schema.fields.map((f) => (f.name.toLowerCase() === existing.toLowerCase() ? { ...f, name: renamed } : { ...f }));
    return this.project(exprs, fields);
  }

  drop(...names: (string | Column)[]): DataFrame {
    const drop = new Set(names.map((n) => (typeof n === "string" ? n : exprName(n.expr)).toLowerCase()));
    const schema = this.schema;
    const keep = schema.fields.map((f, i) => [f, i] as const).filter(([f]) => !drop.has(f.name.toLowerCase()));
    if (keep.length === schema.fields.length) return this;
    return this.project(keep.map(([f, i]) => ({ k: "col", index: i, type: f.type, name: f.name })), keep.map(([f]) => ({ ...f })));
  }

  toDF(...names: string[]): DataFrame {
    if (names.length !== this.schema.fields.length) throw new AnalysisError(`toDF() needs ${this.schema.fields.length} names (${columnNames(this.schema)}), got ${names.length}`);
    const schema = this.schema;
    return this.project(schema.fields.map((f, i) => ({ k: "col", index: i, type: f.type, name: f.name })), schema.fields.map((f, i) => ({ ...f, name: names[i] })));
  }

  // ---- filters -----------------------------------------------------------------------------------------------

  filter(condition: Column | string): DataFrame {
    const e = typeof condition === "string" ? parseExpression(condition) : condition.expr;
    const cond = bind(e, { schema: this.schema });
    if (cond.type.kind !== "boolean" && cond.type.kind !== "null") throw new AnalysisError(`filter condition must be boolean, but '${exprName(e)}' is ${typeString(cond.type)}`);
    return new DataFrame({ op: "filter", child: this.plan, cond, schema: this.schema, streaming: this.plan.streaming });
  }
  where(condition: Column | string): DataFrame {
    return this.filter(condition);
  }

  // ---- event time ---------------------------------------------------------------------------------------------

  withWatermark(eventTime: string, delayThreshold: string): DataFrame {
    const b = resolvePath(this.schema, colExpr(eventTime).t === "col" ? (colExpr(eventTime) as { path: string[] }).path : [eventTime]);
    if (b.k !== "col") throw new AnalysisError(`withWatermark() needs a top-level column; select '${eventTime}' into its own column first`);
    if (b.type.kind !== "timestamp") throw new AnalysisError(`withWatermark('${eventTime}', ...) needs a timestamp column, but it is ${typeString(b.type)}; cast it with to_timestamp()`);
    const delayMs = parseInterval(delayThreshold);
    if (delayMs < 0) throw new AnalysisError("the watermark delay cannot be negative");
    const fields = this.schema.fields.map((f, i) => (i === b.index ? { ...f, watermarkDelayMs: delayMs } : { ...f }));
    return new DataFrame({ op: "watermark", child: this.plan, column: b.index, delayMs, schema: { kind: "struct", fields }, streaming: this.plan.streaming });
  }

  // ---- aggregation ---------------------------------------------------------------------------------------------

  groupBy(...cols: (ColumnLike | ColumnLike[])[]): GroupedData {
    return new GroupedData(this, (cols.flat() as ColumnLike[]).map(colArg));
  }
  groupby(...cols: (ColumnLike | ColumnLike[])[]): GroupedData {
    return this.groupBy(...cols);
  }
  /** Global aggregation: `df.agg(count("*"))`. */
  agg(...cols: (Column | Column[])[]): DataFrame {
    return new GroupedData(this, []).agg(...cols);
  }

  dropDuplicates(subset?: string[] | string): DataFrame {
    const schema = this.schema;
    const names = subset === undefined ? schema.fields.map((f) => f.name) : Array.isArray(subset) ? subset : [subset];
    const keys = names.map((n) => {
      const b = resolvePath(schema, [n]);
      return (b as { index: number }).index;
    });
    const eventTime = schema.fields.findIndex((f) => f.watermarkDelayMs !== undefined);
    const etKey = eventTime >= 0 && keys.includes(eventTime) ? eventTime : null;
    return new DataFrame({ op: "dedup", child: this.plan, keys, eventTime: etKey, schema, streaming: this.plan.streaming });
  }
  drop_duplicates(subset?: string[] | string): DataFrame {
    return this.dropDuplicates(subset);
  }
  distinct(): DataFrame {
    return this.dropDuplicates();
  }

  // ---- join with a static DataFrame -----------------------------------------------------------------------------

  join(other: DataFrame, on: string | string[], how: "inner" | "left" | "left_outer" | "leftouter" = "inner"): DataFrame {
    if (!(other instanceof DataFrame)) throw new AnalysisError("join() needs a DataFrame: build a static one with spark.createDataFrame(rows or danfo DataFrame)");
    if (other.isStreaming) throw new AnalysisError("stream-stream joins are not supported here; join a stream with a static DataFrame (spark.createDataFrame)");
    const kind = how === "inner" ? "inner" : how === "left" || how === "left_outer" || how === "leftouter" ? "left" : null;
    if (!kind) throw new AnalysisError(`join type '${how}' is not supported between a stream and a static DataFrame: use "inner" or "left"`);
    const names = Array.isArray(on) ? on : [on];
    const leftKeys: number[] = [];
    const rightKeys: number[] = [];
    for (const n of names) {
      const l = resolvePath(this.schema, [n]) as { index: number; type: DataType };
      let r: { index: number; type: DataType };
      try {
        r = resolvePath(other.schema, [n]) as { index: number; type: DataType };
      } catch {
        throw new AnalysisError(`join column '${n}' does not exist in the static DataFrame; its columns: ${columnNames(other.schema)}`);
      }
      if (!commonType(l.type, r.type)) throw new AnalysisError(`join column '${n}' is ${typeString(l.type)} on the left but ${typeString(r.type)} on the right`);
      leftKeys.push(l.index);
      rightKeys.push(r.index);
    }
    const output: ["l" | "r", number][] = [];
    const fields: StructField[] = [];
    leftKeys.forEach((li) => {
      output.push(["l", li]);
      fields.push({ ...this.schema.fields[li] });
    });
    this.schema.fields.forEach((f, i) => {
      if (!leftKeys.includes(i)) {
        output.push(["l", i]);
        fields.push({ ...f });
      }
    });
    other.schema.fields.forEach((f, i) => {
      if (!rightKeys.includes(i)) {
        output.push(["r", i]);
        fields.push({ name: f.name, type: f.type, nullable: true });
      }
    });
    return new DataFrame({ op: "join", child: this.plan, right: other.plan, leftKeys, rightKeys, how: kind, output, schema: { kind: "struct", fields }, streaming: this.plan.streaming });
  }

  // ---- static execution ------------------------------------------------------------------------------------------

  private requireStatic(what: string): void {
    if (this.isStreaming) throw new AnalysisError(`${what}() is not available on a streaming DataFrame: start a query with df.writeStream...start(), or use spark.table(name) on a memory sink`);
  }

  /** Rows of a static DataFrame (timestamps as Date). */
  collect(): Record<string, unknown>[] {
    this.requireStatic("collect");
    return runStatic(this.plan).rows();
  }

  /** A danfojs DataFrame of a static DataFrame. */
  toDanfo(): DanfoDataFrame {
    this.requireStatic("toDanfo");
    return toDanfo(runStatic(this.plan));
  }
  toPandas(): DanfoDataFrame {
    return this.toDanfo();
  }

  /** Spark's show(): a text table of a static DataFrame. */
  show(numRows = 20, truncate: boolean | number = true): string {
    this.requireStatic("show");
    const text = formatTable(runStatic(this.plan), numRows, truncate);
    getDisplayBridge().print(text);
    return text;
  }

  count(): number {
    this.requireStatic("count");
    return runStatic(this.plan).numRows;
  }

  explain(): string {
    const lines: string[] = [];
    const walk = (n: PlanNode, depth: number) => {
      const pad = "  ".repeat(depth) + (depth ? "+- " : "");
      const detail =
        n.op === "project" ? n.schema.fields.map((f) => f.name).join(", ")
        : n.op === "filter" ? "condition"
        : n.op === "watermark" ? `${n.schema.fields[n.column].name}, ${n.delayMs} ms`
        : n.op === "aggregate" ? `keys=[${n.keyNames.join(", ")}], aggs=[${n.slots.map((s) => s.fn).join(", ")}]`
        : n.op === "source" ? n.provider.name
        : n.op === "join" ? n.how
        : "";
      lines.push(`${pad}${n.op[0].toUpperCase() + n.op.slice(1)} ${detail}`.trimEnd());
      if ("child" in n) walk(n.child, depth + 1);
      if (n.op === "join") walk(n.right, depth + 1);
    };
    walk(this.plan, 0);
    const text = lines.join("\n");
    getDisplayBridge().print(text);
    return text;
  }

  get writeStream(): DataStreamWriter {
    if (!this.isStreaming) throw new AnalysisError("writeStream is only for streaming DataFrames (spark.readStream...); a static DataFrame has collect(), show() and toDanfo()");
    return new DataStreamWriter(this);
  }

  toMimeBundle(): MimeBundle {
    const schema = this.schema.fields.map((f) => `${f.name}: ${typeString(f.type)}`).join(", ");
    if (this.isStreaming) {
      const text = `streaming DataFrame[${schema}]`;
      return { "text/plain": text, "text/html": `<code>${escapeHtml(text)}</code>` };
    }
    const out = runStatic(this.plan);
    return { "text/plain": formatTable(out, 20, true), "text/html": htmlTable(out, 20) };
  }

  toString(): string {
    return `DataFrame[${this.schema.fields.map((f) => `${f.name}: ${typeString(f.type)}`).join(", ")}]`;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function checkWindowInSelect(b: BExpr): void {
  if (b.k === "call" && b.fn === "session_window") throw new AnalysisError("session_window() can only be used as a groupBy() key");
  if (b.k === "call" && b.fn === "window") {
    const x = metaOf(b, "window")!;
    if (x.sizeMs !== x.slideMs) throw new AnalysisError("a sliding window() can only be used as a groupBy() key; use a tumbling window (no slide) in select");
  }
  const kids: BExpr[] = b.k === "call" || b.k === "and" || b.k === "or" ? b.args : b.k === "field" || b.k === "cast" ? [b.child] : b.k === "case" ? [...b.branches.flat(), ...(b.otherwise ? [b.otherwise] : [])] : [];
  kids.forEach(checkWindowInSelect);
}

export class GroupedData {
  constructor(private readonly df: DataFrame, private readonly keys: Expr[]) {}

  agg(...cols: (Column | Column[] | Record<string, string>)[]): DataFrame {
    const list: Column[] = [];
    for (const c of cols.flat()) {
      if (c instanceof Column) list.push(c);
      else if (c && typeof c === "object") {
        // PySpark's dict form: agg({"amount": "sum"})
        for (const [name, fn] of Object.entries(c)) list.push(new Column({ t: "fn", name: fn.toLowerCase(), args: [name === "*" ? { t: "star", qualifier: [] } : colExpr(name)] }));
      } else throw new AnalysisError("agg() takes aggregate Columns such as sum(\"amount\").alias(\"revenue\")");
    }
    if (list.length === 0) throw new AnalysisError("agg() needs at least one aggregate, e.g. count(\"*\")");
    return buildAggregate(this.df, this.keys, list.map((c) => c.expr));
  }
  count(): DataFrame {
    return this.agg(new Column({ t: "alias", child: { t: "fn", name: "count", args: [{ t: "star", qualifier: [] }] }, name: "count" }));
  }
  private simple(fn: string, names: string[]): DataFrame {
    const cols = names.length ? names : this.df.schema.fields.filter((f) => ["integer", "long", "double", "float", "short", "byte", "decimal"].includes(f.type.kind)).map((f) => f.name);
    return this.agg(cols.map((n) => new Column({ t: "fn", name: fn, args: [colExpr(n)] })));
  }
  sum(...names: string[]): DataFrame { return this.simple("sum", names); }
  avg(...names: string[]): DataFrame { return this.simple("avg", names); }
  mean(...names: string[]): DataFrame { return this.simple("avg", names); }
  min(...names: string[]): DataFrame { return this.simple("min", names); }
  max(...names: string[]): DataFrame { return this.simple("max", names); }
}

function buildAggregate(df: DataFrame, keyExprs: Expr[], aggExprs: Expr[]): DataFrame {
  const schema = df.schema;
  const keys: BExpr[] = [];
  const keyNames: string[] = [];
  const keyFields: StructField[] = [];
  let timeKey: TimeKey | null = null;
  let eventTimeKey: number | null = null;
  keyExprs.forEach((ke, i) => {
    if (ke.t === "star") throw new AnalysisError("groupBy('*') is not supported: name the key columns");
    const b = bind(ke, { schema });
    const name = exprName(ke);
    if (b.k === "call" && (b.fn === "window" || b.fn === "session_window")) {
      if (timeKey) throw new AnalysisError("only one window() or session_window() key per groupBy()");
      const w = metaOf(b, "window");
      const s = metaOf(b, "session_window");
      timeKey = w ? { kind: "window", keyIndex: i, sizeMs: w.sizeMs, slideMs: w.slideMs, startMs: w.startMs } : { kind: "session", keyIndex: i, gapMs: s!.gapMs };
      const arg = b.args[0];
      keys.push(arg);
      const wm = arg.k === "col" ? schema.fields[arg.index].watermarkDelayMs : undefined;
      if (wm !== undefined) eventTimeKey = i;
      keyFields.push({ name, type: windowType(), nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) });
    } else {
      keys.push(b);
      const wm = b.k === "col" ? schema.fields[b.index].watermarkDelayMs : undefined;
      if (wm !== undefined && b.type.kind === "timestamp" && eventTimeKey === null) eventTimeKey = i;
      keyFields.push({ name, type: b.type, nullable: true, ...(wm !== undefined ? { watermarkDelayMs: wm } : {}) });
    }
    keyNames.push(name);
  });
  const slots: AggSlot[] = [];
  const slotFields: StructField[] = [];
  const slotKeys = new Map<string, number>();
  const intermediate = (): StructType => ({ kind: "struct", fields: [...keyFields, ...slotFields] });
  const onAggregate = (e: Extract<Expr, { t: "fn" }>): BExpr => {
    let name = e.name;
    const distinct = e.distinct === true || name === "count_distinct" || name === "countdistinct";
    if (name === "countdistinct" || (name === "count" && distinct)) name = "count_distinct";
    const def = functions.aggDef(name)!;
    const star = e.args.length === 1 && e.args[0].t === "star";
    if (star && name !== "count") throw new AnalysisError(`${name}(*) is not valid: only count(*) takes *`);
    if (!star && e.args.length < 1) throw new AnalysisError(`${name}() needs a column`);
    const argExprs = star ? [] : e.args.map((a) => bind(a, { schema }));
    if (argExprs.length > 1) {
      if (name !== "count_distinct") throw new AnalysisError(`${name}() takes one column`);
    }
    const args = argExprs.length > 1 ? [functions.call("struct", argExprs, argExprs.map((_, i) => `c${i}`))] : argExprs;
    const r = star ? { type: def.resolve([{ k: "lit", value: 1, type: { kind: "integer" } }], false).type, args: [] as BExpr[] } : def.resolve(args, distinct);
    const arg = star ? null : (r.args ?? args)[0];
    const key = `${name}|${distinct}|${JSON.stringify(arg)}`;
    let slot = slotKeys.get(key);
    if (slot === undefined) {
      slot = slots.length;
      slotKeys.set(key, slot);
      slots.push({ fn: name, def, arg, distinct });
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
  const plan: PlanNode = { op: "aggregate", child: df.plan, keys, keyNames, timeKey, eventTimeKey, slots, post, schema: { kind: "struct", fields: outFields }, streaming: df.plan.streaming };
  const stateful = countStateful(plan);
  if (df.isStreaming && stateful.aggregates > 1) throw new AnalysisError("Multiple streaming aggregations are not supported with streaming DataFrames/Datasets");
  return new DataFrame(plan);
}

function bindPostAggregate(
  e: Expr,
  input: StructType,
  keyExprs: Expr[],
  keyFields: StructField[],
  onAggregate: (e: Extract<Expr, { t: "fn" }>) => BExpr,
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
function rebind(e: Extract<Expr, { t: "fn" }>, args: Expr[], intermediate: () => StructType): BExpr {
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

/** Literal rows or columns -> a static DataFrame. */
export function staticDataFrame(schema: StructType, data: StaticData): DataFrame {
  return new DataFrame({ op: "static", schema, streaming: false, data });
}

export { toExpr };
