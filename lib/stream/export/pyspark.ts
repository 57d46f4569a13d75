/**
 * Export to PySpark: `df.toPySpark()`, `query.toPySpark()` and `%export pyspark NAME [--out job.py]` write a
 * standalone PySpark Structured Streaming job equivalent to the notebook's query.
 *
 * How: every DataFrame method call is recorded as it is made (the lineage: parent, method, arguments, with the
 * Columns' unresolved expressions), so the job replays the same chain in PySpark, expressions written as Spark
 * SQL (`F.expr(...)`), which is what streamlab parses too. The source's options, the writer's format, output
 * mode, trigger, query name and checkpoint come from the reader and the running query. Kafka connection
 * settings (bootstrap servers, SASL, TLS) are read from environment variables by the job: no secret is written.
 * Anything with no PySpark equivalent (a MemoryStream, foreachBatch with a TypeScript function, the live display
 * sinks) is refused with one line naming it.
 */
import { writeFileSync } from "node:fs";
import { Column, SORT_ORDER, type Expr } from "../expr/ast";
import { DataFrame, GroupedData } from "../plan/dataframe";
import { DataStreamReader, SparkSession } from "../session";
import { MemoryStream } from "../sources/memory";
import { toDDL, typeString, type DataType, type StructType } from "../types";
import { registerMagic, MagicError } from "../../core";
import { StreamingQueryImpl } from "../query/query";
import { parseStatement, referencedTables, type Statement } from "../sql";
import { registeredUdf, registeredUdfNames } from "../expr/udf";
import { streamNodes } from "../plan/nodes";

/** The Spark version whose Kafka connector the job's spark-submit line names (the one the tests run). */
export const SPARK_VERSION = "4.1.1";
export const KAFKA_PACKAGE = `org.apache.spark:spark-sql-kafka-0-10_2.13:${SPARK_VERSION}`;

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

// ---- lineage: recorded method calls ------------------------------------------------------------------------

type Step =
  | { kind: "source"; format: string; options: Record<string, string>; schema?: StructType }
  | { kind: "memory"; name: string }
  | { kind: "static"; rows: unknown; schema?: unknown }
  | { kind: "call"; parent: object; method: string; args: unknown[] }
  | { kind: "sql"; text: string };

const lineage = new WeakMap<object, Step>();

function record<T extends object>(proto: T, methods: string[]): void {
  for (const m of methods) {
    const orig = (proto as Record<string, unknown>)[m] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof orig !== "function" || (orig as { __recorded?: boolean }).__recorded) continue;
    const wrapped = function (this: object, ...args: unknown[]) {
      const out = orig.apply(this, args);
      // The outermost call wins (selectExpr calls select, withColumn calls withColumns...).
      if (out && typeof out === "object" && out !== this) lineage.set(out, { kind: "call", parent: this, method: m, args });
      return out;
    };
    (wrapped as { __recorded?: boolean }).__recorded = true;
    (proto as Record<string, unknown>)[m] = wrapped;
  }
}

// ---- SQL: spark.sql(text) is exported as spark.sql(text), after the views it reads -----------------------------

type ViewDef = { kind: "df"; df: DataFrame; global: boolean } | { kind: "using"; statement: Extract<Statement, { kind: "createViewUsing" }> } | { kind: "sql"; text: string; statement: Statement };
const viewDefs = new Map<string, ViewDef>();
const viewKey = (path: string[]): string => path.map((p) => p.toLowerCase()).join(".");
{
  for (const [method, global] of [["createOrReplaceTempView", false], ["createTempView", false], ["createOrReplaceGlobalTempView", true], ["createGlobalTempView", true]] as const) {
    const orig = DataFrame.prototype[method];
    DataFrame.prototype[method] = function (this: DataFrame, name: string) {
      orig.call(this, name);
      viewDefs.set(viewKey(global ? ["global_temp", name] : [name]), { kind: "df", df: this, global });
    };
  }
  const sql = SparkSession.prototype.sql;
  SparkSession.prototype.sql = function (this: SparkSession, text: string) {
    const out = sql.call(this, text);
    const st = parseStatement(text);
    if (st.kind === "query") lineage.set(out, { kind: "sql", text: st.text });
    else if (st.kind === "createViewUsing") viewDefs.set(viewKey(st.global ? ["global_temp", ...st.name.slice(-1)] : st.name.slice(-1)), { kind: "using", statement: st });
    else if (st.kind === "createView") viewDefs.set(viewKey(st.global ? ["global_temp", ...st.name.slice(-1)] : st.name.slice(-1)), { kind: "sql", text: st.text, statement: st });
    return out;
  };
}

