/**
 * A batch replayed after a crash (planned in the offsets log, not committed) runs again as it ran the first time:
 * the same offsets and watermark, and, as Spark (IncrementalExecution's late-events watermark from the previous
 * offsets-log entry), the previous batch's watermark decides which rows are late.
 */
import { describe, it, expect, afterEach } from "vitest";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { col, window, count } from "../../lib/stream";
import { StreamTest, disposeAll, memoryStream } from "./streamtest";

afterEach(disposeAll);

describe("a batch replayed after a crash", () => {
  it("uses the previous batch's watermark for late rows", async () => {
    const input = memoryStream("value INT");
    const df = input.toDF().withColumn("eventTime", col("value").cast("timestamp")).withWatermark("eventTime", "10 seconds")
      .groupBy(window(col("eventTime"), "5 seconds")).agg(count("*").alias("n")).select(col("window.start").cast("long"), col("n"));
    const t = new StreamTest(df);
    // Trigger.Once: one batch per start, so batch 2 runs with watermark 30 while batch 1 ran with 5.
    const once = async () => {
      t.start({ once: true });
      await t.query!.awaitTermination(60_000);
    };
    input.addData([[15]]);
    await once(); // batch 0: watermark 0, next 5
    input.addData([[40]]);
    await once(); // batch 1: watermark 5, next 30
    input.addData([[25]]);
    await once(); // batch 2: watermark 30; 25 is not late (previous batch's watermark 5), its window [25, 30) closes
    const first = t.query!.lastProgress!;
    expect(first.batchId).toBe(2);
    expect(first.stateOperators[0].numRowsDroppedByWatermark).toBe(0);
    // The crash: batch 2 is in the offsets log but not in the commit log. The restart replays it.
    const commit = join(t.checkpoint, "commits", "2");
    expect(existsSync(commit)).toBe(true);
    rmSync(commit);
    await once();
    const replay = t.query!.lastProgress!;
    expect(replay.batchId).toBe(2);
    expect(replay.eventTime.watermark).toBe(first.eventTime.watermark);
    expect(replay.stateOperators[0].numRowsDroppedByWatermark).toBe(0);
    expect(replay.numInputRows).toBe(1);
  });
});
