#!/usr/bin/env node
"use strict";
// Issue 18: from Kafka to result, side by side in one run. The issue pipeline (CAST(value AS STRING) -> from_json
// -> o.* -> withWatermark(ts, 30 s) -> groupBy(window(ts, 10 s), region) -> sum, count; update mode, availableNow,
// batches of BATCH) over ROWS JSON orders:
//  - compute only: Kafka-shaped batches already in memory (one core);
//  - end to end: the same orders produced by streamlab's producer to the embedded broker (its own process,
//    4 partitions), read by a streamlab Kafka query (lib/client's own Fetch path);
//  - peers on the same topic: Apache Spark local[2] (bench/peers/spark_orders.py), confluent-kafka + pandas
//    (bench/peers/confluent_pandas_orders.py), Quix Streams (bench/peers/quix_orders.py) when installed.
// streamlab's two rows alternate REPS times; each row reports its best run.
// Run: npm run bench -- kafka-path   (ROWS=300000 REPS=3 by default; SKIP_SPARK=1, SKIP_QUIX=1 to leave peers out)
const { execFile, spawn } = require("node:child_process");
const SKIP_PEERS = process.env.SKIP_PEERS === "1";
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const stream = require(path.join(dist, "stream"));
const { makeOrders, prebuiltKafkaFrame, issuePipeline } = require("./support/orders");
const client = require(path.join(dist, "client"));
const ROWS = Number(process.env.ROWS ?? 300_000);
const BATCH = Number(process.env.BATCH ?? 100_000);
const REPS = Number(process.env.REPS ?? 3);
const OUT = process.env.STREAMLAB_BENCH_OUT ?? path.join(__dirname, "results", "kafka-path.md");
const REPO = path.join(__dirname, "..");
const VENV_PY = path.join(REPO, ".streamlab", "venv", "bin", "python");
// Quix Streams lives in its own venv (bench/peers/requirements-quix.txt says how to make it).
const QUIX_PY = process.env.QUIX_PYTHON ?? path.join(require("node:os").homedir(), ".cache", "streamlab", "venv-bench-quix", "bin", "python");

