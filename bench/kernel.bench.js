"use strict";
// Kernel overhead: what streamlab's layer (lib/ in scope, magics, rich results) adds to tslab's own
// converter/executor, measured side by side in one process: start-up, and per-cell latency for a small
// TypeScript cell, a cell using lib/ names, and a line magic.
const fs = require("node:fs");
const path = require("node:path");
const { performance } = require("node:perf_hooks");

const root = path.resolve(__dirname, "..");
const out = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results", "kernel.md");
const ROUNDS = Number(process.env.KERNEL_BENCH_ROUNDS || 40);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeCells(execute, code) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const ok = await execute(code.replace(/\$i/g, String(i)));
    times.push(performance.now() - t);
    if (!ok) throw new Error(`cell failed: ${code}`);
  }
  return median(times);
}

/** One side of the comparison in a fresh process, so both pay the same cold start (loading TypeScript). */
async function measure(which) {
  const quiet = { log: () => undefined, error: (...a) => { throw new Error(a.join(" ")); } };
  const result = {};
  const t = performance.now();
  if (which === "tslab") {
    // Peer: tslab as published, converter + executor, no streamlab.
    const { createConverter } = require("tslab/dist/converter");
    const { createExecutor } = require("tslab/dist/executor");
    const conv = createConverter({ isJS: false, isBrowser: false });
    const convs = { node: conv, browser: conv, close: () => conv.close() };
    const executor = createExecutor(process.cwd(), convs, quiet);
    result.start = performance.now() - t;
    result.small = await timeCells((code) => executor.execute(code), "const a$i: number = $i * 2; a$i + 1");
    convs.close();
  } else {
    // streamlab: Session = tslab + lib/ loaded + prelude import + magics + display bridge.
    const { Session } = require(path.join(root, "dist", "kernel", "session.js"));
    const session = new Session({ log: () => undefined });
    await session.init();
    result.start = performance.now() - t;
    const sink = { stream() {}, display() {}, update() {}, result() {}, error(e, v) { throw new Error(`${e}: ${v}`); } };
    const exec = async (code) => (await session.execute(code, sink)).status === "ok";
    result.small = await timeCells(exec, "const a$i: number = $i * 2; a$i + 1");
    result.lib = await timeCells(exec, "const b$i = isDisplayable({ toMimeBundle: () => ({}) }); b$i");
    result.magic = await timeCells(exec, "%lsmagic");
    session.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  setTimeout(() => process.exit(0), 100).unref();
}

async function main() {
  const { execFileSync } = require("node:child_process");
  const run = (which) => JSON.parse(execFileSync(process.execPath, [__filename, which], { encoding: "utf8" }).trim().split("\n").pop());
  const peer = run("tslab");
  const ours = run("streamlab");
  const ms = (x) => x.toFixed(1);
  const lines = [
    "## Kernel overhead (kernel.bench.js)",
    "",
    "Command: `npm run bench -- kernel`. Each side in a fresh process: tslab 1.0.22's converter + executor alone",
    "(the peer), and streamlab's Session on top of them (lib/ loaded, its API imported into scope with types,",
    `magics, display bridge). Cell latency is the median of ${ROUNDS} executions (compile + run).`,
    "",
    "| measurement | tslab alone | streamlab | ratio |",
    "|---|---:|---:|---:|",
    `| start-up to first cell, ms | ${ms(peer.start)} | ${ms(ours.start)} | ${(ours.start / peer.start).toFixed(2)}× |`,
    `| small TypeScript cell, ms | ${ms(peer.small)} | ${ms(ours.small)} | ${(ours.small / peer.small).toFixed(2)}× |`,
    `| cell calling a lib/ function (in scope, typed), ms | – | ${ms(ours.lib)} | – |`,
    `| line magic \`%lsmagic\`, ms | – | ${ms(ours.magic)} | – |`,
    "",
    "Start-up is dominated by TypeScript building its program; streamlab adds loading lib/ and type-checking its",
    "declarations once, so that every later cell has the API in scope with completion and hover.",
  ];
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}

const which = process.argv[2];
(which ? measure(which) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
