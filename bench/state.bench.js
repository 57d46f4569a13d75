#!/usr/bin/env node
"use strict";
// State store benchmark (issue 17): what committing a small batch costs as the state grows. For 10k, 100k
// and 1M keys of aggregation-shaped state, 20 batches each touch 100 keys and commit; side by side, the
// previous checkpoint's way (the whole state as JSON at every batch). Also: a commit touching 1,000 keys
// at 1M (cost follows rows touched), a snapshot (maintenance, between batches) and loading the state back.
// Run: npm run bench -- state   (SIZES=10000,100000 for a quick run)
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const { MemoryStateStore } = require(path.join(dist, "stream", "state", "store"));
const { writeAtomic } = require(path.join(dist, "stream", "state", "files"));
const SIZES = (process.env.SIZES ?? "10000,100000,1000000").split(",").map(Number);
const BATCHES = Number(process.env.BATCHES ?? 20);
const TOUCH = Number(process.env.TOUCH ?? 100);
const OUT = process.env.STREAMLAB_BENCH_OUT ?? path.join(__dirname, "results", "state.md");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const group = (i, b) => ({ k: [`user-${i}`], a: [i * 3, 1 + b], t: b, et: null });
const codec = { encode: (g) => [g.a, g.t, g.et, g.k], decode: (d) => ({ k: d[3], a: d[0], t: d[1], et: d[2] }) };

function run(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-state-bench-"));
  try {
    const s = new MemoryStateStore("stateStoreSave");
    s.attach(dir, codec);
    for (let i = 0; i < n; i++) s.put(`user-${i}`, group(i, 0));
    s.commit();
    let t = performance.now();
    s.writeSnapshot();
    const snapshotMs = performance.now() - t;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) % n);
    const delta = [];
    const whole = [];
    for (let b = 1; b <= BATCHES; b++) {
      for (let j = 0; j < TOUCH; j++) {
        const i = rnd();
        const g = s.get(`user-${i}`);
        g.a[0] += 1;
        g.t = b;
        s.put(`user-${i}`, g);
      }
      t = performance.now();
      s.commit();
      delta.push(performance.now() - t);
      // The previous checkpoint: every operator's whole state as one JSON file per batch.
      if (b <= (n >= 1e6 ? 1 : 3)) {
        t = performance.now();
        writeAtomic(path.join(dir, `whole-${b}.json`), JSON.stringify({ groups: [...s.iterator()].map(([, g]) => [g.k, g.a, g.t, g.et]) }));
        whole.push(performance.now() - t);
      }
    }
    // A bigger batch at the same size: commit cost follows the rows touched.
    for (let j = 0; j < TOUCH * 10; j++) s.put(`user-${rnd()}`, group(j, BATCHES + 1));
    t = performance.now();
    s.commit();
    const bigMs = performance.now() - t;
    t = performance.now();
    const r = new MemoryStateStore("stateStoreSave");
    r.attach(dir, codec);
    r.loadVersion(s.version);
    const loadMs = performance.now() - t;
    if (r.size !== s.size) throw new Error(`loaded ${r.size} keys, expected ${s.size}`);
    return { n, deltaMs: median(delta), wholeMs: median(whole), bigMs, snapshotMs, loadMs, deltaBytes: s.lastCommit.bytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const rows = SIZES.map(run);
const cpu = process.cpuUsage(cpu0);
const load = os.loadavg()[0];
const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const lines = [
  "## State store (`bench/state.bench.js`, issue 17)",
  "",
  `Command: \`npm run bench -- state\`. For each state size, ${BATCHES} batches each touch ${TOUCH} random keys of aggregation-shaped`,
  "state (`{k, a, t, et}`) and commit; median commit time, side by side with the previous checkpoint's way (the whole state",
  `written as JSON at every batch, median of 3, one run at 1M) in the same run. "${TOUCH * 10} keys" is one commit touching ten times as many keys.`,
  "Snapshot and load are the maintenance write and the restart read (not part of a batch's commit).",
  "",
  `| state keys | commit, ${TOUCH} keys (ms) | whole state per batch (ms) | ratio whole/delta | commit, ${TOUCH * 10} keys (ms) | snapshot (ms) | load (ms) |`,
  "|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.n.toLocaleString("en-US")} | ${fmt(r.deltaMs)} | ${fmt(r.wholeMs)} | ${(r.wholeMs / r.deltaMs).toFixed(0)} | ${fmt(r.bigMs)} | ${fmt(r.snapshotMs)} | ${fmt(r.loadMs)} |`),
  "",
  `Run: ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU, load average ${load.toFixed(1)} on ${os.cpus().length} cores (other jobs shared the machine: absolute times are inflated, the ratios in one run are what compares).`,
  `Commit time at ${rows[rows.length - 1].n.toLocaleString("en-US")} keys / at ${rows[0].n.toLocaleString("en-US")} keys: ${(rows[rows.length - 1].deltaMs / rows[0].deltaMs).toFixed(2)} (the state is ${rows[rows.length - 1].n / rows[0].n}× larger).`,
];
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, lines.join("\n") + "\n");
console.log(lines.join("\n"));
