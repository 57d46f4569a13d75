"use strict";
// Does the log cleaner (its heavy part in the broker's cleaner thread) hold up produce and fetch? kafkajs
// round trips (an acks=all send of one record on topic "live", then until a running consumer has fetched it)
// measured with nothing else going on, then while a compacted partition of about 96 MiB (records of 100 bytes
// over 500 keys, in 8 MiB segments, written straight into the data dir) is cleaned; p50, p99 and max of each.
// Run: node bench/storage-cleaner.bench.js   (about a minute)
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const zlib = require("node:zlib");
const { randomBytes } = require("node:crypto");
const { Kafka, logLevel } = require("kafkajs");
const { startBroker } = require("../dist/lib/broker/index.js");
const { buildBatch } = require("../dist/lib/broker/log/record-batch.js");
const { crc32c } = require("../dist/lib/broker/log/crc32c.js");

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const OUT = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results/storage-cleaner.md");
const SEGMENTS = 12;

/**
 * A batch of 1,000 records of 100 bytes over 500 keys (half of each value random hex, so gzip compresses it about
 * 2:1 rather than 200:1); gzip-compressed when asked (the records section the cleaner inflates).
 */
function batch(gzip) {
  const value = () => Buffer.from("a".repeat(50) + randomBytes(25).toString("hex"));
  const b = buildBatch(Array.from({ length: 1000 }, (_, i) => ({ key: Buffer.from(`key-${i % 500}`), value: value() })), Date.now()).data;
  if (!gzip) return b;
  const body = zlib.gzipSync(b.subarray(61));
  const out = Buffer.concat([b.subarray(0, 61), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(1, 21);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}

function writeBig(dataDir, gzip) {
  const topicDir = path.join(dataDir, "topics", "big");
  const dir = path.join(topicDir, "0");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(topicDir, "topic.json"), JSON.stringify({ partitions: 1, config: { segmentBytes: 8 << 20 } }));
  const b = batch(gzip);
  const perSegment = Math.floor((8 << 20) / b.length);
  let offset = 0;
  let bytes = 0;
  for (let s = 0; s <= SEGMENTS; s++) {
    const fd = fs.openSync(path.join(dir, String(offset).padStart(20, "0") + ".log"), "w");
    for (let i = 0; i < (s < SEGMENTS ? perSegment : 1); i++, offset += 1000) {
      b.writeBigInt64BE(BigInt(offset), 0);
      fs.writeSync(fd, b);
      bytes += b.length;
    }
    fs.closeSync(fd);
  }
  return { records: offset, bytes };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function run(gzip) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-cleaner-"));
  const lines = [];
  const held = writeBig(dataDir, gzip);
  const broker = await startBroker({ port: 0, dataDir, logCleanerIntervalMs: 100, log: (l) => lines.push(l) });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: "probe", maxWaitTimeInMs: 100 });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "live", numPartitions: 1 }] });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: "live", fromBeginning: true });
    const waiting = new Map();
    await consumer.run({ eachMessage: async ({ message }) => waiting.get(message.value.toString())?.() });
    let n = 0;
    const roundTrip = async () => {
      const id = `probe-${n++}`;
      const seen = new Promise((r) => waiting.set(id, r));
      const t0 = performance.now();
      await producer.send({ topic: "live", acks: -1, messages: [{ value: id }] });
      await seen;
      return performance.now() - t0;
    };
    for (let i = 0; i < 10; i++) await roundTrip(); // warm up: the consumer has joined and fetches
    const idle = [];
    for (let i = 0; i < 200; i++) idle.push(await roundTrip());
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "big", configEntries: [{ name: "cleanup.policy", value: "compact" }, { name: "segment.bytes", value: String(8 << 20) }] }] });
    const during = [];
    const t0 = Date.now();
    while (!lines.some((l) => l.startsWith("cleaner: big-0")) && Date.now() - t0 < 300_000) {
      const before = broker.stats().cleaningPartitions;
      const ms = await roundTrip();
      if (before > 0 && broker.stats().cleaningPartitions > 0) during.push(ms);
    }
    const cleanS = (Date.now() - t0) / 1000;
    const done = lines.find((l) => l.startsWith("cleaner: big-0"));
    if (!done) throw new Error(`no cleaning: ${lines.join("\n")}`);
    return { gzip, held, idle, during, cleanS, done };
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

(async () => {
  const rows = [];
  for (const gzip of [false, true]) {
    const r = await run(gzip);
    console.log(gzip ? "gzip" : "none", { idle: [pct(r.idle, 50), pct(r.idle, 99), Math.max(...r.idle)], during: [r.during.length, pct(r.during, 50), pct(r.during, 99), Math.max(...r.during)], cleanS: r.cleanS, done: r.done });
    rows.push(r);
  }
  const f = (x) => x.toFixed(1);
  const lines = [
    "## Broker storage: produce and fetch while the log cleaner works",
    "",
    `Command: \`node bench/storage-cleaner.bench.js\`. A compacted partition of ${SEGMENTS} closed 8 MiB segments (batches of 1,000 records of 100 bytes, half of each random hex, over 500 keys, written straight into the data dir; uncompressed, then gzip-compressed, which the cleaner inflates and compresses again) is cleaned by the in-process broker's cleaner (reading, filtering, recompressing and writing in its worker thread; the event loop only swaps the cleaned files in) while kafkajs measures round trips on another topic: an acks=all send of one record, until a running consumer (maxWaitTime 100 ms) has it. "Idle": 200 round trips before the cleaning; "during": those that started and ended while the broker reported the cleaning in progress. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, shared with up to 8 other sessions (1-minute load average ${os.loadavg()[0].toFixed(1)} at the end). No peer: Kafka's cleaner runs in threads of its own.`,
    "",
    "| partition cleaned | cleaning (s) | idle p50 / p99 / max (ms) | during: round trips | during p50 / p99 / max (ms) |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${(r.held.bytes / 2 ** 20).toFixed(0)} MiB, ${r.held.records.toLocaleString("en-US")} records, ${r.gzip ? "gzip" : "uncompressed"} | ${f(r.cleanS)} | ${f(pct(r.idle, 50))} / ${f(pct(r.idle, 99))} / ${f(Math.max(...r.idle))} | ${r.during.length} | ${r.during.length ? `${f(pct(r.during, 50))} / ${f(pct(r.during, 99))} / ${f(Math.max(...r.during))}` : "none"} |`,
    ),
    "",
    "Before the cleaner thread, with the cleaning in the event loop (a pause every MiB read, counted inflated), the same command on the same machine the same hour (load average about 8) gave: uncompressed, cleaning 1.5 s, idle p50 / p99 / max 2.1 / 294.5 / 303.0 ms, 45 round trips during, p50 / p99 / max 26.9 / 74.8 / 74.8 ms; gzip, cleaning 7.3 s, idle 2.2 / 176.9 / 773.6 ms, 154 round trips during, 40.4 / 164.5 / 167.5 ms. Earlier runs of the event-loop cleaner at a load average of 16 to 24 gave during the cleaning a p50 of 60-150 ms and a p99 of 150-440 ms (idle: a few ms and 70-90 ms). The idle p99 and max swing with the other sessions' load on this shared machine; compare the p50s and the number of round trips that fit into a cleaning of the same partition. With the thread, the cleaning itself takes longer in wall time on this 2-core shared machine (above: 7.0 s against 1.5 s uncompressed, 22.8 s against 7.3 s gzip), as it now shares the cores with a main thread kept busy by the round trips (743 and 5,428 of them during the cleaning, against 45 and 154).",
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n") + "\n");
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