/** Python for the views `st` reads (each once), then for the statement itself. */
function sqlViews(st: Statement, ctx: Ctx & { views?: Set<string> }): void {
  ctx.views ??= new Set();
  for (const path of referencedTables(st)) {
    const key = viewKey(path);
    if (ctx.views.has(key)) continue;
    ctx.views.add(key);
    const def = viewDefs.get(key);
    if (!def) throw new ExportError(`toPySpark: the view ${path.join(".")} was not defined in this session (df.createOrReplaceTempView, %stream or CREATE TEMPORARY VIEW): nothing to export for it`);
    const name = path[path.length - 1];
    if (def.kind === "df") {
      const code = chain(def.df, ctx);
      ctx.lines.push(`${code}.${def.global ? "createOrReplaceGlobalTempView" : "createOrReplaceTempView"}(${JSON.stringify(name)})`);
    } else if (def.kind === "using") {
      // Spark's CREATE TEMPORARY VIEW ... USING kafka is a batch view: the job reads the topic as a stream.
      const s = def.statement;
      if (s.provider !== "kafka") throw new ExportError(`toPySpark: a view USING ${s.provider} has no streaming equivalent; use kafka`);
      ctx.source = { kind: "source", format: "kafka", options: s.options };
      const opts = Object.entries(s.options).filter(([k]) => !/^kafka\.(bootstrap|sasl|ssl|security)/.test(k)).map(([k, v]) => `    .option(${JSON.stringify(CAMEL[k.toLowerCase()] ?? k)}, ${JSON.stringify(v)})`);
      const parse = s.schema ? [`    .select(F.from_json(F.col("value").cast("string"), ${JSON.stringify(s.schema)}).alias("data"))`, `    .select("data.*")`] : [];
      ctx.lines.push(["(", `    spark.readStream.format("kafka")`, `    .options(**kafka_options())`, ...opts, "    .load()", ...parse, `    .createOrReplaceTempView(${JSON.stringify(name)})`, ")"].join("\n"));
    } else {
      sqlViews(def.statement, ctx);
      ctx.lines.push(`spark.sql(${pyText(def.text)})`);
    }
  }
}

/** SQL text as a Python string literal (triple-quoted when it spans lines). */
function pyText(text: string): string {
  if (!text.includes("\n")) return JSON.stringify(text);
  return `"""${text.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"')}"""`;
}

record(DataFrame.prototype, ["select", "selectExpr", "withColumn", "withColumns", "withColumnRenamed", "drop", "toDF", "filter", "where", "withWatermark", "groupBy", "groupby", "agg", "dropDuplicates", "drop_duplicates", "distinct", "join", "union", "unionAll", "unionByName", "orderBy", "sort", "limit"]);
record(GroupedData.prototype, ["agg", "count", "sum", "avg", "mean", "min", "max"]);
{
  const load = DataStreamReader.prototype.load;
  DataStreamReader.prototype.load = function (this: DataStreamReader) {
    const out = load.call(this);
    const self = this as unknown as { fmt: string; opts: Record<string, string>; userSchema?: StructType };
    lineage.set(out, { kind: "source", format: self.fmt, options: { ...self.opts }, schema: self.userSchema });
    return out;
  };
  const toDF = MemoryStream.prototype.toDF;
  MemoryStream.prototype.toDF = function (this: MemoryStream) {
    const out = toDF.call(this);
    lineage.set(out, { kind: "memory", name: this.name });
    return out;
  };
  const create = SparkSession.prototype.createDataFrame;
  SparkSession.prototype.createDataFrame = function (this: SparkSession, data: unknown, schema?: string | StructType) {
    const out = create.call(this, data, schema);
    lineage.set(out, { kind: "static", rows: data, schema });
    return out;
  };
}

// ---- Spark SQL text of an expression ---------------------------------------------------------------------------

const INFIX: Record<string, string> = { "+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "=": "=", "<=>": "<=>", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", and: "AND", or: "OR", "||": "||", like: "LIKE", rlike: "RLIKE", ilike: "ILIKE", div: "DIV" };

export function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "`" + name.replace(/`/g, "``") + "`";
}

