/** The changelog view: +I/-U/+U/-D per batch, from a real query's output batches, and %%sql --changelog. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, type OutputBatch, type StreamingQuery } from "../../../lib/stream";
import { runMagic, type DisplayBridge, type MimeBundle } from "../../../lib/core";
import { clearViews } from "../../../lib/stream/sql";
import { Changelog } from "../../../lib/stream/sql/changelog";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  clearViews();
});

/** Run a query in `mode` over the rounds, feeding every output batch to a Changelog. */
async function changes(sql: string, mode: "update" | "complete" | "append", rounds: { k: string; v: number }[][]) {
  const ms = spark.memoryStream("k STRING, v INT");
  ms.toDF().createOrReplaceTempView("kv");
  const log = new Changelog();
  const q = spark.sql(sql).writeStream.outputMode(mode).foreachBatch((b: OutputBatch) => void log.apply(b), { raw: true }).trigger({ processingTime: "10 ms" }).start();
  started.push(q);
  for (const r of rounds) {
    ms.addData(r);
    await q.processAllAvailable();
  }
  return log.changes().map((c) => `${c.op} ${c.batchId} ${JSON.stringify(c.row)}`);
}

describe("changelog", () => {
  it("update mode: +I for a new key, -U/+U when its row changes", async () => {
    const out = await changes("SELECT k, sum(v) AS total FROM kv GROUP BY k", "update", [[{ k: "a", v: 1 }, { k: "b", v: 2 }], [{ k: "a", v: 5 }], [{ k: "c", v: 1 }]]);
    expect(out).toEqual([
      '+I 0 {"k":"a","total":1}',
      '+I 0 {"k":"b","total":2}',
      '-U 1 {"k":"a","total":1}',
      '+U 1 {"k":"a","total":6}',
      '+I 2 {"k":"c","total":1}',
    ]);
  });

  it("complete mode: unchanged rows make no change, rows gone are -D; append is +I", async () => {
    const out = await changes("SELECT k, count(*) AS n FROM kv WHERE v > 0 GROUP BY k HAVING count(*) < 2", "complete", [[{ k: "a", v: 1 }, { k: "b", v: 1 }], [{ k: "a", v: 1 }], [{ k: "c", v: 1 }]]);
    expect(out).toEqual(['+I 0 {"k":"a","n":1}', '+I 0 {"k":"b","n":1}', '-D 1 {"k":"a","n":1}', '+I 2 {"k":"c","n":1}']);
    clearViews();
    const app = await changes("SELECT k, v FROM kv WHERE v > 1", "append", [[{ k: "a", v: 1 }, { k: "b", v: 2 }], [{ k: "c", v: 3 }]]);
    expect(app).toEqual(['+I 0 {"k":"b","v":2}', '+I 1 {"k":"c","v":3}']);
  });

  it("is bounded to the newest changes", () => {
    const log = new Changelog(3);
    const batch = (id: number): OutputBatch => ({ batchId: id, mode: "append", schema: [{ name: "x", type: "int" }], numRows: 1, columns: [[id]], rows: () => [{ x: id }] });
    for (let i = 0; i < 5; i++) log.apply(batch(i));
    expect(log.changes().map((c) => c.row.x)).toEqual([2, 3, 4]);
    expect(log.total).toBe(5);
  });

  it("%%sql --changelog shows the changes as a live table", async () => {
    const bundles: MimeBundle[] = [];
    const bridge: DisplayBridge = { display: (b) => bundles.push(b), update: (_id, b) => bundles.push(b), print: () => undefined };
    const ms = spark.memoryStream("k STRING, v INT");
    ms.toDF().createOrReplaceTempView("kv");
    const prev = (await import("../../../lib/core")).setDisplayBridge(bridge);
    try {
      await runMagic("sql", "--changelog --name kv_changes", { body: "SELECT k, sum(v) AS total FROM kv GROUP BY k", display: bridge, scope: {}, evaluate: () => Promise.resolve(undefined) });
      const q = spark.streams.get("kv_changes")!;
      started.push(q);
      ms.addData([{ k: "a", v: 1 }]);
      await q.processAllAvailable();
      ms.addData([{ k: "a", v: 2 }]);
      await q.processAllAvailable();
      const last = String(bundles[bundles.length - 1]["text/plain"]);
      expect(last).toMatch(/^changelog of kv_changes: 3 changes \(showing the newest 3\) \| batch 1/);
      expect(last).toMatch(/\|\s*\+I\|\s*0\|\s*a\|\s*1\|[\s\S]*\|\s*-U\|\s*1\|\s*a\|\s*1\|[\s\S]*\|\s*\+U\|\s*1\|\s*a\|\s*3\|/);
    } finally {
      (await import("../../../lib/core")).setDisplayBridge(prev);
    }
  });
});
