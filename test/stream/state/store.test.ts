/**
 * The delta state store: each commit writes only what the batch touched; snapshots and cleanup by maintenance;
 * any retained version loads back exactly; the state's schema is checked on restart with Spark's messages.
 */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStateStore } from "../../../lib/stream/state/store";
import { decodeLine, encodeLine } from "../../../lib/stream/state/files";
import { spark, col, window, count, sum, max, type StreamingQuery } from "../../../lib/stream";
import { collect, at } from "../support/collect";

const dirs: string[] = [];
const started: StreamingQuery[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "streamlab-state-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const contents = <V>(s: MemoryStateStore<V>) => new Map(s.iterator());

describe("the delta state store", () => {
  it("a commit writes a delta of the keys the version put or removed, nothing else", () => {
    const dir = tmp();
    const s = new MemoryStateStore<number>("test");
    s.attach(dir);
    for (let i = 0; i < 1000; i++) s.put(`k${i}`, i);
    expect(s.commit()).toBe(1);
    expect(lines(join(dir, "1.delta"))).toHaveLength(1000);
    s.put("k5", 55);
    s.put("k5", 56);
    s.remove("k7");
    s.remove("never-there");
    expect(s.commit()).toBe(2);
    expect(lines(join(dir, "2.delta")).map(decodeLine)).toEqual([["p", "k5", 56], ["r", "k7"]]);
    expect(s.lastCommit).toMatchObject({ version: 2, changed: 2 });
    // An empty batch still makes a version (an empty delta), so every version has its file.
    expect(s.commit()).toBe(3);
    expect(readFileSync(join(dir, "3.delta"), "utf8")).toBe("");
  });

  it("values changed in place after their put are written as they are at commit", () => {
    const dir = tmp();
    const s = new MemoryStateStore<{ n: number }>("test");
    s.attach(dir);
    const g = { n: 1 };
    s.put("a", g);
    g.n = 5;
    s.commit();
    const r = new MemoryStateStore<{ n: number }>("test");
    r.attach(dir);
    r.loadVersion(1);
    expect(r.get("a")).toEqual({ n: 5 });
  });

  it("every version loads back exactly, from deltas alone or from a snapshot and the deltas after it", () => {
    const dir = tmp();
    const s = new MemoryStateStore<unknown>("test");
    s.attach(dir);
    const history: Map<unknown, unknown>[] = [new Map()];
    for (let v = 1; v <= 25; v++) {
      s.put(v % 7, v);
      s.put(BigInt(v), { b: Buffer.from([v]), nan: NaN, inf: -Infinity, set: new Set([v, "x"]), big: BigInt(v) * 10n });
      if (v % 3 === 0) s.remove((v - 1) % 7);
      if (v % 5 === 0) s.remove(BigInt(v - 2));
      s.commit();
      history.push(contents(s));
      s.maintenance(4, 1000);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".snapshot")).sort()).toEqual(["12.snapshot", "16.snapshot", "20.snapshot", "24.snapshot", "4.snapshot", "8.snapshot"]);
    for (let v = 0; v <= 25; v++) {
      const r = new MemoryStateStore<unknown>("test");
      r.attach(dir);
      r.loadVersion(v);
      expect(r.version).toBe(v);
      expect(contents(r)).toEqual(history[v]);
    }
  });

  it("maintenance deletes what no retained version needs, and the retained versions still load", () => {
    const dir = tmp();
    const s = new MemoryStateStore<number>("test");
    s.attach(dir);
    const history: Map<unknown, unknown>[] = [new Map()];
    for (let v = 1; v <= 40; v++) {
      s.put(v % 5, v);
      s.commit();
      history.push(contents(s));
      s.maintenance(10, 12);
    }
    const files = readdirSync(dir).sort((a, b) => parseInt(a) - parseInt(b));
    // Version 29 is the earliest of the last 12: it loads from snapshot 20 and deltas 21..29.
    expect(files.filter((f) => f.endsWith(".snapshot"))).toEqual(["20.snapshot", "30.snapshot", "40.snapshot"]);
    expect(files.filter((f) => f.endsWith(".delta"))[0]).toBe("21.delta");
    for (let v = 29; v <= 40; v++) {
      const r = new MemoryStateStore<number>("test");
      r.attach(dir);
      r.loadVersion(v);
      expect(contents(r)).toEqual(history[v]);
    }
    const gone = new MemoryStateStore<number>("test");
    gone.attach(dir);
    expect(() => gone.loadVersion(15)).toThrow(/cannot load version 15 of the test state from .*: only versions from 20 are kept \(spark.sql.streaming.minBatchesToRetain\)/);
  });

  it("a version written by a batch that never committed is not read; the replay writes it again", () => {
    const dir = tmp();
    const s = new MemoryStateStore<number>("test");
    s.attach(dir);
    s.put("a", 1);
    s.commit();
    s.put("a", 2);
    s.put("b", 2);
    s.commit(); // version 2's delta is on disk, but its batch's commit log never was (kill -9)
    const r = new MemoryStateStore<number>("test");
    r.attach(dir);
    r.loadVersion(1);
    expect(contents(r)).toEqual(new Map([["a", 1]]));
    r.put("a", 3);
    expect(r.commit()).toBe(2);
    const again = new MemoryStateStore<number>("test");
    again.attach(dir);
    again.loadVersion(2);
    expect(contents(again)).toEqual(new Map([["a", 3]]));
  });

  it("a torn file is reported with its name, not as a JSON error", () => {
    const dir = tmp();
    const s = new MemoryStateStore<number>("test");
    s.attach(dir);
    s.put("a", 1);
    s.commit();
    require("node:fs").writeFileSync(join(dir, "1.delta"), '["p","a",1]\n["p","b"');
    const r = new MemoryStateStore<number>("test");
    r.attach(dir);
    expect(() => r.loadVersion(1)).toThrow(/1\.delta is corrupt at byte 12; the checkpoint is damaged/);
  });

  it("tagged JSON keeps bigint, non-finite numbers, Buffers and Sets", () => {
    const v = [1n, NaN, Infinity, -Infinity, Buffer.from("hi"), new Set(["a", 2]), { s: "$big" }, { $big: "12" }, { $esc: [1] }, [undefined], null, "x"];
    const back = decodeLine(encodeLine(v)) as unknown[];
    expect(back).toEqual(v.map((x) => (Array.isArray(x) ? [null] : x)));
    expect(typeof back[0]).toBe("bigint");
    expect(Buffer.isBuffer(back[4])).toBe(true);
    expect(decodeLine(encodeLine({ plain: [1, "a", true, null] }))).toEqual({ plain: [1, "a", true, null] });
  });
});

