"use strict";
// Broker storage at 1, 5 and 10 GB held: memory (RSS) while kcat writes the data through the broker, and
// restart time after kill -9 and after a clean stop (SIGTERM), with the bytes each start had to read (the
// broker's "startup:" line). The data is written with kcat (librdkafka, 1,000-byte records, 1 MB batches, no
// compression) into one topic of 4 partitions of the compiled CLI broker, cumulatively: 1 GB, then 4 GB more, then
// 5 GB more; the data dir is deleted at the end. At the first size the start as it was before the recovery
// checkpoint (no marker, no recovery points: every batch read and verified) is measured too.
// Run: BENCH_RESTART_GB=1,5,10 node bench/storage-restart.bench.js   (without BENCH_RESTART_GB the table of the
// last run is kept: writing 10 GB takes minutes, too long for `npm run bench` on a shared machine).
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const CLI = path.resolve(__dirname, "../dist/lib/broker/cli.js");
const OUT = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results/storage-restart.md");
const SIZES = (process.env.BENCH_RESTART_GB ?? "").split(",").map(Number).filter((n) => n > 0);
const TOPIC = "held";

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function startBroker(dataDir) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, "--port", "0", "--data-dir", dataDir, "--partitions", "4"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const bootstrap = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`broker exited ${code}: ${out} ${err}`)));
  });
  const startS = Number(process.hrtime.bigint() - t0) / 1e9;
  const re = /holding (\d+) bytes in (\d+) ms after (a clean|an unclean) shutdown.*: read (\d+) bytes/;
  // The startup line goes to stderr before "listening" goes to stdout, but two pipes may deliver out of order.
  for (let i = 0; i < 50 && !re.test(err) && fs.existsSync(path.join(dataDir, "topics")); i++) await new Promise((r) => setTimeout(r, 20));
  const m = re.exec(err);
  if (!m) {
    if (fs.existsSync(path.join(dataDir, "topics"))) throw new Error(`no startup line from the broker: ${err}`);
    return { child, bootstrap, startS, loadMs: 0, held: 0, read: 0, clean: false }; // a new data dir
  }
  return { child, bootstrap, startS, loadMs: Number(m[2]), held: Number(m[1]), read: Number(m[4]), clean: m[3] === "a clean" };
}

function exited(child) {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
}

/** Writes `bytes` of 1,000-byte records (999 'a' and a newline) with kcat; samples the broker's RSS meanwhile. */
async function produce(bootstrap, pid, bytes) {
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, status(pid).rss)), 200);
  const t0 = process.hrtime.bigint();
  const line = "a".repeat(999);
  await new Promise((resolve, reject) => {
    const sh = spawn(
      "sh",
      [
        "-c",
        `yes "${line}" | head -c ${Math.round(bytes)} | kcat -P -b ${bootstrap} -t ${TOPIC} -X linger.ms=50 -X batch.size=1000000 -X queue.buffering.max.kbytes=1048576 -X queue.buffering.max.messages=1000000 -X compression.codec=none`,
      ],
      { stdio: ["ignore", "inherit", "pipe"] },
    );
    let err = "";
    sh.stderr.on("data", (d) => (err += d));
    sh.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
  });
  clearInterval(sample);
  peak = Math.max(peak, status(pid).rss);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, peak };
}

const mb = (n) => (n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0);