async function runQuery(df) {
  let outRows = 0;
  const t0 = process.hrtime.bigint();
  const q = issuePipeline(stream, df).writeStream.outputMode("update").foreachBatch((b) => void (outRows += b.numRows), { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = q.recentProgress.reduce((a, p) => a + p.numInputRows, 0);
  return { rows, seconds, rate: rows / seconds, outRows };
}

function py(exe, args, env = {}) {
  return new Promise((resolve) => {
    execFile(exe, args, { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, ...env }, timeout: 600_000 }, (err, stdout, stderr) => {
      const lines = String(stdout).trim().split("\n").filter((l) => l.startsWith("{"));
      if (err && !lines.length) return resolve([{ error: String(stderr || err.message).split("\n").filter(Boolean).slice(-2).join(" ") }]);
      resolve(lines.map((l) => JSON.parse(l)));
    });
  });
}

async function startBrokerProcess() {
  const child = spawn(process.execPath, [path.join(REPO, "bin", "streamlab.js"), "broker", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
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

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const best = (runs) => runs.filter((r) => !r.error && r.rows > 0).sort((a, b) => b.rows / b.seconds - a.rows / a.seconds)[0];

(async () => {
  console.log(`generating ${ROWS} orders...`);
  const values = makeOrders(ROWS);
  const broker = await startBrokerProcess();
  const kc = client.connect(broker.bootstrap);
  const topic = "orders";
  await kc.createTopic(topic, 4);
  const producer = await kc.producer();
  const tp = process.hrtime.bigint();
  const sends = [];
  for (let s = 0; s < values.length; s += 20000) {
    sends.push(producer.send(topic, values.slice(s, s + 20000).map((v, i) => ({ value: v, partition: (s + i) % 4 }))));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  const produceSec = Number(process.hrtime.bigint() - tp) / 1e9;
  await producer.close();
  await kc.close();
  console.log(`produced ${ROWS} in ${produceSec.toFixed(2)} s`);

  const kafkaDf = () => stream.spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", BATCH).load();
  const sourceDf = () => prebuiltKafkaFrame(stream, values, BATCH);
  await runQuery(sourceDf()); // warm-up
  const compute = [];
  const e2e = [];
  for (let rep = 0; rep < REPS; rep++) {
    if (global.gc) global.gc();
    compute.push(await runQuery(sourceDf()));
    if (global.gc) global.gc();
    e2e.push(await runQuery(kafkaDf()));
    console.log("compute", compute.at(-1), "e2e", e2e.at(-1));
  }

  const peers = [];
  if (!SKIP_PEERS) console.log("confluent-kafka + pandas...");
  if (!SKIP_PEERS) peers.push({ label: "confluent-kafka 2.x + pandas (`bench/peers/confluent_pandas_orders.py`, /usr/bin/python3)", runs: await py("/usr/bin/python3", [path.join(__dirname, "peers", "confluent_pandas_orders.py"), broker.bootstrap, topic, String(ROWS), String(BATCH)]) });
  if (!SKIP_PEERS && process.env.SKIP_SPARK !== "1" && fs.existsSync(VENV_PY)) {
    console.log("Apache Spark local[2]...");
    const cp = path.join(REPO, "test", "reference", "spark", "target", "classpath.txt");
    const jars = fs.existsSync(cp) ? fs.readFileSync(cp, "utf8").trim().split(":").filter(Boolean).join(",") : "";
    peers.push({ label: "Apache Spark 4.1.1 `local[2]` (`bench/peers/spark_orders.py`, noop sink; JVM start-up excluded)", runs: await py(VENV_PY, [path.join(__dirname, "peers", "spark_orders.py"), broker.bootstrap, topic, String(BATCH), String(Number(process.env.SPARK_RUNS ?? 2))], { STREAMLAB_SPARK_JARS: jars, SPARK_LOCAL_IP: "127.0.0.1", TZ: "UTC", PYSPARK_PYTHON: VENV_PY }) });
  }
  if (!SKIP_PEERS && process.env.SKIP_QUIX !== "1") {
    console.log("Quix Streams...");
    if (!fs.existsSync(QUIX_PY)) peers.push({ label: "Quix Streams", runs: [{ error: `no venv at ${QUIX_PY}: see bench/peers/requirements-quix.txt` }] });
    else peers.push({ label: "Quix Streams 3.28.1 (`bench/peers/quix_orders.py`: group_by region, 10 s tumbling window, sum and count)", runs: await py(QUIX_PY, [path.join(__dirname, "peers", "quix_orders.py"), broker.bootstrap, topic, String(ROWS)]) });
  }
  broker.stop();
  for (const p of peers) console.log(p.label, p.runs);

  const c = best(compute);
  const e = best(e2e);
  const lines = [
    "## From Kafka to result (issue 18, `bench/kafka-path.bench.js`)",
    "",
    `Command: \`npm run bench -- kafka-path\` (ROWS=${ROWS}, BATCH=${BATCH}, REPS=${REPS}). The issue pipeline (CAST, from_json, o.*, watermark 30 s, 10 s windows by region, sum and count, update mode, availableNow, maxOffsetsPerTrigger ${fmt(BATCH)}) over ${fmt(ROWS)} JSON orders (~${Math.round(values.reduce((s, v) => s + v.length, 0) / values.length)} B). Compute only: Kafka-shaped batches in memory. End to end: the orders produced by streamlab's batch producer to the embedded broker (\`streamlab broker\`, its own process, 4 partitions; ${fmt(ROWS / produceSec)} msg/s produced, 4 sends of 20,000 in flight), read by a streamlab Kafka query (lib/client/wire: Fetch v12 read_committed, record batches decoded into columns). The two streamlab rows alternate ${REPS} times, best run shown (runs in parentheses); every peer reads the same topic of the same broker in the same run.`,
    "",
    "| pipeline | rows | seconds | rows/s | runs (rows/s) | streamlab end to end is |",
    "|---|---:|---:|---:|---|---:|",
    `| streamlab, compute only (one core) | ${fmt(c.rows)} | ${c.seconds.toFixed(2)} | ${fmt(c.rate)} | ${compute.map((r) => fmt(r.rate)).join(", ")} | ${(e.rate / c.rate).toFixed(2)}× of it |`,
    `| streamlab, end to end from the embedded broker | ${fmt(e.rows)} | ${e.seconds.toFixed(2)} | ${fmt(e.rate)} | ${e2e.map((r) => fmt(r.rate)).join(", ")} | — |`,
  ];
  for (const p of peers) {
    const b = best(p.runs);
    if (!b) lines.push(`| ${p.label} | – | – | – | failed: ${(p.runs[0]?.error ?? "no output").slice(0, 200)} | – |`);
    else lines.push(`| ${p.label} | ${fmt(b.rows)} | ${b.seconds.toFixed(2)} | ${fmt(b.rows / b.seconds)} | ${p.runs.filter((r) => !r.error).map((r) => fmt(r.rows / r.seconds)).join(", ")} | ${(e.rate / (b.rows / b.seconds)).toFixed(1)}× faster |`);
  }
  lines.push("", `End to end / compute only, pair by pair (each pair ran back to back): ${compute.map((r, i) => (e2e[i].rate / r.rate).toFixed(2)).join(", ")}.`);
  lines.push("", `Machine load (1-min load average) at the end: ${require("node:os").loadavg()[0].toFixed(1)} on ${require("node:os").cpus().length} cores (other sessions share it).`, "");
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n"));
  console.log(lines.join("\n"));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
