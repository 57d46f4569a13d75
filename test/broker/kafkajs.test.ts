/**
 * kafkajs 2.2.4 (streamlab's own client) against the embedded broker: admin, producer, and a consumer group of
 * two that rebalances when a member joins and when one leaves.
 */
import { describe, expect, it } from "vitest";
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from "kafkajs";
import { canonicalMessages, checkExactlyOnceInOrder, waitFor, withBroker, type Consumed } from "./helpers";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

function client(bootstrap: string): Kafka {
  return new Kafka({ clientId: "broker-test", brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

describe("kafkajs against the embedded broker", () => {
  it("admin creates, lists, describes and deletes topics", async () => {
    await withBroker(async (b) => {
      const admin = client(b.bootstrap).admin();
      await admin.connect();
      try {
        expect(await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }, { topic: "users", numPartitions: 1, configEntries: [{ name: "retention.ms", value: "60000" }] }] })).toBe(true);
        expect(await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] })).toBe(false);
        expect((await admin.listTopics()).sort()).toEqual(["orders", "users"]);
        const meta = await admin.fetchTopicMetadata({ topics: ["orders"] });
        expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
        const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "users" }] });
        const retention = configs.resources[0].configEntries.find((e) => e.configName === "retention.ms");
        expect(retention?.configValue).toBe("60000");
        await admin.deleteTopics({ topics: ["users"] });
        expect(await admin.listTopics()).toEqual(["orders"]);
        await expect(admin.createTopics({ topics: [{ topic: "bad name!", numPartitions: 1 }] })).rejects.toThrow();
      } finally {
        await admin.disconnect();
      }
    });
  });

  it("produces 10,000 keyed messages and a group of two consumers reads each exactly once across rebalances", async () => {
    await withBroker(async (b) => {
      const kafka = client(b.bootstrap);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "events", numPartitions: 4 }] });
      const messages = canonicalMessages();
      const consumed: Consumed[] = [];
      const assignments = new Map<string, number[]>();
      const consumers: Consumer[] = [];
      const startConsumer = async (name: string) => {
        const c = kafka.consumer({ groupId: "compat", sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
        c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, e.payload.memberAssignment["events"] ?? []));
        await c.connect();
        await c.subscribe({ topic: "events", fromBeginning: true });
        await c.run({
          eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
            for (const m of batch.messages) {
              consumed.push({ partition: batch.partition, offset: Number(m.offset), key: m.key ? m.key.toString("utf8") : null, value: m.value!.toString("utf8") });
              resolveOffset(m.offset);
            }
            await heartbeat();
          },
        });
        consumers.push(c);
        return c;
      };
      try {
        await startConsumer("a");
        await waitFor("first consumer to get all partitions", () => (assignments.get("a")?.length ?? 0) === 4);
        const second = await startConsumer("b");
        await waitFor("the rebalance to split the partitions", () => (assignments.get("a")?.length ?? 0) === 2 && (assignments.get("b")?.length ?? 0) === 2);
        expect([...assignments.get("a")!, ...assignments.get("b")!].sort()).toEqual([0, 1, 2, 3]);

        const producer = kafka.producer();
        await producer.connect();
        const half = messages.length / 2;
        for (let i = 0; i < half; i += 1000) await producer.send({ topic: "events", acks: -1, messages: messages.slice(i, i + 1000) });
        await waitFor("the first half to be consumed", () => consumed.length >= half);

        // One member leaves: the other takes over its partitions from the committed offsets.
        await second.disconnect();
        consumers.splice(consumers.indexOf(second), 1);
        await waitFor("the remaining consumer to own every partition", () => (assignments.get("a")?.length ?? 0) === 4);
        for (let i = half; i < messages.length; i += 1000) await producer.send({ topic: "events", acks: -1, messages: messages.slice(i, i + 1000) });
        await waitFor("every message to be consumed", () => consumed.length >= messages.length);
        await producer.disconnect();
        checkExactlyOnceInOrder(messages, consumed);

        const described = await admin.describeGroups(["compat"]);
        expect(described.groups[0]).toMatchObject({ groupId: "compat", state: "Stable", protocolType: "consumer" });
        expect(described.groups[0].members.length).toBe(1);
        expect((await admin.listGroups()).groups).toContainEqual({ groupId: "compat", protocolType: "consumer" });
        const offsets = await admin.fetchTopicOffsets("events");
        expect(offsets.reduce((s, o) => s + Number(o.high), 0)).toBe(messages.length);
      } finally {
        for (const c of consumers) await c.disconnect();
        await admin.disconnect();
      }
    });
  });

  it("serves binary keys, headers, null values and gzip batches unchanged, and lists offsets by time", async () => {
    await withBroker(async (b) => {
      const kafka = client(b.bootstrap);
      const producer = kafka.producer();
      await producer.connect();
      const key = Buffer.from([0, 255, 1, 254, 2]);
      const t0 = 1_700_000_000_000;
      await producer.send({ topic: "bin", messages: [{ key, value: null, headers: { h: Buffer.from([9, 8, 7]) }, timestamp: String(t0) }] });
      await producer.send({ topic: "bin", compression: 1, messages: [{ key: "z", value: "gzipped ".repeat(100), timestamp: String(t0 + 1000) }] });
      await producer.send({ topic: "bin", messages: [{ key: "late", value: "x", timestamp: String(t0 + 2000) }] });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const byTime = await admin.fetchTopicOffsetsByTimestamp("bin", t0 + 1500);
      expect(byTime).toEqual([{ partition: 0, offset: "2" }]);
      await admin.disconnect();
      const consumer = kafka.consumer({ groupId: "bin-reader", maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: "bin", fromBeginning: true });
      const got: { key: Buffer | null; value: Buffer | null; headers: unknown; offset: string }[] = [];
      await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key, value: message.value, headers: message.headers, offset: message.offset }) });
      await waitFor("three messages", () => got.length >= 3);
      await consumer.disconnect();
      expect(got[0].key).toEqual(key);
      expect(got[0].value).toBeNull();
      expect((got[0].headers as Record<string, Buffer>).h).toEqual(Buffer.from([9, 8, 7]));
      expect(got[1].value!.toString()).toBe("gzipped ".repeat(100));
      expect(got.map((g) => g.offset)).toEqual(["0", "1", "2"]);
    });
  });
});
