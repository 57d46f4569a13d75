/** spark.read.format("statestore") / ("state-metadata") over a query's checkpoint. */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, window, count, sum, AnalysisError, type StreamingQuery } from "../../../lib/stream";
import { collect, at, win } from "../support/collect";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "streamlab-stateread-"));
  dirs.push(d);
  return d;
};
const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));

describe("the state data sources", () => {
  it("statestore: an aggregation's groups as key and value structs, at the last or a given batch", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP, v INT");
    const agg = ms.toDF().groupBy(window(col("ts"), "10 seconds"), col("k")).agg(sum("v").alias("s"), count("*").alias("n"));
    const c = collect(agg, "update", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ k: "a", ts: at(1), v: 2 }, { k: "b", ts: at(12), v: 5 }]);
    await c.query.processAllAvailable();
    ms.addData([{ k: "a", ts: at(3), v: 1 }]);
    await c.query.processAllAvailable();
    await c.query.stop();

    const df = spark.read.format("statestore").load(dir);
    expect(df.dtypes).toEqual([["key", "struct<window:struct<start:timestamp,end:timestamp>,k:string>"], ["value", "struct<sum:bigint,count:bigint>"], ["partition_id", "int"]]);
    expect(byKey(df.collect())).toEqual([
      { key: { window: win(0, 10), k: "a" }, value: { sum: 3, count: 2 }, partition_id: 0 },
      { key: { window: win(10, 20), k: "b" }, value: { sum: 5, count: 1 }, partition_id: 0 },
    ]);
    const first = spark.read.format("statestore").option("batchId", 0).load(dir).collect();
    expect(byKey(first)[0]).toEqual({ key: { window: win(0, 10), k: "a" }, value: { sum: 2, count: 1 }, partition_id: 0 });
    // Queries over the state are ordinary static DataFrames.
    expect(df.select(col("key.k").alias("k"), col("value.count").alias("n")).filter(col("n").gt(1)).collect()).toEqual([{ k: "a", n: 2 }]);
  });

  it("statestore: deduplication keys of several columns decode to their values", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("id INT, name STRING");
    const c = collect(ms.toDF().dropDuplicates(["id", "name"]), "append", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ id: 1, name: "x" }, { id: 1, name: "x" }, { id: 2, name: null }]);
    await c.query.processAllAvailable();
    await c.query.stop();
    const rows = byKey(spark.read.format("statestore").load(dir).collect());
    expect(rows).toEqual([{ key: { id: 1, name: "x" }, value: {}, partition_id: 0 }, { key: { id: 2, name: null }, value: {}, partition_id: 0 }]);
  });

  it("statestore: a one-column string key that looks like JSON stays a string", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("name STRING");
    const c = collect(ms.toDF().dropDuplicates(["name"]), "append", { checkpointLocation: dir });
    started.push(c.query);
    ms.addData([{ name: '{"a":1}' }, { name: "[1]" }]);
    await c.query.processAllAvailable();
    await c.query.stop();
    expect(byKey(spark.read.format("statestore").load(dir).collect()).map((r) => (r.key as { name: unknown }).name).sort()).toEqual(['[1]', '{"a":1}']);
  });

  it("state-metadata: one row per operator and store; errors are Spark's", async () => {
    const dir = tmp();
    const ms = spark.memoryStream("k STRING");
    const c = collect(ms.toDF().groupBy("k").agg(count("*").alias("n")), "update", { checkpointLocation: dir });
    started.push(c.query);
    for (let b = 0; b < 3; b++) {
      ms.addData([{ k: `k${b}` }]);
      await c.query.processAllAvailable();
    }
    await c.query.stop();
    expect(spark.read.format("state-metadata").load(dir).collect()).toEqual([{ operatorId: 0, operatorName: "stateStoreSave", stateStoreName: "default", numPartitions: 1, minBatchId: 0, maxBatchId: 2 }]);
    expect(() => spark.read.format("statestore").option("operatorId", 3).load(dir)).toThrow(/^\[STDS_NO_PARTITION_DISCOVERED_IN_STATE_STORE\] .*\(operators: 0 stateStoreSave\)/);
    const empty = tmp();
    expect(() => spark.read.format("statestore").load(empty)).toThrow(AnalysisError);
    expect(() => spark.read.format("parquet").load(dir)).toThrow(/supports format\("statestore"\) and format\("state-metadata"\)/);
  });
});
