/** Chained stateful operators (append mode, Spark 3.5+): what is refused, the correctness switch, the state of each operator. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, count, expr, sum, window, type StreamingQuery } from "../../../lib/stream";

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
  it("a time-interval join then an aggregation (checkCorrectness off): the join's output watermark keeps its late outer rows", async () => {
    spark.conf.set("spark.sql.streaming.statefulOperator.checkCorrectness.enabled", "false");
    const left = spark.memoryStream("lt TIMESTAMP, id STRING");
    const right = spark.memoryStream("rt TIMESTAMP, rid STRING");
    const l = left.toDF().withWatermark("lt", "2 minutes");
    const r = right.toDF().withWatermark("rt", "4 minutes");
    const agg = l.join(r, expr("id = rid AND lt BETWEEN rt - INTERVAL 40 seconds AND rt + INTERVAL 30 seconds"), "left_outer")
      .groupBy(window(col("lt"), "30 seconds")).agg(count("*").alias("n"));
    const out: Record<string, unknown>[] = [];
    const q = agg.writeStream.outputMode("append").trigger({ processingTime: "10 ms" }).foreachBatch((b: { rows(): Record<string, unknown>[] }) => void out.push(...b.rows()), { raw: true }).start();
    started.push(q);
    const step = async (ls: [number, string][], rs: [number, string][]) => {
      left.addData(ls.map(([s, id]) => ({ lt: at(s), id })));
      right.addData(rs.map(([s, rid]) => ({ rt: at(s), rid })));
      await q.processAllAvailable();
    };
    await step([[0, "x"], [155, "z"]], [[195, "y"]]); // watermark min(155 - 120, 195 - 240) = -45 s
    await step([], [[275, "y"]]); // 35 s
    // 45 s: the join's state watermark passes x (0 s < 45 - 40): x comes out with nulls in window [0, 30), which
    // ended before the previous watermark (35 s). The aggregation judges it by the join's output watermark (35 - 40 s): not late.
    await step([[165, "z"]], [[285, "y"]]);
    await step([[1000, "w"]], [[1200, "v"]]); // 880 s: the join's output watermark 840 s closes [0, 30) and [150, 180)
    expect(out).toEqual([{ window: { start: at(0), end: at(30) }, n: 1 }, { window: { start: at(150), end: at(180) }, n: 2 }]);
    expect(q.recentProgress.reduce((n, p) => n + p.numRowsDroppedByWatermark, 0)).toBe(0);
    // query.state(): the join runs with the query's watermark, the aggregation with the join's (40 s lower).
    const ops = q.state().operators;
    expect(ops.map((o) => [o.kind, o.watermark])).toEqual([["stream-stream join", at(880).toISOString()], ["window aggregation", at(840).toISOString()]]);
  });
});
