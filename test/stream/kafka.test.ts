/**
 * The Kafka source and sink over real TCP, against three brokers: Apache Kafka (the reference, one per file),
 * librdkafka's mock cluster (a Kafka streamlab did not write) and streamlab's embedded broker.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type KafkaClient } from "../../lib/client";
import { startBroker } from "../../lib/broker";
import { spark, col, from_json, window, sum, count, type StreamingQuery, type OutputBatch } from "../../lib/stream";
import { startMockCluster } from "./support/mockCluster";
import { tool } from "../support/tools";
import { startKafkaReference } from "../support/kafka-reference";

const SCHEMA = "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP";
const order = (id: string, region: string, amount: number, second: number) =>
  JSON.stringify({ order_id: id, region, amount, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString() });

function brokerSuite(name: string, start: () => Promise<{ bootstrap: string; stop(): Promise<void> }>, createTopics: boolean) {
  describe(`kafka source and sink against ${name}`, () => {
    let broker: { bootstrap: string; stop(): Promise<void> };
    let client: KafkaClient;
    const queries: StreamingQuery[] = [];
    let topicCounter = 0;
    const newTopic = async () => {
      const t = `t${++topicCounter}_${Date.now().toString(36)}`;
      if (createTopics) await client.createTopic(t, 2);
      return t;
    };
    const reader = (topic: string) =>
      spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "earliest");
    const track = (q: StreamingQuery) => (queries.push(q), q);

    beforeAll(async () => {
      broker = await start();
      client = connect(broker.bootstrap);
    });
    afterEach(async () => {
      await Promise.all(queries.splice(0).map((q) => q.stop()));
    });
    afterAll(async () => {
      await client?.close();
      await broker?.stop();
    });

    it("runs the classic pipeline: CAST(value AS STRING), from_json, o.*, watermark, window, groupBy, update mode", async () => {
      const topic = await newTopic();
      await client.produce(topic, [
        { partition: 0, key: "o1", value: order("o1", "eu", 10, 1) },
        { partition: 0, key: "o2", value: order("o2", "us", 5, 3) },
        { partition: 1, key: "o3", value: order("o3", "eu", 2.5, 12) },
        { partition: 1, key: "bad", value: "not json" },
        { partition: 1, key: "o4", value: order("o4", "eu", 1, 9) },
      ]);
      const df = reader(topic).load();
      const orders = df.selectExpr("CAST(value AS STRING) AS json").select(from_json(col("json"), `${SCHEMA}, _corrupt_record STRING`).alias("o")).select("o.*");
      const revenue = orders
        .withWatermark("ts", "30 seconds")
        .groupBy(window(col("ts"), "10 seconds"), col("region"))
        .agg(sum("amount").alias("revenue"), count("*").alias("orders"));
      const tableName = `revenue_${topic}`;
      const q = track(revenue.writeStream.outputMode("update").format("memory").queryName(tableName).trigger({ processingTime: "100 ms" }).start());
      const corrupt = track(orders.filter("_corrupt_record IS NOT NULL").writeStream.format("memory").queryName(`corrupt_${topic}`).trigger({ processingTime: "100 ms" }).start());
      await q.processAllAvailable();
      await corrupt.processAllAvailable();
      // Update mode appends each batch's changed rows: the last row per group is its current value.
      const latest = new Map<string, Record<string, unknown>>();
      for (const r of spark.tableRows(tableName)) latest.set(`${(r.window as { start: Date }).start.toISOString()} ${r.region}`, r);
      expect(Object.fromEntries([...latest].map(([k, r]) => [k, [r.revenue, r.orders]]))).toEqual({
        "2024-01-01T00:00:00.000Z eu": [11, 2],
        "2024-01-01T00:00:00.000Z us": [5, 1],
        "2024-01-01T00:00:10.000Z eu": [2.5, 1],
      });
      expect(spark.tableRows(`corrupt_${topic}`).map((r) => r._corrupt_record)).toEqual(["not json"]);
      const p = q.recentProgress.find((x) => x.numInputRows > 0)!;
      expect(p.sources[0].description).toBe(`KafkaV2[Subscribe[${topic}]]`);
      expect(Object.keys(p.sources[0].endOffset as object)).toEqual([topic]);
      expect(q.recentProgress.reduce((s, x) => s + x.numInputRows, 0)).toBe(5);
      expect(q.lastProgress!.sources[0].endOffset).toMatchObject({ [topic]: { "0": 2, "1": 3 } });
    });

    it("bad JSON in Kafka values (issue 15): a record nested 100,000 deep and Spark-invalid JSON are corrupt records; the query survives a restart from its checkpoint", async () => {
      const topic = await newTopic();
      const deep = `{"order_id":"deep","region":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
      const invalid = ['{"order_id":"c1","amount":1,}', '{"order_id":"c2","amount":1,"x":[1,2}', '{"order_id":"c3\u0001","amount":1}'];
      await client.produce(topic, [{ partition: 0, value: order("o1", "eu", 1, 1) }, { partition: 0, value: deep }, ...invalid.map((value) => ({ partition: 1, value }))]);
      const checkpoint = mkdtempSync(join(tmpdir(), "streamlab-badjson-"));
      const table = `badjson_${topic}`;
      const start = () =>
        track(
          reader(topic).load().select(from_json(col("value").cast("string"), "order_id STRING, region STRING, amount DOUBLE, _corrupt_record STRING").alias("o")).select("o.*")
            .writeStream.format("memory").queryName(table).option("checkpointLocation", checkpoint).trigger({ processingTime: "100 ms" }).start(),
        );
      try {
        let q = start();
        await q.processAllAvailable();
        expect(q.isActive).toBe(true);
        const rows = () => spark.tableRows(table);
        expect(rows().filter((r) => r._corrupt_record === null).map((r) => r.order_id)).toEqual(["o1"]);
        expect(rows().filter((r) => r._corrupt_record !== null).map((r) => r._corrupt_record).sort()).toEqual([deep, ...invalid].sort());
        expect(rows().every((r) => r._corrupt_record === null || (r.order_id === null && r.region === null))).toBe(true);
        await q.stop();
        // Restart from the checkpoint: no crash loop on the poisoned batch, and new records flow.
        await client.produce(topic, [{ partition: 0, value: order("o2", "us", 2, 2) }]);
        q = start();
        await q.processAllAvailable();
        expect(q.isActive).toBe(true);
        expect(q.exception()).toBeNull();
        expect(rows().filter((r) => r._corrupt_record === null).map((r) => r.order_id)).toEqual(["o1", "o2"]);
      } finally {
        rmSync(checkpoint, { recursive: true, force: true });
      }
    });

    it("FAILFAST on a record nested too deep stops the query with one clear line naming the offset", async () => {
      const topic = await newTopic();
      await client.produce(topic, [{ partition: 0, value: order("o1", "eu", 1, 1) }, { partition: 0, value: `{"order_id":${"[".repeat(50_000)}${"]".repeat(50_000)}}` }]);
      const q = track(
        reader(topic).load().select(from_json(col("value").cast("string"), SCHEMA, { mode: "FAILFAST" }).alias("o")).select("o.*")
          .writeStream.format("memory").queryName(`ffdeep_${topic}`).trigger({ processingTime: "100 ms" }).start(),
      );
      const err = await q.awaitTermination(60_000).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`malformed record \\(nested more than 1000 levels deep\\) in FAILFAST mode.*topic ${topic} partition 0 offset 1`));
      expect(err?.message).not.toMatch(/call stack/);
    });

    it("FAILFAST fails the query naming the offending offset", async () => {
      const topic = await newTopic();
      await client.produce(topic, [{ partition: 1, value: order("o1", "eu", 1, 1) }, { partition: 1, value: "{broken" }]);
      const q = track(
        reader(topic).load().select(from_json(col("value").cast("string"), SCHEMA, { mode: "FAILFAST" }).alias("o")).select("o.*")
          .writeStream.format("memory").queryName(`ff_${topic}`).trigger({ processingTime: "100 ms" }).start(),
      );
      await expect(q.awaitTermination(60_000)).rejects.toThrow(new RegExp(`malformed record.*\\{broken.*topic ${topic} partition 1 offset 1`));
      expect(q.isActive).toBe(false);
    });

    it("writes to a topic with the kafka sink and reads it back", async () => {
      const input = await newTopic();
      const output = await newTopic();
      await client.produce(input, [
        { partition: 0, value: order("o1", "eu", 10, 1) },
        { partition: 1, value: order("o2", "us", 1, 2) },
        { partition: 1, value: order("o3", "ap", 7, 3) },
      ]);
      const orders = reader(input).load().select(from_json(col("value").cast("string"), SCHEMA).alias("o")).select("o.*");
      const w = track(orders.filter("amount > 2").selectExpr("order_id AS key", "to_json(named_struct('id', order_id, 'amount', amount)) AS value")
        .writeStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("topic", output).trigger({ processingTime: "100 ms" }).start());
      await w.processAllAvailable();
      const back = track(reader(output).load().selectExpr("CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v").writeStream.format("memory").queryName(`back_${output}`).trigger({ processingTime: "100 ms" }).start());
      await back.processAllAvailable();
      const rows = spark.tableRows(`back_${output}`).sort((a, b) => String(a.k).localeCompare(String(b.k)));
      expect(rows).toEqual([{ k: "o1", v: '{"id":"o1","amount":10.0}' }, { k: "o3", v: '{"id":"o3","amount":7.0}' }]);
      expect(() => orders.writeStream.format("kafka").option("topic", output).start()).toThrow(/Required attribute 'value' not found/);
    });

    it("late rows are judged by the previous batch's watermark, as Spark's (SPARK-40925)", async () => {
      const topic = await newTopic();
      // One record per batch (maxOffsetsPerTrigger 1), batches back to back (availableNow): batch 1 (a@3) runs with
      // watermark 20 - 5 = 15 for eviction, but rows are late only behind batch 0's watermark (none): a@3 counts
      // in [0,10), which closes at once. Batch 2 (a@4) is behind batch 1's watermark (15): dropped.
      await client.produce(topic, [order("o1", "eu", 1, 20), order("o2", "eu", 1, 3), order("o3", "eu", 1, 4)].map((value) => ({ partition: 0, value })));
      const batches: Record<string, unknown>[][] = [];
      const counts = reader(topic).option("maxOffsetsPerTrigger", "1").load().select(from_json(col("value").cast("string"), SCHEMA).alias("o")).select("o.*")
        .withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds")).agg(count("*").alias("n"));
      const q = track(counts.writeStream.outputMode("append").foreachBatch((b: OutputBatch) => void batches.push(b.rows()), { raw: true }).trigger({ availableNow: true }).start());
      await q.awaitTermination();
      const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
      expect(batches.slice(0, 3)).toEqual([[], [{ window: { start: at(0), end: at(10) }, n: 1 }], []]);
      expect(q.recentProgress.slice(0, 3).map((p) => p.numRowsDroppedByWatermark)).toEqual([0, 0, 1]);
    });

    it("startingOffsets latest, maxOffsetsPerTrigger, assign and includeHeaders", async () => {
      const topic = await newTopic();
      await client.produce(topic, [{ partition: 0, value: "old" }]);
      const latest = track(
        spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "latest").option("includeHeaders", "true").load()
          .selectExpr("CAST(value AS STRING) AS v", "headers").writeStream.format("memory").queryName(`latest_${topic}`).trigger({ processingTime: "100 ms" }).start(),
      );
      await latest.processAllAvailable();
      await client.produce(topic, [{ partition: 1, value: "new", headers: { source: "test" } }]);
      await latest.processAllAvailable();
      const rows = spark.tableRows(`latest_${topic}`);
      expect(rows.map((r) => r.v)).toEqual(["new"]);
      expect((rows[0].headers as { key: string; value: Buffer }[]).map((h) => [h.key, h.value.toString()])).toEqual([["source", "test"]]);

      await client.produce(topic, Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })));
      const capped = track(spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", 3).option("assign", JSON.stringify({ [topic]: [0] })).load().selectExpr("CAST(value AS STRING) AS v")
        .writeStream.format("memory").queryName(`capped_${topic}`).trigger({ processingTime: "50 ms" }).start());
      await capped.processAllAvailable();
      expect(spark.tableRows(`capped_${topic}`).map((r) => r.v)).toEqual(["old", ...Array.from({ length: 10 }, (_, i) => `m${i}`)]);
      const sizes = capped.recentProgress.map((p) => p.numInputRows).filter((n) => n > 0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(11);
    });

    it("rejects bad options with one clear line", () => {
      expect(() => spark.readStream.format("kafka").load()).toThrow(/exactly one of .*subscribe/);
      expect(() => spark.readStream.format("kafka").option("subscribe", "x").option("startingOffsets", "{oops").load()).toThrow(/startingOffsets must be/);
      expect(() => spark.readStream.format("kafka").option("subscribe", "x").option("kafka.bootstrap.servers", "nohost").load()).toThrow(/is not HOST:PORT/);
      expect(() => spark.readStream.format("kafka").option("subscribe", "x").option("maxOffsetPerTrigger", 5).load()).toThrow(/unknown kafka source option/);
      expect(() => spark.readStream.format("kafak")).not.toThrow();
      expect(() => spark.readStream.format("kafak").load()).toThrow(/did you mean 'kafka'/);
    });
  });
}

describe.runIf(tool("kafka-reference"))("Apache Kafka", () => {
  brokerSuite("Apache Kafka", () => startKafkaReference({ name: "stream-kafka" }), true);
});
describe.runIf(tool("confluent-kafka"))("librdkafka mock cluster", () => {
  brokerSuite("librdkafka's mock cluster", startMockCluster, false);
});
brokerSuite("the embedded broker", () => startBroker({ port: 0, defaultPartitions: 2 }), true);
