#!/usr/bin/env node
"use strict";
// Rate control of the datagen producer: achieved msg/s over a run at 100, 1,000, 10,000 and 50,000 msg/s
// against the embedded broker (its own process, as in a notebook), plus peers measured in the same run:
// the same generator unthrottled, kcat (librdkafka) producing the same bytes, and record generation alone.
// STREAMLAB_BENCH_SECONDS shortens or lengthens each rate run (default 10 s).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const home = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-"));
process.env.STREAMLAB_HOME = home;
const embedded = require(path.join(dist, "client", "embedded.js"));
const client = require(path.join(dist, "client", "index.js"));
const datagen = require(path.join(dist, "datagen", "index.js"));

const seconds = Number(process.env.STREAMLAB_BENCH_SECONDS || 10);
const out = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results", "datagen.md");
const fmt = (n) => Math.round(n).toLocaleString("en-US");

async function topicCount(k, topic) {
  const offsets = await k.topicOffsets(topic);
  return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
}

async function runGenerator(k, dataset, topic, rate, durationMs) {
  const gen = datagen.startGenerator(datagen.getDataset(dataset), { topic, rate, duration: durationMs, client: k, register: false, seed: 1 });
  let maxBuffered = 0;
  const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, gen.buffered)), 10);
  await gen.done;
  clearInterval(sampler);
  return { gen, maxBuffered, stored: await topicCount(k, topic) };
}

async function main() {
  const { state } = await embedded.startEmbeddedBroker({ port: 0, stateDir: home });
  const k = client.connect(state.bootstrap);
  const lines = [];
  const loadBefore = os.loadavg()[0];
  try {
    // Warm-up: connections, JIT, topic auto-creation path.
    await runGenerator(k, "pageviews", "warmup", 2000, 1000);

    const rates = [100, 1000, 10_000, 50_000];
    const rows = [];
    for (const rate of rates) {
      const { gen, maxBuffered, stored } = await runGenerator(k, "pageviews", `rate-${rate}`, rate, seconds * 1000);
      const achieved = gen.averageRate;
      const deviation = (achieved - rate) / rate;
      rows.push({ rate, sent: gen.sent, elapsed: gen.elapsed, achieved, deviation, errors: gen.errors, stored, maxBuffered, limit: gen.bufferLimit });
      console.log(`rate ${rate}: achieved ${achieved.toFixed(1)} msg/s (${(deviation * 100).toFixed(2)}%), stored ${stored}`);
    }

    // Peer 1: the same generator with no rate limit.
    const flat = await runGenerator(k, "pageviews", "unthrottled", 0, Math.min(seconds, 5) * 1000);
    const maxRate = flat.gen.averageRate;
    console.log(`unthrottled: ${maxRate.toFixed(0)} msg/s`);

    // Peer 2: kcat (librdkafka) producing the same kind of messages from a file.
    const stream = new datagen.RecordStream(datagen.getDataset("pageviews"), { seed: 2 });
    const n = 200_000;
    const file = path.join(home, "pageviews.txt");
    const parts = [];
    for (let i = 0; i < n; i++) {
      const m = stream.next();
      parts.push(`${m.key}\t${m.value}`);
    }
    fs.writeFileSync(file, parts.join("\n") + "\n");
    const t0 = process.hrtime.bigint();
    const r = spawnSync("kcat", ["-P", "-b", state.bootstrap, "-t", "kcat-peer", "-K", "\t", "-l", file, "-X", "linger.ms=5"], { stdio: ["ignore", "ignore", "pipe"] });
    const kcatSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const kcatOk = r.status === 0;
    const kcatRate = kcatOk ? n / kcatSeconds : NaN;
    const kcatStored = kcatOk ? await topicCount(k, "kcat-peer") : 0;
    console.log(`kcat: ${kcatOk ? kcatRate.toFixed(0) + " msg/s" : "failed: " + r.stderr}`);

    // Peer 3: generation alone (no Kafka), per dataset.
    const genRows = [];
    for (const ds of datagen.listDatasets().filter((d) => d.builtin)) {
      const s = new datagen.RecordStream(ds, { seed: 3 });
      let count = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < 0.5) {
        for (let i = 0; i < 1000; i++) s.next();
        count += 1000;
        elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      }
      genRows.push({ name: ds.name, rate: count / elapsed });
    }

    const loadAfter = os.loadavg()[0];
    lines.push(
      "## datagen: rate control of the background producer",
      "",
      `Command: \`npm run bench -- datagen\`${seconds !== 10 ? ` with STREAMLAB_BENCH_SECONDS=${seconds}` : ""}. Dataset \`pageviews\` (JSON, ~${Math.round(parts.reduce((s, p) => s + p.length, 0) / n)} bytes a message) produced by \`startGenerator\` (streamlab's own record-batch producer, lib/client/wire/producer.ts) to the embedded broker running as a separate process on this machine (acks=all, no compression). Each target rate runs ${seconds} s after a 1 s warm-up; achieved = messages acknowledged / elapsed time from start to the last acknowledgement. "stored" is what the broker holds afterwards (end minus start offsets). Buffer = most messages generated but not yet acknowledged at any moment, against the generator's bound. Load average (1 min) of this shared ${os.cpus().length}-core machine: ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end; the producer, the broker and the record encoding all compete for those cores, so the 50,000 msg/s row depends on what else runs.`,
      "",
      "| target msg/s | sent | elapsed s | achieved msg/s | deviation | within 5% | errors | stored | max buffer / bound |",
      "|---:|---:|---:|---:|---:|:---:|---:|---:|---:|",
      ...rows.map((x) => `| ${fmt(x.rate)} | ${fmt(x.sent)} | ${(x.elapsed / 1000).toFixed(2)} | ${x.achieved.toFixed(1)} | ${(x.deviation * 100).toFixed(2)}% | ${Math.abs(x.deviation) <= 0.05 ? "yes" : "**no**"} | ${x.errors} | ${fmt(x.stored)} | ${fmt(x.maxBuffered)} / ${fmt(x.limit)} |`),
      "",
      "Peers, same run, same broker:",
      "",
      "| producer | msg/s | ratio to 50,000 target |",
      "|---|---:|---:|",
      `| streamlab generator, unthrottled (record batches), ${Math.min(seconds, 5)} s | ${fmt(maxRate)} | ${(maxRate / 50_000).toFixed(2)} |`,
      `| kcat -P (librdkafka), ${fmt(n)} pre-generated messages${kcatOk && kcatStored !== n ? ` (stored ${fmt(kcatStored)})` : ""} | ${kcatOk ? fmt(kcatRate) : "failed"} | ${kcatOk ? (kcatRate / 50_000).toFixed(2) : "-"} |`,
      "",
      `Unthrottled streamlab / kcat: ${kcatOk ? (maxRate / kcatRate).toFixed(2) : "n/a"}. Record generation alone (one core, JSON serialization included), records/s:`,
      "",
      "| dataset | records/s | ratio to 50,000 |",
      "|---|---:|---:|",
      ...genRows.map((g) => `| ${g.name} | ${fmt(g.rate)} | ${(g.rate / 50_000).toFixed(1)} |`),
      "",
    );
  } finally {
    await k.close().catch(() => undefined);
    await embedded.stopEmbeddedBroker({ stateDir: home });
    fs.rmSync(home, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, lines.join("\n"));
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
