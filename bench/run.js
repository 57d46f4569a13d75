#!/usr/bin/env node
"use strict";
// `npm run bench`: runs every bench/*.bench.js in its own process, one after another (benchmarks must not
// share the two cores with each other), and gathers the sections they write into bench/RESULTS.md.
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dir = __dirname;
const only = process.argv.slice(2);
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".bench.js")).filter((f) => !only.length || only.some((o) => f.includes(o))).sort();
const sectionsDir = path.join(dir, "results");
fs.mkdirSync(sectionsDir, { recursive: true });
let failed = 0;
for (const f of files) {
  console.log(`== ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", path.join(dir, f)], { stdio: "inherit", env: { ...process.env, STREAMLAB_BENCH_OUT: path.join(sectionsDir, f.replace(/\.bench\.js$/, ".md")) } });
  if (r.status !== 0) { failed++; console.error(`${f} failed with status ${r.status}`); }
}
let cpu = os.cpus()[0]?.model ?? "unknown CPU";
let commit = "";
try { commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dir }).toString().trim(); } catch {}
const header = [
  "# Benchmark results",
  "",
  "Written by `npm run bench` (each section by its `bench/*.bench.js`; run one with `npm run bench -- NAME`).",
  "These machines are shared and noisy: compare the ratios measured side by side in one run, not absolute figures across runs.",
  "",
  `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}${commit ? `, commit ${commit}` : ""}.`,
  "",
];
const sections = fs.readdirSync(sectionsDir).filter((f) => f.endsWith(".md")).sort().map((f) => fs.readFileSync(path.join(sectionsDir, f), "utf8").trim());
fs.writeFileSync(path.join(dir, "RESULTS.md"), header.concat(sections.join("\n\n")).join("\n") + "\n");
console.log(`bench/RESULTS.md written (${sections.length} sections)`);
process.exitCode = failed ? 1 : 0;
