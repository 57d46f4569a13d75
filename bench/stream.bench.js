#!/usr/bin/env node
"use strict";
// Streaming DataFrames benchmark: the issue's pipeline (CAST(value AS STRING) -> from_json -> o.* ->
// withWatermark -> groupBy(window 10 s, region) -> sum, count; update mode) over 1,000,000 orders.
//  - compute: Kafka-shaped batches already in memory (value as Buffer), run through a streamlab query;
//    side by side with the same per-batch computation written with danfojs, and a Python peer
//    (json + pandas, as a confluent-kafka user would write in foreach-batch style).
//  - end to end: the orders pre-produced to the embedded broker (in a child process), read by a streamlab
//    query through lib/client's own Fetch path; side by side with a Python confluent-kafka consumer + pandas.
// Run: npm run bench -- stream   (ROWS=200000 for a quick run)
const { execFileSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const stream = require(path.join(dist, "stream"));
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 100_000);
const DANFO_ROWS = Math.min(ROWS, Number(process.env.DANFO_ROWS ?? 200_000));
const OUT = process.env.STREAMLAB_BENCH_OUT ?? path.join(__dirname, "results", "stream.md");
const { makeOrders, prebuiltKafkaSource, issuePipeline } = require("./support/orders");

async function runStreamlab(provider, label) {
  const df = new stream.DataFrame({ op: "source", schema: provider.schema, streaming: true, provider });
  let outRows = 0;
  const t0 = process.hrtime.bigint();
  const q = issuePipeline(stream, df).writeStream.outputMode("update").foreachBatch((b) => void (outRows += b.numRows), { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const input = q.recentProgress.reduce((a, p) => a + p.numInputRows, 0);
  return { label, rows: input, seconds: s, rate: input / s, outRows };
}

function runDanfo(values) {
  const dfd = require("danfojs-node");
  const state = new Map();
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < values.length; s += BATCH) {
    const rows = values.slice(s, s + BATCH).map((v) => JSON.parse(v.toString()));
    const df = new dfd.DataFrame(rows);
    const ts = df["ts"].values.map((x) => Date.parse(x));
    df.addColumn("window", ts.map((t) => t - (t % 10000)), { inplace: true });
    const g = df.groupby(["window", "region"]).agg({ amount: ["sum", "count"] });
    const cols = g.columns;
    for (const row of g.values) {
      const rec = Object.fromEntries(cols.map((c, i) => [c, row[i]]));
      const k = `${rec.window}|${rec.region}`;
      const cur = state.get(k) ?? { revenue: 0, orders: 0 };
      cur.revenue += rec.amount_sum;
      cur.orders += rec.amount_count;
      state.set(k, cur);
    }
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  return { label: "danfojs (same per-batch computation)", rows: values.length, seconds: sec, rate: values.length / sec, outRows: state.size };
}

const PY_COMPUTE = `
import sys, json, time
import pandas as pd
path, batch = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    values = f.read().split(b"\\n")[:-1]
state = None
t0 = time.perf_counter()
for s in range(0, len(values), batch):
    df = pd.DataFrame([json.loads(v) for v in values[s:s + batch]])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["window"] = df["ts"].dt.floor("10s")
    g = df.groupby(["window", "region"]).agg(revenue=("amount", "sum"), orders=("amount", "count"))
    state = g if state is None else state.add(g, fill_value=0)
sec = time.perf_counter() - t0
print(json.dumps({"rows": len(values), "seconds": sec, "groups": len(state)}))
`;

const PY_E2E = `
import sys, json, time
import pandas as pd
from confluent_kafka import Consumer
bootstrap, topic, total, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-py-%d" % time.time(), "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
state = None
seen = 0
t0 = time.perf_counter()
while seen < total:
    msgs = c.consume(num_messages=batch, timeout=1.0)
    msgs = [m for m in msgs if m.error() is None]
    if not msgs:
        continue
    seen += len(msgs)
    df = pd.DataFrame([json.loads(m.value()) for m in msgs])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["window"] = df["ts"].dt.floor("10s")
    g = df.groupby(["window", "region"]).agg(revenue=("amount", "sum"), orders=("amount", "count"))
    state = g if state is None else state.add(g, fill_value=0)
sec = time.perf_counter() - t0
c.close()
print(json.dumps({"rows": seen, "seconds": sec, "groups": len(state)}))
`;

function python(script, args) {
  try {
    const out = execFileSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(out.trim().split("\n").pop());
  } catch (err) {
    return { error: String(err.stderr || err.message).split("\n").filter(Boolean).pop() };
  }
}

async function startBrokerProcess() {
  const bin = path.join(__dirname, "..", "bin", "streamlab.js");
  const child = spawn(process.execPath, [bin, "broker", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
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

async function endToEnd(values) {
  const total = values.length;
  const broker = await startBrokerProcess();
  const client = stream.connect ? stream.connect(broker.bootstrap) : require(path.join(dist, "client")).connect(broker.bootstrap);
  const topic = "orders";
  await client.createTopic(topic, 4);
  const producer = await client.producer();
  for (let s = 0; s < values.length; s += 20000) {
    await producer.send(topic, values.slice(s, s + 20000).map((v, i) => ({ value: v, partition: (s + i) % 4 })), { compression: "none" });
  }
  await producer.close();
  await client.close();
  // The in-memory copy is no longer needed: a million retained Buffers would tax every GC of the query below.
  values.length = 0;
  if (global.gc) global.gc();
  const df = stream.spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", BATCH).load();
  let outRows = 0;
  const t0 = process.hrtime.bigint();
  const q = issuePipeline(stream, df).writeStream.outputMode("update").foreachBatch((b) => void (outRows += b.numRows), { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = q.recentProgress.reduce((a, p) => a + p.numInputRows, 0);
  const js = { label: "streamlab (Kafka source, embedded broker)", rows, seconds: sec, rate: rows / sec, outRows };
  console.log("batches (rows:getBatch/execution/latestOffset ms):", q.recentProgress.map((x) => `${x.numInputRows}:${x.durationMs.getBatch}/${x.durationMs.execution}/${x.durationMs.latestOffset}`).join(" "));
  const py = python(PY_E2E, [broker.bootstrap, topic, String(total), String(BATCH)]);
  broker.stop();
  return { js, py };
}

function fmt(n) {
  return Math.round(n).toLocaleString("en-US");
}

(async () => {
  console.log(`generating ${ROWS} orders...`);
  const values = makeOrders(ROWS);
  const file = path.join(os.tmpdir(), `streamlab-bench-orders-${process.pid}.jsonl`);
  fs.writeFileSync(file, Buffer.concat(values.flatMap((v) => [v, Buffer.from("\n")])));

  // The machine is shared: run streamlab and the Python peer alternately, three times each, and keep each
  // one's best run, so a burst of load from elsewhere does not decide the ratio.
  console.log("streamlab compute (warm-up)...");
  await runStreamlab(prebuiltKafkaSource(stream, values.slice(0, Math.min(ROWS, 100_000)), BATCH), "warm-up");
  let sl;
  let pyr;
  const REPS = Number(process.env.REPS ?? 3);
  for (let rep = 0; rep < REPS; rep++) {
    if (global.gc) global.gc();
    const r = await runStreamlab(prebuiltKafkaSource(stream, values, BATCH), "streamlab (compiled columnar pipeline)");
    console.log(r);
    if (!sl || r.seconds < sl.seconds) sl = r;
    const p = python(PY_COMPUTE, [file, String(BATCH)]);
    console.log("python", p);
    if (!pyr || pyr.error || (!p.error && p.seconds < pyr.seconds)) pyr = p;
  }
  console.log("danfojs...");
  const dj = runDanfo(values.slice(0, DANFO_ROWS));
  console.log(dj);
  fs.unlinkSync(file);
  let e2e;
  if (process.env.SKIP_E2E !== "1") {
    console.log("end to end through the embedded broker...");
    try {
      e2e = await endToEnd(values);
      console.log(e2e);
    } catch (err) {
      e2e = { error: err.message };
    }
  }

  const py = pyr.error ? null : { label: "Python json + pandas (same per-batch computation)", rows: pyr.rows, seconds: pyr.seconds, rate: pyr.rows / pyr.seconds };
  const rows = [sl, dj, py].filter(Boolean);
  const lines = [
    "## Streaming DataFrames (stream.bench.js)",
    "",
    "Command: `npm run bench -- stream`. The issue's pipeline: `CAST(value AS STRING)` → `from_json` (order_id, region, amount, ts) → `o.*` →",
    "`withWatermark(ts, 30 s)` → `groupBy(window(ts, 10 s), region).agg(sum(amount), count(*))`, update mode, over",
    `${fmt(ROWS)} JSON orders (Kafka-shaped records, value as bytes), in batches of ${fmt(BATCH)}. Compute: the records are already in memory;`,
    "streamlab runs a real query (trigger availableNow, foreachBatch sink) on one core; danfojs and Python/pandas run the same per-batch",
    "computation (parse JSON, 10-second window, group by window and region, sum and count, merge into running totals)." +
      ` streamlab and Python ran alternately ${process.env.REPS ?? 3} times each; the table shows each one's best run (the machine is shared).` +
      (DANFO_ROWS < ROWS ? ` danfojs runs on the first ${fmt(DANFO_ROWS)} rows (it is too slow for the full set in a benchmark run).` : ""),
    "",
    "| compute | rows | seconds | rows/s | streamlab is |",
    "|---|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.label} | ${fmt(r.rows)} | ${r.seconds.toFixed(2)} | ${fmt(r.rate)} | ${r === sl ? "—" : `${(sl.rate / r.rate).toFixed(1)}× faster`} |`),
  ];
  if (pyr.error) lines.push("", `Python peer failed: ${pyr.error}`);
  if (e2e) {
    lines.push("", `End to end: the ${fmt(ROWS)} orders pre-produced to the embedded broker (\`streamlab broker\`, a separate process, 4 partitions), read by`, "a streamlab Kafka query (lib/client's own Fetch path, record batches decoded into columns; maxOffsetsPerTrigger " + fmt(BATCH) + ", availableNow) and by a Python confluent-kafka consumer doing the pandas computation above.", "");
    if (e2e.error) lines.push(`End-to-end run failed: ${e2e.error}`);
    else {
      const pe = e2e.py.error ? null : { label: "Python confluent-kafka + pandas", rows: e2e.py.rows, seconds: e2e.py.seconds, rate: e2e.py.rows / e2e.py.seconds };
      lines.push("| end to end | rows | seconds | rows/s | streamlab is |", "|---|---:|---:|---:|---:|");
      lines.push(`| ${e2e.js.label} | ${fmt(e2e.js.rows)} | ${e2e.js.seconds.toFixed(2)} | ${fmt(e2e.js.rate)} | — |`);
      if (pe) lines.push(`| ${pe.label} | ${fmt(pe.rows)} | ${pe.seconds.toFixed(2)} | ${fmt(pe.rate)} | ${(e2e.js.rate / pe.rate).toFixed(1)}× ${e2e.js.rate >= pe.rate ? "faster" : "slower"} |`);
      else lines.push("", `Python end-to-end peer failed: ${e2e.py.error}`);
    }
  }
  lines.push("", `Target from the issue: ≥ 500,000 rows/s for compute on one core — ${sl.rate >= 500_000 ? "met" : "NOT met"} (${fmt(sl.rate)} rows/s in this run).`, "");
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n"));
  console.log(lines.join("\n"));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
