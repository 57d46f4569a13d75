/**
 * @platformatic/kafka (a client that speaks only flexible versions: ApiVersions v3+ and up) against the
 * embedded broker: admin, producing with keys and headers, a consumer group reading everything back, and the
 * admin APIs it offers (configs, partitions, records, groups, log dirs).
 */
import { describe, expect, it } from "vitest";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { canonicalMessages, waitFor, withBroker } from "./helpers";

describe("@platformatic/kafka against the embedded broker", () => {
  it("creates a topic, produces keyed messages with headers, and a consumer group reads each exactly once", async () => {
    await withBroker(async (b) => {
      const bootstrapBrokers = [b.bootstrap];
      const admin = new Admin({ clientId: "pk-admin", bootstrapBrokers });
      const producer = new Producer({ clientId: "pk-producer", bootstrapBrokers, serializers: stringSerializers });
      const consumer = new Consumer({ clientId: "pk-consumer", groupId: "pk-group", bootstrapBrokers, deserializers: stringDeserializers });
      try {
        await admin.createTopics({ topics: ["pk"], partitions: 3, replicas: 1 });
        const meta = await admin.metadata({ topics: ["pk"] });
        expect(meta.topics.get("pk")?.partitionsCount).toBe(3);
        // A topic id (KIP-516), as Kafka gives: Fetch v13+ names topics by it.
        expect(meta.topics.get("pk")?.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(meta.topics.get("pk")?.id).not.toBe("00000000-0000-0000-0000-000000000000");

        const messages = canonicalMessages(2_000, "pk");
        for (let i = 0; i < messages.length; i += 500) {
          await producer.send({ messages: messages.slice(i, i + 500).map((m, j) => ({ topic: "pk", key: m.key, value: m.value, headers: { n: String(i + j) } })) });
        }

        const stream = await consumer.consume({ topics: ["pk"], mode: "earliest", autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
        const seen: { key: string; value: string; partition: number; offset: bigint; n: string }[] = [];
        stream.on("data", (m) => {
          seen.push({ key: m.key, value: m.value, partition: m.partition, offset: m.offset, n: String(m.headers.get("n")) });
        });
        await waitFor("every message to be consumed", () => seen.length >= messages.length, 60_000);
        expect(seen.length).toBe(messages.length);
        const byValue = new Map(seen.map((s) => [s.value, s]));
        for (const [i, m] of messages.entries()) {
          const got = byValue.get(m.value);
          expect(got?.key).toBe(m.key);
          expect(got?.n).toBe(String(i));
        }
        // Same key, same partition; offsets dense per partition.
        const partitionOfKey = new Map<string, number>();
        for (const s of seen) {
          if (!partitionOfKey.has(s.key)) partitionOfKey.set(s.key, s.partition);
          expect(s.partition).toBe(partitionOfKey.get(s.key));
        }
        for (let p = 0; p < 3; p++) {
          const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.offset));
          expect(offsets).toEqual(offsets.map((_, i) => i));
        }
        await stream.close();

        const groups = await admin.listGroups();
        expect([...groups.keys()]).toContain("pk-group");
      } finally {
        await consumer.close(true).catch(() => {});
        await producer.close().catch(() => {});
        await admin.close().catch(() => {});
      }
    });
  });

  it("describes and alters topic configs, adds partitions, deletes records, and deletes an empty group's offsets", async () => {
    await withBroker(async (b) => {
      const bootstrapBrokers = [b.bootstrap];
      const admin = new Admin({ clientId: "pk-admin2", bootstrapBrokers });
      const producer = new Producer({ clientId: "pk-producer2", bootstrapBrokers, serializers: stringSerializers });
      try {
        await admin.createTopics({ topics: ["cfg"], partitions: 1, replicas: 1, configs: [{ name: "retention.ms", value: "3600000" }] });
        const described = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: "cfg" }] });
        const retention = described[0].configs.find((c) => c.name === "retention.ms");
        expect(retention?.value).toBe("3600000");

        await admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: "cfg", configs: [{ name: "retention.ms", configOperation: 0, value: "7200000" }] }] });
        const after = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: "cfg", configurationKeys: ["retention.ms"] }] });
        expect(after[0].configs.map((c) => [c.name, c.value])).toEqual([["retention.ms", "7200000"]]);

        await producer.send({ messages: [{ topic: "cfg", key: "k", value: "v" }] });
        const logDirs = await admin.describeLogDirs({ topics: [{ name: "cfg", partitions: [0] }] });
        const part = logDirs[0].results[0].topics[0].partitions[0];
        expect(part.partitionIndex).toBe(0);
        expect(Number(part.partitionSize)).toBeGreaterThan(0);

        // A config set explicitly is reported as set on the topic (source TOPIC_CONFIG = 1); unknown names are refused.
        expect(retention?.configSource).toBe(1);
        const cleanup = described[0].configs.find((c) => c.name === "cleanup.policy");
        expect(cleanup).toMatchObject({ value: "delete", configSource: 5 });
        await expect(admin.createTopics({ topics: ["bad-cfg"], partitions: 1, replicas: 1, configs: [{ name: "no.such.config", value: "1" }] })).rejects.toThrow();
        expect((await admin.metadata({ topics: [] })).topics.has("bad-cfg")).toBe(false);

        // CreatePartitions: 1 -> 3, and the new partitions take records.
        await admin.createPartitions({ topics: [{ name: "cfg", count: 3 }] });
        const grown = await admin.metadata({ topics: ["cfg"] });
        expect(grown.topics.get("cfg")?.partitionsCount).toBe(3);
        await producer.send({ messages: [{ topic: "cfg", key: "k2", value: "v2", partition: 2 }] });
        await expect(admin.createPartitions({ topics: [{ name: "cfg", count: 2 }] })).rejects.toThrow();

        // DeleteRecords moves the low watermark; ListOffsets earliest follows it.
        await producer.send({ messages: [0, 1, 2, 3].map((i) => ({ topic: "cfg", key: `d${i}`, value: `d${i}`, partition: 0 })) });
        const deleted = await admin.deleteRecords({ topics: [{ name: "cfg", partitions: [{ partition: 0, offset: 3n }] }] });
        expect(deleted[0].partitions[0]).toMatchObject({ partition: 0, lowWatermark: 3n });
        const earliest = await admin.listOffsets({ topics: [{ name: "cfg", partitions: [{ partitionIndex: 0, timestamp: -2n }] }] });
        expect(earliest[0].partitions[0].offset).toBe(3n);
      } finally {
        await producer.close().catch(() => {});
        await admin.close().catch(() => {});
      }
    });
  });
});
