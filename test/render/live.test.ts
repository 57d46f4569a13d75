// Live tables and charts fed with hand-made output batches, through a recording display bridge.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LiveChart, LiveQueryStatus, LiveTable } from "../../lib/render/live";
import { createChartSink, createDisplaySink, chartOptionsFrom, tableOptionsFrom } from "../../lib/render/sinks";
import { compileVegaLite, countSvgMarks, renderSvg } from "../../lib/render/svg";
import { buildCompactSpec } from "../../lib/render/spec";
import { consoleBridge, setDisplayBridge } from "../../lib/core";
import type { QueryProgress, StreamingQueryLike } from "../../lib/render/contract";
import { ManualClock, RecordingBridge, makeBatch, revenueRow, revenueSchema, settle } from "./support";

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stand-in for lib/stream's StreamingQuery with the contract's listeners. */
class FakeQuery implements StreamingQueryLike {
  id = "7f3e9a10-0000-4000-8000-000000000001";
  runId = "run";
  name: string | null = "revenue";
  isActive = true;
  recentProgress: QueryProgress[] = [];
  failure: { message: string } | null = null;
  private progressListeners: ((p: QueryProgress) => void)[] = [];
  private terminatedListeners: (() => void)[] = [];
  get lastProgress(): QueryProgress | null {
    return this.recentProgress.at(-1) ?? null;
  }
  progress(p: QueryProgress): void {
    this.recentProgress.push(p);
    for (const l of this.progressListeners) l(p);
  }
  stop(): void {
    this.isActive = false;
    for (const l of this.terminatedListeners) l();
  }
  exception() {
    return this.failure;
  }
  onProgress(l: (p: QueryProgress) => void) {
    this.progressListeners.push(l);
    return () => (this.progressListeners = this.progressListeners.filter((x) => x !== l));
  }
  onTerminated(l: () => void) {
    this.terminatedListeners.push(l);
    return () => (this.terminatedListeners = this.terminatedListeners.filter((x) => x !== l));
  }
  get listenerCount(): number {
    return this.progressListeners.length + this.terminatedListeners.length;
  }
}

