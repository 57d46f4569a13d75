/**
 * A stream-stream join pairs the rows of one batch with each other even when that batch's watermark evicts
 * them at its end, as Spark (StreamingSymmetricHashJoinExec keeps every left row until the batch's right rows
 * met it). Two data batches run back to back (trigger once, restarted): the second runs with watermark 7 s and
 * brings a left and a right row at 2 s, which are not late (late rows are judged by the first batch's watermark).
 */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, expr, timestamp_seconds, type StreamingQuery } from "../../../lib/stream";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("stream-stream join within one batch", () => {
  for (const how of ["inner", "left_outer"]) {
    it(`${how}: rows of the same batch at or below its watermark still meet`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "streamlab-join-batch-"));
      dirs.push(dir);
      const left = spark.memoryStream("lid INT, l INT");
      const right = spark.memoryStream("rid INT, r INT");
      const l = left.toDF().withColumn("lt", timestamp_seconds(col("l"))).withWatermark("lt", "5 seconds");
      const r = right.toDF().withColumn("rt", timestamp_seconds(col("r"))).withWatermark("rt", "5 seconds");
      const joined = l.join(r, expr("lid = rid AND lt = rt"), how).select("lid", "rid");
      const out: Record<string, unknown>[][] = [];
      const run = async () => {
        const q = joined.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ once: true })
          .foreachBatch((b: { rows(): Record<string, unknown>[] }) => void out.push(b.rows()), { raw: true }).start();
        started.push(q);
        await q.awaitTermination();
      };
      left.addData([{ lid: 1, l: 1 }, { lid: 3, l: 12 }]);
      right.addData([{ rid: 1, r: 1 }, { rid: 3, r: 12 }]);
      await run();
      expect(out).toEqual([[{ lid: 1, rid: 1 }, { lid: 3, rid: 3 }]]);
      left.addData([{ lid: 2, l: 2 }, { lid: 4, l: 3 }]);
      right.addData([{ rid: 2, r: 2 }]);
      await run();
      // Watermark 7 s: row 2 pairs with its partner before both are evicted; row 4 (3 s) has none: nulls in left outer.
      expect(out[1]).toEqual(how === "inner" ? [{ lid: 2, rid: 2 }] : [{ lid: 2, rid: 2 }, { lid: 4, rid: null }]);
    });
  }
});
