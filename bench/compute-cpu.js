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
const SCHEMA = "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP";
const REGIONS = ["eu", "us", "ap", "la", "af"];
const BASE = Date.UTC(2024, 0, 1);
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function makeOrders(n) {
  const r = rng(42);
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    const ts = BASE + i * 10 + Math.floor((r() - 0.5) * 4000);
    values[i] = Buffer.from(JSON.stringify({ order_id: `o${i}`, region: REGIONS[Math.floor(r() * 5)], amount: Math.round(r() * 10000) / 100, ts: new Date(ts).toISOString() }));
  }
  return values;
}

class PrebuiltKafkaSource {
  constructor(values) {
    this.values = values;
    this.name = "prebuilt";
    this.schema = stream.parseDDL("key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT, timestamp TIMESTAMP, timestampType INT");
  }
  create() {
    const values = this.values;
    const schema = this.schema;
    return {
      schema,
      description: () => "prebuilt",
      initialOffset: async () => 0,
      latestOffset: async (start) => Math.min(values.length, start + BATCH),
      reportLatestOffset: () => values.length,
      hasData: (s, e) => e > s,
      async getBatch(s, e) {
        const n = e - s;
        const off = new Array(n);
        for (let i = 0; i < n; i++) off[i] = s + i;
        return { numRows: n, columns: [new Array(n).fill(null), values.slice(s, e), new Array(n).fill("orders"), new Array(n).fill(0), off, new Array(n).fill(BASE), new Array(n).fill(0)] };
      },
      stop: async () => undefined,
    };
  }
}

function pipeline(df) {
  const { col, from_json, window, sum, count } = stream;
  return df
    .selectExpr("CAST(value AS STRING) AS json")
    .select(from_json(col("json"), SCHEMA).alias("o"))
    .select("o.*")
    .withWatermark("ts", "30 seconds")
    .groupBy(window(col("ts"), "10 seconds"), col("region"))
    .agg(sum("amount").alias("revenue"), count("*").alias("orders"));
}


async function runQuery(df) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const q = pipeline(df).writeStream.outputMode("update").foreachBatch(() => undefined, { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const rows = q.recentProgress.reduce((a, p) => a + p.numInputRows, 0);
  return { rows, seconds, cpu: (c.user + c.system) / 1e6 };
}
(async () => {
  const values = makeOrders(ROWS);
  const df = () => new stream.DataFrame({ op: "source", schema: new PrebuiltKafkaSource(values).schema, streaming: true, provider: new PrebuiltKafkaSource(values) });
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
