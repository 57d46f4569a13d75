/**
 * Crash safety: the broker runs as its own process (the compiled CLI, as `%kafka start` runs it) with a data
 * dir; it is killed with SIGKILL while a kafkajs producer with acks=all is sending and a consumer group is
 * committing. After a restart on the same data dir every acknowledged message is there, offsets are
 * contiguous, and the group resumes from its committed offsets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { indexOf, waitFor } from "./helpers";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const CLI = path.resolve(__dirname, "../../dist/lib/broker/cli.js");

async function spawnBroker(dataDir: string): Promise<{ child: ChildProcess; bootstrap: string }> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [CLI, "--port", "0", "--data-dir", dataDir, "--partitions", "3"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  await waitFor("the broker to print its address", () => {
    if (child.exitCode !== null) throw new Error(`broker exited ${child.exitCode}: ${err}`);
    return /listening on \S+:\d+\n/.test(out);
  });
  return { child, bootstrap: /listening on (\S+:\d+)/.exec(out)![1] };
}

function kafka(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 }, connectionTimeout: 1000 });
}

describe("broker crash safety", () => {
  it("keeps every acknowledged message and committed offset across kill -9", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-crash-"));
    let broker = await spawnBroker(dataDir);
    const acked: string[] = [];
    const committed = new Map<number, number>();
    let consumedBeforeCrash = 0;
    try {
      const first = kafka(broker.bootstrap);
      const admin = first.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "crash", numPartitions: 3 }] });
      await admin.disconnect();

      const consumer = first.consumer({ groupId: "crash-group", maxWaitTimeInMs: 100, retry: { retries: 0 } });
      consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
        for (const t of e.payload.topics) for (const p of t.partitions) committed.set(Number(p.partition), Number(p.offset));
      });
      await consumer.connect();
      await consumer.subscribe({ topic: "crash", fromBeginning: true });
      await consumer.run({ eachMessage: async () => void consumedBeforeCrash++ });

      const producer = first.producer({ retry: { retries: 0 } });
      await producer.connect();
      let sent = 0;
      let stopped = false;
      const sending = (async () => {
        while (!stopped) {
          const batch = Array.from({ length: 20 }, (_, i) => ({ key: `k${(sent + i) % 7}`, value: `m-${sent + i}|payload` }));
          sent += batch.length;
          try {
            await producer.send({ topic: "crash", acks: -1, messages: batch });
            for (const m of batch) acked.push(m.value);
          } catch {
            return; // the broker is gone: these were never acknowledged
          }
        }
      })();
      await waitFor("some messages acknowledged and some offsets committed", () => acked.length >= 3000 && committed.size > 0);
      broker.child.kill("SIGKILL");
      await new Promise((r) => (broker.child.exitCode !== null || broker.child.signalCode !== null ? r(null) : broker.child.once("exit", r)));
      stopped = true;
      await sending;
      await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
      expect(consumedBeforeCrash).toBeGreaterThan(0);

      broker = await spawnBroker(dataDir);
      const second = kafka(broker.bootstrap);
      const admin2 = second.admin();
      await admin2.connect();
      const ends = await admin2.fetchTopicOffsets("crash");
      const stored = await admin2.fetchOffsets({ groupId: "crash-group", topics: ["crash"] });
      await admin2.disconnect();
      const total = ends.reduce((s, e) => s + Number(e.high), 0);
      expect(total).toBeGreaterThanOrEqual(acked.length);
      for (const p of stored[0].partitions) expect(Number(p.offset)).toBeGreaterThanOrEqual(committed.get(p.partition) ?? -1);

      // Everything from the start: acknowledged messages all present, offsets contiguous, per-key order kept.
      const all: { partition: number; offset: number; value: string }[] = [];
      const reader = second.consumer({ groupId: "crash-audit", maxWaitTimeInMs: 100 });
      await reader.connect();
      await reader.subscribe({ topic: "crash", fromBeginning: true });
      await reader.run({ eachMessage: async ({ partition, message }) => void all.push({ partition, offset: Number(message.offset), value: message.value!.toString() }) });
      await waitFor("the whole log to be read back", () => all.length >= total);
      await reader.disconnect();
      const values = new Set(all.map((a) => a.value));
      expect(values.size).toBe(all.length);
      expect(acked.filter((v) => !values.has(v))).toEqual([]);
      for (const p of [0, 1, 2]) {
        const offsets = all.filter((a) => a.partition === p).map((a) => a.offset).sort((a, b) => a - b);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }

      // The group resumes where it committed: its first message per partition is at the committed offset.
      const firstSeen = new Map<number, number>();
      const resumed = second.consumer({ groupId: "crash-group", maxWaitTimeInMs: 100 });
      await resumed.connect();
      await resumed.subscribe({ topic: "crash", fromBeginning: true });
      await resumed.run({ eachMessage: async ({ partition, message }) => void (firstSeen.has(partition) ? undefined : firstSeen.set(partition, Number(message.offset))) });
      const expectedFirst = new Map(stored[0].partitions.map((p) => [p.partition, Number(p.offset)]));
      const withData = [...expectedFirst].filter(([p, o]) => o < Number(ends.find((e) => e.partition === p)!.high));
      await waitFor("the resumed group to read each partition with data", () => withData.every(([p]) => firstSeen.has(p)));
      await resumed.disconnect();
      for (const [p, o] of withData) expect(firstSeen.get(p)).toBe(o < 0 ? 0 : o);
      expect(indexOf(all[0].value)).toBeGreaterThanOrEqual(0);
    } finally {
      broker.child.kill("SIGTERM");
      await new Promise((r) => (broker.child.exitCode !== null ? r(null) : broker.child.once("exit", r)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
