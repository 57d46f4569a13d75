import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, window, session_window, count, sum, AnalysisError, type StreamingQuery } from "../../lib/stream";
import { collect, at, win } from "./support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
});

function events() {
  const ms = spark.memoryStream("k STRING, ts TIMESTAMP");
  const add = (...rows: [string, number][]) => ms.addData(rows.map(([k, s]) => ({ k, ts: at(s) })));
  const counts = ms.toDF().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("k")).agg(count("*").alias("n"));
  return { ms, add, counts };
}

describe("output modes with event-time windows and a watermark", () => {
  it("update: emits changed groups, drops rows behind the watermark and counts them, evicts closed windows", async () => {
    const { add, counts } = events();
    const c = collect(counts, "update");
    started.push(c.query);
    add(["a", 1], ["a", 4], ["b", 12]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ window: win(0, 10), k: "a", n: 2 }, { window: win(10, 20), k: "b", n: 1 }]);
    add(["a", 3], ["a", 15]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ window: win(0, 10), k: "a", n: 3 }, { window: win(10, 20), k: "a", n: 1 }]);
    // The watermark is now 15 - 5 = 10: window [0, 10) is closed, so a@2 is late.
    add(["a", 2], ["b", 21]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ window: win(20, 30), k: "b", n: 1 }]);
    const withDrops = c.query.recentProgress.find((p) => p.numRowsDroppedByWatermark > 0)!;
    expect(withDrops.numRowsDroppedByWatermark).toBe(1);
    expect(withDrops.eventTime.watermark).toBe("2024-01-01T00:00:10.000Z");
    expect(withDrops.stateOperators[0].numRowsDroppedByWatermark).toBe(1);
    // [0,10) a was evicted when the watermark reached 10: state holds [10,20) a, [10,20) b, [20,30) b.
    expect(c.query.lastProgress!.stateOperators[0].numRowsTotal).toBe(3);
  });

  it("append: emits each window once, when the watermark passes its end", async () => {
    const { add, counts } = events();
    const c = collect(counts, "append");
    started.push(c.query);
    add(["a", 1], ["a", 4], ["b", 12]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([]);
    add(["a", 3], ["a", 15]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ window: win(0, 10), k: "a", n: 3 }]);
    add(["a", 2], ["b", 21]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([]);
    add(["b", 40]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([
      { window: win(10, 20), k: "b", n: 1 },
      { window: win(10, 20), k: "a", n: 1 },
      { window: win(20, 30), k: "b", n: 1 },
    ]);
  });

  it("complete: emits the whole result every batch and keeps late rows", async () => {
    const { add, counts } = events();
    const c = collect(counts, "complete");
    started.push(c.query);
    add(["a", 1], ["a", 4], ["b", 12]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ window: win(0, 10), k: "a", n: 2 }, { window: win(10, 20), k: "b", n: 1 }]);
    add(["a", 3], ["a", 15]);
    await c.query.processAllAvailable();
    add(["a", 2]);
    await c.query.processAllAvailable();
    const last = c.batches[c.batches.length - 1].rows;
    expect(last).toEqual([{ window: win(0, 10), k: "a", n: 4 }, { window: win(10, 20), k: "b", n: 1 }, { window: win(10, 20), k: "a", n: 1 }]);
  });

  it("refuses queries Spark refuses, with Spark's reason", () => {
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP, v DOUBLE");
    const noWatermark = ms.toDF().groupBy("k").agg(sum("v"));
    expect(() => noWatermark.writeStream.outputMode("append").format("console").start()).toThrow("Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark");
    expect(() => ms.toDF().writeStream.outputMode("complete").format("console").start()).toThrow("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets");
    expect(() => noWatermark.groupBy("k").agg(count("*"))).toThrow("Multiple streaming aggregations are not supported with streaming DataFrames/Datasets");
    expect(() => ms.toDF().writeStream.format("memry").start()).toThrow(/unknown sink format 'memry' \(did you mean 'memory'\?\)/);
    expect(() => ms.toDF().withWatermark("k", "10 seconds")).toThrow(AnalysisError);
    expect(() => ms.toDF().writeStream.trigger({ processingTime: "soon" })).toThrow(/not a duration/);
  });
});

