#!/usr/bin/env node
// Issue 18: the compute-only query of bench/kafka-path.bench.js (same orders, same prebuilt Kafka-shaped batches,
// values as separate Buffers, same pipeline) with rows per CPU-second (user + system of the process) per run: the
// figure to compare builds by on a shared machine. Not part of `npm run bench` (no section of its own).
// Run: node --expose-gc bench/compute-cpu.js   (ROWS=300000 REPS=3 BATCH=100000; DIST=path/to/dist to compare builds)
"use strict";
const path = require("node:path");
const stream = require(path.join(process.env.DIST || path.join(__dirname, "..", "dist"), "lib", "stream"));
const ROWS = Number(process.env.ROWS ?? 300_000);
const BATCH = Number(process.env.BATCH ?? 100_000);
const { makeOrders, prebuiltKafkaFrame, issuePipeline } = require("./support/orders");

async function runQuery(df) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const q = issuePipeline(stream, df).writeStream.outputMode("update").foreachBatch(() => undefined, { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const rows = q.recentProgress.reduce((a, p) => a + p.numInputRows, 0);
  return { rows, seconds, cpu: (c.user + c.system) / 1e6 };
}
(async () => {
  const values = makeOrders(ROWS);
  const df = () => prebuiltKafkaFrame(stream, values, BATCH);
  await runQuery(df());
  const rates = [];
  for (let r = 0; r < Number(process.env.REPS ?? 3); r++) {
    global.gc && global.gc();
    const x = await runQuery(df());
    rates.push(x.rows / x.cpu);
  }
  rates.sort((a, b) => a - b);
  console.log(JSON.stringify({ label: process.env.LABEL, perCpu: rates.map((r) => Math.round(r / 1000)), median: Math.round(rates[rates.length >> 1] / 1000) }));
})();
