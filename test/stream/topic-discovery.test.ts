/**
 * A query started before its topic exists (the natural notebook order: the query cell, then `%datagen ... --topic
 * NEW`) must find the topic once it is created, as Spark's Kafka source does on every trigger, and say meanwhile
 * what it is waiting for. Real embedded broker over TCP.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type KafkaClient } from "../../lib/client";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { spark, type StreamingQuery } from "../../lib/stream";

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("kafka source: topics created after the query started", () => {
  let broker: RunningBroker;
  let client: KafkaClient;
  const queries: StreamingQuery[] = [];
  beforeAll(async () => {
    broker = await startBroker({ port: 0, autoCreateTopics: false });
    client = connect(broker.bootstrap);
  });
  afterAll(async () => {
    await Promise.all(queries.map((q) => q.stop()));
    await client?.close();
    await broker?.stop();
  });

  for (const starting of ["latest", "earliest"]) {
    it(`subscribe with startingOffsets=${starting}: reads every record of a topic created later, from its start`, async () => {
      const topic = `later_${starting}_${Date.now().toString(36)}`;
      const df = spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", starting).load();
      const name = `discover_${starting}`;
      const q = df.selectExpr("CAST(value AS STRING) AS v").writeStream.format("memory").queryName(name).trigger({ processingTime: "50 ms" }).start();
      queries.push(q);
      await until("a waiting status", () => /waiting for topic/i.test(q.status.message));
      expect(q.status.message).toBe(`Waiting for topic ${topic} to be created`);
      await client.createTopic(topic, 2);
      await client.produce(topic, [
        { partition: 0, value: "a" },
        { partition: 1, value: "b" },
        { partition: 1, value: "c" },
      ]);
      await until("three rows", () => spark.tableRows(name).length >= 3);
      await q.processAllAvailable();
      expect(spark.tableRows(name).map((r) => r.v).sort()).toEqual(["a", "b", "c"]);
      expect(q.status.message).not.toMatch(/waiting for topic/i);
    });
  }

  it("subscribePattern picks up a matching topic created later", async () => {
    const prefix = `pat${Date.now().toString(36)}`;
    const df = spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribePattern", `${prefix}_.*`).option("startingOffsets", "latest").load();
    const q = df.selectExpr("CAST(value AS STRING) AS v", "topic").writeStream.format("memory").queryName("discover_pattern").trigger({ processingTime: "50 ms" }).start();
    queries.push(q);
    await until("a waiting status", () => /Waiting for/.test(q.status.message));
    await client.createTopic(`${prefix}_x`, 1);
    await client.produce(`${prefix}_x`, [{ partition: 0, value: "x1" }]);
    await until("one row", () => spark.tableRows("discover_pattern").length >= 1);
    expect(spark.tableRows("discover_pattern")).toEqual([{ v: "x1", topic: `${prefix}_x` }]);
  });
});
