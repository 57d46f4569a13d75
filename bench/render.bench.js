#!/usr/bin/env node
"use strict";
// Per-update cost of live displays (lib/render) at 100 / 1,000 / 10,000 points: the HTML table, the vega-lite
// spec, its compile, the SVG render, and a whole chart update with and without the SVG, next to the cost of
// serializing the bundle (what the kernel pays anyway to send it). Run: npm run bench -- render
const fs = require("node:fs");
const path = require("node:path");
const os = require("node:os");
const { performance } = require("node:perf_hooks");

const dist = path.join(__dirname, "..", "dist", "lib", "render");
const { buildHtmlTable, buildTextTable, parseSort } = require(path.join(dist, "table"));
const { buildCompactSpec } = require(path.join(dist, "spec"));
const { compileVegaLite, renderVegaSvg } = require(path.join(dist, "svg"));
const { LiveChart, LiveTable, SVG_BUDGET } = require(path.join(dist, "live"));
const { svgWorkerAvailable, stopSvgWorker } = require(path.join(dist, "svg-pool"));

const SIZES = [100, 1000, 10000];
const REGIONS = ["north", "south", "east", "west", "central"];
const schema = [
  { name: "window", type: "struct<start:timestamp,end:timestamp>" },
  { name: "region", type: "string" },
  { name: "revenue", type: "double" },
  { name: "orders", type: "bigint" },
];

function makeRows(n) {
  const rows = [];
  const t0 = Date.UTC(2026, 10, 24, 16, 0, 0);
  for (let i = 0; i < n; i++) {
    const start = new Date(t0 + Math.floor(i / REGIONS.length) * 10_000);
    rows.push({ window: { start, end: new Date(start.getTime() + 10_000) }, region: REGIONS[i % REGIONS.length], revenue: 1000 + ((i * 7919) % 5000) / 3, orders: 1 + (i % 17) });
  }
  return rows;
}

function batchOf(rows, batchId) {
  return { batchId, mode: "update", schema, numRows: rows.length, columns: schema.map((f) => rows.map((r) => r[f.name])), rows: () => rows };
}

/** Median and p90 of ms per call; runs at least `minRuns` times and at least `minMs` of work. */
async function measure(fn, { minRuns = 5, minMs = 400, maxRuns = 200 } = {}) {
  await fn(); // warm-up (JIT, lazy requires)
  const times = [];
  const begin = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - begin < minMs)) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)], runs: times.length };
}

const silentBridge = { display() {}, update() {}, print() {} };

/**
 * The peer: what lib/stream spends on one micro-batch of n input rows of a windowed aggregation (10 s windows by
 * region, update mode), so the display's cost can be read next to the batch it shows. Undefined without lib/stream.
 */
async function engineBatchCost(n, repeats) {
  let stream;
  try {
    stream = require(path.join(__dirname, "..", "dist", "lib", "stream"));
  } catch (err) {
    console.warn(`lib/stream not available (${err.message.split("\n")[0]}): no engine column`);
    return undefined;
  }
  const { MemoryStream, col, window, sum, count } = stream;
  const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
  const df = input.toDF().groupBy(window(col("ts"), "10 seconds"), col("region")).agg(sum("amount").alias("revenue"), count("*").alias("orders"));
  // Trigger interval 0: the next batch starts as soon as data is there, so the wait below is the batch itself.
  const query = df.writeStream.outputMode("update").foreachBatch(() => {}, { raw: true }).trigger({ processingTime: 0 }).start();
  const times = [];
  let t = Date.UTC(2026, 10, 24, 16, 0, 0);
  try {
    for (let r = 0; r < repeats + 1; r++) {
      const rows = [];
      for (let i = 0; i < n; i++) rows.push({ ts: new Date((t += 20)), region: REGIONS[i % REGIONS.length], amount: i % 100 });
      input.addData(rows);
      const started = performance.now();
      await query.processAllAvailable();
      if (r > 0) times.push(performance.now() - started);
    }
  } finally {
    await query.stop();
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)], runs: times.length };
}

