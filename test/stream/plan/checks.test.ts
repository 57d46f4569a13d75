/** Every streaming restriction of plan/checks.ts, each with the message the user sees (Spark's first). */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, expr, window, session_window, count, count_distinct, sum, AnalysisError, type StreamingQuery } from "../../../lib/stream";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
});

const stream = () => spark.memoryStream("k STRING, ts TIMESTAMP, v DOUBLE").toDF();
const statik = () => spark.createDataFrame([{ k: "a", v: 1 }], "k STRING, v DOUBLE");

describe("output modes (Spark's UnsupportedOperationChecker)", () => {
  it("complete needs a streaming aggregation", () => {
    expect(() => stream().writeStream.outputMode("complete").format("console").start()).toThrow(
      new AnalysisError("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets"),
    );
  });

  it("append over an aggregation needs a watermarked event-time key", () => {
    const agg = stream().groupBy("k").agg(sum("v"));
    expect(() => agg.writeStream.outputMode("append").format("console").start()).toThrow(
      "Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark",
    );
    // A watermark on a column that is not a key does not help either (as in Spark).
    const wmNotKey = stream().withWatermark("ts", "5 seconds").groupBy("k").agg(sum("v"));
    expect(() => wmNotKey.writeStream.outputMode("append").format("console").start()).toThrow(/Append output mode not supported/);
    // With the watermarked column (or a window over it) as key, append is allowed.
    const ok = stream().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds")).agg(count("*"));
    const q = ok.writeStream.outputMode("append").format("memory").queryName("checks_append_ok").start();
    started.push(q);
    expect(q.isActive).toBe(true);
  });

  it("update over session windows is refused, with a watermark too (Spark 4)", () => {
    const sessions = stream().groupBy(session_window(col("ts"), "5 seconds"), col("k")).agg(count("*"));
    const watermarked = stream().withWatermark("ts", "10 seconds").groupBy(session_window(col("ts"), "5 seconds"), col("k")).agg(count("*"));
    for (const df of [sessions, watermarked]) {
      expect(() => df.writeStream.outputMode("update").format("console").start()).toThrow(
        /^Update output mode not supported for session window on streaming DataFrames\/DataSets; use append \(with a watermark\) or complete mode$/,
      );
    }
  });

  it("distinct aggregations are refused in a stream, as Spark's UnsupportedOperationChecker does", () => {
    for (const df of [stream().groupBy("k").agg(count_distinct("v")), stream().groupBy("k").agg(expr("count(DISTINCT v)")), stream().agg(expr("sum(DISTINCT v)"))]) {
      expect(() => df.writeStream.outputMode("complete").format("console").start()).toThrow(/^Distinct aggregations are not supported on streaming DataFrames\/Datasets\. Consider using approx_count_distinct\(\) instead\.$/);
    }
    const q = stream().groupBy("k").agg(expr("approx_count_distinct(v)")).writeStream.outputMode("complete").format("memory").queryName("checks_approx").start();
    started.push(q);
    expect(q.isActive).toBe(true);
  });

  it("a global aggregation over a session window is refused in a stream (Spark's rule)", () => {
    const global = stream().withWatermark("ts", "10 seconds").groupBy(session_window(col("ts"), "5 seconds")).agg(count("*"));
    for (const mode of ["append", "complete"] as const) {
      expect(() => global.writeStream.outputMode(mode).format("console").start()).toThrow(/^Global aggregation with session window in streaming query is not supported\. Group by another column/);
    }
  });

  it("update and complete are allowed over an aggregation without watermark", () => {
    const agg = stream().groupBy("k").agg(sum("v"));
    for (const mode of ["update", "complete"] as const) {
      const q = agg.writeStream.outputMode(mode).format("memory").queryName(`checks_${mode}`).start();
      started.push(q);
      expect(q.isActive).toBe(true);
    }
  });
});