describe("LiveTable", () => {
  it("shows once with a display_id, updates in place (throttled) and keeps its final state", async () => {
    const bridge = new RecordingBridge();
    const clock = new ManualClock();
    const query = new FakeQuery();
    const table = new LiveTable({ bridge, clock, rows: 5, sort: "revenue desc" }).attach(query).show();
    expect(bridge.outputs).toHaveLength(1);
    expect(bridge.outputs[0]).toMatchObject({ kind: "display", displayId: table.displayId });
    expect(String(bridge.outputs[0].bundle?.["text/html"])).toContain("waiting");

    table.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 10), revenueRow(0, "west", 20)]));
    table.addBatch(makeBatch(1, "update", revenueSchema, [revenueRow(0, "east", 30)]));
    query.progress({ batchId: 1, inputRowsPerSecond: 12, processedRowsPerSecond: 40, eventTime: { watermark: "2026-11-24T16:00:00.000Z" } });
    await clock.advance(0);
    expect(bridge.updates()).toHaveLength(1);
    const first = bridge.updates()[0];
    expect(first.displayId).toBe(table.displayId);
    const html = String(first.bundle?.["text/html"]);
    expect(html.indexOf("<td>east</td>")).toBeLessThan(html.indexOf("<td>west</td>"));
    expect(html).toContain("<td>30</td>");
    expect(html).toContain("batch</b> 1");
    expect(String(first.bundle?.["text/plain"])).toContain("query: revenue | state: active | batch: 1 | input: 12 rows/s");

    table.addBatch(makeBatch(2, "update", revenueSchema, [revenueRow(1, "north", 5)]));
    await clock.advance(100);
    expect(bridge.updates()).toHaveLength(1); // throttled until 250 ms
    await clock.advance(200);
    expect(bridge.updates()).toHaveLength(2);
    expect(String(bridge.updates()[1].bundle?.["text/html"])).toContain("<td>north</td>");

    query.stop();
    await settle();
    expect(table.isFinished).toBe(true);
    const last = bridge.updates().at(-1)!;
    expect(String(last.bundle?.["text/plain"])).toContain("state: stopped");
    expect(String(last.bundle?.["text/html"])).toContain("<td>north</td>");
    expect(query.listenerCount).toBe(1); // only the termination listener, which fired
    const count = bridge.outputs.length;
    table.addBatch(makeBatch(3, "update", revenueSchema, [revenueRow(1, "south", 5)]));
    await clock.advance(5000);
    expect(bridge.outputs).toHaveLength(count);
  });

  it("lists update and complete results by their key columns, window first, unless sort is given", async () => {
    const bridge = new RecordingBridge();
    const table = new LiveTable({ bridge, rows: 10 }).show();
    // Arrival order: a later window first, regions out of order.
    table.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(1, "west", 1), revenueRow(0, "west", 2)], ["window", "region"]));
    table.addBatch(makeBatch(1, "update", revenueSchema, [revenueRow(1, "east", 3), revenueRow(0, "east", 4)], ["window", "region"]));
    await table.finish();
    const order = (text: string) => [...text.matchAll(/\|\s*2026-11-24 16:0(\d):00\|[^|]*\|\s*(\w+)\|/g)].map((m) => `${m[1]} ${m[2]}`);
    const text = String(bridge.last()?.["text/plain"]);
    expect(order(text)).toEqual(["0 east", "0 west", "1 east", "1 west"]);
    expect(text).toContain("by window, region");

    // Key columns listed region first still sort by the window first; complete mode too.
    const complete = new RecordingBridge();
    const totals = new LiveTable({ bridge: complete, rows: 10 }).show();
    totals.addBatch(makeBatch(0, "complete", revenueSchema, [revenueRow(1, "east", 1), revenueRow(0, "west", 2), revenueRow(0, "east", 3)], ["region", "window"]));
    await totals.finish();
    expect(order(String(complete.last()?.["text/plain"]))).toEqual(["0 east", "0 west", "1 east"]);

    // An explicit sort wins.
    const sorted = new RecordingBridge();
    const byRevenue = new LiveTable({ bridge: sorted, rows: 10, sort: "revenue desc" }).show();
    byRevenue.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 1), revenueRow(1, "west", 5), revenueRow(0, "west", 3)], ["window", "region"]));
    await byRevenue.finish();
    expect(order(String(sorted.last()?.["text/plain"]))).toEqual(["1 west", "0 west", "0 east"]);
  });

  it("shows the newest N rows in append mode and the query's error when it fails", async () => {
    const bridge = new RecordingBridge();
    const query = new FakeQuery();
    const table = new LiveTable({ bridge, rows: 3 }).attach(query).show();
    const schema = [{ name: "offset", type: "bigint" }, { name: "value", type: "string" }];
    for (let b = 0; b < 10; b++) table.addBatch(makeBatch(b, "append", schema, [{ offset: b, value: `v${b}` }]));
    query.failure = { message: "FAILFAST: malformed record at offset 10" };
    await table.finish();
    const text = String(bridge.last()?.["text/plain"]);
    expect(text).toContain("state: failed");
    expect(text).toContain("error: FAILFAST: malformed record at offset 10");
    expect(text).toMatch(/\|\s+7\|\s+v7\|\n\|\s+8\|\s+v8\|\n\|\s+9\|\s+v9\|/);
    expect(text).toContain("3 of 3 rows");
    expect(table.state.size).toBe(3);
  });

  it("shows an error that the query records after its sink was stopped", async () => {
    const bridge = new RecordingBridge();
    const query = new FakeQuery();
    const table = new LiveTable({ bridge }).attach(query).show();
    await table.finish(); // the engine stops the sink first...
    expect(String(bridge.last()?.["text/plain"])).toContain("state: stopped");
    query.failure = { message: "broker unreachable" }; // ...then records the failure and notifies listeners
    query.stop();
    await waitFor(() => String(bridge.last()?.["text/plain"]).includes("state: failed"), "the late error");
    expect(String(bridge.last()?.["text/plain"])).toContain("error: broker unreachable");
  });
});

