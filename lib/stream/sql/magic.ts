/**
 * %%sql: the cell's SQL statements, run in order. A streaming SELECT starts a query shown as a live table (the
 * display sink) or chart (the chart sink, --chart), or written to a topic (--to); a batch SELECT shows its
 * table at once; CREATE/DROP/SHOW/EXPLAIN do what Spark does. `$name` and `{expression}` in the body expand as
 * in every magic line.
 */
import { MagicError, registerMagic, type MagicContext } from "../../core";
import { spark } from "../session";
import type { DataFrame } from "../plan/dataframe";
import { linearize, type PlanNode } from "../plan/nodes";
import { getSinkFormat, type OutputMode } from "../sinks/registry";
import type { StreamingQuery } from "../query/types";
import { parseSql } from "./index";
import "./changelog";

const MODES = ["append", "update", "complete"] as const;
const MARKS = ["line", "bar", "area", "point", "heatmap"] as const;

/** `$name` -> the variable's value, `{expr}` -> the expression's value; `$$` and `{{ }}` stay literal. */
export async function expandSql(body: string, ctx: Pick<MagicContext, "scope" | "evaluate">): Promise<string> {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    // Quoted SQL text is left alone except for $name, so a string can carry a value: WHERE region = '$region'.
    if (ch === "$" && body[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (ch === "$") {
      const m = /^[A-Za-z_]\w*/.exec(body.slice(i + 1));
      if (m && Object.prototype.hasOwnProperty.call(ctx.scope, m[0])) {
        out += asSql(ctx.scope[m[0]]);
        i += m[0].length;
        continue;
      }
    }
    if (ch === "{" && body[i + 1] === "{") {
      out += "{";
      i++;
      continue;
    }
    if (ch === "}" && body[i + 1] === "}") {
      out += "}";
      i++;
      continue;
    }
    if (ch === "{") {
      const end = body.indexOf("}", i + 1);
      if (end < 0) throw new MagicError("%%sql: '{' without '}': write {expression} to insert a value, or {{ for a literal brace");
      const code = body.slice(i + 1, end);
      let value: unknown;
      try {
        value = await ctx.evaluate(code);
      } catch (err) {
        throw new MagicError(`%%sql: could not evaluate {${code}}: ${(err as Error).message.split("\n")[0]}`);
      }
      out += asSql(value);
      i = end;
      continue;
    }
    out += ch;
  }
  return out;
}

function asSql(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? `'${x.replace(/'/g, "''")}'` : asSql(x))).join(", ");
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

export interface SqlCellOptions {
  name?: string;
  mode?: OutputMode;
  /** Milliseconds between micro-batches. */
  trigger?: number;
  chart?: string;
  x?: string;
  y?: string;
  color?: string;
  to?: string;
  /** HOST:PORT of the cluster --to writes to (default: the current cluster, %kafka). */
  bootstrap?: string;
  rows?: number;
  sort?: string;
  /** Show the stream of changes (+I/-U/+U/-D) instead of the result table. */
  changelog?: boolean;
}

/** Start the live output of one streaming SELECT: table, chart or topic. */
export function startSqlQuery(df: DataFrame, o: SqlCellOptions, name: string | undefined): StreamingQuery {
  const aggregated = hasAggregate(df);
  // Spark's default is append, which it refuses on an aggregation without a watermark; a live table of an
  // aggregation shows the running result (update), as %display does. --mode gives Spark's own rules and errors.
  // ORDER BY / LIMIT over an aggregation: complete mode, the only one Spark allows a sort in (and no LIMIT in update).
  const ordered = linearize(df.plan).some((n: PlanNode) => n.op === "sort" || n.op === "limit");
  const mode: OutputMode = o.mode ?? (aggregated ? (ordered ? "complete" : "update") : "append");
  let out = df;
  let format: string;
  const options: Record<string, string> = {};
  if (o.to) {
    format = "kafka";
    options.topic = o.to;
    if (o.bootstrap) options["kafka.bootstrap.servers"] = o.bootstrap;
    if (!df.columns.includes("value")) out = df.selectExpr("to_json(struct(*)) AS value");
  } else if (o.changelog) {
    format = "changelog";
    if (o.rows !== undefined) options.rows = String(o.rows);
  } else if (o.chart) {
    format = "chart";
    if (!o.x || !o.y) throw new MagicError("%%sql --chart needs --x FIELD and --y FIELD, e.g. --chart line --x window.start --y n");
    Object.assign(options, { mark: o.chart, x: o.x, y: o.y }, o.color ? { color: o.color } : {});
  } else {
    format = "display";
    if (o.rows !== undefined) options.rows = String(o.rows);
    if (o.sort) options.sort = o.sort;
  }
  if (!getSinkFormat(format)) throw new MagicError(`%%sql: the ${format} sink is not registered: load streamlab's render room (import "streamlab"), or write the result --to TOPIC`);
  let writer = out.writeStream.format(format).outputMode(mode);
  for (const [k, v] of Object.entries(options)) writer = writer.option(k, v);
  if (name) writer = writer.queryName(name);
  if (o.trigger !== undefined) writer = writer.trigger({ processingTime: `${o.trigger} milliseconds` });
  return writer.start();
}

function hasAggregate(df: DataFrame): boolean {
  for (let n: { op: string; child?: unknown } | undefined = df.plan; n; n = n.child as typeof n) if (n.op === "aggregate") return true;
  return false;
}