function sqlString(s: string): string {
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

function sqlLiteral(v: unknown, type?: DataType): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return `${v}L`;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return `CAST('${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"}' AS DOUBLE)`;
    if (type?.kind === "long" && Number.isInteger(v)) return `${v}L`;
    return Number.isInteger(v) && Math.abs(v) <= 2147483647 ? String(v) : Number.isInteger(v) ? `${v}L` : `${v}D`;
  }
  // A decimal literal's text is Spark's decimal literal (2.5 is DECIMAL(2,1) there too); BD keeps big ones decimal.
  if (typeof v === "string" && type?.kind === "decimal") return `${v}BD`;
  if (typeof v === "string") return sqlString(v);
  if (v instanceof Date) return `TIMESTAMP '${v.toISOString().replace("T", " ").replace("Z", "")}'`;
  if (Array.isArray(v)) return `array(${v.map((x) => sqlLiteral(x)).join(", ")})`;
  if (typeof v === "object" && (v as StructType).kind === "struct") return sqlString(toDDL(v as StructType));
  if (typeof v === "object") return `named_struct(${Object.entries(v).map(([k, x]) => `${sqlString(k)}, ${sqlLiteral(x)}`).join(", ")})`;
  throw new ExportError(`toPySpark: the literal ${typeof v} has no Spark SQL form`);
}

/** A TypeScript UDF cannot run in a PySpark job. */
function udfRefused(name: string): ExportError {
  return new ExportError(`toPySpark: the TypeScript UDF '${name}' has no PySpark equivalent; write it as a Spark SQL expression (expr("...")) to export the query, or port it to a Python UDF in the job`);
}

/** SQL text (spark.sql, selectExpr, filter strings) calling a registered UDF. */
function refuseUdfsIn(text: string): void {
  const used = registeredUdfNames().find((n) => new RegExp(`\\b${n}\\s*\\(`, "i").test(text));
  if (used) throw udfRefused(used);
}

export function exprSQL(e: Expr): string {
  switch (e.t) {
    case "col":
      return e.path.map(quoteIdent).join(".");
    case "star":
      return [...e.qualifier.map(quoteIdent), "*"].join(".");
    case "lit":
      return sqlLiteral(e.value, e.type);
    case "alias":
      return e.names ? `${exprSQL(e.child)} AS (${e.names.map(quoteIdent).join(", ")})` : `${exprSQL(e.child)} AS ${quoteIdent(e.name)}`;
    case "cast":
      return `${e.try ? "TRY_CAST" : "CAST"}(${exprSQL(e.child)} AS ${typeString(e.to).toUpperCase()})`;
    case "case":
      return `CASE ${e.branches.map(([c, v]) => `WHEN ${exprSQL(c)} THEN ${exprSQL(v)}`).join(" ")}${e.otherwise ? ` ELSE ${exprSQL(e.otherwise)}` : ""} END`;
    case "fn": {
      const a = e.args;
      if (e.options?.udf || registeredUdf(e.name)) throw udfRefused(e.name);
      const op = INFIX[e.name];
      if (op && a.length === 2) return `(${exprSQL(a[0])} ${op} ${exprSQL(a[1])})`;
      switch (e.name) {
        case "not": return `(NOT ${exprSQL(a[0])})`;
        case "negative": return `(- ${exprSQL(a[0])})`;
        case "isnull": return `(${exprSQL(a[0])} IS NULL)`;
        case "isnotnull": return `(${exprSQL(a[0])} IS NOT NULL)`;
        case "in": return `(${exprSQL(a[0])} IN (${a.slice(1).map(exprSQL).join(", ")}))`;
        case "get_field": return `(${exprSQL(a[0])}).${quoteIdent(String((a[1] as { value: unknown }).value))}`;
        case "element_at_0": return `${exprSQL(a[0])}[${exprSQL(a[1])}]`;
        case "map_get": return `${exprSQL(a[0])}[${exprSQL(a[1])}]`;
        case "interval_ms": return `INTERVAL '${Number((a[0] as { value: unknown }).value) / 1000}' SECOND`;
        case "count_distinct": case "countdistinct": return `count(DISTINCT ${a.map(exprSQL).join(", ")})`;
        case "from_json": {
          const opts = Object.entries((e.options ?? {}));
          const tail = opts.length ? `, map(${opts.map(([k, v]) => `${sqlString(k)}, ${sqlString(String(v))}`).join(", ")})` : "";
          return `from_json(${a.map(exprSQL).join(", ")}${tail})`;
        }
      }
      return `${e.name}(${e.distinct ? "DISTINCT " : ""}${a.map(exprSQL).join(", ")})`;
    }
  }
}

