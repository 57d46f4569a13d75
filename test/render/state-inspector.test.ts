// %state and query.state(): a query's state read live from its stores, on real lib/stream queries (MemoryStream
// sources, real micro-batches, a checkpoint), checked against the statestore data source over the same checkpoint.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMagic, setDisplayBridge, type DisplayBridge } from "../../lib/core";
import { registerRenderMagics } from "../../lib/render";
import { col, count, expr, sum, timestamp_seconds, window, spark, type OutputBatch, type StreamingQuery } from "../../lib/stream";
import { RecordingBridge } from "./support";

registerRenderMagics();

const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const started: StreamingQuery[] = [];
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "streamlab-state-view-"));
  dirs.push(d);
  return d;
}

let bridge: RecordingBridge;
let previous: DisplayBridge;
beforeAll(() => {
  bridge = new RecordingBridge();
  previous = setDisplayBridge(bridge);
});
afterAll(() => setDisplayBridge(previous));
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const context = (scope: Record<string, unknown>) => ({ display: bridge, scope, evaluate: async () => undefined });

function lastBundleOf(displayId: string | undefined) {
  return [...bridge.outputs].reverse().find((o) => o.displayId === displayId && o.bundle)?.bundle;
}

/** A 10 s tumbling-window count per key with a 5 s watermark. */
function windowedCounts(name: string, trigger: Record<string, unknown>, dir?: string) {
  const input = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
  const agg = input
    .toDF()
    .withWatermark("ts", "5 seconds")
    .groupBy(window(col("ts"), "10 seconds"), col("k"))
    .agg(count("*").alias("n"), sum("v").alias("total"));
  const w = agg.writeStream.outputMode("append").queryName(name).trigger(trigger).foreachBatch(() => undefined);
  if (dir) w.option("checkpointLocation", dir);
  return { input, start: () => { const q = w.start(); started.push(q); return q; } };
}

