/**
 * The data dir across restarts (in-process): topics, messages and committed offsets come back; a torn batch
 * at the end of a segment is cut off on recovery; retention by size and by age drops old segments.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { startBroker } from "../../lib/broker";
import { GroupCoordinator } from "../../lib/broker/group/coordinator";
import { PartitionLog } from "../../lib/broker/log/partition-log";
import { TopicStore } from "../../lib/broker/log/topics";
import { splitBatches } from "../../lib/broker/log/record-batch";
import { waitFor } from "./helpers";
import { recordBatch } from "./wire";
import * as dwire from "../differential/wire";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-persist-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function batchOf(n: number, from: number, ts = Date.now()): Buffer {
  return recordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${from + i}`) })), ts);
}

describe("broker persistence", () => {
  it("brings back topics, messages and committed offsets after a clean restart", async () => {
    const dataDir = tempDir();
    let broker = await startBroker({ dataDir });
    let kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "kept", numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "kept", messages: Array.from({ length: 100 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) });
    await producer.disconnect();
    await admin.setOffsets({ groupId: "g", topic: "kept", partitions: [{ partition: 0, offset: "10" }, { partition: 1, offset: "20" }] });
    await admin.disconnect();
    await broker.stop();

    broker = await startBroker({ dataDir });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      expect(await admin2.listTopics()).toEqual(["__consumer_offsets", "kept"]); // listed as on Kafka, made by the group commits
      expect((await admin2.fetchTopicOffsets("kept")).map((o) => o.high)).toEqual(["50", "50"]);
      const offsets = await admin2.fetchOffsets({ groupId: "g", topics: ["kept"] });
      expect(offsets[0].partitions.map((p) => p.offset).sort()).toEqual(["10", "20"]);
      const consumer = kafka.consumer({ groupId: "g", maxWaitTimeInMs: 100 });
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: "kept" });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await waitFor("the rest after the committed offsets", () => seen.length >= 70);
      await consumer.disconnect();
      expect(seen.length).toBe(70);
      expect(seen).toContain("v20"); // partition 0 offset 10
      expect(seen).not.toContain("v18");
    } finally {
      await admin2.disconnect();
      await broker.stop();
    }
  });

  it("truncates a torn batch at the end of a segment and keeps every whole one", () => {
    const dir = path.join(tempDir(), "p0");
    const policy = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20 };
    const log = new PartitionLog(dir, policy);
    log.append(splitBatches(batchOf(3, 0)));
    log.append(splitBatches(batchOf(2, 3)));
    log.close();
    const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(".log"))!);
    const whole = fs.statSync(file).size;
    const torn = batchOf(4, 5);
    fs.appendFileSync(file, torn.subarray(0, torn.length - 7));
    const recovered = new PartitionLog(dir, policy);
    expect(recovered.highWatermark).toBe(5);
    expect(recovered.recovery.truncatedBytes).toBe(torn.length - 7);
    expect(fs.statSync(file).size).toBe(whole);
    // Appends continue right after the last whole batch.
    expect(recovered.append(splitBatches(batchOf(1, 5)))).toBe(5);
    recovered.close();
    expect(new PartitionLog(dir, policy).highWatermark).toBe(6);
  });

  it("drops old segments by size and by age, never the active one", () => {
    const dir = path.join(tempDir(), "p0");
    const sized = new PartitionLog(dir, { retentionBytes: 2000, retentionMs: -1, segmentBytes: 1024 });
    for (let i = 0; i < 40; i++) sized.append(splitBatches(batchOf(5, i * 5)));
    const before = sized.size;
    sized.applyRetention(Date.now());
    expect(sized.size).toBeLessThan(before);
    expect(sized.size).toBeGreaterThanOrEqual(2000 - 1024);
    expect(sized.logStartOffset).toBeGreaterThan(0);
    expect(sized.highWatermark).toBe(200);
    expect(sized.read(sized.logStartOffset, 1 << 20, true).chunks.length).toBeGreaterThan(0);
    sized.close();
    expect(new PartitionLog(dir, sized.policy).logStartOffset).toBe(sized.logStartOffset);

    const aged = new PartitionLog(undefined, { retentionBytes: -1, retentionMs: 60_000, segmentBytes: 1024 });
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) aged.append(splitBatches(batchOf(5, i * 5, old)));
    aged.applyRetention(Date.now());
    // Only the active segment is left.
    expect(aged.logStartOffset).toBeGreaterThan(80);
    expect(aged.highWatermark).toBe(100);
  });

  it("brings group members back from __consumer_offsets after a restart: they heartbeat on without a rebalance; one that does not come back expires", async () => {
    const dataDir = tempDir();
    const first = await startBroker({ port: 0, dataDir, initialRebalanceDelayMs: 0 });
    // Group "steady": one member with a 30 s session; group "silent": one member with a 1 s session.
    const members: Record<string, { id: string; generation: number }> = {};
    const port = first.port;
    try {
      const c = await dwire.RawConnection.open(first.bootstrap);
      try {
        for (const [group, sessionTimeoutMs] of [["steady", 30_000], ["silent", 1_000]] as const) {
          const j = await dwire.joinGroup(c, group, "", { version: 3, sessionTimeoutMs });
          expect(j.error).toBe(0);
          const synced = await dwire.syncGroup(c, group, j.generation, j.memberId, [{ memberId: j.memberId, assignment: Buffer.from("assigned") }]);
          expect(synced.error).toBe(0);
          members[group] = { id: j.memberId, generation: j.generation };
        }
      } finally {
        c.close();
      }
    } finally {
      await first.stop();
    }
    const second = await startBroker({ port, dataDir, initialRebalanceDelayMs: 0 });
    try {
      const c = await dwire.RawConnection.open(second.bootstrap);
      try {
        // Both members are back in their generation: heartbeats are accepted, no rejoin (Kafka: the same).
        expect(await dwire.heartbeat(c, "steady", members.steady.generation, members.steady.id)).toBe(0);
        expect(await dwire.heartbeat(c, "silent", members.silent.generation, members.silent.id)).toBe(0);
        // The silent one then stops heartbeating: its session (1 s) expires and it is gone (UNKNOWN_MEMBER_ID).
        await new Promise((r) => setTimeout(r, 1_800));
        expect(await dwire.heartbeat(c, "silent", members.silent.generation, members.silent.id)).toBe(25);
        expect(await dwire.heartbeat(c, "steady", members.steady.generation, members.steady.id)).toBe(0);
      } finally {
        c.close();
      }
    } finally {
      await second.stop();
    }
  }, 60_000);

  it("keeps committed offsets in __consumer_offsets, compacted under frequent commits, and reloads the latest", () => {
    const dataDir = tempDir();
    const opts = { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000, offsetsTopicPartitions: 3 };
    const defaults = { retentionBytes: -1, retentionMs: -1, segmentBytes: 64 << 20, maxMessageBytes: 1 << 20 };
    const topics = new TopicStore(dataDir, defaults);
    const gc = new GroupCoordinator(dataDir, opts, topics);
    for (let i = 1; i <= 30_000; i++) gc.commit("g", [{ topic: "t", partition: i % 3, offset: i, metadata: null }]);
    const log = topics.get("__consumer_offsets")!.partitions.find((p) => p.highWatermark > 0)!;
    expect(log.highWatermark).toBe(30_000);
    // Roll the active segment by hand (its 100 MiB segment.bytes is far off), then clean: 3 keys are left.
    log.policy = { ...log.policy, segmentBytes: 1024 };
    gc.commit("g", [{ topic: "t", partition: 0, offset: 30_001, metadata: null }]);
    const stats = log.clean(Date.now(), true)!;
    expect(stats.recordsRemoved).toBeGreaterThanOrEqual(29_997);
    gc.close();
    topics.close();
    const topics2 = new TopicStore(dataDir, defaults);
    const reloaded = new GroupCoordinator(dataDir, opts, topics2);
    expect([0, 1, 2].map((p) => reloaded.committed("g", "t", p)?.offset)).toEqual([30_001, 29_998, 29_999]);
    reloaded.close();
    topics2.close();
  });
});