// ---- Python code ---------------------------------------------------------------------------------------------

function py(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Date) return `datetime.datetime.fromisoformat(${JSON.stringify(v.toISOString().replace("Z", "+00:00"))})`;
  if (Array.isArray(v)) return `[${v.map(py).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(", ")}}`;
  throw new ExportError(`toPySpark: the value of type ${typeof v} has no Python form`);
}

/** A Column (or a column name) as PySpark code. */
function columnCode(c: unknown): string {
  if (typeof c === "string") return JSON.stringify(c);
  if (c instanceof Column) {
    const e = c.expr;
    if (e.t === "col" || e.t === "star") return `F.col(${JSON.stringify(exprSQL(e))})`;
    if (e.t === "fn" && e.name === SORT_ORDER) return `${columnCode(new Column(e.args[0]))}.${e.options?.desc ? "desc" : "asc"}_nulls_${e.options?.nullsFirst ? "first" : "last"}()`;
    if (e.t === "alias") return `${columnCode(new Column(e.child))}.alias(${(e.names ?? [e.name]).map((n) => JSON.stringify(n)).join(", ")})`;
    return `F.expr(${JSON.stringify(exprSQL(e))})`;
  }
  if (Array.isArray(c)) return `[${c.map(columnCode).join(", ")}]`;
  throw new ExportError(`toPySpark: ${typeof c === "function" ? "a TypeScript function" : JSON.stringify(c)} as a column has no PySpark equivalent`);
}

interface Ctx {
  lines: string[];
  statics: number;
  source?: Extract<Step, { kind: "source" }>;
}

const CAMEL: Record<string, string> = { subscribe: "subscribe", subscribepattern: "subscribePattern", assign: "assign", startingoffsets: "startingOffsets", endingoffsets: "endingOffsets", maxoffsetspertrigger: "maxOffsetsPerTrigger", failondataloss: "failOnDataLoss", includeheaders: "includeHeaders", rowspersecond: "rowsPerSecond" };