describe("the state of a query in its checkpoint", () => {
  const rows = (pairs: [string, number, number][]) => pairs.map(([k, t, v]) => ({ k, ts: at(t), v }));

  it("each batch writes one delta per operator with the groups it touched; restart continues from them", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
    const agg = ms.toDF().groupBy(col("k")).agg(sum("v").alias("s"), count("*").alias("n"));
    const c = collect(agg, "update", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData(rows(Array.from({ length: 200 }, (_, i) => [`k${i}`, 1, i] as [string, number, number])));
    await c.query.processAllAvailable();
    ms.addData(rows([["k3", 2, 1000], ["k4", 2, 1000], ["k3", 3, 1]]));
    await c.query.processAllAvailable();
    const op = c.query.lastProgress!.stateOperators[0];
    expect(op).toMatchObject({ operatorName: "stateStoreSave", numRowsTotal: 200, numRowsUpdated: 2, numStateStoreInstances: 1 });
    expect(op.commitTimeMs).toBeGreaterThanOrEqual(0);
    const storeDir = join(dir, "state", "0", "0");
    expect(lines(join(storeDir, "1.delta"))).toHaveLength(200);
    expect(lines(join(storeDir, "2.delta"))).toHaveLength(2);
    const schema = JSON.parse(readFileSync(join(dir, "state", "0", "_metadata", "schema"), "utf8"));
    expect(schema).toEqual({ version: 1, operatorName: "stateStoreSave", stores: [{ storeName: "default", keySchema: [{ name: "k", type: "string" }], valueSchema: [{ name: "sum", type: "bigint" }, { name: "count", type: "bigint" }] }] });
    await c.query.stop();

    const c2 = collect(agg, "update", { checkpointLocation: dir });
    started.push(c2.query);
    ms.addData(rows([["k3", 4, 1], ["new", 4, 7]]));
    await c2.query.processAllAvailable();
    expect(c2.take()).toEqual([{ k: "k3", s: 3 + 1000 + 1 + 1, n: 4 }, { k: "new", s: 7, n: 1 }]);
  });

  it("a windowed aggregation's state (window keys, watermark eviction) survives a restart", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
    const agg = ms.toDF().withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("k")).agg(max("v").alias("m"));
    const c = collect(agg, "append", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData(rows([["a", 1, 5], ["a", 12, 1]]));
    await c.query.processAllAvailable();
    await c.query.stop();
    const c2 = collect(agg, "append", { checkpointLocation: dir });
    started.push(c2.query);
    ms.addData(rows([["a", 3, 9], ["a", 30, 2]]));
    await c2.query.processAllAvailable();
    // [0, 10) got 9 after the restart: its state (max 5) was read back and updated, then closed by the watermark.
    expect(c2.take()).toEqual([{ window: { start: at(0), end: at(10) }, k: "a", m: 9 }, { window: { start: at(10), end: at(20) }, k: "a", m: 1 }]);
  });

  it("a restart with another grouping key type fails with Spark's key schema message", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, i INT, ts TIMESTAMP, v INT");
    const c = collect(ms.toDF().groupBy(col("k")).agg(count("*").alias("n")), "update", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ k: "a", i: 1, ts: at(1), v: 1 }]);
    await c.query.processAllAvailable();
    await c.query.stop();
    const c2 = collect(ms.toDF().groupBy(col("i")).agg(count("*").alias("n")), "update", { checkpointLocation: dir });
    started.push(c2.query);
    const err = await c2.query.awaitTermination().then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    expect(err!.message).not.toMatch(/TypeError/);
    expect(err!.message).toContain("[STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema does not match existing state key schema. Please check number and type of fields. Existing key_schema=struct<k:string> and new key_schema=struct<i:int>.");
  });

  it("a restart with a changed aggregation fails with Spark's value schema message, before any state is written", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, v INT");
    const c = collect(ms.toDF().groupBy(col("k")).agg(count("*").alias("n")), "update", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ k: "a", v: 1 }]);
    await c.query.processAllAvailable();
    await c.query.stop();
    const c2 = collect(ms.toDF().groupBy(col("k")).agg(sum("v").alias("n"), count("*").alias("c")), "update", { checkpointLocation: dir });
    started.push(c2.query);
    const err = await c2.query.awaitTermination().then(() => null, (e: Error) => e);
    expect(err?.message).toContain("[STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE] Provided value schema does not match existing state value schema. Please check number and type of fields. Existing value_schema=struct<count:bigint> and new value_schema=struct<sum:bigint,count:bigint>.");
    expect(err?.message).toContain("spark.sql.streaming.stateStore.stateSchemaCheck");
    expect(existsSync(join(dir, "state", "0", "0", "2.delta"))).toBe(false);
  });

  it("a deduplication where an aggregation was is Spark's operator mismatch", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, v INT");
    const c = collect(ms.toDF().groupBy(col("k")).agg(count("*").alias("n")), "update", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ k: "a", v: 1 }]);
    await c.query.processAllAvailable();
    await c.query.stop();
    const c2 = collect(ms.toDF().dropDuplicates(["k"]), "append", { checkpointLocation: dir });
    started.push(c2.query);
    const err = await c2.query.awaitTermination().then(() => null, (e: Error) => e);
    expect(err?.message).toContain("[STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA]");
    expect(err?.message).toContain("Stateful operators in the metadata: [(0, stateStoreSave)]; Stateful operators in current batch: [(0, dedupe)]");
  });

  it("spark.sql.streaming.minBatchesToRetain bounds the files a long query keeps", async () => {
    const dir = tmp();
    spark.conf.set("spark.sql.streaming.minBatchesToRetain", 5);
    spark.conf.set("spark.sql.streaming.stateStore.minDeltasForSnapshot", 3);
    try {
      const ms = spark.memoryStream("k STRING, v INT");
      const c = collect(ms.toDF().dropDuplicates(["k"]), "append", { checkpointLocation: dir });
      started.push(c.query);
      for (let b = 0; b < 30; b++) {
        ms.addData([{ k: `k${b}`, v: b }, { k: "same", v: b }]);
        await c.query.processAllAvailable();
      }
      const files = readdirSync(join(dir, "state", "0", "0"));
      expect(files.length).toBeLessThanOrEqual(12);
      expect(files.some((f) => f.endsWith(".snapshot"))).toBe(true);
      await c.query.stop();
      const c2 = collect(ms.toDF().dropDuplicates(["k"]), "append", { checkpointLocation: dir });
      started.push(c2.query);
      ms.addData([{ k: "k3", v: 0 }, { k: "same", v: 0 }, { k: "fresh", v: 1 }]);
      await c2.query.processAllAvailable();
      expect(c2.take()).toEqual([{ k: "fresh", v: 1 }]);
    } finally {
      spark.conf.unset("spark.sql.streaming.minBatchesToRetain");
      spark.conf.unset("spark.sql.streaming.stateStore.minDeltasForSnapshot");
    }
  });
});
