/**
 * DataFrame: an immutable logical plan plus its analysed schema, Spark's user-facing API. Every method hands
 * its arguments to analysis (analyze.ts), which checks them against the child's schema at once, so a wrong
 * name or type fails where the user wrote it. Streaming restrictions are checked in checks.ts.
 */
import { Column, colArg, colExpr, exprName, toExpr, type ColumnLike, type Expr } from "../expr/ast";
import { parseExpression } from "../expr/parser";
import { AnalysisError } from "../expr/bound";
import { type StructType, typeString, treeString, toDDL } from "../types";
import type { PlanNode, StaticData } from "./nodes";
import * as A from "./analyze";
import { analyzeUnion } from "./union";
import { analyzeStreamJoin } from "./join";
import { analyzeLimit, analyzeSort } from "./order";
import { KeyValueGroupedDataset } from "./stateful";
import { checkStaticAction, checkWriteStream } from "./checks";
import { escapeHtml, getDisplayBridge, type MimeBundle } from "../../core";
import { runStatic } from "../exec/static";
import { toDanfo, type DanfoDataFrame } from "../danfo";
import { formatTable, htmlTable } from "../sinks/console";
import { DataStreamWriter } from "../query/writer";
import { putView } from "../sql/catalog";

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
    return new DataFrame(A.analyzeSelect(this.plan, cols.flat().map(colArg)));
  }

  selectExpr(...sql: (string | string[])[]): DataFrame {
    return this.select(...sql.flat().map((s) => new Column(parseExpression(s))));
  }

  withColumn(name: string, col: Column): DataFrame {
    return this.withColumns({ [name]: col });
  }

  withColumns(map: Record<string, Column>): DataFrame {
    const exprs: Record<string, Expr> = {};
    for (const [name, col] of Object.entries(map)) {
      if (!(col instanceof Column)) throw new AnalysisError(`withColumn('${name}', ...) needs a Column: use lit(value) for constants or expr("...") for SQL`);
      exprs[name] = col.expr;
    }
    return new DataFrame(A.analyzeWithColumns(this.plan, exprs));
  }

  withColumnRenamed(existing: string, renamed: string): DataFrame {
    const plan = A.analyzeRename(this.plan, existing, renamed);
    return plan === this.plan ? this : new DataFrame(plan);
  }

  drop(...names: (string | Column)[]): DataFrame {
    const plan = A.analyzeDrop(this.plan, names.map((n) => (typeof n === "string" ? n : exprName(n.expr))));
    return plan === this.plan ? this : new DataFrame(plan);
  }

  toDF(...names: string[]): DataFrame {
    return new DataFrame(A.analyzeToDF(this.plan, names));
  }

  // ---- filters -----------------------------------------------------------------------------------------------

  filter(condition: Column | string): DataFrame {
    return new DataFrame(A.analyzeFilter(this.plan, typeof condition === "string" ? parseExpression(condition) : condition.expr));
  }
  where(condition: Column | string): DataFrame {
    return this.filter(condition);
  }

  // ---- event time ---------------------------------------------------------------------------------------------

  withWatermark(eventTime: string, delayThreshold: string): DataFrame {
    return new DataFrame(A.analyzeWatermark(this.plan, eventTime, delayThreshold));
  }

  // ---- aggregation ---------------------------------------------------------------------------------------------

  groupBy(...cols: (ColumnLike | ColumnLike[])[]): GroupedData {
    return new GroupedData(this, cols.flat().map(colArg));
  }
  groupby(...cols: (ColumnLike | ColumnLike[])[]): GroupedData {
    return this.groupBy(...cols);
  }
  /** Global aggregation: `df.agg(count("*"))`. */
  agg(...cols: (Column | Column[])[]): DataFrame {
    return new GroupedData(this, []).agg(...cols);
  }

  /**
   * Rows grouped by the key `keyFn` computes from each row (an object of the row's columns), for arbitrary
   * stateful processing: transformWithState, flatMapGroupsWithState, mapGroupsWithState (plan/stateful.ts).
   */
  groupByKey(keyFn: (row: Record<string, unknown>) => unknown): KeyValueGroupedDataset<DataFrame> {
    return new KeyValueGroupedDataset(this.plan, keyFn, (plan) => new DataFrame(plan));
  }

  dropDuplicates(subset?: string[] | string): DataFrame {
    return new DataFrame(A.analyzeDropDuplicates(this.plan, subset));
  }
  drop_duplicates(subset?: string[] | string): DataFrame {
    return this.dropDuplicates(subset);
  }
  distinct(): DataFrame {
    return this.dropDuplicates();
  }

  // ---- order and limit (plan/order.ts: on a stream, Spark's rules at start()) ---------------------------------

  /** orderBy("a", col("b").desc()): on a stream only after an aggregation in complete mode, as in Spark. */
  orderBy(...cols: (ColumnLike | ColumnLike[])[]): DataFrame {
    return new DataFrame(analyzeSort(this.plan, cols.flat().map(colArg)));
  }
  sort(...cols: (ColumnLike | ColumnLike[])[]): DataFrame {
    return this.orderBy(...cols);
  }
  /** The first n rows: per result in complete mode; over the whole stream in append mode; never in update mode. */
  limit(n: number): DataFrame {
    return new DataFrame(analyzeLimit(this.plan, n));
  }

  // ---- union -----------------------------------------------------------------------------------------------------

  /** Rows of both, columns by position (Spark's union / unionAll); streams get one global watermark. */
  union(other: DataFrame): DataFrame {
    if (!(other instanceof DataFrame)) throw new AnalysisError("union() needs a DataFrame");
    return new DataFrame(analyzeUnion(this.plan, other.plan, "position"));
  }
  unionAll(other: DataFrame): DataFrame {
    return this.union(other);
  }
  /** Rows of both, columns by name; allowMissingColumns fills columns one side lacks with nulls. */
  unionByName(other: DataFrame, allowMissingColumns = false): DataFrame {
    if (!(other instanceof DataFrame)) throw new AnalysisError("unionByName() needs a DataFrame");
    return new DataFrame(analyzeUnion(this.plan, other.plan, "name", allowMissingColumns));
  }

  // ---- join with a static DataFrame -----------------------------------------------------------------------------

  /**
   * A stream with a static DataFrame (inner, left) on column names; or two streams (plan/join.ts) on column
   * names or a condition (`expr("adId = clickAdId AND clickTime >= impressionTime AND ...")`), with inner,
   * left_outer, right_outer, full_outer or left_semi.
   */
  join(other: DataFrame, on: string | string[] | Column, how = "inner"): DataFrame {
    if (!(other instanceof DataFrame)) throw new AnalysisError("join() needs a DataFrame: build a static one with spark.createDataFrame(rows or danfo DataFrame)");
    if (this.plan.streaming && other.plan.streaming) {
      return new DataFrame(analyzeStreamJoin(this.plan, other.plan, on instanceof Column ? on.expr : Array.isArray(on) ? on : [on], how));
    }
    if (on instanceof Column) throw new AnalysisError("a join with a static DataFrame takes column names: df.join(static, [\"key\"], how)");
    return new DataFrame(A.analyzeJoin(this.plan, other.plan, on, how));
  }

  // ---- static execution ------------------------------------------------------------------------------------------

  /** Rows of a static DataFrame (timestamps as Date). */
  collect(): Record<string, unknown>[] {
    checkStaticAction(this.plan, "collect");
    return runStatic(this.plan).rows();
  }

  /** A danfojs DataFrame of a static DataFrame. */
  toDanfo(): DanfoDataFrame {
    checkStaticAction(this.plan, "toDanfo");
    return toDanfo(runStatic(this.plan));
  }
  toPandas(): DanfoDataFrame {
    return this.toDanfo();
  }

  /** Spark's show(): a text table of a static DataFrame. */
  show(numRows = 20, truncate: boolean | number = true): string {
    checkStaticAction(this.plan, "show");
    const text = formatTable(runStatic(this.plan), numRows, truncate);
    getDisplayBridge().print(text);
    return text;
  }

  count(): number {
    checkStaticAction(this.plan, "count");
    return runStatic(this.plan).numRows;
  }

  explain(): string {
    const text = this.explainString();
    getDisplayBridge().print(text);
    return text;
  }

  /** The plan tree explain() prints. */
  explainString(): string {
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
        : n.op === "union" ? `${n.inputs.length} inputs`
        : n.op === "streamJoin" ? `${n.how}, keys=${n.leftKeys.length}`
        : n.op === "limit" ? String(n.n)
        : n.op === "sort" ? n.keys.map((k) => `${k.expr.k === "col" ? k.expr.name : "expr"} ${k.desc ? "DESC" : "ASC"}`).join(", ")
        : n.op === "groupState" ? `${n.kind}, ${n.timeMode}, ${n.outputMode}`
        : n.op === "generate" ? `${n.gen}${n.outer ? "_outer" : ""}, [${n.schema.fields.slice(n.at, n.at + n.width).map((f) => f.name).join(", ")}]`
        : "";
      lines.push(`${pad}${n.op[0].toUpperCase() + n.op.slice(1)} ${detail}`.trimEnd());
      if ("child" in n) walk(n.child, depth + 1);
      if (n.op === "join") walk(n.right, depth + 1);
      if (n.op === "union" || n.op === "streamJoin") for (const i of n.inputs) walk(i, depth + 1);
    };
    walk(this.plan, 0);
    return lines.join("\n");
  }

  // ---- views (spark.sql names them) ----------------------------------------------------------------------------

  createOrReplaceTempView(name: string): void {
    putView(checkViewName(name), this.plan, { replace: true });
  }
  createTempView(name: string): void {
    putView(checkViewName(name), this.plan);
  }
  /** A view in `global_temp`: spark.sql("SELECT * FROM global_temp.NAME"). */
  createOrReplaceGlobalTempView(name: string): void {
    putView(checkViewName(name), this.plan, { replace: true, global: true });
  }
  createGlobalTempView(name: string): void {
    putView(checkViewName(name), this.plan, { global: true });
  }

  get writeStream(): DataStreamWriter {
    checkWriteStream(this.plan);
    return new DataStreamWriter(this.plan);
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
    return new DataFrame(A.analyzeAggregate(this.df.plan, this.keys, list.map((c) => c.expr)));
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

/** Literal rows or columns -> a static DataFrame. */
export function staticDataFrame(schema: StructType, data: StaticData): DataFrame {
  return new DataFrame({ op: "static", schema, streaming: false, data });
}

function checkViewName(name: string): string {
  if (typeof name !== "string" || !/^[A-Za-z_][\w]*$/.test(name)) throw new AnalysisError(`'${String(name)}' is not a view name: use letters, digits and _ (e.g. orders_by_region)`);
  return name;
}

export { toExpr };
