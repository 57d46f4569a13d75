#!/usr/bin/env node
"use strict";
// Issue 18's latency row: produce -> foreachBatch with messages flowing at RATES msg/s. One process holds the
// producer (streamlab's batch producer, a send every millisecond or so, acks=1, each record stamped with its send
// time) and a Kafka query (trigger processingTime 0, foreachBatch); the embedded broker is its own process.
// Latency of a record = the time foreachBatch sees it minus its timestamp. SECONDS per rate after a 1 s warm-up.
// Peer in the same run: Apache Spark local[2] reading the same broker from the same producer (bench/peers/spark_latency.py;
// SKIP_SPARK=1 leaves it out).
// Run: npm run bench -- latency   (RATES=10000,100000 SECONDS=5)
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const stream = require(path.join(dist, "stream"));
const client = require(path.join(dist, "client"));
const RATES = (process.env.RATES ?? "10000,100000").split(",").map(Number);
const SECONDS = Number(process.env.SECONDS ?? 5);
const VENV_PY = path.join(__dirname, "..", ".streamlab", "venv", "bin", "python");
const SPARK = process.env.SKIP_SPARK !== "1" && fs.existsSync(VENV_PY);
const OUT = process.env.STREAMLAB_BENCH_OUT ?? path.join(__dirname, "results", "latency.md");

async function startBrokerProcess() {
  const child = spawn(process.execPath, [path.join(__dirname, "..", "bin", "streamlab.js"), "broker", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const bootstrap = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("broker did not start")), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`broker exited ${code}`)));
  });
  return { bootstrap, stop: () => child.kill("SIGTERM") };
}

/** Sends `rate` 100-byte messages a second for `seconds` (a send whenever records are due, at most 8 in flight). */
async function produceAt(producer, topic, rate, seconds, onTick = () => {}) {
  const value = Buffer.alloc(100, 120);
  const start = Date.now();
  let sent = 0;
  let inFlight = 0;
  while (Date.now() - start < seconds * 1000) {
    const elapsed = Date.now() - start;
    onTick(elapsed);
    const due = Math.floor((rate * elapsed) / 1000) - sent;
    if (due > 0 && inFlight < 8) {
      const ts = Date.now();
      const records = new Array(due);
      for (let i = 0; i < due; i++) records[i] = { value, timestamp: ts };
      sent += due;
      inFlight++;
      producer.send(topic, records, { acks: 1 }).finally(() => inFlight--);
    }
    await new Promise((r) => setImmediate(r));
  }
  return sent;
}

/** Apache Spark's micro-batch latency on the same broker and producer (bench/peers/spark_latency.py). */
async function measureSpark(bootstrap, rate) {
  const topic = `spark-lat-${rate}`;
  const kc = client.connect(bootstrap);
  await kc.createTopic(topic, 1);
  const producer = await kc.producer();
  const cp = path.join(__dirname, "..", "test", "reference", "spark", "target", "classpath.txt");
  const jars = fs.existsSync(cp) ? fs.readFileSync(cp, "utf8").trim().split(":").filter(Boolean).join(",") : "";
  const child = spawn(VENV_PY, [path.join(__dirname, "peers", "spark_latency.py"), bootstrap, topic, "1000"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, STREAMLAB_SPARK_JARS: jars, SPARK_LOCAL_IP: "127.0.0.1", TZ: "UTC", PYSPARK_PYTHON: VENV_PY } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    const deadline = Date.now() + 240_000;
    while (!/READY/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Spark did not start: ${err.split("\n").slice(-5).join(" ")}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const total = SECONDS + 1;
    const sent = await produceAt(producer, topic, rate, total);
    // Spark's micro-batches lag at this load: wait until it has counted what was sent after the warm-up (it
    // prints COUNTED n after each batch), or 60 s.
    const want = Math.floor(sent * (SECONDS / total) * 0.98);
    const until = Date.now() + 60_000;
    const counted = () => Math.max(0, ...[...out.matchAll(/COUNTED (\d+)/g)].map((m) => Number(m[1])));
    while (Date.now() < until && counted() < want) await new Promise((r) => setTimeout(r, 200));
    child.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 120_000))]);
    if (process.env.SPARK_LATENCY_DEBUG) console.error(err.split("\n").filter((l) => /batch|failed|Error/.test(l)).slice(-15).join("\n"));
    const line = out.split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`Spark gave no result: ${err.split("\n").slice(-5).join(" ")}`);
    const r = JSON.parse(line);
    return { rate, sent, measured: r.n, achieved: sent / total, p50: r.p50, p99: r.p99, max: r.max, batches: r.batches };
  } finally {
    child.kill("SIGKILL");
    await producer.close();
    await kc.close();
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(bootstrap, rate) {
  const topic = `lat-${rate}`;
  const kc = client.connect(bootstrap);
  await kc.createTopic(topic, 1);
  const producer = await kc.producer();
  const lat = [];
  let counting = false;
  const df = stream.spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic).option("startingOffsets", "latest").load().select("timestamp");
  const q = df.writeStream
    .foreachBatch(
      (b) => {
        const now = Date.now();
        if (!counting) return;
        for (const t of b.columns[0]) lat.push(now - (t instanceof Date ? t.getTime() : Number(t) / 1000));
      },
      { raw: true },
    )
    .trigger({ processingTime: 0 })
    .start();
  await new Promise((r) => setTimeout(r, 1500)); // the query is running
  const total = SECONDS + 1;
  const sent = await produceAt(producer, topic, rate, total, (elapsed) => (counting = elapsed >= 1000));
  await new Promise((r) => setTimeout(r, 500));
  await q.stop();
  await producer.close();
  await kc.close();
  lat.sort((a, b) => a - b);
  return { rate, sent, measured: lat.length, achieved: sent / total, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1] };
}

