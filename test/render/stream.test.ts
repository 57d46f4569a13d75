// Live displays bound to real lib/stream queries (MemoryStream sources, real micro-batches), and the magics.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runMagic, setDisplayBridge, type DisplayBridge } from "../../lib/core";
import { chart, display, registerRenderMagics, startDisplay } from "../../lib/render";
import { countSvgMarks } from "../../lib/render/svg";
import { StreamsDashboard } from "../../lib/render/dashboard";
import { MemoryStream, col, count, from_json, sum, window, spark, type StreamingQuery } from "../../lib/stream";
import { RecordingBridge } from "./support";

registerRenderMagics();

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const t0 = Date.UTC(2026, 10, 24, 16, 0, 0);
function orders(n: number, offsetMs = 0) {
  const regions = ["east", "west", "north"];
  return Array.from({ length: n }, (_, i) => ({ ts: new Date(t0 + offsetMs + i * 1000), region: regions[i % 3], amount: 10 }));
}

let bridge: RecordingBridge;
let previous: DisplayBridge;
beforeAll(() => {
  bridge = new RecordingBridge();
  previous = setDisplayBridge(bridge);
});
afterAll(() => {
  setDisplayBridge(previous);
});
afterEach(async () => {
  await Promise.all(spark.streams.active.map((q) => q.stop()));
});

function newestQuery(): StreamingQuery {
  const active = spark.streams.active;
  return active[active.length - 1];
}

function lastBundleOf(displayId: string | undefined) {
  return [...bridge.outputs].reverse().find((o) => o.displayId === displayId && o.bundle)?.bundle;
}