describe("windows", () => {
  it("sliding windows put a row in every window that contains it", () => {
    const df = spark.createDataFrame([{ ts: at(12) }, { ts: at(3) }], "ts TIMESTAMP");
    const rows = df.groupBy(window(col("ts"), "10 seconds", "5 seconds")).count().collect();
    const byStart = rows.map((r) => [(r.window as { start: Date }).start.getTime() - at(0).getTime(), r.count]).sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(byStart).toEqual([[-5000, 1], [0, 1], [5000, 1], [10000, 1]]);
  });

  it("session windows merge events closer than the gap, also across batches", async () => {
    const ms = spark.memoryStream("user STRING, ts TIMESTAMP");
    const sessions = ms.toDF().groupBy(session_window(col("ts"), "5 seconds"), col("user")).agg(count("*").alias("n"));
    const c = collect(sessions, "complete");
    started.push(c.query);
    ms.addData([{ user: "u", ts: at(1) }, { user: "u", ts: at(3) }, { user: "u", ts: at(10) }, { user: "v", ts: at(2) }]);
    await c.query.processAllAvailable();
    expect(c.batches[c.batches.length - 1].rows).toEqual([
      { session_window: win(1, 8), user: "u", n: 2 },
      { session_window: win(10, 15), user: "u", n: 1 },
      { session_window: win(2, 7), user: "v", n: 1 },
    ]);
    ms.addData([{ user: "u", ts: at(6) }]);
    await c.query.processAllAvailable();
    expect(c.batches[c.batches.length - 1].rows).toEqual([
      { session_window: win(1, 15), user: "u", n: 4 },
      { session_window: win(2, 7), user: "v", n: 1 },
    ]);
  });
});

describe("session windows in append mode", () => {
  it("emits a session once the watermark passes its end", async () => {
    const ms = spark.memoryStream("user STRING, ts TIMESTAMP");
    const sessions = ms.toDF().withWatermark("ts", "2 seconds").groupBy(session_window(col("ts"), "5 seconds"), col("user")).agg(count("*").alias("n"));
    const c = collect(sessions, "append");
    started.push(c.query);
    ms.addData([{ user: "u", ts: at(1) }, { user: "u", ts: at(4) }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([]);
    ms.addData([{ user: "u", ts: at(30) }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ session_window: win(1, 9), user: "u", n: 2 }]);
    // A row for the closed session is late: dropped, not a new session.
    ms.addData([{ user: "u", ts: at(2) }, { user: "u", ts: at(40) }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ session_window: win(30, 35), user: "u", n: 1 }]);
  });
});

