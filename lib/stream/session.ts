/** `spark`: the entry point, as in PySpark: readStream, createDataFrame, table, streams. */
import { readStateMetadata, readStateStore } from "./state/reader";
import { conf, type RuntimeConf } from "./conf";
import { DataFrame, staticDataFrame } from "./plan/dataframe";
import { toStructType, type StructType } from "./types";
import { AnalysisError } from "./expr/bound";
import { externalToValue } from "./expr/runtime";
import { MemoryStream } from "./sources/memory";
import { RateSourceProvider } from "./sources/rate";
import { memoryTable, memoryTableNames } from "./sinks/memory";
import { isDanfoFrame, danfoToColumns, inferSchema, loadDanfo, type DanfoDataFrame } from "./danfo";
import { streams } from "./query/registry";
import type { StreamingQueryManager } from "./query/manager";
import { didYouMean } from "../core";
import { KafkaSourceProvider } from "./sources/kafka";
import { caseInsensitive } from "./options";
import { udfRegistration, type UDFRegistration } from "./functions";
import { runSql, getView, listViews, dropView, type CatalogTable } from "./sql";

/** `spark.catalog`: the session's temporary views (PySpark's Catalog, the parts a notebook uses). */
export class Catalog {
  /** Views of the session (and of `global_temp` when dbName is "global_temp"), as PySpark's Table objects. */
  listTables(dbName?: string): CatalogTable[] {
    return listViews(dbName);
  }
  tableExists(tableName: string, dbName?: string): boolean {
    return getView(dbName ? [dbName, tableName] : tableName.split(".")) !== undefined;
  }
  dropTempView(viewName: string): boolean {
    return dropView([viewName]);
  }
  dropGlobalTempView(viewName: string): boolean {
    return dropView(["global_temp", viewName]);
  }
}

export class DataStreamReader {
  private fmt = "";
  /** Spark option names are case-insensitive. */
  private opts = caseInsensitive();
  private userSchema?: StructType;

  format(source: string): this {
    this.fmt = source.toLowerCase();
    return this;
  }
  option(key: string, value: string | number | boolean): this {
    this.opts[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
    return this;
  }
  options(map: Record<string, string | number | boolean>): this {
    for (const [k, v] of Object.entries(map)) this.option(k, v);
    return this;
  }
  schema(schema: string | StructType): this {
    this.userSchema = toStructType(schema);
    return this;
  }
  load(): DataFrame {
    switch (this.fmt) {
      case "kafka": {
        const provider = new KafkaSourceProvider(this.opts);
        return new DataFrame({ op: "source", schema: provider.schema, streaming: true, provider });
      }
      case "rate": {
        const provider = new RateSourceProvider(this.opts);
        return new DataFrame({ op: "source", schema: provider.schema, streaming: true, provider });
      }
      case "memory": {
        if (!this.userSchema) throw new AnalysisError('readStream.format("memory") needs .schema("a STRING, b DOUBLE"); or use spark.memoryStream(schema) and addData()');
        return new MemoryStream(this.userSchema).toDF();
      }
      case "":
        throw new AnalysisError('readStream needs a source: .format("kafka"), .format("rate") or spark.memoryStream(schema)');
      default: {
        const hint = didYouMean(this.fmt, ["kafka", "rate", "memory"]);
        throw new AnalysisError(`unknown source format '${this.fmt}'${hint ? ` (did you mean '${hint}'?)` : ""}; sources: kafka, rate, memory`);
      }
    }
  }
}

/** `spark.read`: the state data sources (`statestore`, `state-metadata`) over a checkpoint directory. */
export class DataFrameReader {
  private fmt = "";
  private readonly opts: Record<string, string> = {};
  format(source: string): this {
    this.fmt = source.toLowerCase();
    return this;
  }
  option(key: string, value: string | number | boolean): this {
    this.opts[key.toLowerCase()] = String(value);
    return this;
  }
  options(map: Record<string, string | number | boolean>): this {
    for (const [k, v] of Object.entries(map)) this.option(k, v);
    return this;
  }
  load(path?: string): DataFrame {
    const dir = path ?? this.opts.path;
    if (this.fmt !== "statestore" && this.fmt !== "state-metadata") {
      throw new AnalysisError(`spark.read supports format("statestore") and format("state-metadata") over a checkpoint directory, not '${this.fmt}'; static data comes from spark.createDataFrame`);
    }
    if (!dir) throw new AnalysisError(`format("${this.fmt}").load(checkpointDir): the checkpoint directory is missing`);
    const t = this.fmt === "statestore" ? readStateStore(dir, this.opts) : readStateMetadata(dir);
    return staticDataFrame(t.schema, { columns: t.columns, numRows: t.numRows });
  }
}

export class SparkSession {
  readonly catalog = new Catalog();