describe("display sink on lib/stream queries", () => {
  it("display(df) of an aggregation without watermark runs in update mode and upserts the running result", async () => {
    const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
    const revenue = input.toDF().groupBy(col("region")).agg(sum("amount").alias("revenue"), count("*").alias("orders"));
    const before = bridge.outputs.length;
    display(revenue, { name: "revenue_by_region", sort: "region", maxUpdatesPerSecond: 20, trigger: { processingTime: "50 milliseconds" } });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display");
    expect(shown?.displayId).toBeTruthy();
    const query = newestQuery();
    expect(query.name).toBe("revenue_by_region");

    input.addData(orders(6));
    await query.processAllAvailable();
    await waitFor(() => String(lastBundleOf(shown!.displayId)?.["text/plain"]).includes("|  east|   20.0|     2|") || String(lastBundleOf(shown!.displayId)?.["text/plain"]).includes("|  east|     20|     2|"), "east at 20 after the first batch");
    input.addData(orders(3, 60_000));
    await query.processAllAvailable();
    await waitFor(() => /\|\s+east\|\s+30(\.0)?\|\s+3\|/.test(String(lastBundleOf(shown!.displayId)?.["text/plain"])), "east at 30 after the second batch");
    const text = String(lastBundleOf(shown!.displayId)?.["text/plain"]);
    // One row per region (upserted), sorted by region.
    expect(text.match(/\|\s+(east|north|west)\|/g)).toEqual(["|  east|", "| north|", "|  west|"]);
    expect(text).toContain("update mode, keyed by region");
    expect(text).toContain("query: revenue_by_region");

    await query.stop();
    await waitFor(() => String(lastBundleOf(shown!.displayId)?.["text/plain"]).includes("state: stopped"), "final state");
    expect(String(lastBundleOf(shown!.displayId)?.["text/html"])).toMatch(/<td>east<\/td><td>30(\.0)?<\/td><td>3<\/td>/);
  });

  it("writeStream.format(\"display\") in append mode shows the newest N rows; the query's result points at it", async () => {
    const input = new MemoryStream("id BIGINT, note STRING");
    const before = bridge.outputs.length;
    const query = input.toDF().select(col("id"), col("note")).writeStream.format("display").option("rows", "3").option("maxUpdatesPerSecond", "20").trigger({ processingTime: "50 milliseconds" }).start();
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    for (let i = 0; i < 10; i++) input.addData([{ id: i, note: `<note ${i}>` }]);
    await query.processAllAvailable();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/html"]).includes("&lt;note 9&gt;"), "the newest row");
    const html = String(lastBundleOf(shown.displayId)?.["text/html"]);
    expect(html).not.toContain("&lt;note 6&gt;");
    expect(html).toContain("&lt;note 7&gt;");
    expect(String(query.toMimeBundle()["text/plain"])).toContain("(live table above)");
    await query.stop();
  });

  it("chart(df, spec) draws a live vega-lite chart with an SVG of the final result", async () => {
    const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
    const perWindow = input
      .toDF()
      .withWatermark("ts", "1 minute")
      .groupBy(window(col("ts"), "10 seconds"), col("region"))
      .agg(sum("amount").alias("revenue"));
    const before = bridge.outputs.length;
    chart(perWindow, { mark: "bar", x: "window.start", y: "revenue", color: "region", outputMode: "update", maxUpdatesPerSecond: 20, trigger: { processingTime: "50 milliseconds" } });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = newestQuery();
    input.addData(orders(30));
    await query.processAllAvailable();
    await waitFor(() => {
      const spec = lastBundleOf(shown.displayId)?.["application/vnd.vegalite.v5+json"] as { data?: { values: unknown[] } } | undefined;
      return (spec?.data?.values.length ?? 0) === 9;
    }, "9 bars (3 windows x 3 regions)");
    await query.stop();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("state: stopped"), "final chart");
    const final = lastBundleOf(shown.displayId)!;
    expect(countSvgMarks(String(final["image/svg+xml"]))).toBe(9);
    expect(final["text/html"]).toBeUndefined();
    expect(String(final["image/svg+xml"])).toContain("state: stopped");
  });

  it("rejects a chart over a field the result does not have, in the display", async () => {
    const input = new MemoryStream("k STRING, v DOUBLE");
    const before = bridge.outputs.length;
    const query = input.toDF().writeStream.format("chart").option("mark", "line").option("x", "key").option("y", "v").trigger({ processingTime: "50 milliseconds" }).start();
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    input.addData([{ k: "a", v: 1 }]);
    await query.processAllAvailable();
    await query.stop();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("no column 'key' in the result; columns are k, v"), "the error");
  });

  it("display(df) upserts by the grouping columns, numeric ones too, and shows windows before they close", async () => {
    const input = new MemoryStream("ts TIMESTAMP, sensor INT, reading DOUBLE");
    const perSensor = input
      .toDF()
      .withWatermark("ts", "10 minutes")
      .groupBy(window(col("ts"), "1 minute"), col("sensor"))
      .agg(count("*").alias("n"));
    const before = bridge.outputs.length;
    display(perSensor, { name: "per_sensor", sort: "sensor", maxUpdatesPerSecond: 20, trigger: { processingTime: "50 milliseconds" } });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = newestQuery();
    input.addData([{ ts: new Date(t0), sensor: 1, reading: 1 }, { ts: new Date(t0 + 1000), sensor: 2, reading: 1 }]);
    await query.processAllAvailable();
    input.addData([{ ts: new Date(t0 + 2000), sensor: 1, reading: 1 }]);
    await query.processAllAvailable();
    await waitFor(() => /\|\s*1\|\s*2\|/.test(String(lastBundleOf(shown.displayId)?.["text/plain"])), "sensor 1 counted twice, in one row");
    const text = String(lastBundleOf(shown.displayId)?.["text/plain"]);
    expect(text).toContain("update mode, keyed by window, sensor");
    expect(text).toContain("2 of 2 rows");
    await query.stop();
  });

  it("a query that fails leaves its display with the error and the last good result", async () => {
    const input = new MemoryStream("json STRING");
    const parsed = input.toDF().select(from_json(col("json"), "id INT, name STRING", { mode: "FAILFAST" }).alias("r")).select("r.*");
    const before = bridge.outputs.length;
    display(parsed, { name: "failing", maxUpdatesPerSecond: 20, trigger: { processingTime: "50 milliseconds" } });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = newestQuery();
    input.addData([{ json: '{"id": 1, "name": "first"}' }]);
    await query.processAllAvailable();
    input.addData([{ json: "{not json" }]);
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("state: failed"), "the failed state");
    const text = String(lastBundleOf(shown.displayId)?.["text/plain"]);
    expect(text).toMatch(/error: .*malformed record/);
    expect(text).toContain("first");
    expect(String(lastBundleOf(shown.displayId)?.["text/html"])).toContain("color:#cf222e");
  });

  it("the status line shows the watermark and the rows dropped as late", async () => {
    const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
    const perWindow = input.toDF().withWatermark("ts", "10 seconds").groupBy(window(col("ts"), "10 seconds"), col("region")).agg(count("*").alias("n"));
    const before = bridge.outputs.length;
    display(perWindow, { name: "late_rows", maxUpdatesPerSecond: 20, trigger: { processingTime: "50 milliseconds" } });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = newestQuery();
    input.addData([{ ts: new Date(t0 + 60_000), region: "east", amount: 1 }]);
    await query.processAllAvailable();
    // The next batch runs with watermark t0+50s: a row from t0 is behind it and dropped.
    input.addData([{ ts: new Date(t0), region: "east", amount: 1 }]);
    await query.processAllAvailable();
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("late rows dropped: 1"), "one late row dropped");
    expect(String(lastBundleOf(shown.displayId)?.["text/plain"])).toContain("watermark: 2026-11-24 16:00:50");
    await query.stop();
  });

  it("a bad sink option fails the start with one line", () => {
    const input = new MemoryStream("k STRING");
    expect(() => display(input.toDF(), { row: 5 } as never)).toThrow("display(): unknown option 'row' (did you mean 'rows'?)");
    expect(() => chart(input.toDF(), { mark: "line", x: "k", y: "k", colour: "k" } as never)).toThrow(/chart\(\): unknown option 'colour' \(did you mean 'color'\?\)/);
    expect(spark.streams.active).toHaveLength(0);
    expect(() => input.toDF().writeStream.format("display").option("rows", "lots").start()).toThrow("display sink: option rows must be a positive number, got 'lots'");
    expect(() => input.toDF().writeStream.format("chart").option("mark", "pie").option("x", "k").option("y", "k").start()).toThrow(/unknown mark 'pie'/);
  });
});