(async () => {
  const broker = await startBrokerProcess();
  const rows = [];
  const sparkRows = [];
  try {
    for (const rate of RATES) {
      const r = await measure(broker.bootstrap, rate);
      console.log(r);
      rows.push(r);
    }
    for (const rate of SPARK ? RATES : []) {
      try {
        const r = await measureSpark(broker.bootstrap, rate);
        console.log("spark", r);
        sparkRows.push(r);
      } catch (err) {
        console.error(`Spark at ${rate} msg/s: ${err.message}`);
        sparkRows.push({ rate, error: err.message.slice(0, 200) });
      }
    }
  } finally {
    broker.stop();
  }
  const load = os.loadavg()[0];
  const lines = [
    "## Latency under load (issue 18, `bench/latency.bench.js`)",
    "",
    `Command: \`npm run bench -- latency\` (RATES=${RATES.join(",")}, SECONDS=${SECONDS}). 100-byte messages at each rate for ${SECONDS} s after a 1 s warm-up, produced by streamlab's batch producer (acks=1, a send whenever records are due, at most 8 in flight, each record stamped with its send time) into a 1-partition topic of the embedded broker (its own process); a Kafka query in the same process as the producer (trigger processingTime 0, foreachBatch) takes latency = time foreachBatch sees the record − its timestamp. One run; load average (1 min) at the end ${load.toFixed(1)} on ${os.cpus().length} cores.`,
    "",
    "| target msg/s | sent | achieved msg/s | records measured | p50 ms | p99 ms | max ms | target p50 ≤ 5, p99 ≤ 25 |",
    "|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ...rows.map((r) => `| ${r.rate.toLocaleString("en-US")} | ${r.sent.toLocaleString("en-US")} | ${Math.round(r.achieved).toLocaleString("en-US")} | ${r.measured.toLocaleString("en-US")} | ${r.p50} | ${r.p99} | ${r.max} | ${r.p50 <= 5 && r.p99 <= 25 ? "met" : "not met"} |`),
    "",
    ...(sparkRows.length
      ? [
          "Peer, same run, same broker and producer: Apache Spark 4.1.1 `local[2]` (`bench/peers/spark_latency.py`: default trigger, foreachBatch; the batch's latencies counted into 1 ms buckets by Spark, JVM start-up excluded):",
          "",
          "| target msg/s | sent | records measured | micro-batches with data | p50 ms | p99 ms | max ms | Spark p50 / streamlab p50 |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|",
          ...sparkRows.map((r) => {
            if (r.error) return `| ${r.rate.toLocaleString("en-US")} | failed: ${r.error.replace(/\|/g, "/")} | | | | | | |`;
            const mine = rows.find((x) => x.rate === r.rate);
            return `| ${r.rate.toLocaleString("en-US")} | ${r.sent.toLocaleString("en-US")} | ${r.measured.toLocaleString("en-US")} | ${r.batches} | ${r.p50} | ${r.p99} | ${r.max} | ${mine && r.p50 !== null && mine.p50 > 0 ? `${(r.p50 / mine.p50).toFixed(1)}×` : "-"} |`;
          }),
          "",
        ]
      : ["Apache Spark's micro-batch latency was not measured in this run (SKIP_SPARK=1 or no venv)."]),
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n"));
  console.log(lines.join("\n"));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
