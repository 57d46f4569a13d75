/** union / unionByName of streams: rows of every input, one global watermark (min or max), exact restarts. */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, window, count, AnalysisError, type StreamingQuery } from "../../../lib/stream";
import { collect, at, win } from "../support/collect";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  spark.conf.unset("spark.sql.streaming.multipleWatermarkPolicy");
});
const sortBy = (rows: Record<string, unknown>[], k: string) => [...rows].sort((a, b) => String(a[k]).localeCompare(String(b[k])));

describe("union of streams", () => {
  it("has the rows of both inputs, each through its own operators", async () => {
    const a = spark.memoryStream("id STRING, v INT");
    const b = spark.memoryStream("id STRING, v INT");
    const u = a.toDF().filter(col("v").gt(0)).union(b.toDF().withColumn("v", col("v").multiply(10)));
    expect(u.isStreaming).toBe(true);
    const c = collect(u, "append");
    started.push(c.query);
    a.addData([{ id: "a1", v: 1 }, { id: "a0", v: 0 }]);
    b.addData([{ id: "b1", v: 2 }]);
    await c.query.processAllAvailable();
    expect(sortBy(c.take(), "id")).toEqual([{ id: "a1", v: 1 }, { id: "b1", v: 20 }]);
    b.addData([{ id: "b2", v: 3 }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ id: "b2", v: 30 }]);
  });

  it("unionByName matches columns by name; allowMissingColumns fills nulls; types widen", async () => {
    const a = spark.memoryStream("id STRING, v INT");
    const b = spark.memoryStream("v BIGINT, id STRING, extra STRING");
    expect(() => a.toDF().unionByName(b.toDF())).toThrow(/\[NUM_COLUMNS_MISMATCH\] .*extra: extra.*allowMissingColumns=true/);
    const u = a.toDF().unionByName(b.toDF(), true);
    expect(u.dtypes).toEqual([["id", "string"], ["v", "bigint"], ["extra", "string"]]);
    const c = collect(u, "append");
    started.push(c.query);
    a.addData([{ id: "a", v: 1 }]);
    b.addData([{ v: 2, id: "b", extra: "x" }]);
    await c.query.processAllAvailable();
    expect(sortBy(c.take(), "id")).toEqual([{ id: "a", v: 1, extra: null }, { id: "b", v: 2, extra: "x" }]);
  });

  it("Spark's errors: column counts, incompatible types, a stream with a static DataFrame", () => {
    const a = spark.memoryStream("id STRING, v INT").toDF();
    expect(() => a.union(spark.memoryStream("id STRING").toDF())).toThrow("[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has 2 columns and the second input has 1 columns");
    expect(() => a.union(spark.memoryStream("id STRING, v ARRAY<INT>").toDF())).toThrow('[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on tables with compatible column types. The 2nd column of the second table is "ARRAY<INT>" type which is not compatible with "INT" at the same column of the first table');
    const st = spark.createDataFrame([{ id: "s", v: 1 }], "id STRING, v INT");
    expect(() => a.union(st)).toThrow(AnalysisError);
    expect(() => a.union(st)).toThrow(/^Union between streaming and batch DataFrames\/Datasets is not supported/);
  });

  it("static DataFrames union too (collect)", () => {
    const x = spark.createDataFrame([{ id: "x", v: 1 }], "id STRING, v INT");
    const y = spark.createDataFrame([{ v: 2, id: "y" }], "v BIGINT, id STRING");
    expect(x.unionByName(y).collect()).toEqual([{ id: "x", v: 1 }, { id: "y", v: 2 }]);
    expect(x.union(x).union(x).count()).toBe(3);
  });

  it("three streams flatten into one union; a restart re-reads each stream from its own offset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamlab-union-"));
    dirs.push(dir);
    const [a, b, c] = [0, 1, 2].map(() => spark.memoryStream("id STRING"));
    const u = a.toDF().union(b.toDF()).union(c.toDF()).dropDuplicates(["id"]);
    const out: string[] = [];
    const start = () => {
      const q = u.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ processingTime: "10 ms" })
        .foreachBatch((batch: { rows(): Record<string, unknown>[] }) => { for (const r of batch.rows()) out.push(String(r.id)); }, { raw: true }).start();
      started.push(q);
      return q;
    };
    let q = start();
    a.addData([{ id: "1" }]);
    b.addData([{ id: "2" }, { id: "1" }]);
    await q.processAllAvailable();
    await q.stop();
    c.addData([{ id: "3" }, { id: "2" }]);
    a.addData([{ id: "4" }]);
    q = start();
    await q.processAllAvailable();
    expect(out.sort()).toEqual(["1", "2", "3", "4"]);
    const offsets = readdirSync(join(dir, "offsets")).sort();
    const last = JSON.parse(readFileSync(join(dir, "offsets", offsets[offsets.length - 1]), "utf8").split("\n")[1]);
    expect(last.offsets[0]).toHaveLength(3);
  });
});