/** The chain of calls that builds `obj`, as a PySpark expression. */
function chain(obj: object, ctx: Ctx): string {
  const step = lineage.get(obj);
  if (!step) throw new ExportError("toPySpark: this DataFrame was not built through streamlab's DataFrame API (no recorded lineage)");
  switch (step.kind) {
    case "sql": {
      refuseUdfsIn(step.text);
      sqlViews(parseStatement(step.text), ctx);
      return `spark.sql(${pyText(step.text)})`;
    }
    case "memory":
      throw new ExportError(`toPySpark: ${step.name} (a MemoryStream) has no PySpark equivalent in a job; read a Kafka topic instead`);
    case "static": {
      const name = `static_${++ctx.statics}`;
      const rows = step.rows;
      if (!Array.isArray(rows)) throw new ExportError("toPySpark: a static DataFrame from a danfojs DataFrame has no PySpark equivalent; build it from rows");
      const df = obj as DataFrame;
      const ddl = toDDL(df.schema);
      const names = df.schema.fields.map((f) => f.name);
      const tuples = rows.map((r) => (Array.isArray(r) ? r : names.map((n) => (r as Record<string, unknown>)[n] ?? null)));
      ctx.lines.push(`${name} = spark.createDataFrame(${py(tuples.map((t) => t))}, ${JSON.stringify(ddl)})`);
      return name;
    }
    case "source": {
      ctx.source = step;
      const fmt = step.format;
      if (fmt !== "kafka" && fmt !== "rate") throw new ExportError(`toPySpark: the '${fmt}' source has no PySpark equivalent`);
      const opts = Object.entries(step.options).filter(([k]) => !k.startsWith("kafka.")).map(([k, v]) => `    .option(${JSON.stringify(CAMEL[k.toLowerCase()] ?? k)}, ${JSON.stringify(v)})`);
      const kafkaOpts = Object.entries(step.options).filter(([k]) => k.startsWith("kafka.") && k !== "kafka.bootstrap.servers" && !/sasl|ssl|security/i.test(k)).map(([k, v]) => `    .option(${JSON.stringify(k)}, ${JSON.stringify(v)})`);
      const head = fmt === "kafka" ? [`spark.readStream.format("kafka")`, `    .options(**kafka_options())`] : [`spark.readStream.format("rate")`];
      return ["(", ...head.map((l, i) => (i === 0 ? `    ${l}` : l)), ...opts, ...kafkaOpts, "    .load()", ")"].join("\n");
    }
    case "call": {
      const parent = chain(step.parent, ctx);
      const m = step.method;
      const args = step.args;
      let call: string;
      switch (m) {
        case "selectExpr":
          (args.flat() as string[]).forEach(refuseUdfsIn);
          call = `selectExpr(${(args.flat() as string[]).map((s) => JSON.stringify(s)).join(", ")})`;
          break;
        case "filter":
        case "where":
          if (typeof args[0] === "string") refuseUdfsIn(args[0]);
          call = `${m}(${typeof args[0] === "string" ? JSON.stringify(args[0]) : columnCode(args[0])})`;
          break;
        case "withColumn":
          call = `withColumn(${JSON.stringify(args[0])}, ${columnCode(args[1])})`;
          break;
        case "withColumns":
          call = `withColumns({${Object.entries(args[0] as Record<string, Column>).map(([k, c]) => `${JSON.stringify(k)}: ${columnCode(c)}`).join(", ")}})`;
          break;
        case "withColumnRenamed":
        case "withWatermark":
          call = `${m}(${JSON.stringify(args[0])}, ${JSON.stringify(args[1])})`;
          break;
        case "drop":
        case "toDF":
          call = `${m}(${args.map(columnCode).join(", ")})`;
          break;
        case "dropDuplicates":
        case "drop_duplicates":
          call = `dropDuplicates(${args[0] === undefined ? "" : py(Array.isArray(args[0]) ? args[0] : [args[0]])})`;
          break;
        case "distinct":
          call = "distinct()";
          break;
        case "limit":
          call = `limit(${Number(args[0])})`;
          break;
        case "union":
        case "unionAll":
          call = `union(${chain(args[0] as object, ctx)})`;
          break;
        case "unionByName":
          call = `unionByName(${chain(args[0] as object, ctx)}${args[1] ? ", allowMissingColumns=True" : ""})`;
          break;
        case "join": {
          const other = chain(args[0] as object, ctx);
          // on: column names, or a condition Column (a stream-stream join)
          call = `join(${other}, ${args[1] instanceof Column ? columnCode(args[1]) : py(args[1])}, ${py(args[2] ?? "inner")})`;
          break;
        }
        case "agg":
          if (args.length === 1 && args[0] && typeof args[0] === "object" && !(args[0] instanceof Column) && !Array.isArray(args[0])) call = `agg(${py(args[0])})`;
          else call = `agg(${args.flat<unknown[]>().map(columnCode).join(", ")})`;
          break;
        default:
          call = `${m === "groupby" ? "groupBy" : m}(${args.flat<unknown[]>().map(columnCode).join(", ")})`;
      }
      return `${parent}.${call}`;
    }
  }
}

export interface WriterSpec {
  format: string;
  outputMode: string;
  trigger?: { kind: "processingTime"; intervalMs: number } | { kind: "once" } | { kind: "availableNow" };
  queryName?: string | null;
  checkpointLocation?: string;
  options?: Record<string, string>;
}

function writerCode(w: WriterSpec): string[] {
  const out = [`    result.writeStream`, `    .outputMode(${JSON.stringify(w.outputMode)})`];
  const opts = Object.entries(w.options ?? {}).filter(([k]) => !k.startsWith("__") && k !== "checkpointLocation");
  switch (w.format) {
    case "memory":
    case "console":
      out.push(`    .format(${JSON.stringify(w.format)})`);
      break;
    case "kafka":
      out.push(`    .format("kafka")`, `    .options(**kafka_options())`);
      break;
    case "foreachBatch":
      throw new ExportError("toPySpark: foreachBatch with a TypeScript function has no PySpark equivalent; write to kafka, console or memory");
    default:
      throw new ExportError(`toPySpark: the '${w.format}' sink (a notebook display) has no PySpark equivalent; write to kafka, console or memory`);
  }
  for (const [k, v] of opts.filter(([k]) => !(w.format === "kafka" && /^kafka\.(bootstrap|sasl|ssl|security)/.test(k)))) out.push(`    .option(${JSON.stringify(k)}, ${JSON.stringify(v)})`);
  if (w.queryName) out.push(`    .queryName(${JSON.stringify(w.queryName)})`);
  const t = w.trigger;
  if (t?.kind === "processingTime") out.push(`    .trigger(processingTime=${JSON.stringify(`${t.intervalMs} milliseconds`)})`);
  else if (t?.kind === "once") out.push(`    .trigger(once=True)`);
  else if (t?.kind === "availableNow") out.push(`    .trigger(availableNow=True)`);
  const ckpt = w.checkpointLocation ?? `/tmp/checkpoints/${w.queryName ?? "streamlab-job"}`;
  out.push(`    .option("checkpointLocation", os.environ.get("CHECKPOINT_LOCATION", ${JSON.stringify(ckpt)}))`);
  out.push(`    .start()`);
  return out;
}

