/** orderBy/sort and limit where Spark allows them on streams, and UNION [ALL] over streams in SQL. */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, count, desc, type StreamingQuery } from "../../../lib/stream";
import { clearViews } from "../../../lib/stream/sql";
import { collect } from "../support/collect";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  clearViews();
});
const last = (c: ReturnType<typeof collect>) => c.batches[c.batches.length - 1].rows;
const SORT = "Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode";

describe("orderBy and limit on streams", () => {
  it("after an aggregation in complete mode: each result sorted, the top N (DataFrame API and SQL agree)", async () => {
    const s = spark.memoryStream("page STRING");
    const df = s.toDF().groupBy("page").agg(count("*").alias("n")).orderBy(desc("n"), col("page")).limit(2);
    s.toDF().createOrReplaceTempView("clicks");
    const viaSql = spark.sql("SELECT page, count(*) AS n FROM clicks GROUP BY page ORDER BY n DESC, page LIMIT 2");
    const a = collect(df, "complete");
    const b = collect(viaSql, "complete");
    started.push(a.query, b.query);
    s.addData([{ page: "b" }, { page: "a" }, { page: "c" }, { page: "c" }]);
    await a.query.processAllAvailable();
    await b.query.processAllAvailable();
    expect(last(a)).toEqual([{ page: "c", n: 2 }, { page: "a", n: 1 }]);
    s.addData([{ page: "b" }, { page: "b" }]);
    await a.query.processAllAvailable();
    await b.query.processAllAvailable();
    expect(last(a)).toEqual([{ page: "b", n: 3 }, { page: "c", n: 2 }]);
    expect(last(b)).toEqual(last(a));
  });

  it("Spark's errors at start(): a sort without aggregation or not in complete mode; LIMIT in update mode", () => {
    const s = spark.memoryStream("page STRING, v INT").toDF();
    const start = (df: typeof s, mode: "append" | "update" | "complete") => () => df.writeStream.format("memory").queryName(`q_${mode}`).outputMode(mode).start();
    expect(start(s.orderBy("v"), "append")).toThrow(SORT);
    const agg = s.groupBy("page").agg(count("*").alias("n"));
    expect(start(agg.orderBy("n"), "update")).toThrow(SORT);
    expect(start(s.orderBy("v").groupBy("page").agg(count("*").alias("n")), "complete")).toThrow(SORT);
    expect(start(agg.limit(3), "update")).toThrow("Limits are not supported on streaming DataFrames/Datasets in Update output mode");
    expect(() => s.limit(-1)).toThrow(/The limit expression must be equal to or greater than 0, but got -1/);
  });

  it("limit in append mode: n rows over the whole stream, kept across a restart by the state store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "limit-"));
    dirs.push(dir);
    const s = spark.memoryStream("v INT");
    const df = s.toDF().filter(col("v").gt(0)).limit(3);
    const run = () => collect(df, "append", { checkpointLocation: dir });
    const a = run();
    s.addData([{ v: 1 }, { v: 0 }, { v: 2 }]);
    await a.query.processAllAvailable();
    expect(a.take()).toEqual([{ v: 1 }, { v: 2 }]);
    await a.query.stop();
    const b = run();
    started.push(b.query);
    s.addData([{ v: 3 }, { v: 4 }]);
    await b.query.processAllAvailable();
    expect(b.take()).toEqual([{ v: 3 }]);
    s.addData([{ v: 5 }]);
    await b.query.processAllAvailable();
    expect(b.take()).toEqual([]);
  });

  it("static DataFrames sort and limit at once; asc/desc with NULLs placed as Spark", () => {
    const df = spark.createDataFrame([{ k: "a", v: 2 }, { k: "b", v: null }, { k: "c", v: 1 }], "k STRING, v INT");
    expect(df.orderBy("v").collect().map((r) => r.k)).toEqual(["b", "c", "a"]);
    expect(df.orderBy(col("v").desc()).collect().map((r) => r.k)).toEqual(["a", "c", "b"]);
    expect(df.sort(col("v").desc_nulls_first()).limit(2).collect().map((r) => r.k)).toEqual(["b", "a"]);
  });
});

describe("UNION over streams in SQL", () => {
  it("UNION ALL is the DataFrame API's union; UNION deduplicates; a stream with a static input is Spark's error", async () => {
    const a = spark.memoryStream("id STRING, v INT");
    const b = spark.memoryStream("id STRING, v BIGINT");
    a.toDF().createOrReplaceTempView("ua");
    b.toDF().createOrReplaceTempView("ub");
    spark.createDataFrame([{ id: "s", v: 1 }], "id STRING, v INT").createOrReplaceTempView("us");
    const all = spark.sql("SELECT id, v FROM ua UNION ALL SELECT id, v FROM ub");
    expect(all.isStreaming).toBe(true);
    expect(all.dtypes).toEqual([["id", "string"], ["v", "bigint"]]);
    const distinct = spark.sql("SELECT id FROM ua UNION SELECT id FROM ub");
    const c1 = collect(all, "append");
    const c2 = collect(distinct, "append");
    started.push(c1.query, c2.query);
    a.addData([{ id: "x", v: 1 }]);
    b.addData([{ id: "x", v: 2 }, { id: "y", v: 3 }]);
    await c1.query.processAllAvailable();
    await c2.query.processAllAvailable();
    const byId = (rows: Record<string, unknown>[]) => [...rows].sort((p, q) => `${String(p.id)}${String(p.v)}`.localeCompare(`${String(q.id)}${String(q.v)}`));
    expect(byId(c1.take())).toEqual([{ id: "x", v: 1 }, { id: "x", v: 2 }, { id: "y", v: 3 }]);
    expect(byId(c2.take())).toEqual([{ id: "x" }, { id: "y" }]);
    expect(() => spark.sql("SELECT id, v FROM ua UNION ALL SELECT id, v FROM us")).toThrow(/^Union between streaming and batch DataFrames\/Datasets is not supported/);
  });
});