describe("display() and chart() of plain data", () => {
  it("show an array of records as a table, and as a chart with its final SVG", async () => {
    const rows = [{ city: "Oslo", temp: -3 }, { city: "Lima", temp: 19 }, { city: "Pune", temp: 31 }];
    const before = bridge.outputs.length;
    display(rows, { sort: "-temp", rows: 2 });
    const table = bridge.outputs[before];
    expect(table.kind).toBe("display");
    expect(String(table.bundle?.["text/plain"])).toMatch(/\|\s*Pune\|\s*31\|\n\|\s*Lima\|\s*19\|/);
    chart(rows, { mark: "point", x: "city", y: "temp" });
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display" && o.bundle?.["application/vnd.vegalite.v5+json"])!;
    await waitFor(() => countSvgMarks(String(lastBundleOf(shown.displayId)?.["image/svg+xml"] ?? "")) === 3, "3 points");
    expect(() => display(undefined)).toThrow("display() got undefined: pass a streaming DataFrame, a query, a DataFrame or an array of records");
    expect(() => chart("nope", { mark: "point", x: "a", y: "b" })).toThrow("chart() needs a streaming DataFrame, a static DataFrame or an array of records");
    // A static DataFrame is charted from its rows.
    const staticDf = spark.createDataFrame(rows);
    const beforeStatic = bridge.outputs.length;
    chart(staticDf, { mark: "bar", x: "city", y: "temp" });
    const staticShown = bridge.outputs.slice(beforeStatic).find((o) => o.kind === "display")!;
    await waitFor(() => countSvgMarks(String(lastBundleOf(staticShown.displayId)?.["image/svg+xml"] ?? "")) === 3, "3 bars from a static DataFrame");
  });
});