const KAFKA_OPTIONS_FN = `def kafka_options():
    """Kafka connection settings from the environment: nothing secret is written in this file."""
    opts = {"kafka.bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", %BOOTSTRAP%)}
    protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL")  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
    if protocol:
        opts["kafka.security.protocol"] = protocol
    mechanism = os.environ.get("KAFKA_SASL_MECHANISM")  # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    if mechanism:
        module = ("org.apache.kafka.common.security.plain.PlainLoginModule" if mechanism == "PLAIN"
                  else "org.apache.kafka.common.security.scram.ScramLoginModule")
        opts["kafka.sasl.mechanism"] = mechanism
        opts["kafka.sasl.jaas.config"] = '%s required username="%s" password="%s";' % (
            module, os.environ["KAFKA_USERNAME"], os.environ["KAFKA_PASSWORD"])
    if os.environ.get("KAFKA_SSL_TRUSTSTORE_LOCATION"):
        opts["kafka.ssl.truststore.location"] = os.environ["KAFKA_SSL_TRUSTSTORE_LOCATION"]
        opts["kafka.ssl.truststore.password"] = os.environ.get("KAFKA_SSL_TRUSTSTORE_PASSWORD", "")
    if os.environ.get("KAFKA_SSL_CA_LOCATION"):  # a PEM file
        opts["kafka.ssl.truststore.type"] = "PEM"
        opts["kafka.ssl.truststore.location"] = os.environ["KAFKA_SSL_CA_LOCATION"]
    return opts
`;

/** transformWithState / (flat)mapGroupsWithState run TypeScript per key: nothing in a PySpark job can run it. */
function refuseGroupState(df: DataFrame): void {
  const n = streamNodes(df.plan).find((x) => x.op === "groupState");
  if (n?.op === "groupState") {
    const what = n.kind === "transformWithState" ? "its StatefulProcessor" : "its function";
    throw new ExportError(`toPySpark: ${n.kind} runs ${what} in TypeScript, which has no PySpark equivalent; port it to transformWithStateInPandas / applyInPandasWithState by hand`);
  }
}

/** The whole job file for a DataFrame and a writer. */
export function pysparkJob(df: DataFrame, writer: WriterSpec, opts: { appName?: string; bootstrap?: string } = {}): string {
  if (!df.isStreaming) throw new ExportError("toPySpark: a static DataFrame is not a streaming job; export the streaming DataFrame that reads Kafka");
  refuseGroupState(df);
  const ctx: Ctx = { lines: [], statics: 0 };
  const body = chain(df, ctx);
  const bootstrap = ctx.source?.options["kafka.bootstrap.servers"] ?? opts.bootstrap ?? "localhost:9092";
  const schemaComment = df.schema.fields.map((f) => `#   ${f.name}: ${typeString(f.type)}`).join("\n");
  const app = opts.appName ?? writer.queryName ?? "streamlab-job";
  return [
    "#!/usr/bin/env python3",
    `"""${app}: a PySpark Structured Streaming job exported from a streamlab notebook.`,
    "",
    "Run it on a cluster (the Kafka connector comes from Maven Central):",
    `    spark-submit --packages ${KAFKA_PACKAGE} job.py`,
    "Connection settings come from the environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL,",
    "KAFKA_SASL_MECHANISM + KAFKA_USERNAME + KAFKA_PASSWORD, KAFKA_SSL_CA_LOCATION or KAFKA_SSL_TRUSTSTORE_*,",
    "and CHECKPOINT_LOCATION.",
    '"""',
    `# spark-submit --packages ${KAFKA_PACKAGE} job.py`,
    "import datetime  # noqa: F401 (timestamps in static data)",
    "import os",
    "",
    "from pyspark.sql import SparkSession",
    "from pyspark.sql import functions as F",
    "",
    KAFKA_OPTIONS_FN.replace("%BOOTSTRAP%", JSON.stringify(bootstrap)),
    "",
    `spark = SparkSession.builder.appName(${JSON.stringify(app)}).getOrCreate()`,
    "",
    ...ctx.lines,
    ...(ctx.lines.length ? [""] : []),
    "# Output schema (as streamlab analysed it):",
    schemaComment,
    `result = ${body}`,
    "",
    "query = (",
    ...writerCode(writer),
    ")",
    'if __name__ == "__main__" and not os.environ.get("STREAMLAB_NO_AWAIT"):',
    "    query.awaitTermination()",
    "",
  ].join("\n");
}