describe("query.state()", () => {
  it("an aggregation's groups, its open windows and those the next watermark closes, as the statestore source reads them", async () => {
    const dir = tmp();
    const { input, start } = windowedCounts("state_windows", { once: true }, dir);
    input.addData([
      { k: "a", ts: at(1), v: 1 },
      { k: "a", ts: at(3), v: 2 },
      { k: "b", ts: at(12), v: 5 },
      { k: "ab", ts: at(25), v: 7 },
    ]);
    const q = start();
    await q.awaitTermination();
    // One batch ran (trigger once) with no watermark; the next runs with 25 - 5 = 20 s.
    const view = q.state();
    expect(view.batchId).toBe(0);
    expect(view.operators).toHaveLength(1);
    const op = view.operators[0];
    expect(op).toMatchObject({ operatorId: 0, operatorName: "stateStoreSave", kind: "window aggregation", numRowsTotal: 3, watermark: null, nextWatermark: at(20).toISOString(), evictsNext: 2, matching: 3, page: 1, pageCount: 1 });
    expect(op.stores).toEqual([{ storeName: "default", keySchema: "struct<window:struct<start:timestamp,end:timestamp>,k:string>", valueSchema: "struct<count:bigint,sum:bigint>", entries: 3, version: 1 }]);
    expect(op.windows).toEqual([
      { start: at(0), end: at(10), rows: 1, closesNext: true },
      { start: at(10), end: at(20), rows: 1, closesNext: true },
      { start: at(20), end: at(30), rows: 1, closesNext: false },
    ]);
    expect(op.bytes).toBeGreaterThan(0);
    expect(op.bytesEstimated).toBe(false);
    expect(op.history).toEqual([{ batchId: 0, watermark: "1970-01-01T00:00:00.000Z", numRowsTotal: 3, numRowsUpdated: 3, numRowsRemoved: 0, numRowsDroppedByWatermark: 0 }]);
    // The entries are what spark.read.format("statestore") reads from the checkpoint.
    const stored = spark.read.format("statestore").load(dir).collect().map((r) => ({ key: r.key, value: r.value }));
    const live = op.entries.map((e) => ({ key: e.key, value: e.value }));
    const order = (rows: { key: unknown }[]) => [...rows].sort((x, y) => JSON.stringify(x.key).localeCompare(JSON.stringify(y.key)));
    expect(order(live)).toEqual(order(stored));
    expect(op.entries.find((e) => e.key.k === "a")).toEqual({ store: "default", key: { window: { start: at(0), end: at(10) }, k: "a" }, value: { count: 2, sum: 3 }, evictsNext: true });

    // Search (key or value text, case-insensitive) and paging.
    const found = q.state({ search: "AB" }).operators[0];
    expect(found.matching).toBe(1);
    expect(found.entries.map((e) => e.key.k)).toEqual(["ab"]);
    const byValue = q.state({ search: "7" }).operators[0];
    expect(byValue.entries.map((e) => e.value.sum)).toEqual([7]);
    const p2 = q.state({ pageSize: 2, page: 2 }).operators[0];
    expect(p2).toMatchObject({ page: 2, pageCount: 2, matching: 3 });
    expect(p2.entries).toHaveLength(1);
    const p1 = q.state({ pageSize: 2 }).operators[0];
    expect([...p1.entries, ...p2.entries].map((e) => e.key.k).sort()).toEqual(["a", "ab", "b"]);
    expect(() => q.state({ op: 1 })).toThrow("streamlab: query state_windows has no stateful operator 1; its operators: 0 (aggregation)");
    expect(() => q.state({ page: 0 })).toThrow(/page must be a whole number of at least 1, got 0/);

    // The next start runs the watermark's batch: the two windows close and are evicted; history shows it.
    const again = start();
    await again.awaitTermination();
    const after = again.state().operators[0];
    expect(after.numRowsTotal).toBe(1);
    expect(after.windows).toEqual([{ start: at(20), end: at(30), rows: 1, closesNext: false }]);
    expect(after.watermark).toBe(at(20).toISOString());
    expect(after.history.at(-1)).toMatchObject({ numRowsTotal: 1, numRowsRemoved: 2 });
  });

  it("deduplication keys and both sides of a stream-stream join, with what the next watermark evicts", async () => {
    const ds = spark.memoryStream("id INT, ts TIMESTAMP");
    const dedup = ds.toDF().withWatermark("ts", "10 seconds").dropDuplicates(["id", "ts"]);
    const dq = dedup.writeStream.outputMode("append").queryName("state_dedup").trigger({ once: true }).foreachBatch(() => undefined);
    ds.addData([{ id: 1, ts: at(1) }, { id: 1, ts: at(1) }, { id: 2, ts: at(30) }]);
    const q1 = dq.start();
    started.push(q1);
    await q1.awaitTermination();
    const d = q1.state().operators[0];
    expect(d).toMatchObject({ kind: "deduplication", numRowsTotal: 2, nextWatermark: at(20).toISOString(), evictsNext: 1, windows: null });
    expect(d.entries.map((e) => [e.key.id, e.evictsNext]).sort()).toEqual([[1, true], [2, false]]);

    const orders = spark.memoryStream("orderId INT, amount INT, t INT");
    const payments = spark.memoryStream("payOrderId INT, paid INT, pt INT");
    const o = orders.toDF().withColumn("orderTime", timestamp_seconds(col("t"))).withWatermark("orderTime", "10 seconds");
    const p = payments.toDF().withColumn("payTime", timestamp_seconds(col("pt"))).withWatermark("payTime", "10 seconds");
    const joined = o.join(p, expr("orderId = payOrderId AND payTime >= orderTime AND payTime <= orderTime + interval 30 seconds"), "left_outer");
    const out: unknown[] = [];
    const jq = joined.writeStream.outputMode("append").queryName("state_join").trigger({ processingTime: "10 ms" })
      .foreachBatch((b: OutputBatch) => void out.push(...b.rows()), { raw: true }).start();
    started.push(jq);
    orders.addData([{ orderId: 1, amount: 10, t: 100 }, { orderId: 2, amount: 20, t: 100 }]);
    payments.addData([{ payOrderId: 1, paid: 10, pt: 110 }]);
    await jq.processAllAvailable();
    const j = jq.state().operators[0];
    expect(j).toMatchObject({ operatorName: "symmetricHashJoin", kind: "stream-stream join", numRowsTotal: 3 });
    expect(j.stores.map((s) => [s.storeName, s.entries])).toEqual([["left-keyToValues", 2], ["right-keyToValues", 1]]);
    expect(j.stores[0].valueSchema).toBe("struct<orderId:int,amount:int,t:int,orderTime:timestamp,matched:boolean>");
    const left = j.entries.filter((e) => e.store === "left-keyToValues").sort((x, y) => Number(x.key.orderId) - Number(y.key.orderId));
    expect(left).toEqual([
      { store: "left-keyToValues", key: { orderId: 1 }, value: { orderId: 1, amount: 10, t: 100, orderTime: new Date(100_000), matched: true }, evictsNext: false },
      { store: "left-keyToValues", key: { orderId: 2 }, value: { orderId: 2, amount: 20, t: 100, orderTime: new Date(100_000), matched: false }, evictsNext: false },
    ]);
    expect(jq.state({ search: "left-key" }).operators[0].matching).toBe(0);
    // Both sides' event times reached 160 s: the global watermark is 150 s, which drops every buffered row
    // (left rows below 150 - 0, right rows below 150 - 30 s) and emits order 2 with nulls.
    orders.addData([{ orderId: 3, amount: 30, t: 160 }]);
    payments.addData([{ payOrderId: 9, paid: 1, pt: 160 }]);
    await jq.processAllAvailable();
    await waitFor(() => out.some((r) => (r as { orderId: number; paid: unknown }).orderId === 2), "order 2 with nulls");
    const j2 = jq.state().operators[0];
    expect(j2.entries.map((e) => e.value.orderId ?? e.value.payOrderId).sort()).toEqual([3, 9]);
    expect(j2.history.reduce((n, h) => n + h.numRowsRemoved, 0)).toBe(3);
  });

  it("a query without state says so; session windows show each session", async () => {
    const s = spark.memoryStream("k STRING, ts TIMESTAMP");
    const plain = s.toDF().select("k").writeStream.outputMode("append").trigger({ once: true }).foreachBatch(() => undefined).start();
    started.push(plain);
    await plain.awaitTermination();
    expect(plain.state().operators).toEqual([]);
    expect(() => plain.state({ op: 0 })).toThrow(/has no stateful operator 0; it has no stateful operator/);

    const input = spark.memoryStream("k STRING, ts TIMESTAMP");
    const sessions = input.toDF().withWatermark("ts", "5 seconds").groupBy(expr("session_window(ts, '10 seconds')").alias("session"), col("k")).agg(count("*").alias("n"));
    const q = sessions.writeStream.outputMode("append").trigger({ once: true }).foreachBatch(() => undefined).start();
    started.push(q);
    input.addData([{ k: "x", ts: at(1) }, { k: "x", ts: at(5) }, { k: "x", ts: at(40) }, { k: "y", ts: at(50) }]);
    await q.awaitTermination();
    const op = q.state().operators[0];
    expect(op).toMatchObject({ kind: "session window aggregation", numRowsTotal: 3, nextWatermark: at(45).toISOString(), evictsNext: 1 });
    expect(op.windows).toEqual([
      { start: at(1), end: at(15), rows: 1, closesNext: true },
      { start: at(40), end: at(50), rows: 1, closesNext: false },
      { start: at(50), end: at(60), rows: 1, closesNext: false },
    ]);
  });
});

