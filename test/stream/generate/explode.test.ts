/** Generators (explode, posexplode, inline and their _outer forms) and flatten: Spark's rows, names and errors. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, explode, explode_outer, posexplode, posexplode_outer, inline, inline_outer, flatten, upper, window, count, desc, type StreamingQuery } from "../../../lib/stream";
import { collect, at, win } from "../support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
});

const people = () =>
  spark.createDataFrame(
    [
      { id: 1, tags: ["a", "b"], m: { x: 1, y: 2 } },
      { id: 2, tags: [], m: {} },
      { id: 3, tags: null, m: null },
      { id: 4, tags: ["c", null], m: { z: null } },
    ],
    "id INT, tags ARRAY<STRING>, m MAP<STRING, INT>",
  );

describe("explode and explode_outer", () => {
  it("one row per element; empty and NULL arrays give no row (explode) or one row of NULLs (explode_outer); NULL elements are kept", () => {
    const df = people();
    expect(df.select("id", explode("tags")).collect()).toEqual([
      { id: 1, col: "a" }, { id: 1, col: "b" }, { id: 4, col: "c" }, { id: 4, col: null },
    ]);
    expect(df.select(col("id"), explode_outer("tags").alias("tag")).collect()).toEqual([
      { id: 1, tag: "a" }, { id: 1, tag: "b" }, { id: 2, tag: null }, { id: 3, tag: null }, { id: 4, tag: "c" }, { id: 4, tag: null },
    ]);
    expect(df.select(explode("tags"), "id").columns).toEqual(["col", "id"]);
  });

  it("a map explodes into key and value; aliases name them", () => {
    const df = people();
    expect(df.select("id", explode("m")).collect()).toEqual([
      { id: 1, key: "x", value: 1 }, { id: 1, key: "y", value: 2 }, { id: 4, key: "z", value: null },
    ]);
    expect(df.select("id", explode("m").alias("k", "v")).dtypes).toEqual([["id", "int"], ["k", "string"], ["v", "int"]]);
  });

  it("withColumn replaces or appends the exploded column; expressions of the other columns are computed per input row", () => {
    const df = people();
    expect(df.withColumn("tags", explode("tags")).select("id", "tags").collect()).toEqual([
      { id: 1, tags: "a" }, { id: 1, tags: "b" }, { id: 4, tags: "c" }, { id: 4, tags: null },
    ]);
    expect(df.withColumn("t", explode("tags")).columns).toEqual(["id", "tags", "m", "t"]);
    expect(df.filter(col("id").lt(2)).select(col("id").multiply(10).alias("x"), explode("tags").alias("t")).select("x", upper(col("t")).alias("t")).collect()).toEqual([
      { x: 10, t: "A" }, { x: 10, t: "B" },
    ]);
  });
});

describe("posexplode, inline and their outer forms", () => {
  it("posexplode: pos (from 0) and col; posexplode_outer keeps empty and NULL arrays with NULL pos", () => {
    const df = people();
    expect(df.select("id", posexplode("tags")).collect()).toEqual([
      { id: 1, pos: 0, col: "a" }, { id: 1, pos: 1, col: "b" }, { id: 4, pos: 0, col: "c" }, { id: 4, pos: 1, col: null },
    ]);
    expect(df.filter("id IN (2, 3)").select("id", posexplode_outer("tags")).collect()).toEqual([
      { id: 2, pos: null, col: null }, { id: 3, pos: null, col: null },
    ]);
    expect(df.filter("id = 1").select("id", posexplode("m")).collect()).toEqual([
      { id: 1, pos: 0, key: "x", value: 1 }, { id: 1, pos: 1, key: "y", value: 2 },
    ]);
  });

  it("inline: one row per struct with its fields as columns; inline_outer keeps NULL and empty arrays", () => {
    const df = spark.createDataFrame(
      [{ k: "a", items: [{ sku: "s1", qty: 2 }, { sku: "s2", qty: 1 }] }, { k: "b", items: [] }, { k: "c", items: null }],
      "k STRING, items ARRAY<STRUCT<sku: STRING, qty: INT>>",
    );
    expect(df.select("k", inline("items")).collect()).toEqual([{ k: "a", sku: "s1", qty: 2 }, { k: "a", sku: "s2", qty: 1 }]);
    expect(df.select("k", inline_outer("items")).collect()).toEqual([
      { k: "a", sku: "s1", qty: 2 }, { k: "a", sku: "s2", qty: 1 }, { k: "b", sku: null, qty: null }, { k: "c", sku: null, qty: null },
    ]);
    expect(df.selectExpr("k", "inline(items) AS (s, q)").columns).toEqual(["k", "s", "q"]);
  });

  it("flatten: an array of arrays as one array; NULL when any inner array is NULL", () => {
    const df = spark.createDataFrame([{ a: [[1, 2], [3], []] }, { a: [[1], null] }, { a: null }], "a ARRAY<ARRAY<INT>>");
    expect(df.select(flatten("a").alias("f")).collect()).toEqual([{ f: [1, 2, 3] }, { f: null }, { f: null }]);
    expect(() => df.selectExpr("flatten(array(1, 2))")).toThrow(/DATATYPE_MISMATCH.*ARRAY<ARRAY>/);
  });
});

describe("Spark's generator rules", () => {
  it("one generator per select, only at the top of a select item, never outside select; arrays and maps only", () => {
    const df = people();
    expect(() => df.select(explode("tags"), explode("m"))).toThrow(
      '[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] The generator is not supported: only one generator allowed per SELECT clause but found 2: "explode(tags)", "explode(m)".',
    );
    expect(() => df.selectExpr("upper(explode(tags))")).toThrow(/\[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS\] The generator is not supported: nested in expressions "explode\(tags\)"/);
    expect(() => df.filter(explode("tags").isNotNull())).toThrow(/\[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT\] The generator is not supported: outside the SELECT clause, found: Filter/);
    expect(() => df.select(explode("id"))).toThrow('[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "explode(id)" due to data type mismatch: The first parameter requires the ("ARRAY" or "MAP") type, however "id" has the type "INT".');
    expect(() => df.select(explode("m").alias("only"))).toThrow(/\[UDTF_ALIAS_NUMBER_MISMATCH\].*Expected 2 aliases/);
  });

  it("in SQL: SELECT explode(...) and posexplode(...) AS (p, v), same rows as the DataFrame API", () => {
    people().createOrReplaceTempView("gen_people");
    expect(spark.sql("SELECT id, explode(tags) AS tag FROM gen_people WHERE id = 1").collect()).toEqual([{ id: 1, tag: "a" }, { id: 1, tag: "b" }]);
    expect(spark.sql("SELECT id, posexplode(tags) AS (p, v) FROM gen_people WHERE id = 4").collect()).toEqual([{ id: 4, p: 0, v: "c" }, { id: 4, p: 1, v: null }]);
    expect(() => spark.sql("SELECT explode(tags), explode(m) FROM gen_people")).toThrow(/only one generator allowed per SELECT clause but found 2/);
  });
});

describe("generators over streams", () => {
  it("explode in a streaming select, then a windowed count of the exploded rows", async () => {
    const s = spark.memoryStream("ts TIMESTAMP, words ARRAY<STRING>");
    const q = s.toDF().withWatermark("ts", "0 seconds").select(col("ts"), explode("words").alias("w")).groupBy(window("ts", "10 seconds"), "w").agg(count("*").alias("n"));
    const c = collect(q, "complete");
    started.push(c.query);
    s.addData([{ ts: at(1), words: ["a", "b", "a"] }, { ts: at(2), words: [] }, { ts: at(3), words: null }, { ts: at(12), words: ["b"] }]);
    await c.query.processAllAvailable();
    const rows = c.batches[c.batches.length - 1].rows.map((r) => ({ ...r })).sort((x, y) => String(x.w).localeCompare(String(y.w)) || (x.window as { start: Date }).start.getTime() - (y.window as { start: Date }).start.getTime());
    expect(rows).toEqual([
      { window: win(0, 10), w: "a", n: 2 }, { window: win(0, 10), w: "b", n: 1 }, { window: win(10, 20), w: "b", n: 1 },
    ]);
  });

  it("explode_outer in append mode keeps the rows order of the input", async () => {
    const s = spark.memoryStream("id INT, xs ARRAY<INT>");
    const c = collect(s.toDF().select("id", explode_outer("xs").alias("x")), "append");
    started.push(c.query);
    s.addData([{ id: 1, xs: [10, 20] }, { id: 2, xs: null }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ id: 1, x: 10 }, { id: 1, x: 20 }, { id: 2, x: null }]);
  });
});

describe("the PySpark export", () => {
  it("writes explode with its aliases, orderBy with the sort order and limit", () => {
    const src = spark.readStream.format("kafka").option("subscribe", "t").option("kafka.bootstrap.servers", "localhost:1").load().selectExpr("CAST(value AS STRING) AS v", "split(CAST(key AS STRING), ',') AS tags");
    const job = src.select(col("v"), posexplode("tags").alias("p", "t")).groupBy("t").agg(count("*").alias("n")).orderBy(desc("n")).limit(5).toPySpark({ format: "console", outputMode: "complete" });
    expect(job).toContain(`.select(F.col("v"), F.expr("posexplode(tags)").alias("p", "t")).groupBy("t").agg(F.expr("count(*)").alias("n")).orderBy(F.col("n").desc_nulls_last()).limit(5)`);
  });
});