describe("outside a notebook", () => {
  it("prints the first and the final state of a live table to stdout", async () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    try {
      const table = new LiveTable({ bridge: consoleBridge, name: "cli" }).show();
      table.addBatch(makeBatch(0, "append", [{ name: "n", type: "bigint" }], [{ n: 41 }, { n: 42 }]));
      await table.finish();
    } finally {
      (process.stdout as { write: unknown }).write = original;
    }
    expect(written).toHaveLength(2);
    expect(written[0]).toContain("(no rows yet)");
    expect(written[1]).toContain("query: cli | state: stopped | batch: 0");
    expect(written[1]).toMatch(/\|\s*42\|/);
  });
});

describe("LiveChart", () => {
  it("sends vega-lite, the SVG and text in one bundle, and no HTML that would outrank the frontend's vega-lite renderer", async () => {
    const bridge = new RecordingBridge();
    const chart = new LiveChart({ mark: "line", x: "window.start", y: "revenue", color: "region" }, { bridge, maxUpdatesPerSecond: 50 }).show();
    chart.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 10), revenueRow(0, "west", 20), revenueRow(1, "east", 15), revenueRow(1, "west", 5)]));
    await waitFor(() => bridge.updates().length >= 1, "a chart update");
    const bundle = bridge.updates()[0].bundle!;
    expect(Object.keys(bundle)).toEqual(["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    const spec = bundle["application/vnd.vegalite.v5+json"] as { data: { values: unknown[] }; title: { text: string } };
    expect(spec.data.values).toHaveLength(4);
    // JupyterLab and VS Code show only the vega-lite part: the status line is its title, and survives compiling.
    expect(JSON.stringify(compileVegaLite(spec).title)).toContain("batch: 0");
    const svg = String(bundle["image/svg+xml"]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(countSvgMarks(svg)).toBeGreaterThanOrEqual(2);
    // Viewers of the SVG alone (classic Notebook, nbconvert) see the status line: it is the image's title.
    expect(svg).toContain("batch: 0");
    expect(bundle["text/plain"]).toContain("line chart of revenue by window.start, colored by region: 4 points");
    // Nothing is loaded from the internet at view time: no script, no external reference in the image.
    expect(svg).not.toMatch(/<script|<link|src=|@import/);
    await chart.finish();
  });

  it("puts the status under the user's title", async () => {
    const chart = new LiveChart({ mark: "bar", x: "region", y: "revenue", title: "Revenue" }, { bridge: new RecordingBridge(), svg: "never" });
    chart.addBatch(makeBatch(3, "update", revenueSchema, [revenueRow(0, "east", 1)]));
    await chart.finish();
    const title = compileVegaLite(chart.toMimeBundle()["application/vnd.vegalite.v5+json"] as Record<string, unknown>).title as { text: string; subtitle: string };
    expect(title.text).toBe("Revenue");
    expect(title.subtitle).toContain("state: stopped | batch: 3");
  });

  it("keeps a bounded window of points whatever the stream length", async () => {
    const bridge = new RecordingBridge();
    const chart = new LiveChart({ mark: "point", x: "t", y: "v" }, { bridge, maxPoints: 50, svg: "final" }).show();
    const schema = [{ name: "t", type: "timestamp" }, { name: "v", type: "double" }];
    for (let b = 0; b < 2000; b++) chart.addBatch(makeBatch(b, "append", schema, Array.from({ length: 10 }, (_, i) => ({ t: new Date(b * 10_000 + i * 1000), v: i }))));
    expect(chart.state.size).toBe(50);
    await chart.finish();
    const spec = bridge.last()!["application/vnd.vegalite.v5+json"] as { data: { values: { t: number }[] } };
    expect(spec.data.values).toHaveLength(50);
    expect(spec.data.values.at(-1)!.t).toBe(1999 * 10_000 + 9000);
    expect(chart.svgRenders).toBe(1);
    expect(countSvgMarks(String(bridge.last()!["image/svg+xml"]))).toBe(50);
  });

  it("with svg 'never' sends no image; with 'final' only the final bundle has one", async () => {
    const schema = [{ name: "k", type: "string" }, { name: "n", type: "bigint" }];
    const never = new LiveChart({ mark: "bar", x: "k", y: "n" }, { bridge: new RecordingBridge(), svg: "never" });
    never.addBatch(makeBatch(0, "complete", schema, [{ k: "a", n: 1 }]));
    await never.finish();
    expect(never.toMimeBundle()["image/svg+xml"]).toBeUndefined();
    expect(never.toMimeBundle()["application/vnd.vegalite.v5+json"]).toBeDefined();

    const bridge = new RecordingBridge();
    const final = new LiveChart({ mark: "bar", x: "k", y: "n" }, { bridge, svg: "final", maxUpdatesPerSecond: 100 }).show();
    final.addBatch(makeBatch(0, "complete", schema, [{ k: "a", n: 1 }, { k: "b", n: 2 }]));
    await waitFor(() => bridge.updates().length >= 1, "an update");
    expect(bridge.updates()[0].bundle!["image/svg+xml"]).toBeUndefined();
    expect(String(bridge.updates()[0].bundle!["text/plain"])).toContain("drawn when the query stops");
    await final.finish();
    expect(countSvgMarks(String(bridge.last()!["image/svg+xml"]))).toBe(2);
  });

  it("shows a wrong field as an error in the display instead of throwing", async () => {
    const bridge = new RecordingBridge();
    const chart = new LiveChart({ mark: "line", x: "window.begin", y: "revenue" }, { bridge }).show();
    chart.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 1)]));
    await chart.finish();
    expect(String(bridge.last()!["text/plain"])).toContain("no column 'window.begin' in the result; columns are window.start");
    expect(String(bridge.last()!["text/html"])).toContain("no column &#39;window.begin&#39;");
  });
});

