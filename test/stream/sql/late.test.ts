/** query.lateRows(): the rows the watermark dropped, kept (bounded) with their event time and the watermark. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, window, count, type StreamingQuery } from "../../../lib/stream";
import { clearViews } from "../../../lib/stream/sql";
import { LateRowLog } from "../../../lib/stream/query/late";
import { collect, at } from "../support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  clearViews();
});

describe("lateRows()", () => {
  it("a windowed count (SQL) keeps each dropped row once, with its event time, the watermark and the batch", async () => {
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP");
    ms.toDF().createOrReplaceTempView("clicks");
    const df = spark.sql("SELECT window, k, count(*) AS n FROM clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS GROUP BY window(ts, '10 seconds', '5 seconds'), k");
    const c = collect(df, "update");
    started.push(c.query);
    ms.addData([{ k: "a", ts: at(1) }, { k: "a", ts: at(15) }]);
    await c.query.processAllAvailable();
    expect(c.query.lateRows()).toEqual([]);
    // The watermark is now 15 - 5 = 10: a@2 is late for both its sliding windows, b@12 is not.
    ms.addData([{ k: "a", ts: at(2) }, { k: "b", ts: at(12) }]);
    await c.query.processAllAvailable();
    const late = c.query.lateRows();
    expect(late.map((r) => ({ ...r, source: typeof r.source }))).toEqual([
      { batchId: late[0].batchId, eventTime: at(2), watermark: at(10), source: "string", row: { k: "a", ts: at(2) } },
    ]);
    const dropped = c.query.recentProgress.reduce((s, p) => s + p.numRowsDroppedByWatermark, 0);
    expect(dropped).toBe(2); // Spark counts per window; the row is one late row
  });

  it("the same query written with DataFrames reports the same late rows; dedup reports them too", async () => {
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP");
    const counts = ms.toDF().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("k")).agg(count("*"));
    const dedup = ms.toDF().withWatermark("ts", "5 seconds").dropDuplicates(["k", "ts"]);
    const a = collect(counts, "append");
    const b = collect(dedup, "append");
    started.push(a.query, b.query);
    ms.addData([{ k: "a", ts: at(20) }]);
    await a.query.processAllAvailable();
    await b.query.processAllAvailable();
    ms.addData([{ k: "x", ts: at(3) }, { k: "y", ts: at(30) }]);
    await a.query.processAllAvailable();
    await b.query.processAllAvailable();
    expect(a.query.lateRows().map((r) => [r.row.k, r.eventTime, r.watermark])).toEqual([["x", at(3), at(15)]]);
    expect(b.query.lateRows().map((r) => [r.row.k, r.eventTime, r.watermark])).toEqual([["x", at(3), at(15)]]);
  });

  it("keeps only the most recent rows", () => {
    const log = new LateRowLog(3);
    const schema = { kind: "struct" as const, fields: [{ name: "v", type: { kind: "integer" as const }, nullable: true }] };
    for (let i = 0; i < 5; i++) log.record({ n: 1, cols: [[i]], rowIds: null }, 0, i * 1000, schema, i, 0, (r) => `row ${r}`);
    expect(log.rows().map((r) => r.row.v)).toEqual([2, 3, 4]);
  });
});
