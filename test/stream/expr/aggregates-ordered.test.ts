/** min_by, max_by, median, percentile_approx, mode, approx_count_distinct(col, rsd): Spark's documented examples. */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, expr, min_by, max_by, median, mode, percentile_approx, approx_count_distinct, type StreamingQuery } from "../../../lib/stream";
import { collect } from "../support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
});

describe("ordered aggregates (Spark's SQL reference examples)", () => {
  it("min_by / max_by: the value at the smallest / largest ordering; null orderings are skipped", () => {
    const df = spark.createDataFrame([["a", 10], ["b", 50], ["c", 20], ["d", null]], "x STRING, y INT");
    expect(df.agg(min_by("x", "y").alias("mn"), max_by(col("x"), col("y")).alias("mx")).collect()).toEqual([{ mn: "a", mx: "b" }]);
    expect(df.agg(expr("min_by(x, y)").alias("m")).collect()).toEqual([{ m: "a" }]);
    expect(() => df.agg(expr("min_by(x)"))).toThrow("min_by() takes two columns: min_by(value, ordering)");
  });

  it("median interpolates (percentile 0.5); percentile_approx returns a value of the column", () => {
    expect(spark.createDataFrame([[0], [10]], "col INT").agg(median("col").alias("m")).collect()).toEqual([{ m: 5 }]);
    const four = spark.createDataFrame([[0], [1], [2], [10]], "col INT");
    expect(four.agg(percentile_approx("col", [0.5, 0.4, 0.1], 100).alias("p")).collect()).toEqual([{ p: [1, 1, 0] }]);
    const five = spark.createDataFrame([[0], [6], [7], [9], [10]], "col INT");
    expect(five.agg(percentile_approx("col", 0.5, 100).alias("p")).collect()).toEqual([{ p: 7 }]);
    expect(five.agg(expr("approx_percentile(col, 0.5)").alias("p")).collect()).toEqual([{ p: 7 }]);
    expect(() => five.agg(percentile_approx("col", 1.5))).toThrow("[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] percentile_approx(): the `percentage` must be between [0.0, 1.0], but got 1.5");
    expect(() => five.agg(expr("percentile_approx(col, col)"))).toThrow("percentile_approx(): the percentage must be a literal");
    expect(spark.createDataFrame([["a", null]], "k STRING, col INT").groupBy("k").agg(median("col").alias("m"), percentile_approx("col", 0.5).alias("p")).collect()).toEqual([{ k: "a", m: null, p: null }]);
  });

  it("mode: the most frequent value, ties to the smallest; approx_count_distinct takes Spark's rsd", () => {
    expect(spark.createDataFrame([[0], [10], [10]], "col INT").agg(mode("col").alias("m")).collect()).toEqual([{ m: 10 }]);
    expect(spark.createDataFrame([[-10], [0], [10]], "col INT").agg(mode("col").alias("m")).collect()).toEqual([{ m: -10 }]);
    const df = spark.createDataFrame([[1], [1], [2], [2], [3]], "col1 INT");
    expect(df.agg(approx_count_distinct("col1").alias("a"), approx_count_distinct("col1", 0.01).alias("b")).collect()).toEqual([{ a: 3, b: 3 }]);
    expect(() => df.agg(approx_count_distinct("col1", -1))).toThrow("approx_count_distinct(): rsd must be a positive number (Spark's default is 0.05), not -1");
  });

  it("their state survives a restart from a checkpoint (mode's counts, median's values, min_by's best)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamlab-agg-"));
    try {
      const ms = spark.memoryStream("k STRING, who STRING, v INT");
      const agg = ms.toDF().groupBy("k").agg(mode("v").alias("mo"), median("v").alias("me"), max_by("who", "v").alias("top"));
      const c = collect(agg, "update", { checkpointLocation: dir });
      started.push(c.query);
      ms.addData([{ k: "a", who: "x", v: 5 }, { k: "a", who: "y", v: 5 }, { k: "a", who: "z", v: 1 }]);
      await c.query.processAllAvailable();
      expect(c.take()).toEqual([{ k: "a", mo: 5, me: 5, top: "x" }]);
      await c.query.stop();
      const c2 = collect(agg, "update", { checkpointLocation: dir });
      started.push(c2.query);
      ms.addData([{ k: "a", who: "w", v: 1 }, { k: "a", who: "q", v: 1 }, { k: "a", who: "r", v: 9 }]);
      await c2.query.processAllAvailable();
      expect(c2.take()).toEqual([{ k: "a", mo: 1, me: 3, top: "r" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
