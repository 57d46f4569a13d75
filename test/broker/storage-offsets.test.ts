/**
 * `__consumer_offsets` as Kafka keeps it: commits and group metadata are records of a compacted internal topic
 * in Kafka's format, Metadata marks it internal, clients can read it (and Kafka's own OffsetsMessageFormatter
 * decodes it), producing to it is refused, the coordinator reloads it at start, and offsets committed by an
 * older broker (groups/offsets.jsonl) move into it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { startBroker } from "../../lib/broker";
import { decodeOffsetsRecord, partitionFor } from "../../lib/broker/group/offsets-topic";
import { KAFKA_CLASSPATH_FILE } from "../support/kafka-launcher";
import { tool } from "../support/tools";
import { waitFor } from "./helpers";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-offsets-"));
  temps.push(d);
  return d;
}

const quiet = (bootstrap: string) => new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });

describe("__consumer_offsets", () => {
  it("holds commits in Kafka's record format; internal in Metadata; readable by clients, not writable; reloaded at restart", async () => {
    const dataDir = tempDir();
    const lines: string[] = [];
    let broker = await startBroker({ port: 0, dataDir, offsetsTopicPartitions: 5, log: (l) => lines.push(l) });
    try {
      let kafka = quiet(broker.bootstrap);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] });
      expect(await admin.listTopics()).not.toContain("__consumer_offsets"); // made at the first group request, as in Kafka
      await admin.setOffsets({ groupId: "billing", topic: "orders", partitions: [{ partition: 0, offset: "7" }, { partition: 1, offset: "3" }] });
      await admin.setOffsets({ groupId: "billing", topic: "orders", partitions: [{ partition: 0, offset: "9" }] });
      const md = await admin.fetchTopicMetadata({ topics: ["__consumer_offsets"] });
      expect(md.topics[0].partitions.length).toBe(5);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "__consumer_offsets", configNames: ["cleanup.policy"] }] });
      expect(described.resources[0].configEntries[0].configValue).toBe("compact");
      await admin.disconnect();

      // A client reads the topic from the beginning and decodes Kafka's key and value schemas.
      const consumer = kafka.consumer({ groupId: "reader" });
      const seen: { partition: number; rec: ReturnType<typeof decodeOffsetsRecord> }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: "__consumer_offsets", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, rec: decodeOffsetsRecord(message.key!, message.value) }) });
      await waitFor("the three commits of billing", () => seen.filter((s) => s.rec.type === "offset" && s.rec.group === "billing").length >= 3, 30_000);
      await consumer.disconnect();
      const billing = seen.filter((s) => s.rec.type === "offset" && s.rec.group === "billing");
      expect(billing.every((s) => s.partition === partitionFor("billing", 5))).toBe(true);
      expect(billing.map((s) => s.rec.type === "offset" && [s.rec.topic, s.rec.partition, s.rec.value?.offset])).toEqual([
        ["orders", 0, 7],
        ["orders", 1, 3],
        ["orders", 0, 9],
      ]);
      // The reader's own group metadata was written too (GroupMetadataKey/Value).
      expect(seen.some((s) => s.rec.type === "group")).toBe(true);

      const producer = kafka.producer({ retry: { retries: 0 } });
      await producer.connect();
      const refused = await producer.send({ topic: "__consumer_offsets", messages: [{ key: "x", value: "y" }] }).catch((e: { type?: string }) => e.type);
      expect(refused).toBe("INVALID_TOPIC_EXCEPTION");
      await producer.disconnect();

      await broker.stop();
      broker = await startBroker({ port: 0, dataDir, offsetsTopicPartitions: 5, log: (l) => lines.push(l) });
      kafka = quiet(broker.bootstrap);
      const admin2 = kafka.admin();
      await admin2.connect();
      const fetched = await admin2.fetchOffsets({ groupId: "billing", topics: ["orders"] });
      expect(fetched[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, "9"],
        [1, "3"],
      ]);
      const all = await admin2.fetchTopicMetadata();
      expect(all.topics.map((t) => t.name)).toContain("__consumer_offsets");
      await admin2.deleteGroups(["billing"]);
      await admin2.disconnect();
      expect(lines.join("\n")).toMatch(/loaded 3 committed offsets of 2 groups from __consumer_offsets/);
      expect(fs.existsSync(path.join(dataDir, "groups", "offsets.jsonl"))).toBe(false);
    } finally {
      await broker.stop();
    }
    // DeleteGroups wrote tombstones: after another restart the group is gone.
    broker = await startBroker({ port: 0, dataDir, offsetsTopicPartitions: 5 });
    try {
      const admin = quiet(broker.bootstrap).admin();
      await admin.connect();
      const fetched = await admin.fetchOffsets({ groupId: "billing", topics: ["orders"] });
      expect(fetched[0].partitions.map((p) => p.offset)).toEqual(["-1", "-1"]);
      await admin.disconnect();
    } finally {
      await broker.stop();
    }
  }, 120_000);

  it("offsets committed by an older broker (groups/offsets.jsonl) move into __consumer_offsets at start", async () => {
    const dataDir = tempDir();
    const first = await startBroker({ port: 0, dataDir });
    const admin = quiet(first.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "legacy", numPartitions: 2 }] });
    await admin.disconnect();
    await first.stop();
    fs.mkdirSync(path.join(dataDir, "groups"), { recursive: true });
    const legacy = [
      { g: "old", t: "legacy", p: 0, o: 5, m: null },
      { g: "old", t: "legacy", p: 0, o: 6, m: "meta" },
      { g: "old", t: "legacy", p: 1, o: 2, m: null },
      { g: "old", t: "legacy", p: 1, o: -1, m: null, d: true },
    ];
    fs.writeFileSync(path.join(dataDir, "groups", "offsets.jsonl"), legacy.map((l) => JSON.stringify(l)).join("\n") + "\n{torn");
    for (let round = 0; round < 2; round++) {
      const broker = await startBroker({ port: 0, dataDir });
      try {
        const a = quiet(broker.bootstrap).admin();
        await a.connect();
        const fetched = await a.fetchOffsets({ groupId: "old", topics: ["legacy"] });
        expect(fetched[0].partitions.map((p) => [p.partition, p.offset, p.metadata]).sort()).toEqual([
          [0, "6", "meta"],
          [1, "-1", null],
        ]);
        await a.disconnect();
        expect(fs.existsSync(path.join(dataDir, "groups", "offsets.jsonl"))).toBe(false);
      } finally {
        await broker.stop();
      }
    }
  }, 60_000);

  it.runIf(tool("kafka-reference"))("Kafka's own OffsetsMessageFormatter reads the topic", async () => {
    const broker = await startBroker({ port: 0, offsetsTopicPartitions: 1 });
    try {
      const admin = quiet(broker.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "fmt", numPartitions: 1 }] });
      await admin.setOffsets({ groupId: "fmt-group", topic: "fmt", partitions: [{ partition: 0, offset: "42" }] });
      await admin.disconnect();
      const classpath = fs.readFileSync(KAFKA_CLASSPATH_FILE, "utf8").trim();
      const args = ["-cp", classpath, "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", broker.bootstrap, "--topic", "__consumer_offsets", "--partition", "0", "--offset", "earliest", "--max-messages", "10", "--timeout-ms", "8000", "--formatter", "org.apache.kafka.tools.consumer.OffsetsMessageFormatter"];
      // The group metadata records kafkajs setOffsets causes are skipped by this formatter (it prints commits).
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.stdout, out.stderr).toMatch(/"group":"fmt-group".*"topic":"fmt".*"partition":0/);
      expect(out.stdout).toMatch(/"offset":42/);
    } finally {
      await broker.stop();
    }
  }, 60_000);
});