describe("magics on real queries", () => {
  const context = (scope: Record<string, unknown>) => ({ display: bridge, scope, evaluate: async () => undefined });

  it("%display NAME starts a live table; %streams shows the query; %stop NAME stops it", async () => {
    const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
    const counts = input.toDF().groupBy(col("region")).agg(count("*").alias("n"));
    const scope = { counts };
    const before = bridge.outputs.length;
    await runMagic("display", "counts --rows 2 --sort 'n desc' --name magic_counts --max-updates 20", context(scope));
    const shown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = spark.streams.get("magic_counts")!;
    expect(query).toBeTruthy();
    input.addData([...orders(3), { ts: new Date(t0), region: "west", amount: 1 }]);
    await query.processAllAvailable();
    await waitFor(() => /\|\s*west\|\s*2\|/.test(String(lastBundleOf(shown.displayId)?.["text/plain"])), "west first with 2");

    const dashBefore = bridge.outputs.length;
    await runMagic("streams", "--once", context(scope));
    await waitFor(() => bridge.outputs.slice(dashBefore).some((o) => String(o.bundle?.["text/plain"] ?? "").includes("final state")), "the dashboard's final state");
    const dash = bridge.outputs.slice(dashBefore).filter((o) => o.bundle).at(-1)!.bundle!;
    expect(String(dash["text/plain"])).toMatch(/magic_counts\|\s*[0-9a-f]{8}\|\s*active\|/);
    expect(String(dash["text/html"])).toContain("streamlab-sparkline");

    await expect(runMagic("stop", "magic_cuonts", context(scope))).rejects.toThrow("%stop: no query or generator named 'magic_cuonts' (did you mean 'magic_counts'?)");
    await runMagic("stop", "magic_counts", context(scope));
    expect(bridge.outputs.at(-1)).toMatchObject({ kind: "print", text: "stopped query magic_counts" });
    expect(query.isActive).toBe(false);
    await waitFor(() => String(lastBundleOf(shown.displayId)?.["text/plain"]).includes("state: stopped"), "the table's final state");
  });

  it("%chart NAME draws a chart; %display of a running query shows its status; %stop --all stops everything", async () => {
    const input = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
    const totals = input.toDF().groupBy(col("region")).agg(sum("amount").alias("revenue"));
    const scope: Record<string, unknown> = { totals };
    const before = bridge.outputs.length;
    await runMagic("chart", "totals --mark bar --x region --y revenue --name magic_chart --max-updates 20", context(scope));
    const chartShown = bridge.outputs.slice(before).find((o) => o.kind === "display")!;
    const query = spark.streams.get("magic_chart")!;
    scope.q = query;
    input.addData(orders(9));
    await query.processAllAvailable();
    await waitFor(() => countSvgMarks(String(lastBundleOf(chartShown.displayId)?.["image/svg+xml"] ?? "")) === 3, "3 bars");

    const statusBefore = bridge.outputs.length;
    await runMagic("display", "q", context(scope));
    const statusShown = bridge.outputs.slice(statusBefore).find((o) => o.kind === "display")!;
    expect(String(statusShown.bundle?.["text/plain"])).toContain("query: magic_chart");

    await expect(runMagic("chart", "totals --mark line --x region", context(scope))).rejects.toThrow(/%chart: a chart needs --y/);
    await expect(runMagic("chart", "nothing --mark line --x a --y b", context(scope))).rejects.toThrow(/no streaming DataFrame named 'nothing'/);

    await runMagic("stop", "--all", context(scope));
    expect(spark.streams.active).toHaveLength(0);
    await waitFor(() => String(lastBundleOf(statusShown.displayId)?.["text/plain"]).includes("state: stopped"), "the status display's final state");
  });

  it("%display NAME names its query NAME, so %stop NAME stops it; %chart's is NAME_chart", async () => {
    const input = new MemoryStream("k STRING");
    const letters = input.toDF();
    const scope = { letters };
    await runMagic("display", "letters", context(scope));
    await runMagic("chart", "letters --mark point --x k --y k", context(scope));
    expect(spark.streams.get("letters")?.isActive).toBe(true);
    expect(spark.streams.get("letters_chart")?.isActive).toBe(true);
    // A second display of the same DataFrame cannot take the name: its query stays unnamed.
    await runMagic("display", "letters", context(scope));
    expect(spark.streams.active.filter((q) => q.name === null)).toHaveLength(1);
    await runMagic("stop", "letters", context(scope));
    expect(bridge.outputs.at(-1)).toMatchObject({ kind: "print", text: "stopped query letters" });
    await runMagic("stop", "letters_chart", context(scope));
    expect(spark.streams.active).toHaveLength(1);
  });

  it("startDisplay() returns the query for programs", async () => {
    const input = new MemoryStream("k STRING");
    const q = startDisplay(input.toDF(), { name: "programmatic" });
    expect(q.name).toBe("programmatic");
    expect(q.isActive).toBe(true);
    await q.stop();
    const dashboard = new StreamsDashboard({ bridge, once: true, sources: { queries: () => [q], generators: () => [{ name: "gen-orders", topic: "orders", status: "running", sent: 1200, rate: 100, errors: 0, elapsed: 12_000, stop() {} }] } }).start();
    await waitFor(() => dashboard.isFinished, "dashboard");
    const text = String(dashboard.toMimeBundle()["text/plain"]);
    expect(text).toMatch(/programmatic\|\s*[0-9a-f]{8}\|\s*stopped\|/);
    expect(text).toMatch(/gen-orders\|\s*orders\|\s*running\|\s*1200\|\s*100\|\s*0\|\s*12\.0s\|/);
  });
});