/** `query.toPySpark()`: the query's own writer settings. */
export function queryToPySpark(query: unknown): string {
  const spec = (query as { spec?: { df: DataFrame; format: string; outputMode: string; trigger: WriterSpec["trigger"]; name: string | null; checkpointLocation?: string; options: Record<string, string> } }).spec;
  if (!spec) throw new ExportError("toPySpark: not a streamlab streaming query");
  return pysparkJob(spec.df, { format: spec.format, outputMode: spec.outputMode, trigger: spec.trigger, queryName: spec.name, checkpointLocation: spec.checkpointLocation, options: spec.options });
}

// df.toPySpark(writer?) and query.toPySpark(): methods added here (plan/ and query/ are other rooms).
declare module "../plan/dataframe" {
  interface DataFrame {
    /** A standalone PySpark job for this streaming DataFrame (console sink, append mode unless given). */
    toPySpark(writer?: Partial<WriterSpec>): string;
  }
}
(DataFrame.prototype as unknown as { toPySpark: (w?: Partial<WriterSpec>) => string }).toPySpark = function (this: DataFrame, w: Partial<WriterSpec> = {}) {
  return pysparkJob(this, { format: "console", outputMode: "append", ...w });
};

declare module "../query/query" {
  interface StreamingQueryImpl {
    toPySpark(): string;
  }
}
declare module "../query/types" {
  interface StreamingQuery {
    /** A standalone PySpark job equivalent to this query (its sink, output mode, trigger, checkpoint). */
    toPySpark(): string;
  }
}
(StreamingQueryImpl.prototype as unknown as { toPySpark: () => string }).toPySpark = function (this: unknown) {
  return queryToPySpark(this);
};

registerMagic({
  name: "export",
  kind: "line",
  summary: "export a streaming DataFrame or query as a standalone PySpark job",
  usage: "%export pyspark NAME [--out job.py]",
  help: "Writes the PySpark Structured Streaming job equivalent to NAME (a streaming query or DataFrame in the notebook):\nSparkSession, Kafka options from environment variables, every transformation, watermark, trigger, output mode, checkpoint and sink,\nwith the spark-submit --packages line. Without --out it prints the job.",
  options: [{ name: "out", type: "string", help: "file to write the job to" }],
  positional: { min: 2, max: 2, names: ["pyspark", "NAME"] },
  run(ctx) {
    const [target, name] = ctx.args.positional;
    if (target !== "pyspark") throw new MagicError(`%export: unknown target '${target}'; use %export pyspark NAME`);
    const value = ctx.scope[name];
    if (value === undefined) throw new MagicError(`%export: no variable '${name}' in the notebook`);
    let code: string;
    try {
      if (value instanceof DataFrame) code = value.toPySpark();
      else if (value && typeof (value as { toPySpark?: unknown }).toPySpark === "function") code = (value as { toPySpark: () => string }).toPySpark();
      else throw new ExportError(`'${name}' is neither a streaming DataFrame nor a streaming query`);
    } catch (err) {
      throw new MagicError(`%export: ${(err as Error).message}`);
    }
    const out = ctx.args.options.out as string | undefined;
    if (out) {
      writeFileSync(out, code);
      ctx.display.print(`wrote ${out} (${code.split("\n").length} lines): spark-submit --packages ${KAFKA_PACKAGE} ${out}`);
    } else ctx.display.print(code);
    return undefined;
  },
});