describe("dropDuplicates", () => {
  it("drops repeats across batches and, with a watermark, rows older than it", async () => {
    const ms = spark.memoryStream("id INT, ts TIMESTAMP");
    const c = collect(ms.toDF().withWatermark("ts", "10 seconds").dropDuplicates(["id", "ts"]), "append");
    started.push(c.query);
    ms.addData([{ id: 1, ts: at(100) }, { id: 1, ts: at(100) }, { id: 2, ts: at(100) }]);
    await c.query.processAllAvailable();
    expect(c.take().map((r) => r.id)).toEqual([1, 2]);
    ms.addData([{ id: 1, ts: at(100) }, { id: 3, ts: at(200) }]);
    await c.query.processAllAvailable();
    expect(c.take().map((r) => r.id)).toEqual([3]);
    // Watermark 190: the id-1 entry was evicted, and a row at 100 is late.
    ms.addData([{ id: 1, ts: at(100) }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([]);
    expect(c.query.recentProgress.some((p) => p.numRowsDroppedByWatermark === 1)).toBe(true);
  });
});

describe("triggers", () => {
  it("once and availableNow process what is there and stop", async () => {
    const ms = spark.memoryStream("v INT");
    ms.addData([{ v: 1 }, { v: 2 }]);
    const got: number[] = [];
    const q = ms.toDF().writeStream.foreachBatch((b: { rows(): { v: number }[] }) => void got.push(...b.rows().map((r) => r.v)), { raw: true }).trigger({ once: true }).start();
    expect(await q.awaitTermination(60_000)).toBe(true);
    expect(got).toEqual([1, 2]);
    expect(q.isActive).toBe(false);
    const q2 = ms.toDF().writeStream.format("memory").queryName("avail").trigger({ availableNow: true }).start();
    await q2.awaitTermination(60_000);
    expect(spark.tableRows("avail")).toEqual([{ v: 1 }, { v: 2 }]);
  });
});

describe("failures", () => {
  it("a failing query reports its error and leaves other queries running", async () => {
    const ms = spark.memoryStream("v INT");
    const bad = ms.toDF().writeStream.foreachBatch(() => {
      throw new Error("sink exploded");
    }).start();
    const good = ms.toDF().writeStream.format("memory").queryName("still_ok").trigger({ processingTime: "10 ms" }).start();
    started.push(good);
    ms.addData([{ v: 1 }]);
    await expect(bad.awaitTermination()).rejects.toThrow(/sink exploded/);
    expect(bad.exception()?.message).toBe("sink exploded");
    expect(bad.status.message).toMatch(/Terminated with exception/);
    await good.processAllAvailable();
    expect(good.isActive).toBe(true);
    expect(spark.tableRows("still_ok")).toEqual([{ v: 1 }]);
    expect(spark.streams.active).toContain(good);
    expect(spark.streams.get(good.id)).toBe(good);
  });
});

describe("memory sink and spark.table", () => {
  it("returns a danfojs DataFrame snapshot", async () => {
    const ms = spark.memoryStream("region STRING, amount DOUBLE");
    const q = ms.toDF().groupBy("region").agg(sum("amount").alias("revenue")).writeStream.outputMode("complete").format("memory").queryName("revenue_tbl").trigger({ processingTime: "10 ms" }).start();
    started.push(q);
    ms.addData([{ region: "eu", amount: 10 }, { region: "us", amount: 5 }, { region: "eu", amount: 2.5 }]);
    await q.processAllAvailable();
    const df = spark.table("revenue_tbl") as { columns: string[]; values: unknown[][]; shape: number[] };
    expect(df.columns).toEqual(["region", "revenue"]);
    expect(df.values).toEqual([["eu", 12.5], ["us", 5]]);
    expect(() => spark.table("revenue_tb")).toThrow(/did you mean 'revenue_tbl'/);
  });
});

describe("checkpoints", () => {
  it("a query that crashes mid-stream resumes from its checkpoint with the same results as an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamlab-ckpt-"));
    try {
      const ms = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
      const pipeline = ms.toDF().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("k")).agg(sum("v").alias("s"), count("*").alias("n"));
      const steps: [string, number, number][][] = [
        [["a", 1, 1], ["b", 2, 10]],
        [["a", 8, 2], ["a", 14, 3]],
        [["b", 3, 100], ["a", 19, 4], ["b", 25, 5]],
        [["a", 31, 6], ["a", 12, 1000]],
        [["b", 44, 7]],
      ];
      const rowsOf = (s: [string, number, number][]) => s.map(([k, t, v]) => ({ k, ts: at(t), v }));

      // The uninterrupted run.
      const msRef = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
      const ref = collect(msRef.toDF().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("k")).agg(sum("v").alias("s"), count("*").alias("n")), "append");
      for (const s of steps) {
        msRef.addData(rowsOf(s));
        await ref.query.processAllAvailable();
      }
      await ref.query.stop();
      const expected = ref.batches.flatMap((b) => b.rows);
      expect(expected.length).toBeGreaterThan(0);

      // The interrupted run: the sink fails on the third batch that has rows, after the offsets were logged.
      const output = new Map<number, Record<string, unknown>[]>();
      let failed = false;
      const start = (failOn?: number) =>
        pipeline.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ processingTime: "10 ms" })
          .foreachBatch((b: { batchId: number; rows(): Record<string, unknown>[] }) => {
            if (failOn !== undefined && b.batchId === failOn && !failed) {
              failed = true;
              throw new Error("simulated crash");
            }
            output.set(b.batchId, b.rows());
          }, { raw: true })
          .start();
      let q = start(4);
      let restarts = 0;
      for (const step of steps) {
        ms.addData(rowsOf(step));
        try {
          await q.processAllAvailable();
        } catch {
          // The crash: restart on the same checkpoint; the logged but uncommitted batch runs again.
          await expect(q.awaitTermination()).rejects.toThrow(/simulated crash/);
          restarts++;
          const crashed = q;
          q = start();
          started.push(q);
          expect(q.id).toBe(crashed.id);
          expect(q.runId).not.toBe(crashed.runId);
          await q.processAllAvailable();
        }
      }
      expect(restarts).toBe(1);
      const got = [...output.keys()].sort((a, b) => a - b).flatMap((id) => output.get(id)!);
      expect(got).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
