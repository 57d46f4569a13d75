/**
 * The log cleaner's thread (lib/broker/log/cleaner-worker.ts, run from the compiled dist/ build): a cleaning in
 * the thread leaves exactly the files the cleaning in the event loop (PartitionLog.clean) leaves, for a log with
 * tombstones, transactions (committed, aborted, undecided), markers and gzip batches; and produce round trips on
 * another topic keep completing while the broker's cleaner works on a 48 MiB partition.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { PartitionLog } from "../../lib/broker/log/partition-log";
import { buildBatch, readBatchAt } from "../../lib/broker/log/record-batch";
import { buildMarker } from "../../lib/broker/txn/markers";
import { crc32c } from "../../lib/broker/log/crc32c";
import * as wire from "../differential/wire";
import { waitFor } from "./helpers";
import { startProbe, writeBigTopic } from "./support/cleaner-probe";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const dist = path.join(__dirname, "..", "..", "dist", "lib", "broker");
function fromDist<T>(rel: string): T {
  const file = path.join(dist, rel);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return createRequire(__filename)(file) as T;
}
const pool = () => fromDist<typeof import("../../lib/broker/log/cleaner-pool")>("log/cleaner-pool.js");

const temps: string[] = [];
afterAll(async () => {
  await pool().stopCleanerThread();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cleaner-thread-"));
  temps.push(d);
  return d;
}

/** Every file of a partition directory and its bytes. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) out[f] = fs.readFileSync(path.join(dir, f)).toString("base64");
  return out;
}

/** A stored batch's records section gzip-compressed (attributes and CRC set as a producer would). */
function gzipped(b: Buffer): Buffer {
  const out = Buffer.concat([b.subarray(0, 61), zlib.gzipSync(b.subarray(61))]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(1, 21);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}

const policy = { retentionBytes: -1, retentionMs: -1, segmentBytes: 2048, cleanupPolicy: "compact", deleteRetentionMs: 60_000 };

describe("the log cleaner's thread", () => {
  it("leaves the same files as the cleaning in the event loop: tombstones, transactions, markers, gzip", async () => {
    expect(pool().cleanerThreadAvailable()).toBe(true);
    const t0 = Date.now();
    const a = path.join(tempDir(), "p0");
    const log = new PartitionLog(a, policy);
    const info = (buf: Buffer) => {
      const i = readBatchAt(buf, 0, true);
      if (typeof i === "string") throw new Error(i);
      return i;
    };
    const plain = (recs: [string, string | null][], gzip = false) => {
      const b = buildBatch(recs.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v) })), t0).data;
      log.append([info(gzip ? gzipped(b) : b)], t0);
    };
    const txn = (producerId: number, recs: [string, string][]) =>
      log.append([info(wire.buildBatch(recs.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v) })), { producerId, producerEpoch: 0, baseSequence: 0, transactional: true, baseTimestamp: t0 }))], t0);
    const marker = (producerId: number, commit: boolean) => log.append([info(buildMarker(producerId, 0, commit, 0, t0))], t0);
    for (let round = 0; round < 6; round++) {
      plain([0, 1, 2, 3, 4].map((k) => [`k${k}`, `k${k}@${round}`]), round % 2 === 1);
      plain([[`t${round}`, null]]); // tombstones, some superseded later
      if (round > 0) plain([[`t${round - 1}`, `back@${round}`]], true);
    }
    txn(1, [["k0", "k0@A"], ["k1", "k1@A"]]);
    marker(1, true);
    txn(2, [["k2", "k2@B"]]);
    marker(2, false);
    txn(3, [["k3", "k3@C"]]); // not ended: undecided
    for (let i = 0; i < 40; i++) plain([[`z${i % 7}`, `z@${i}`]], i % 3 === 0);
    log.close();
    const b = path.join(tempDir(), "p0");
    fs.cpSync(a, b, { recursive: true });
    for (const now of [t0 + 1000, t0 + 120_000]) {
      // Within delete.retention.ms (tombstones and markers stay), then past it (they go).
      const { PartitionLog: DistLog } = fromDist<typeof import("../../lib/broker/log/partition-log")>("log/partition-log.js");
      const inThread = new DistLog(a, policy);
      const threadStats = await inThread.cleanInWorker(now, true);
      inThread.close();
      const inLoop = new PartitionLog(b, policy);
      const loopStats = inLoop.clean(now, true);
      inLoop.close();
      expect(threadStats).toBeDefined();
      expect(threadStats).toEqual(loopStats);
      expect(threadStats!.recordsRemoved).toBeGreaterThan(0);
      expect(files(a)).toEqual(files(b));
      // Something is appended between the two cleanings so the second has dirty segments.
      for (const dir of [a, b]) {
        const l = new PartitionLog(dir, policy);
        for (let i = 0; i < 20; i++) l.append([buildBatch([{ key: Buffer.from(`k${i % 5}`), value: Buffer.from(`late@${i}`) }], t0)], t0);
        l.close();
      }
    }
  }, 120_000);

  it("produce round trips on another topic keep completing while the broker's cleaner thread cleans a 48 MiB partition", async () => {
    // Topic "big" (420,000 records over 500 keys) switched to compact once the probe runs.
    const dataDir = tempDir();
    writeBigTopic(dataDir);
    const lines: string[] = [];
    const { startBroker } = fromDist<typeof import("../../lib/broker")>("index.js");
    const broker = await startBroker({ port: 0, dataDir, logCleanerIntervalMs: 100, log: (l) => lines.push(l) });
    const probe = await startProbe(broker.bootstrap);
    const { producer } = probe;
    const roundTrip = (i: number) => probe.roundTrip(i);
    try {
      await roundTrip(0);
      await probe.compactBig();
      await waitFor("the cleaning to start", () => broker.stats().cleaningPartitions > 0 || lines.some((l) => l.startsWith("cleaner: big-0")), 60_000);
      // Produce requests (acks=all) sent one after another while the broker reports the cleaning in progress: each
      // that starts and ends within it completed during the cleaning.
      let during = 0;
      let sent = 0;
      while (broker.stats().cleaningPartitions > 0) {
        await producer.send({ topic: "live", acks: -1, messages: [{ value: `during-${sent++}` }] });
        if (broker.stats().cleaningPartitions > 0) during++;
      }
      await waitFor("the cleaning to end", () => lines.some((l) => l.startsWith("cleaner: big-0")), 120_000);
      const done = lines.find((l) => l.startsWith("cleaner: big-0"))!;
      const m = /(\d+) -> (\d+) bytes/.exec(done);
      expect(m, lines.join("\n")).not.toBeNull();
      expect(Number(m![2])).toBeLessThan(Number(m![1]) / 10); // 500 keys are left of 420,000 records
      // The cleaning's heavy part ran in the thread. In the event loop the same cleaning gives the loop a turn only
      // once per MiB it reads (about 96 turns here: each segment read twice), and about 46 of these produce requests
      // fit into it whatever the machine's speed; off the loop they are bounded only by how long the cleaning takes
      // (about 300 to 400 of them on a loaded 2-core machine).
      expect(pool().cleanerThreadAvailable()).toBe(true);
      expect(during, `produce requests completed during the cleaning (of ${sent} sent)`).toBeGreaterThanOrEqual(120);
      await roundTrip(1); // and the broker still serves fetches afterwards
    } finally {
      await probe.close();
      await broker.stop();
    }
  }, 240_000);
});
