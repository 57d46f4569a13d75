"use strict";
// Broker storage: memory (RSS) while the broker holds N GB on disk and serves all of it to a reader from offset
// 0, and restart time with that log (recovery reads and verifies every batch). The log is written straight into
// a data dir as segment files of valid record batches (1 MiB batches of 1,000 records of 1,000 bytes), then the
// compiled CLI broker starts on it; kcat reads everything back. Also log compaction throughput (in-process).
// Run: npm run bench -- storage   (BENCH_STORAGE_GB=0.25,0.5,1 picks the sizes; short runs only on shared machines).
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { monitorEventLoopDelay } = require("node:perf_hooks");

const CLI = path.resolve(__dirname, "../dist/lib/broker/cli.js");
const OUT = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results/storage.md");
// BENCH_STORAGE_GB=0 measures compaction only and carries the held-data table over from the last run that measured it.
const SIZES = (process.env.BENCH_STORAGE_GB ?? "0.25,0.5,1").split(",").map(Number).filter((n) => n > 0);
const { buildBatch } = require("../dist/lib/broker/log/record-batch.js");
const { PartitionLog } = require("../dist/lib/broker/log/partition-log.js");

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** Writes `bytes` of 1 MiB batches into topic "held", partition 0, in 64 MiB segments. Returns the records written. */
function writeLog(dataDir, bytes) {
  const dir = path.join(dataDir, "topics", "held");
  fs.mkdirSync(path.join(dir, "0"), { recursive: true });
  fs.writeFileSync(path.join(dir, "topic.json"), JSON.stringify({ partitions: 1, config: {} }));
  const value = Buffer.alloc(1000, 97);
  const batch = buildBatch(Array.from({ length: 1000 }, () => ({ key: null, value })), Date.now()).data;
  const perSegment = Math.floor((64 << 20) / batch.length);
  const batches = Math.ceil(bytes / batch.length);
  let offset = 0;
  for (let written = 0; written < batches; ) {
    const fd = fs.openSync(path.join(dir, "0", String(offset).padStart(20, "0") + ".log"), "w");
    for (let i = 0; i < perSegment && written < batches; i++, written++) {
      batch.writeBigInt64BE(BigInt(offset), 0); // the base offset is outside the CRC
      fs.writeSync(fd, batch);
      offset += 1000;
    }
    fs.closeSync(fd);
  }
  return offset;
}

async function startBroker(dataDir) {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  const bootstrap = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`broker exited ${code}: ${out}`)));
  });
  return { child, bootstrap, startMs: Date.now() - t0 };
}

function kcatCount(bootstrap, topic) {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", ["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%o\n"], { stdio: ["ignore", "pipe", "pipe"] });
    let lines = 0;
    let err = "";
    child.stdout.on("data", (d) => {
      for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(lines) : reject(new Error(`kcat exited ${code}: ${err}`))));
  });
}

/** A 112 MiB compacted partition: 1,000,000 records of 100 bytes over 10,000 keys, in 8 MiB segments. */
function compactedLog(dir) {
  const log = new PartitionLog(path.join(dir, "0"), { retentionBytes: -1, retentionMs: -1, segmentBytes: 8 << 20, cleanupPolicy: "compact" });
  const value = Buffer.alloc(100, 98);
  const now = Date.now();
  for (let i = 0; i < 2000; i++) {
    const recs = Array.from({ length: 500 }, (_, j) => ({ key: Buffer.from(`key-${(i * 500 + j) % 10000}`), value }));
    log.append([buildBatch(recs, now)], now);
  }
  return { log, now };
}

/**
 * Cleans the partition all at once (PartitionLog.clean, the cleaner before issue 13's follow-up) or as the
 * broker's cleaner now does (cleanIncrementally: a pause every MiB read), with the event loop's delay sampled
 * every 10 ms (perf_hooks.monitorEventLoopDelay): its max is the longest time produce and fetch would wait.
 */
