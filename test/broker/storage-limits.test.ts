/**
 * Storage limits and errors as Kafka has them: the default max.message.bytes (1048588), LogAppendTime topics,
 * committed offsets Kafka accepts (kafkajs resetOffsets commits -2), the group id length limit, and a fetch
 * from a partition whose segment became unreadable answering KAFKA_STORAGE_ERROR (the connection stays open).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { startBroker } from "../../lib/broker";
import { GroupCoordinator } from "../../lib/broker/group/coordinator";
import { connect } from "../../lib/client";
import { withBroker } from "./helpers";
import { recordBatch } from "./wire";
import { WireClient } from "./wire-client";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

const quiet = (bootstrap: string) => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });

describe("storage limits", () => {
  it("default max.message.bytes is Kafka's 1048588: a 2 MB batch is MESSAGE_TOO_LARGE, a 900 KB one is stored; --max-message-bytes raises it", async () => {
    await withBroker(async (b) => {
      const c = await WireClient.connect(b.port);
      try {
        expect((await c.createTopic("sizes")).errorCode).toBe(0);
        expect((await c.produce("sizes", 0, recordBatch([{ key: null, value: Buffer.alloc(2_000_000, 1) }]))).errorCode).toBe(10);
        expect(await c.produce("sizes", 0, recordBatch([{ key: null, value: Buffer.alloc(900_000, 1) }]))).toEqual({ errorCode: 0, baseOffset: 0 });
      } finally {
        c.close();
      }
    });
    await withBroker(
      async (b) => {
        const c = await WireClient.connect(b.port);
        try {
          expect((await c.createTopic("sizes")).errorCode).toBe(0);
          expect((await c.produce("sizes", 0, recordBatch([{ key: null, value: Buffer.alloc(2_000_000, 1) }]))).errorCode).toBe(0);
        } finally {
          c.close();
        }
      },
      { maxMessageBytes: 4 << 20 },
    );
  });

  it("streamlab's own producer (lib/client) splits a 5 MB send into requests under the 1 MiB default", async () => {
    await withBroker(async (b) => {
      const client = connect(b.bootstrap);
      try {
        const records = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: "x".repeat(1000) }));
        const results = await client.produce("bulk", records);
        expect(results.length).toBeGreaterThan(0);
        const offsets = await quiet(b.bootstrap).admin();
        await offsets.connect();
        const ends = await offsets.fetchTopicOffsets("bulk");
        await offsets.disconnect();
        expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(5000);
      } finally {
        await client.close();
      }
    });
  }, 60_000);

  it("message.timestamp.type=LogAppendTime: consumers see the broker's time, not the producer's", async () => {
    await withBroker(async (b) => {
      const kafka = quiet(b.bootstrap);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "appended", configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }] }] });
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "appended", configNames: ["message.timestamp.type"] }] });
      expect(described.resources[0].configEntries[0].configValue).toBe("LogAppendTime");
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const before = Date.now();
      // A producer timestamp 10 days old, and one 10 hours ahead (past message.timestamp.after.max.ms, not checked here).
      await producer.send({ topic: "appended", messages: [{ value: "old", timestamp: String(before - 10 * 86_400_000) }, { value: "ahead", timestamp: String(before + 36_000_000) }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "appended-reader" });
      const seen: number[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: "appended", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(Number(message.timestamp)) });
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await consumer.disconnect();
      expect(seen.length).toBe(2);
      for (const ts of seen) {
        expect(ts).toBeGreaterThanOrEqual(before - 1000);
        expect(ts).toBeLessThanOrEqual(Date.now());
      }
    });
  }, 60_000);

  it("kafkajs resetOffsets (commits -2, earliest) is stored and reads back; a group id up to 32767 bytes works, longer is INVALID_GROUP_ID", async () => {
    await withBroker(async (b) => {
      const admin = quiet(b.bootstrap).admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: "resets", numPartitions: 2 }] });
        await admin.setOffsets({ groupId: "resetter", topic: "resets", partitions: [{ partition: 0, offset: "5" }] });
        await admin.resetOffsets({ groupId: "resetter", topic: "resets", earliest: true });
        const fetched = await admin.fetchOffsets({ groupId: "resetter", topics: ["resets"] });
        expect(fetched[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
          [0, "-2"],
          [1, "-2"],
        ]);
        await admin.setOffsets({ groupId: "g".repeat(32767), topic: "resets", partitions: [{ partition: 0, offset: "1" }] });
        expect((await admin.listGroups()).groups.map((g) => g.groupId.length).sort((x, y) => x - y)).toEqual([8, 32767]);
        // Longer ids cannot be stored in a __consumer_offsets key (an int16-length string), as in Kafka; only
        // flexible request versions can even carry them: the coordinator refuses them.
        const coordinator = new GroupCoordinator(undefined, { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000 });
        expect(coordinator.checkCommit("g".repeat(32768), -1, "")).toBe(24);
        expect((await coordinator.join({ groupId: "g".repeat(32768), sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [], clientId: "c", clientHost: "h" })).errorCode).toBe(24);
        coordinator.close();
      } finally {
        await admin.disconnect();
      }
    });
  }, 60_000);

  it("a fetch from a partition whose segment was cut short answers KAFKA_STORAGE_ERROR; the connection and other partitions keep working", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-unreadable-"));
    temps.push(dataDir);
    const broker = await startBroker({ port: 0, dataDir });
    const c = await WireClient.connect(broker.port);
    try {
      expect((await c.createTopic("damaged", 2)).errorCode).toBe(0);
      for (const p of [0, 1]) for (let i = 0; i < 5; i++) expect((await c.produce("damaged", p, recordBatch([{ key: null, value: Buffer.alloc(1000, i) }]))).errorCode).toBe(0);
      // Another process (or a failing disk) cuts the segment of partition 0 behind the broker's back.
      fs.truncateSync(path.join(dataDir, "topics", "damaged", "0", "00000000000000000000.log"), 100);
      const bad = await c.fetch("damaged", 0, 0);
      expect(bad.errorCode).toBe(56);
      const good = await c.fetch("damaged", 1, 0);
      expect(good.errorCode).toBe(0);
      expect(good.records.length).toBe(5);
    } finally {
      c.close();
      await broker.stop();
    }
  });
});