(async () => {
  const rows = [];
  const before = [];
  const load = [];
  if (SIZES.length) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-restart-"));
    let b;
    try {
      b = await startBroker(dataDir);
      let written = 0;
      for (const [i, gb] of SIZES.entries()) {
        const target = gb * 2 ** 30;
        const p = await produce(b.bootstrap, b.child.pid, target - written);
        written = target;
        const rssProduced = status(b.child.pid).rss;
        load.push(os.loadavg()[0]);
        // kill -9 right after the writes: the start reads what followed the last periodic checkpoint (60 s).
        b.child.kill("SIGKILL");
        await exited(b.child);
        const unclean = await startBroker(dataDir);
        const t0 = process.hrtime.bigint();
        unclean.child.kill("SIGTERM");
        await exited(unclean.child);
        const stopS = Number(process.hrtime.bigint() - t0) / 1e9;
        b = await startBroker(dataDir);
        const clean = b;
        const rssStart = status(b.child.pid).rss;
        rows.push({ gb, held: clean.held, produceS: p.seconds, mbps: (target - (i ? SIZES[i - 1] * 2 ** 30 : 0)) / 2 ** 20 / p.seconds, peak: p.peak, rssProduced, unclean, stopS, clean, rssStart });
        console.log(rows[rows.length - 1].gb, { produceS: p.seconds, peak: p.peak, unclean: [unclean.startS, unclean.read], clean: [clean.startS, clean.read], stopS, rssStart });
        if (i === 0) {
          // As before the checkpoint: no marker and no recovery points, so every batch is read and verified.
          b.child.kill("SIGTERM");
          await exited(b.child);
          for (const f of [".kafka_cleanshutdown", "recovery-point-offset-checkpoint"]) fs.rmSync(path.join(dataDir, "topics", f), { force: true });
          b = await startBroker(dataDir);
          before.push({ gb, startS: b.startS, read: b.read, held: b.held });
          console.log("full scan", before[0]);
        }
      }
    } finally {
      if (b) {
        b.child.kill("SIGKILL");
        await exited(b.child);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const previous = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8").split("\n") : [];
  const carried = previous.filter((l) => /^\| [\d.]+ GB/.test(l));
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  let kcat = "kcat";
  try {
    kcat = execFileSync("kcat", ["-V"]).toString().split("\n")[0].trim();
  } catch {
    /* reported as plain kcat */
  }
  const lines = [
    "## Broker storage: RSS and restart time against data held (1, 5, 10 GB)",
    "",
    `Command: \`BENCH_RESTART_GB=${SIZES.length ? SIZES.join(",") : "1,5,10"} node bench/storage-restart.bench.js\` (bench/storage-restart.bench.js). ${kcat} writes 1,000-byte records (1 MB batches, no compression, 4 partitions, 64 MiB segments) through the compiled CLI broker with a data dir, cumulatively up to each size. Then the broker is killed (kill -9) right after the last write and started again ("after kill -9": it reads what followed the last recovery-point checkpoint, taken every 60 s as Kafka's log.flush.offset.checkpoint.interval.ms, so between nothing and a minute of writes), stopped with SIGTERM ("stop") and started again ("clean restart": indexes loaded, only segment tails read). Restart is from spawn to the listening line (node's own start, about 0.25 s, included); "read" is the bytes the start read, from the broker's startup line. RSS: the broker's VmRSS, peak sampled every 200 ms while kcat writes. No peer: Kafka's restart time depends on its JVM start and its own checkpoints, not comparable on this machine.`,
    "",
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, shared with up to 8 other sessions; 1-minute load average at each size: ${load.length ? load.map((l) => l.toFixed(1)).join(", ") : "see the last run"}.`,
    "",
    "| data held | kcat write (s) | write MB/s | peak RSS while writing (MiB) | RSS after writing (MiB) | restart after kill -9 (s) | read at that start (MiB) | stop (s) | clean restart (s) | read at clean start (MiB) | RSS after clean start (MiB) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...(rows.length
      ? rows.map(
          (r) =>
            `| ${r.gb} GB (${mb(r.held)} MiB) | ${r.produceS.toFixed(1)} | ${r.mbps.toFixed(0)} | ${r.peak.toFixed(0)} | ${r.rssProduced.toFixed(0)} | ${r.unclean.startS.toFixed(2)} | ${mb(r.unclean.read)} | ${r.stopS.toFixed(2)} | ${r.clean.startS.toFixed(2)} | ${mb(r.clean.read)} | ${r.rssStart.toFixed(0)} |`,
        )
      : carried.filter((l) => !l.includes("full scan"))),
    "",
    "The start as it was before the recovery checkpoint (every batch read and verified; also what a start does after a crash that came before any checkpoint):",
    "",
    "| data held | start (s) | read (MiB) |",
    "| --- | --- | --- |",
    ...(before.length ? before.map((r) => `| ${r.gb} GB, full scan | ${r.startS.toFixed(2)} | ${mb(r.read)} |`) : carried.filter((l) => l.includes("full scan"))),
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n") + "\n");
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