describe("the global watermark of a union", () => {
  function twoStreams() {
    const fast = spark.memoryStream("k STRING, ts TIMESTAMP");
    const slow = spark.memoryStream("k STRING, ts TIMESTAMP");
    const counts = fast.toDF().withWatermark("ts", "10 seconds").union(slow.toDF().withWatermark("ts", "20 seconds"))
      .groupBy(window(col("ts"), "10 seconds")).agg(count("*").alias("n"));
    return { fast, slow, counts };
  }
  const ev = (k: string, s: number) => ({ k, ts: at(s) });

  it("min (default): the slowest input holds the watermark back", async () => {
    const { fast, slow, counts } = twoStreams();
    const c = collect(counts, "append");
    started.push(c.query);
    fast.addData([ev("f", 5), ev("f", 100)]);
    slow.addData([ev("s", 6), ev("s", 40)]);
    await c.query.processAllAvailable();
    // fast: 100 - 10 = 90; slow: 40 - 20 = 20; global = min = 20 s: only [0, 10) closes.
    expect(c.query.lastProgress?.eventTime.watermark).toBe(at(20).toISOString());
    expect(c.take()).toEqual([{ window: win(0, 10), n: 2 }]);
    // A row at 25 s is not late for the min watermark (20 s): it is counted.
    fast.addData([ev("f", 25)]);
    slow.addData([ev("s", 90)]);
    await c.query.processAllAvailable();
    expect(c.query.lastProgress?.eventTime.watermark).toBe(at(70).toISOString());
    expect(c.take()).toEqual([{ window: win(20, 30), n: 1 }, { window: win(40, 50), n: 1 }]);
  });

  it("max (spark.sql.streaming.multipleWatermarkPolicy=max): the fastest input decides, the slow one's late rows drop", async () => {
    spark.conf.set("spark.sql.streaming.multipleWatermarkPolicy", "max");
    const { fast, slow, counts } = twoStreams();
    const c = collect(counts, "append");
    started.push(c.query);
    fast.addData([ev("f", 5), ev("f", 100)]);
    slow.addData([ev("s", 6), ev("s", 40)]);
    await c.query.processAllAvailable();
    expect(c.query.lastProgress?.eventTime.watermark).toBe(at(90).toISOString());
    expect(c.take()).toEqual([{ window: win(0, 10), n: 2 }, { window: win(40, 50), n: 1 }]);
    slow.addData([ev("s", 50)]);
    await c.query.processAllAvailable();
    expect(c.query.lastProgress?.stateOperators[0].numRowsDroppedByWatermark).toBe(1);
  });

  it("a bad policy is refused when set, naming the valid values", () => {
    expect(() => spark.conf.set("spark.sql.streaming.multipleWatermarkPolicy", "avg")).toThrow("Invalid value 'avg' for 'spark.sql.streaming.multipleWatermarkPolicy'. Valid values are 'min' and 'max'");
    expect(spark.conf.get("spark.sql.streaming.multipleWatermarkPolicy")).toBe("min");
  });
});

describe("union in a PySpark export", () => {
  it("toPySpark writes union / unionByName with both inputs", async () => {
    await import("../../../lib/stream/export/pyspark");
    const read = (topic: string) => spark.readStream.format("kafka").option("kafka.bootstrap.servers", "localhost:9092").option("subscribe", topic).load().selectExpr("CAST(value AS STRING) AS v");
    const job = read("a").union(read("b")).unionByName(read("c"), true).toPySpark();
    expect(job).toMatch(/\.union\(\(\s*spark\.readStream[^)]*\)[\s\S]*"subscribe", "b"[\s\S]*\)\.unionByName\(\(\s*spark\.readStream[\s\S]*"subscribe", "c"[\s\S]*, allowMissingColumns=True\)/);
  });
});
