#!/usr/bin/env node
"use strict";
// Issue 18's latency row: produce -> foreachBatch with messages flowing at RATES msg/s. One process holds the
// producer (streamlab's batch producer, a send every millisecond or so, acks=1, each record stamped with its send
// time) and a Kafka query (trigger processingTime 0, foreachBatch); the embedded broker is its own process.
// Latency of a record = the time foreachBatch sees it minus its timestamp. SECONDS per rate after a 1 s warm-up.
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
  const value = Buffer.alloc(100, 120);
  const start = Date.now();
  let sent = 0;
  let inFlight = 0;
  const total = SECONDS + 1;
  while (Date.now() - start < total * 1000) {
    const elapsed = Date.now() - start;
    counting = elapsed >= 1000;
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
  try {
    for (const rate of RATES) {
      const r = await measure(broker.bootstrap, rate);
      console.log(r);
      rows.push(r);
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
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n"));
  console.log(lines.join("\n"));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