async function compactionRow(incremental) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-compact-"));
  try {
    const { log, now } = compactedLog(dir);
    const before = log.size;
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    await new Promise((r) => setTimeout(r, 100)); // the sampling timer runs before the cleaning starts
    const t0 = process.hrtime.bigint();
    const stats = incremental ? await log.cleanIncrementally(now, true) : log.clean(now, true);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await new Promise((r) => setTimeout(r, 50)); // the delay of a blocking clean shows at the next sample
    h.disable();
    log.close();
    return { incremental, records: 1_000_000, keys: 10_000, mb: before / 2 ** 20, after: stats.bytesAfter / 2 ** 20, seconds: ms / 1000, mbps: before / 2 ** 20 / (ms / 1000), maxPauseMs: h.max / 1e6, p99PauseMs: h.percentile(99) / 1e6 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const rows = [];
  for (const gb of SIZES) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-storage-"));
    try {
      const records = writeLog(dataDir, gb * 2 ** 30);
      const b = await startBroker(dataDir);
      const afterStart = status(b.child.pid);
      const t0 = Date.now();
      const read = await kcatCount(b.bootstrap, "held");
      const readS = (Date.now() - t0) / 1000;
      const end = status(b.child.pid);
      b.child.kill("SIGTERM");
      await new Promise((r) => b.child.on("exit", r));
      if (read !== records) throw new Error(`read ${read} of ${records} records`);
      rows.push({ gb, records, startS: b.startMs / 1000, rssStart: afterStart.rss, readS, mbps: (gb * 1024) / readS, hwm: end.hwm });
      console.log(rows[rows.length - 1]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const c = await compactionRow(false);
  console.log(c);
  const inc = await compactionRow(true);
  console.log(inc);
  // Without sizes, the held-data table of the last run that measured it is kept as it was (and said so).
  const previous = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8").split("\n") : [];
  const carried = previous.filter((l) => /^\| [\d.]+ GB \|/.test(l));
  const lines = [
    "## Broker storage: memory while holding data, restart time, compaction",
    "",
    `Command: \`npm run bench -- storage\` (sizes ${SIZES.length ? SIZES.join(", ") + " GB" : "none, `BENCH_STORAGE_GB=0`"}; BENCH_STORAGE_GB changes them). The log is written straight into a data dir as 64 MiB segments of 1 MiB batches (1,000 records of 1,000 bytes, one partition); the compiled CLI broker starts on it ("restart": from spawn to listening; a log written this way has no indexes, clean-shutdown marker or recovery points, so the start reads and verifies every batch and builds the indexes, as after a crash before any checkpoint: bench/results/storage-restart.md measures restarts of a log the broker wrote), then kcat reads every record from offset 0 (\`-C -o beginning -e\`). RSS is the broker's VmRSS after the start, peak RSS its VmHWM after the read: memory does not grow with the data held (reads are served from the segment files; the page cache is the operating system's, not the process's). Sizes are below the issue's 5 and 10 GB to keep the run within a minute on this shared machine; the trend is the point.`,
    "",
    "| data held | records | restart (s) | RSS after start (MiB) | read all with kcat (s) | read MB/s | peak RSS after reading (MiB) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...(rows.length ? rows.map((r) => `| ${r.gb} GB | ${r.records.toLocaleString("en-US")} | ${r.startS.toFixed(1)} | ${r.rssStart.toFixed(0)} | ${r.readS.toFixed(1)} | ${r.mbps.toFixed(0)} | ${r.hwm.toFixed(0)} |`) : carried),
    ...(rows.length ? [] : ["", "(This run measured compaction only, `BENCH_STORAGE_GB=0`: the table above is the last run that measured held data.)"]),
    "",
    `Log compaction (in-process, on a data dir): ${c.records.toLocaleString("en-US")} records of 100 bytes over ${c.keys.toLocaleString("en-US")} keys, ${c.mb.toFixed(0)} MiB in 8 MiB segments, cleaned to ${c.after.toFixed(1)} MiB. The broker's cleaner runs in the broker's event loop; "longest pause" is the event loop's largest delay during the cleaning (perf_hooks.monitorEventLoopDelay, 10 ms samples), the longest a produce or fetch waits. No peer measured: Kafka's cleaner runs in its own threads on its own schedule, so neither its throughput nor its pauses are observable from a client.`,
    "",
    "| cleaning | time (s) | MiB/s read, rewritten and swapped | longest pause (ms) | p99 pause (ms) |",
    "| --- | --- | --- | --- | --- |",
    ...[c, inc].map((r) => `| ${r.incremental ? "incremental (cleanIncrementally, the broker's cleaner now: a pause every MiB read)" : "all at once (clean, the broker's cleaner before)"} | ${r.seconds.toFixed(2)} | ${r.mbps.toFixed(0)} | ${r.maxPauseMs.toFixed(0)} | ${r.p99PauseMs.toFixed(0)} |`),
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n") + "\n");
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