async function main() {
  const loadBefore = os.loadavg()[0];
  if (!svgWorkerAvailable()) throw new Error("dist/lib/render/svg-worker.js is missing: run npm run build");
  const results = [];
  // Warm every path once on small data, so the first size measured does not pay for JIT and lazy requires.
  {
    const rows = makeRows(200);
    const b = buildCompactSpec({ mark: "line", x: "window.start", y: "revenue", color: "region" }, rows, schema);
    for (let i = 0; i < 5; i++) {
      buildHtmlTable({ schema, rows, limit: 20, sort: parseSort("revenue") });
      await renderVegaSvg(compileVegaLite(b.spec));
    }
  }
  for (const n of SIZES) {
    const rows = makeRows(n);
    const sort = parseSort("revenue desc");
    const spec = { mark: "line", x: "window.start", y: "revenue", color: "region" };
    const built = buildCompactSpec(spec, rows, schema);
    const compiled = compileVegaLite(built.spec);
    const row = { n };
    row.table20 = await measure(() => buildHtmlTable({ schema, rows, limit: 20, sort, tail: true }));
    row.tableAll = await measure(() => buildHtmlTable({ schema, rows, limit: n, tail: true }));
    row.text20 = await measure(() => buildTextTable({ schema, rows, limit: 20, sort, tail: true }));
    row.spec = await measure(() => buildCompactSpec(spec, rows, schema));
    row.compile = await measure(() => compileVegaLite(built.spec));
    row.svg = await measure(() => renderVegaSvg(compiled), { minRuns: 3, minMs: 1000, maxRuns: 30 });
    const bundleNoSvg = { "application/vnd.vegalite.v5+json": built.spec, "text/plain": "x" };
    row.serialize = await measure(() => JSON.stringify(bundleNoSvg));
    row.specBytes = JSON.stringify(built.spec).length;
    // Whole updates through the live displays: the state holds n points (table: n keys, 20 shown sorted).
    const table = new LiveTable({ bridge: silentBridge, rows: 20, sort: "revenue desc", capacity: n });
    table.addBatch(batchOf(rows, 0));
    row.tableUpdate = await measure(() => table.render());
    const chartNoSvg = new LiveChart(spec, { bridge: silentBridge, maxPoints: n, svg: "never" });
    chartNoSvg.addBatch(batchOf(rows, 0));
    row.chartUpdateNoSvg = await measure(() => chartNoSvg.render({ final: false }));
    // With the SVG drawn in the worker thread (the default): wall time, and the main thread's busy time in it.
    const chartSvg = new LiveChart(spec, { bridge: silentBridge, maxPoints: n, svg: "always" });
    chartSvg.addBatch(batchOf(rows, 0));
    await chartSvg.render({ final: false });
    const elu0 = performance.eventLoopUtilization();
    row.chartUpdateSvg = await measure(() => chartSvg.render({ final: false }), { minRuns: 3, minMs: 1000, maxRuns: 30 });
    const elu = performance.eventLoopUtilization(elu0);
    row.chartUpdateSvgMainMs = elu.active / (row.chartUpdateSvg.runs + 1);
    const svgText = await renderVegaSvg(compiled);
    row.svgBytes = svgText.length;
    row.engine = await engineBatchCost(n, n >= 10000 ? 10 : 20);
    results.push(row);
    console.log(`n=${n}: table20 ${row.table20.median.toFixed(2)} ms, spec ${row.spec.median.toFixed(2)} ms, compile ${row.compile.median.toFixed(2)} ms, svg ${row.svg.median.toFixed(1)} ms, chart update ${row.chartUpdateNoSvg.median.toFixed(2)} / ${row.chartUpdateSvg.median.toFixed(1)} ms`);
  }

  const f = (m) => (m.median < 10 ? m.median.toFixed(2) : m.median.toFixed(1));
  const fp = (m) => `${f(m)} (p90 ${m.p90 < 10 ? m.p90.toFixed(2) : m.p90.toFixed(1)})`;
  const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}×` : "batch < 1 ms");
  const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
  const lines = [
    "## render: per-update cost of live tables and charts",
    "",
    "Command: `npm run bench -- render` (bench/render.bench.js, compiled code from dist/). Median ms per call (p90 in",
    "parentheses), after a warm-up call, on rows like a windowed revenue aggregation (`window` struct, `region`,",
    "`revenue`, `orders`). Chart: `{mark: \"line\", x: \"window.start\", y: \"revenue\", color: \"region\"}`.",
    `Load average (1 min) on this shared ${os.cpus().length}-core machine: ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: absolute times are noisy, compare within a row.`,
    "",
    "| points | HTML table, top 20 sorted | HTML table, all rows | text table, top 20 | vega-lite spec | vega-lite compile | SVG render (vega, no canvas) | JSON of the vega-lite bundle |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) => `| ${r.n.toLocaleString("en-US")} | ${fp(r.table20)} | ${fp(r.tableAll)} | ${fp(r.text20)} | ${fp(r.spec)} | ${fp(r.compile)} | ${fp(r.svg)} | ${fp(r.serialize)} |`),
    "",
    "Whole updates, as the throttled updater runs them (LiveTable / LiveChart render of the full bundle):",
    "",
    "| points | table update (top 20 of n, sorted) | chart update without SVG | chart update with SVG (worker thread, wall) | main-thread busy ms in it | SVG share of a chart update | SVG / (spec + JSON) | peer: lib/stream micro-batch of n input rows (windowed sum) | chart update with SVG / micro-batch | chart update without SVG / micro-batch | vega-lite spec size | SVG size |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.n.toLocaleString("en-US")} | ${fp(r.tableUpdate)} | ${fp(r.chartUpdateNoSvg)} | ${fp(r.chartUpdateSvg)} | ${r.chartUpdateSvgMainMs.toFixed(2)} | ${((100 * (r.chartUpdateSvg.median - r.chartUpdateNoSvg.median)) / r.chartUpdateSvg.median).toFixed(0)}% | ${(r.svg.median / (r.spec.median + r.serialize.median)).toFixed(0)}× | ${r.engine ? fp(r.engine) : "n/a"} | ${r.engine ? ratio(r.chartUpdateSvg.median, r.engine.median) : "n/a"} | ${r.engine ? ratio(r.chartUpdateNoSvg.median, r.engine.median) : "n/a"} | ${kb(r.specBytes)} | ${kb(r.svgBytes)} |`,
    ),
    "",
    "The micro-batch column is the wall time of `processAllAvailable()` after n rows were added (trigger interval 0), for a",
    "10-second-window sum by region (MemoryStream source, foreachBatch sink), run in the same process right after the",
    "render measurements; the ratios compare one display update with one batch of the same size.",
    "",
    "What follows from it (the defaults in lib/render/live.ts):",
    "",
  ];
  const at1k = results.find((r) => r.n === 1000);
  const at10k = results.find((r) => r.n === 10000);
  const every = (r) => `${((r.svg.median / SVG_BUDGET) / 1000).toFixed(1)} s`;
  lines.push(
    `- The SVG render dominates a chart update and costs far more than the micro-batch it shows: ${f(at1k.svg)} ms at 1,000 points against ${f(at1k.chartUpdateNoSvg)} ms for the rest of the update, ${f(at10k.svg)} ms at 10,000. ` +
      `It is kept off the hot path twice: in the default \`svg: "auto"\` mode a chart re-draws its SVG only when the time since the last drawing is at least ${Math.round((1 - SVG_BUDGET) / SVG_BUDGET)}× what that drawing cost ` +
      `(SVG work ≤ ${Math.round(SVG_BUDGET * 100)}% of wall time: here about every ${every(at1k)} at 1,000 points and every ${every(at10k)} at 10,000), keeps the last image in between (the vega-lite part, which JupyterLab and VS Code draw, is fresh in every update), ` +
      "and always draws it on stop, so saved notebooks and nbconvert HTML show the final state. `svg: \"final\"` draws it only on stop, `\"always\"` with every update.",
    `- The drawing runs in a worker thread (lib/render/svg-pool.ts), so the event loop, where queries and the kernel run, is busy only ${at1k.chartUpdateSvgMainMs.toFixed(2)} ms of a ${f(at1k.chartUpdateSvg)} ms chart update at 1,000 points (${at10k.chartUpdateSvgMainMs.toFixed(2)} of ${f(at10k.chartUpdateSvg)} ms at 10,000): building the spec and copying it to the worker.`,
    `- Charts keep 1,000 points by default (\`maxPoints\`): the vega-lite part of an update then costs ${f(at1k.chartUpdateNoSvg)} ms and ${kb(at1k.specBytes)} of JSON at most; 10,000 points cost ${kb(at10k.specBytes)} per update, which is why the window is bounded.`,
    `- Tables build only the rows shown; sorting the whole result is the main cost (${f(at10k.tableUpdate)} ms for 10,000 keys), far below the 250 ms between updates.`,
  );
  const out = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results", "render.md");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, lines.join("\n") + "\n");
  await stopSvgWorker();
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
