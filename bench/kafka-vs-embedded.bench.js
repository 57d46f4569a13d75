#!/usr/bin/env node
"use strict";
// Embedded broker vs Apache Kafka 4.x (the test reference, test/support/kafka-launcher.ts), same machine, same
// run: kcat produces 1,000,000 messages of 100 bytes (acks=all, linger.ms=20) into a 1-partition topic and then
// consumes them from the beginning, against each broker in turn; the ratio is embedded rate / Kafka rate.
// Needs `bash test/setup/install.sh` (Kafka's Maven classpath) and kcat. BENCH_MESSAGES changes the count.
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kvse-"));

/** TypeScript modules bundled for plain node (the launcher and the broker), nothing type-checked. */
function bundle(entry, name) {
  const out = path.join(tmp, `${name}.js`);
  esbuild.buildSync({ entryPoints: [path.join(root, entry)], bundle: true, platform: "node", format: "cjs", outfile: out, logLevel: "error" });
  return out;
}

function sh(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...opts });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  return { seconds, stdout: r.stdout };
}

async function embeddedBroker() {
  const brokerJs = bundle("lib/broker/index.ts", "broker");
  const child = spawn(process.execPath, ["-e", `require(${JSON.stringify(brokerJs)}).startBroker({ port: 0, defaultPartitions: 1 }).then((b) => console.log("BOOTSTRAP " + b.bootstrap))`], { stdio: ["ignore", "pipe", "inherit"] });
  const bootstrap = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /BOOTSTRAP (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (c) => reject(new Error(`embedded broker exited ${c}`)));
  });
  return { bootstrap, stop: async () => child.kill("SIGTERM") };
}

function measure(broker, bootstrap, file) {
  const topic = "bench-kvse";
  // Create the topic first (1 partition) so neither broker's auto-creation is in the timing.
  sh("kcat", ["-P", "-b", bootstrap, "-t", topic, "-p", "0"], { input: "" });
  // One message per line of stdin (a file argument would be sent as one message).
  const fd = fs.openSync(file, "r");
  const p = sh("kcat", ["-P", "-b", bootstrap, "-t", topic, "-p", "0", "-X", "linger.ms=20", "-X", "acks=all", "-X", "queue.buffering.max.messages=1000000"], { stdio: [fd, "pipe", "pipe"] });
  fs.closeSync(fd);
  const c = sh("kcat", ["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-c", String(N), "-e", "-q", "-f", "%s\n"]);
  const consumed = c.stdout.toString("latin1").split("\n").length - 1;
  if (consumed !== N) throw new Error(`${broker}: consumed ${consumed} of ${N}`);
  return [
    { broker, direction: "produce", rate: N / p.seconds, seconds: p.seconds },
    { broker, direction: "consume", rate: N / c.seconds, seconds: c.seconds },
  ];
}

(async () => {
  const file = path.join(tmp, "messages.txt");
  const line = "x".repeat(100) + "\n";
  fs.writeFileSync(file, line.repeat(N));
  process.env.STREAMLAB_ROOT = root;
  const { startKafkaReference } = require(bundle("test/support/kafka-launcher.ts", "kafka-launcher"));
  const rows = [];
  const embedded = await embeddedBroker();
  try {
    rows.push(...measure("embedded (memory)", embedded.bootstrap, file));
  } finally {
    await embedded.stop();
  }
  const kafka = await startKafkaReference({ name: "bench", heap: "1g" });
  try {
    rows.push(...measure(`Apache Kafka ${kafka.version}`, kafka.bootstrap, file));
  } finally {
    await kafka.stop();
  }
  const kafkaRate = (dir) => rows.find((r) => r.broker.startsWith("Apache") && r.direction === dir).rate;
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const md = [
    "## Embedded broker vs Apache Kafka (`bench/kafka-vs-embedded.bench.js`)",
    "",
    `Command: \`npm run bench -- kafka-vs-embedded\`. kcat (librdkafka) produces ${fmt(N)} messages of 100 bytes (acks=all, linger.ms=20) to a 1-partition topic, then consumes them from the beginning (\`-C -c ${fmt(N)} -e\`), against the embedded broker (in memory, its own node process) and then Apache Kafka (one KRaft broker+controller JVM started by test/support/kafka-launcher.ts as in the tests: -Xmx1g, serial GC, C1 JIT only for a fast start, data in a temporary directory), in the same run on the same machine. Ratio = embedded rate / Kafka rate.`,
    "",
    "| broker | client | direction | msg/s | messages | MB/s | seconds | rate vs Apache Kafka |",
    "|---|---|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.broker} | kcat | ${r.direction} | ${fmt(r.rate)} | ${fmt(N)} | ${(r.rate * 100 / 1e6).toFixed(1)} | ${r.seconds.toFixed(2)} | ${(r.rate / kafkaRate(r.direction)).toFixed(2)} |`),
    "",
  ].join("\n");
  console.log(md);
  if (process.env.STREAMLAB_BENCH_OUT) fs.writeFileSync(process.env.STREAMLAB_BENCH_OUT, md);
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