describe("operations a streaming plan cannot contain", () => {
  it("only one streaming aggregation, refused where the second is written", () => {
    const once = stream().groupBy("k").agg(sum("v").alias("s"));
    expect(() => once.groupBy("k").agg(count("*"))).toThrow("Multiple streaming aggregations are not supported with streaming DataFrames/Datasets");
    // Static DataFrames may aggregate twice.
    expect(statik().groupBy("k").agg(sum("v").alias("s")).groupBy("k").agg(count("*").alias("n")).collect()).toEqual([{ k: "a", n: 1 }]);
  });

  it("stream-stream joins: append mode only; outer joins need a watermark and a range condition (Spark's messages)", () => {
    expect(stream().join(stream(), "k").isStreaming).toBe(true);
    expect(() => stream().join(stream(), "k").writeStream.outputMode("update").format("console").start()).toThrow(/^Join between two streaming DataFrames\/Datasets is not supported in Update output mode, only in Append output mode/);
    expect(() => stream().join(stream(), "k", "left_outer")).toThrow(/^Stream-stream LeftOuter join between two streaming DataFrame\/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition; add withWatermark/);
  });

  it("no dropDuplicates or join after a streaming aggregation (except dropDuplicates in complete mode)", () => {
    const agg = stream().groupBy("k").agg(sum("v").alias("s"));
    expect(() => agg.dropDuplicates(["k"]).writeStream.outputMode("update").format("console").start()).toThrow("dropDuplicates after a streaming aggregation is not supported; deduplicate before groupBy()");
    expect(() => agg.join(statik().select("k"), "k").writeStream.outputMode("update").format("console").start()).toThrow("a join after a streaming aggregation is not supported; join before groupBy()");
    const q = agg.dropDuplicates(["k"]).writeStream.outputMode("complete").format("memory").queryName("checks_dedup_complete").start();
    started.push(q);
    expect(q.isActive).toBe(true);
  });
});

describe("what streaming and static DataFrames cannot do", () => {
  it("actions on a streaming DataFrame say to start a query", () => {
    for (const action of ["collect", "count", "show", "toDanfo"] as const) {
      expect(() => stream()[action]()).toThrow(new RegExp(`^Queries with streaming sources must be executed with writeStream\\.start\\(\\); ${action}\\(\\) is for static DataFrames`));
    }
  });

  it("writeStream on a static DataFrame says where streams come from", () => {
    expect(() => statik().writeStream).toThrow(/^'writeStream' can be called only on streaming Dataset\/DataFrame: .*spark\.readStream/);
  });
});

describe("withWatermark delays, read as Spark's calendar intervals", () => {
  const ts = () => spark.memoryStream("ts TIMESTAMP").toDF();
  const delayOf = (d: string) => ts().withWatermark("ts", d).schema.fields[0].watermarkDelayMs;
  it("months count 31 days, years 12 months; weeks, days and time parts add up", () => {
    expect(delayOf("2 years 5 months")).toBe(29 * 31 * 86_400_000);
    expect(delayOf("1 week 2 days 3 hours")).toBe(9 * 86_400_000 + 3 * 3_600_000);
    expect(delayOf("interval 1 day")).toBe(86_400_000);
    expect(delayOf("10 seconds")).toBe(10_000);
    expect(delayOf("30s")).toBe(30_000);
  });
  it("a second withWatermark moves the event-time mark to its column", () => {
    const df = spark.memoryStream("a TIMESTAMP, b TIMESTAMP").toDF().withWatermark("a", "1 minute").withWatermark("b", "2 minutes");
    expect(df.schema.fields.map((f) => [f.name, f.watermarkDelayMs])).toEqual([["a", undefined], ["b", 120_000]]);
  });
  it("no part may be negative: Spark's message", () => {
    for (const d of ["-1 year", "1 year -13 months", "1 month -40 days", "-10 seconds"]) {
      expect(() => ts().withWatermark("ts", d)).toThrow(`Delay threshold (${d}) should not be negative.`);
    }
  });
});
