/** Chained stateful operators (append mode, Spark 3.5+): what is refused, the correctness switch, the state of each operator. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, count, sum, window, type StreamingQuery } from "../../../lib/stream";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  spark.conf.unset("spark.sql.streaming.statefulOperator.checkCorrectness.enabled");
});
const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));

function chained() {
  const input = spark.memoryStream("k STRING, ts TIMESTAMP");
  const df = input.toDF().withWatermark("ts", "0 seconds")
    .groupBy(window(col("ts"), "5 seconds"), col("k")).agg(count("*").alias("n"))
    .groupBy(window(col("window"), "10 seconds")).agg(count("*").alias("groups"), sum("n").alias("n"));
  return { input, df };
}

describe("chained stateful operators", () => {
  it("an aggregation after one without a watermarked time key is refused where it is written", () => {
    const plain = spark.memoryStream("k STRING, v INT").toDF().groupBy("k").agg(sum("v").alias("s"));
    expect(() => plain.groupBy("s").agg(count("*"))).toThrow(/^Multiple streaming aggregations are not supported with streaming DataFrames\/Datasets: chained aggregations need a watermarked window/);
  });

  it("update mode is refused with Spark's correctness message, unless checkCorrectness is off", () => {
    const { df } = chained();
    expect(() => df.writeStream.outputMode("update").format("console").start()).toThrow(/^Detected pattern of possible 'correctness' issue due to global watermark\..*; chain stateful operators in append mode/);
    spark.conf.set("spark.sql.streaming.statefulOperator.checkCorrectness.enabled", "false");
    const q = df.writeStream.outputMode("update").format("memory").queryName("chained_unchecked").start();
    started.push(q);
    expect(q.isActive).toBe(true);
  });

  it("append mode: the second aggregation gets each closed window once; query.state() shows both operators", async () => {
    const { input, df } = chained();
    const out: Record<string, unknown>[] = [];
    const q = df.writeStream.outputMode("append").trigger({ processingTime: "10 ms" }).foreachBatch((b: { rows(): Record<string, unknown>[] }) => void out.push(...b.rows()), { raw: true }).start();
    started.push(q);
    input.addData([{ k: "a", ts: at(1) }, { k: "b", ts: at(2) }, { k: "a", ts: at(7) }, { k: "a", ts: at(12) }]);
    await q.processAllAvailable();
    // Watermark 12 s: [0, 5) and [5, 10) close in the first aggregation, so [0, 10) closes in the second.
    expect(out).toEqual([{ window: { start: at(0), end: at(10) }, groups: 3, n: 3 }]);
    const view = q.state();
    expect(view.operators.map((o) => [o.operatorId, o.kind, o.numRowsTotal])).toEqual([[0, "window aggregation", 1], [1, "window aggregation", 0]]);
    expect(view.operators[0].windows).toEqual([{ start: at(10), end: at(15), rows: 1, closesNext: false }]);
  });
});