describe("%state", () => {
  it("shows the state of a running query live, updating as batches commit; --search and --page select entries", async () => {
    const { input, start } = windowedCounts("state_live", { processingTime: "10 ms" });
    const q = start();
    const before = bridge.outputs.length;
    await runMagic("state", "state_live --max-updates 50", context({}));
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    expect(shown).toBeTruthy();
    expect(String(shown.bundle!["text/plain"])).toContain("operator 0: window aggregation (stateStoreSave), 0 rows, 0 B\nno watermark yet: nothing is evicted");
    input.addData([{ k: "a", ts: at(1), v: 1 }, { k: "b", ts: at(2), v: 1 }, { k: "c", ts: at(14), v: 1 }]);
    await q.processAllAvailable();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("3 rows"), "the live view with 3 rows");
    const text = String(lastBundleOf(shown.displayId)!["text/plain"]);
    expect(text).toContain("2 open windows; 0 close at the next watermark");
    expect(text).toContain("keys and values: page 1 of 1 (3 rows; 20 a page)");
    expect(text).toMatch(/\|\s*2024-01-01 00:00:00\|\s*2024-01-01 00:00:10\|\s*2\|\s*false\|/);
    const html = String(lastBundleOf(shown.displayId)!["text/html"]);
    expect(html).toContain('class="streamlab-live streamlab-state-view"');
    expect(html).toContain('data-operator="0"');
    const s0 = bridge.outputs.length;
    await runMagic("state", "state_live --search c --once", context({}));
    const searched = String(bridge.outputs.slice(s0).filter((o) => o.bundle).at(-1)!.bundle!["text/plain"]);
    expect(searched).toContain("(1 row matching 'c'; 20 a page)");
    expect(searched).toMatch(/\|\s*c\|\s*1\|\s*1\|/);
    const s1 = bridge.outputs.length;
    await runMagic("state", "q --page 2 --page-size 1 --once", context({ q }));
    expect(String(bridge.outputs.slice(s1).filter((o) => o.bundle).at(-1)!.bundle!["text/plain"])).toContain("keys and values: page 2 of 3 (3 rows; 1 a page)");

    // A later batch moves the watermark to 25 s: the windows [0, 10) and [10, 20)
    // close, evicting 3 rows, in the history table.
    input.addData([{ k: "a", ts: at(30), v: 1 }]);
    await q.processAllAvailable();
    await waitFor(() => /\|\s*\d+\|2024-01-01 00:00:25\|\s*1\|\s*0\|\s*3\|\s*0\|/.test(String(lastBundleOf(shown.displayId)?.["text/plain"])), "a batch evicting 3 rows in the history");

    await q.stop();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("state: stopped"), "the final state");
  });

  it("one-line errors: unknown query, not a query, unknown operator, bad page", async () => {
    const { start } = windowedCounts("state_errors", { processingTime: "10 ms" });
    start();
    await expect(runMagic("state", "state_erors", context({}))).rejects.toThrow("%state: no query named 'state_erors' (did you mean 'state_errors'?)");
    await expect(runMagic("state", "x", context({ x: 42 }))).rejects.toThrow("%state shows a query's state: give a query's name (.queryName(...)) or a variable holding the query that start() returned, not 'x'");
    await expect(runMagic("state", "state_errors --op 3", context({}))).rejects.toThrow("%state: query state_errors has no stateful operator 3; its operators: 0 (aggregation)");
    await expect(runMagic("state", "state_errors --page 0", context({}))).rejects.toThrow("%state --page must be a whole number of at least 1, got 0");
    await expect(runMagic("state", "", context({}))).rejects.toThrow("%state: missing QUERY; usage: %state QUERY");
  });
});