describe("SVG rendering in Node", () => {
  it("draws every compact mark type with marks, offline", async () => {
    const rows = [revenueRow(0, "east", 10), revenueRow(0, "west", 20), revenueRow(1, "east", 15)];
    for (const [mark, y, color] of [["line", "revenue", "region"], ["bar", "revenue", "region"], ["area", "revenue", "region"], ["point", "revenue", "region"], ["heatmap", "region", "revenue"]] as const) {
      const svg = await renderSvg(buildCompactSpec({ mark, x: "window.start", y, color }, rows, revenueSchema).spec);
      expect(svg, mark).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(countSvgMarks(svg), mark).toBeGreaterThanOrEqual(mark === "line" || mark === "area" ? 2 : 3);
      expect(svg).not.toMatch(/<script|<image|@import|url\(http/);
    }
  });

  it("draws the same SVG in the worker thread as on the main thread (compiled build)", async () => {
    const poolFile = path.join(__dirname, "..", "..", "dist", "lib", "render", "svg-pool.js");
    if (!fs.existsSync(poolFile)) throw new Error(`${poolFile} is missing: run npm run build first`);
    const pool = createRequire(__filename)(poolFile) as typeof import("../../lib/render/svg-pool");
    try {
      expect(pool.svgWorkerAvailable()).toBe(true);
      const spec = buildCompactSpec({ mark: "bar", x: "region", y: "revenue" }, [revenueRow(0, "east", 10), revenueRow(0, "west", 20)], revenueSchema).spec;
      const [fromWorker, another] = await Promise.all([pool.renderSvgOffThread(spec), pool.renderSvgOffThread({ ...spec, mark: "point" })]);
      expect(fromWorker).toBe(await renderSvg(spec));
      expect(countSvgMarks(another)).toBe(2);
      await expect(pool.renderSvgOffThread({ mark: "point", data: { url: "http://127.0.0.1:9/x.json" }, encoding: {} })).rejects.toThrow(/load nothing from URLs/);
    } finally {
      await pool.stopSvgWorker();
    }
  });

  it("refuses to load data from a URL", async () => {
    await expect(renderSvg({ mark: "point", data: { url: "http://127.0.0.1:9/data.json" }, encoding: { x: { field: "a", type: "quantitative" } } })).rejects.toThrow(/load nothing from URLs/);
  });
});

describe("display and chart sinks", () => {
  it("read their options case-insensitively and reject bad ones with one line", () => {
    expect(tableOptionsFrom({ rows: "5", Sort: "revenue desc", KEYS: "window,region", maxUpdatesPerSecond: "2" })).toMatchObject({ rows: 5, sort: "revenue desc", keys: ["window", "region"], maxUpdatesPerSecond: 2 });
    expect(() => tableOptionsFrom({ rows: "many" })).toThrow("display sink: option rows must be a positive number, got 'many'");
    expect(() => tableOptionsFrom({ rows: "2.5" })).toThrow(/whole number/);
    expect(chartOptionsFrom({ mark: "area", x: "window.start", y: "revenue", maxPoints: "200" })).toMatchObject({ spec: { mark: "area", x: "window.start", y: "revenue" }, display: { maxPoints: 200 } });
    expect(() => chartOptionsFrom({ mark: "line", x: "a" })).toThrow("chart sink: a chart needs y");
    expect(() => chartOptionsFrom({ spec: "{nope" })).toThrow(/option spec must be a vega-lite spec as JSON/);
    expect(chartOptionsFrom({ spec: JSON.stringify({ mark: "bar", encoding: {} }) }).spec).toEqual({ mark: "bar", encoding: {} });
  });

  it("show a live display when the query starts, feed it batches, keep the final state on stop", async () => {
    const bridge = new RecordingBridge();
    const previous = setDisplayBridge(bridge);
    try {
      const query = new FakeQuery();
      const sink = createDisplaySink({ query, options: { rows: "10", maxUpdatesPerSecond: "100" }, outputMode: "append" });
      expect(bridge.outputs[0].kind).toBe("display");
      const schema = [{ name: "key", type: "string" }, { name: "value", type: "string" }];
      await sink.addBatch(makeBatch(0, "append", schema, [{ key: "k1", value: "hello" }]));
      await waitFor(() => bridge.updates().length >= 1, "first update");
      await sink.addBatch(makeBatch(1, "append", schema, [{ key: "k2", value: "world" }]));
      await sink.stop?.();
      const last = bridge.last()!;
      expect(String(last["text/html"])).toContain("<td>world</td>");
      expect(String(last["text/plain"])).toContain("state: stopped");
      // The query's own rich result points at the live table instead of repeating it.
      expect(String(sink.toMimeBundle?.()["text/plain"])).toContain("(live table above)");

      // A full vega-lite spec: streamlab fills its data (nested rows, so `window.start` is a plain field path).
      const fullSpec = { mark: "point", encoding: { x: { field: "window.start", type: "temporal" }, y: { field: "revenue", type: "quantitative" } } };
      const fullSink = createChartSink({ query: new FakeQuery(), options: { spec: JSON.stringify(fullSpec) }, outputMode: "update" });
      await fullSink.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 1), revenueRow(1, "east", 2), revenueRow(2, "west", 3)]));
      await fullSink.stop?.();
      const fullBundle = bridge.last()!;
      expect((fullBundle["application/vnd.vegalite.v5+json"] as { mark: string; data: { values: unknown[] } }).data.values).toHaveLength(3);
      expect(countSvgMarks(String(fullBundle["image/svg+xml"]))).toBe(3);

      const chartSink = createChartSink({ query: new FakeQuery(), options: { mark: "bar", x: "key", y: "n" }, outputMode: "complete" });
      await chartSink.addBatch(makeBatch(0, "complete", [{ name: "key", type: "string" }, { name: "n", type: "bigint" }], [{ key: "a", n: 3 }]));
      await chartSink.stop?.();
      expect(countSvgMarks(String(bridge.last()!["image/svg+xml"]))).toBe(1);
    } finally {
      setDisplayBridge(previous);
    }
  });
});

describe("LiveQueryStatus", () => {
  it("shows a running query's status, recent batches and rates chart, and its final state", async () => {
    const bridge = new RecordingBridge();
    const query = new FakeQuery();
    const view = new LiveQueryStatus(query, { bridge, maxUpdatesPerSecond: 100 }).show();
    for (let b = 0; b < 15; b++) query.progress({ batchId: b, numInputRows: b * 10, inputRowsPerSecond: b * 10, processedRowsPerSecond: b * 20, durationMs: { triggerExecution: 5 + b } });
    await waitFor(() => String(bridge.last()?.["text/html"]).includes("batch</b> 14"), "batch 14 in the status");
    const html = String(bridge.last()!["text/html"]);
    expect(html).toContain("streamlab-sparkline");
    expect(html).toContain("<polyline");
    expect(html).toContain("<td>19</td>"); // duration of batch 14
    expect(html).not.toContain("<td>0</td><td>0</td>"); // only the last 10 batches
    query.stop();
    await waitFor(() => view.isFinished && String(bridge.last()?.["text/plain"]).includes("state: stopped"), "final state");
  });
});