export async function runSqlCell(body: string, o: SqlCellOptions, ctx: Pick<MagicContext, "scope" | "evaluate" | "display">): Promise<StreamingQuery[]> {
  const text = await expandSql(body, ctx);
  const statements = parseSql(text);
  if (statements.length === 0) throw new MagicError("%%sql: the cell has no SQL statement; write e.g. SELECT * FROM orders");
  const queries: StreamingQuery[] = [];
  let streaming = 0;
  for (const st of statements) {
    // Each statement through spark.sql, so a query started here exports to PySpark as spark.sql(...) too.
    const df = spark.sql(st.text);
    if (st.kind === "query" && df.isStreaming) {
      streaming++;
      const name = o.name ? (streaming > 1 ? `${o.name}_${streaming}` : o.name) : undefined;
      queries.push(startSqlQuery(df, o, name));
      if (o.to) ctx.display.print(`writing ${name ?? "the query's result"} to topic '${o.to}'`);
      continue;
    }
    if (st.kind === "explain") {
      ctx.display.print(String(df.collect()[0].plan));
      continue;
    }
    if (st.kind === "createView" || st.kind === "createViewUsing") {
      const v = spark.sql(`TABLE ${st.name.map((p) => "`" + p + "`").join(".")}`);
      ctx.display.print(`view ${st.name.join(".")}: ${v.isStreaming ? "streaming " : ""}[${v.columns.join(", ")}]`);
      continue;
    }
    if (st.kind === "dropView") {
      ctx.display.print(`dropped view ${st.name.join(".")}`);
      continue;
    }
    if (o.to) throw new MagicError("%%sql --to TOPIC writes a streaming query's result: this SELECT reads no stream");
    ctx.display.display(df.toMimeBundle());
  }
  return queries;
}

registerMagic({
  name: "sql",
  kind: "cell",
  summary: "run Spark SQL over views of topics and DataFrames; a streaming SELECT shows a live table",
  usage: "%%sql [--name QUERY] [--mode append|update|complete] [--trigger 1s] [--chart line --x FIELD --y FIELD] [--to TOPIC [--bootstrap HOST:PORT]] [--changelog] [--rows N]",
  help:
    "Views: df.createOrReplaceTempView(name), %stream NAME = TOPIC, or CREATE TEMPORARY VIEW v USING kafka OPTIONS (subscribe 'topic').\n" +
    "Statements are separated by ';'. A streaming SELECT starts a query (default mode: append, or update for an aggregation);\n" +
    "%stop QUERY stops it. $name and {expression} insert notebook values. Example:\n" +
    "  %%sql --name by_region\n  SELECT region, count(*) AS n FROM orders GROUP BY region",
  positional: { max: 0 },
  options: [
    { name: "name", type: "string", help: "name of the query started (queryName; %stop NAME)" },
    { name: "mode", type: "string", help: "output mode", choices: MODES },
    { name: "trigger", type: "duration", help: "time between micro-batches, e.g. 1s" },
    { name: "chart", type: "string", help: "a live chart instead of a table", choices: MARKS },
    { name: "x", type: "string", help: "field on the chart's x axis (window.start, ts, ...)" },
    { name: "y", type: "string", help: "field on the chart's y axis" },
    { name: "color", type: "string", help: "field that colors the chart's marks" },
    { name: "to", type: "string", help: "write the result to this topic (JSON values) instead of showing it" },
    { name: "bootstrap", type: "string", help: "HOST:PORT of the cluster --to writes to (default: the current cluster, %kafka)" },
    { name: "rows", alias: "n", type: "number", help: "rows shown by the live table" },
    { name: "sort", type: "string", help: "sort the live table by this column ('COL desc' or -COL)" },
    { name: "changelog", type: "boolean", help: "show the changes the query emits (+I, -U, +U, -D with their batch) instead of the result" },
  ],
  async run(ctx) {
    const o = ctx.args.options;
    const opts: SqlCellOptions = {
      name: o.name as string | undefined,
      mode: o.mode as OutputMode | undefined,
      trigger: o.trigger as number | undefined,
      chart: o.chart as string | undefined,
      x: o.x as string | undefined,
      y: o.y as string | undefined,
      color: o.color as string | undefined,
      to: o.to as string | undefined,
      bootstrap: o.bootstrap as string | undefined,
      rows: o.rows as number | undefined,
      sort: o.sort as string | undefined,
      changelog: o.changelog === true,
    };
    if (opts.changelog && (opts.chart || opts.to)) throw new MagicError("%%sql: --changelog shows the changes as a table; leave out --chart and --to");
    if ((opts.x || opts.y) && !opts.chart) throw new MagicError("%%sql: --x and --y go with --chart line|bar|area|point|heatmap");
    if (opts.to && opts.chart) throw new MagicError("%%sql: --to TOPIC writes to a topic; leave out --chart");
    try {
      await runSqlCell(ctx.body ?? "", opts, ctx);
    } catch (err) {
      if (err instanceof MagicError) throw err;
      const e = err as Error;
      // Spark's parse errors carry the statement and a caret on their own lines: keep them.
      throw new MagicError(e.message.startsWith("[PARSE_SYNTAX_ERROR]") ? e.message : `%%sql: ${e.message.split("\n")[0]}`);
    }
    return undefined;
  },
});