  /**
   * A DataFrame from one SQL statement, streaming when any view it reads is a stream:
   * `spark.sql("SELECT region, count(*) FROM orders GROUP BY region")`. Views come from
   * df.createOrReplaceTempView(name), %stream NAME = TOPIC and CREATE TEMPORARY VIEW ... USING kafka.
   */
  sql(sqlText: string): DataFrame {
    if (typeof sqlText !== "string") throw new AnalysisError("spark.sql() takes the SQL text as a string");
    return runSql(sqlText, (format, options) => this.readStream.format(format).options(options).load());
  }

  /** A temporary view as a DataFrame (spark.table(name) gives memory sink tables as danfojs DataFrames). */
  view(name: string): DataFrame {
    return this.sql(`TABLE ${name.split(".").map((p) => "`" + p.replace(/`/g, "``") + "`").join(".")}`);
  }
  /** UDFs for SQL: spark.udf.register("to_celsius", (f: number) => (f - 32) / 1.8, "double"). */
  get udf(): UDFRegistration {
    return udfRegistration;
  }
  get read(): DataFrameReader {
    return new DataFrameReader();
  }
  /** Runtime configuration: spark.conf.set("spark.sql.streaming.minBatchesToRetain", 50) (lib/stream/conf.ts). */
  get conf(): RuntimeConf {
    return conf;
  }
  get readStream(): DataStreamReader {
    return new DataStreamReader();
  }
  get streams(): StreamingQueryManager {
    return streams;
  }
  /** A MemoryStream: add rows from code, read them as a stream (tests and teaching). */
  memoryStream(schema: string | StructType): MemoryStream {
    return new MemoryStream(schema);
  }
  /**
   * A static DataFrame from rows (objects or arrays), a danfojs DataFrame, or columns: for joins with streams.
   * Without a schema, types are inferred (integers -> bigint, other numbers -> double, Date -> timestamp).
   */
  createDataFrame(data: unknown, schema?: string | StructType): DataFrame {
    let names: string[];
    let columns: unknown[][];
    if (isDanfoFrame(data)) {
      ({ names, columns } = danfoToColumns(data));
    } else if (Array.isArray(data)) {
      const given = schema !== undefined ? toStructType(schema) : undefined;
      if (data.length && Array.isArray(data[0])) {
        if (!given) throw new AnalysisError("createDataFrame(rows as arrays) needs a schema: createDataFrame([[1, 'a']], \"id INT, name STRING\")");
        names = given.fields.map((f) => f.name);
        columns = names.map((_, c) => (data as unknown[][]).map((r) => r[c]));
      } else {
        names = given ? given.fields.map((f) => f.name) : [...new Set((data as Record<string, unknown>[]).flatMap((r) => Object.keys(r ?? {})))];
        columns = names.map((n) => (data as Record<string, unknown>[]).map((r) => (r ?? {})[n] ?? null));
      }
    } else {
      throw new AnalysisError("createDataFrame() takes an array of row objects, an array of arrays with a schema, or a danfojs DataFrame");
    }
    const st = schema !== undefined ? toStructType(schema) : inferSchema(names, columns);
    if (st.fields.length !== names.length) throw new AnalysisError(`the schema has ${st.fields.length} columns but the data has ${names.length} (${names.join(", ")})`);
    const internal = st.fields.map((f, c) => columns[c].map((v) => externalToValue(v, f.type)));
    return staticDataFrame(st, { columns: internal, numRows: internal[0]?.length ?? 0 });
  }
  /** A danfojs DataFrame snapshot of a memory sink's table. */
  table(name: string): DanfoDataFrame {
    const t = memoryTable(name);
    if (!t) {
      const names = memoryTableNames();
      const hint = didYouMean(name, names);
      throw new AnalysisError(`no table '${name}'${hint ? ` (did you mean '${hint}'?)` : ""}: start a query with .format("memory").queryName("${name}"); tables: ${names.join(", ") || "(none)"}`);
    }
    const dfd = loadDanfo();
    const columns = t.schema.map((f) => f.name);
    if (t.numRows() === 0) return new dfd.DataFrame([], { columns }) as DanfoDataFrame;
    const data: Record<string, unknown[]> = {};
    const cols = t.columns();
    columns.forEach((n, i) => (data[n] = cols[i]));
    return new dfd.DataFrame(data, { columns }) as DanfoDataFrame;
  }
  /** The rows of a memory table as plain objects (no danfojs). */
  tableRows(name: string): Record<string, unknown>[] {
    const t = memoryTable(name);
    if (!t) throw new AnalysisError(`no table '${name}': start a query with .format("memory").queryName("${name}")`);
    const cols = t.columns();
    const n = cols[0]?.length ?? 0;
    const rows: Record<string, unknown>[] = [];
    for (let r = 0; r < n; r++) {
      const o: Record<string, unknown> = {};
      t.schema.forEach((f, c) => (o[f.name] = cols[c][r]));
      rows.push(o);
    }
    return rows;
  }
}

export const spark = new SparkSession();
