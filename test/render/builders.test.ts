import { describe, expect, it } from "vitest";
import { ResultState, inferKeyColumns } from "../../lib/render/state";
import { buildHtmlTable, buildTextTable, parseSort, selectRows, statusText } from "../../lib/render/table";
import { buildChartSpec, buildCompactSpec, fillFullSpec, isFullVegaLiteSpec, compactSpecFromOptions, vegaField } from "../../lib/render/spec";
import { flattenSchema, formatValue, parseType } from "../../lib/render/values";
import { escapeHtml } from "../../lib/core";
import { consumerLag, statusFromProgress, statusFromQuery } from "../../lib/render/status";
import { makeBatch, revenueRow, revenueSchema } from "./support";

describe("types and values", () => {
  it("parses Spark simpleString and DDL struct types and flattens them", () => {
    expect(parseType("struct<start:timestamp,end:timestamp>")).toEqual({
      kind: "struct",
      fields: [
        { name: "start", type: { kind: "timestamp" } },
        { name: "end", type: { kind: "timestamp" } },
      ],
    });
    expect(parseType("STRUCT<a: INT, b: STRUCT<c: STRING>>").fields?.[1].type.fields?.[0]).toEqual({ name: "c", type: { kind: "string" } });
    expect(parseType("decimal(10,2)").kind).toBe("number");
    expect(parseType("array<string>").kind).toBe("array");
    expect(flattenSchema(revenueSchema).map((c) => `${c.name}:${c.kind}`)).toEqual(["window.start:timestamp", "window.end:timestamp", "region:string", "revenue:number", "orders:number"]);
  });

  it("formats values the way Spark's show() prints them", () => {
    expect(formatValue(new Date(Date.UTC(2026, 10, 24, 16, 5, 0)), "timestamp")).toBe("2026-11-24 16:05:00");
    expect(formatValue(Date.UTC(2026, 10, 24, 16, 5, 0, 250), "timestamp")).toBe("2026-11-24 16:05:00.250");
    expect(formatValue(0.1 + 0.2, "number")).toBe("0.3");
    expect(formatValue(null, "string")).toBe("null");
    expect(formatValue(Buffer.from('{"a":1}'), "binary")).toBe('{"a":1}');
    expect(formatValue(Buffer.from([0, 255, 1]), "binary")).toBe("[00 ff 01]");
    expect(formatValue("x".repeat(500), "string").length).toBe(200);
  });
});

describe("HTML and text tables", () => {
  const rows = [revenueRow(0, "east", 10.5, 2), revenueRow(1, "west <b>&", 99, 7), revenueRow(2, "north", 42, 3)];

  it("escapes every value and header, and shows the status line above the table", () => {
    const html = buildHtmlTable({
      schema: revenueSchema,
      rows,
      limit: 10,
      status: { queryName: "rev<enue>", state: "active", batchId: 3, inputRowsPerSecond: 1234.5, processedRowsPerSecond: 5000, watermark: "2026-11-24T16:00:00.000Z", droppedLate: 4, lag: 17, stateRows: 12, stateBytes: 4096, error: "boom <script>" },
    });
    expect(html).toContain("west &lt;b&gt;&amp;");
    expect(html).not.toContain("<b>&");
    expect(html).not.toContain("<script>");
    expect(html).toContain("rev&lt;enue&gt;");
    expect(html.indexOf("streamlab-status")).toBeLessThan(html.indexOf("<table"));
    for (const part of ["batch</b> 3", "input</b> 1,235 rows/s", "processed</b> 5,000 rows/s", "watermark</b> 2026-11-24 16:00:00", "late rows dropped</b> 4", "lag</b> 17 msgs", "state store</b> 12 rows, 4.0 KiB", "error</b> boom &lt;script&gt;"]) {
      expect(html).toContain(part);
    }
    expect(html).toContain("<th>window.start</th>");
    expect(html).toContain("<td>2026-11-24 16:01:00</td>");
  });

  it("sorts by an option (ascending, desc, -col) with nulls last, and limits to the top N", () => {
    const withNull = [...rows, { ...revenueRow(3, "south", 0), revenue: null }];
    const cols = flattenSchema(revenueSchema);
    const names = (r: Record<string, unknown>[]) => r.map((x) => x.region);
    expect(names(selectRows(withNull, cols, 10, parseSort("revenue")))).toEqual(["east", "north", "west <b>&", "south"]);
    expect(names(selectRows(withNull, cols, 2, parseSort("revenue desc")))).toEqual(["west <b>&", "north"]);
    expect(names(selectRows(withNull, cols, 10, parseSort("-revenue")))).toEqual(["west <b>&", "north", "east", "south"]);
    expect(names(selectRows(withNull, cols, 2, parseSort("window.start:desc")))).toEqual(["south", "north"]);
    expect(names(selectRows(withNull, cols, 2, undefined, true))).toEqual(["north", "south"]);
    expect(() => selectRows(rows, cols, 2, parseSort("nope"))).toThrow(/cannot sort by 'nope': the result has columns window.start, window.end, region/);
  });

  it("orders rows by key columns ascending, struct (window) keys first, nulls last, when no sort is given", () => {
    const cols = flattenSchema(revenueSchema);
    const arrived = [revenueRow(2, "west", 1), revenueRow(1, "west", 2), { ...revenueRow(1, "x", 3), region: null }, revenueRow(1, "east", 4), revenueRow(2, "east", 5)];
    const keys = (r: Record<string, unknown>[]) => r.map((x) => `${(x.window as { start: Date }).start.getUTCMinutes()} ${x.region}`);
    expect(keys(selectRows(arrived, cols, 10, undefined, false, ["region", "window"]))).toEqual(["1 east", "1 west", "1 null", "2 east", "2 west"]);
    // tail (update mode) keeps the last rows of that order: the newest windows.
    expect(keys(selectRows(arrived, cols, 2, undefined, true, ["window", "region"]))).toEqual(["2 east", "2 west"]);
    // Unknown key names are ignored; a sort overrides the key order.
    expect(keys(selectRows(arrived, cols, 10, undefined, false, ["nope"]))).toEqual(keys(arrived));
    expect(keys(selectRows(arrived, cols, 1, parseSort("revenue desc"), false, ["window", "region"]))).toEqual(["2 east"]);
  });

  it("reports a bad sort column in the table instead of failing the display", () => {
    const html = buildHtmlTable({ schema: revenueSchema, rows, limit: 5, sort: parseSort("revnue") });
    expect(html).toContain("cannot sort by &#39;revnue&#39;");
    expect(html).toContain("<td>east</td>");
  });

  it("prints a Spark-style text table", () => {
    const text = buildTextTable({ schema: [{ name: "region", type: "string" }, { name: "n", type: "bigint" }], rows: [{ region: "east", n: 5 }, { region: "w", n: 12345 }], limit: 5, status: { queryName: "q", batchId: 1 } });
    expect(text).toBe(["query: q | batch: 1", "+------+-----+", "|region|    n|", "+------+-----+", "|  east|    5|", "|     w|12345|", "+------+-----+", "2 of 2 rows"].join("\n"));
  });

  it("infers columns (flattening nested objects) when there is no schema", () => {
    const html = buildHtmlTable({ rows: [{ a: { b: 1, c: "x" }, d: true }], limit: 5 });
    expect(html).toContain("<th>a.b</th><th>a.c</th><th>d</th>");
    expect(html).toContain("<td>1</td><td>x</td><td>true</td>");
  });

  it("says so when there are no rows yet", () => {
    expect(buildHtmlTable({ schema: revenueSchema, rows: [], limit: 5 })).toContain("no rows yet");
    expect(buildTextTable({ rows: [], limit: 5 })).toContain("(no rows yet)");
  });

  it("escapes HTML special characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

describe("result state (bounded)", () => {
  it("append mode keeps the newest N rows whatever the stream length, skipping re-delivered batches", () => {
    const state = new ResultState({ appendCapacity: 3 });
    const schema = [{ name: "n", type: "bigint" }];
    for (let b = 0; b < 100; b++) state.apply(makeBatch(b, "append", schema, [{ n: b * 2 }, { n: b * 2 + 1 }]));
    expect(state.rows().map((r) => r.n)).toEqual([197, 198, 199]);
    expect(state.apply(makeBatch(99, "append", schema, [{ n: -1 }]))).toBe(false);
    expect(state.size).toBe(3);
    expect(state.totalRows).toBe(200);
    // A batch larger than the capacity only materializes the rows kept.
    state.apply(makeBatch(100, "append", schema, Array.from({ length: 1000 }, (_, i) => ({ n: i }))));
    expect(state.rows().map((r) => r.n)).toEqual([997, 998, 999]);
  });

  it("update mode upserts by the non-aggregate columns, bounded by evicting the oldest keys", () => {
    expect(inferKeyColumns(revenueSchema)).toEqual(["window", "region"]);
    expect(inferKeyColumns(revenueSchema, ["region"])).toEqual(["region"]);
    const state = new ResultState({ appendCapacity: 10, tableCapacity: 3 });
    state.apply(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 1), revenueRow(0, "west", 2)]));
    state.apply(makeBatch(1, "update", revenueSchema, [revenueRow(0, "east", 5), revenueRow(1, "east", 3)]));
    expect(state.rows().map((r) => `${r.region}:${r.revenue}`)).toEqual(["east:5", "west:2", "east:3"]);
    state.apply(makeBatch(2, "update", revenueSchema, [revenueRow(2, "east", 7)]));
    expect(state.rows().map((r) => `${r.region}:${r.revenue}`)).toEqual(["west:2", "east:3", "east:7"]);
    expect(state.evicted).toBe(1);
  });

  it("update mode uses the engine's key columns when the batch carries them", () => {
    const state = new ResultState({ appendCapacity: 10 });
    const schema = [{ name: "sensor", type: "int" }, { name: "avg", type: "double" }];
    state.apply(makeBatch(0, "update", schema, [{ sensor: 1, avg: 1 }, { sensor: 2, avg: 2 }], ["sensor"]));
    state.apply(makeBatch(1, "update", schema, [{ sensor: 1, avg: 9 }], ["sensor"]));
    expect(state.rows()).toEqual([{ sensor: 1, avg: 9 }, { sensor: 2, avg: 2 }]);
  });

  it("complete mode replaces the table with each batch", () => {
    const state = new ResultState({ appendCapacity: 10, tableCapacity: 2 });
    const schema = [{ name: "k", type: "string" }, { name: "n", type: "bigint" }];
    state.apply(makeBatch(0, "complete", schema, [{ k: "a", n: 1 }]));
    state.apply(makeBatch(1, "complete", schema, [{ k: "a", n: 2 }, { k: "b", n: 1 }, { k: "c", n: 1 }]));
    expect(state.rows()).toEqual([{ k: "a", n: 2 }, { k: "b", n: 1 }]);
  });
});

describe("status from progress", () => {
  const progress = {
    name: "revenue",
    batchId: 7,
    inputRowsPerSecond: 100,
    processedRowsPerSecond: 250,
    eventTime: { watermark: "2026-11-24T16:00:00.000Z" },
    stateOperators: [{ numRowsTotal: 10, memoryUsedBytes: 2048, numRowsDroppedByWatermark: 3 }, { numRowsTotal: 5, numRowsDroppedByWatermark: 1 }],
    sources: [{ endOffset: { orders: { "0": 10, "1": 20 } }, latestOffset: '{"orders":{"0":15,"1":20}}' }],
  };

  it("reads Spark's fields: rates, watermark, late rows, state, lag from offsets", () => {
    const s = statusFromProgress(progress);
    expect(s).toMatchObject({ queryName: "revenue", batchId: 7, inputRowsPerSecond: 100, processedRowsPerSecond: 250, droppedLate: 4, stateRows: 15, stateBytes: 2048, lag: 5 });
    expect(consumerLag({ sources: [{ metrics: { maxOffsetsBehindLatest: "12" } }] })).toBe(12);
    expect(consumerLag({ sources: [] })).toBeUndefined();
    expect(statusFromProgress({ ...progress, consumerLag: 99, numRowsDroppedByWatermark: 8 })).toMatchObject({ lag: 99, droppedLate: 8 });
  });

  it("reads a query: state, name, error; a throwing getter does not break it", () => {
    const query = {
      id: "0123456789abcdef",
      name: null,
      isActive: false,
      get lastProgress(): never {
        throw new Error("getter broke");
      },
      recentProgress: [],
      stop() {},
      exception: () => ({ message: "Kafka went away\nstack..." }),
    };
    const s = statusFromQuery(query);
    expect(s).toMatchObject({ queryName: "01234567", state: "failed", error: "Kafka went away" });
    expect(statusText(s)).toBe("query: 01234567 | state: failed | error: Kafka went away");
  });
});

describe("chart specs", () => {
  const rows = [revenueRow(0, "east", 10), revenueRow(0, "west", 20), revenueRow(1, "east", 15)];

  it("turns compact options into a vega-lite v5 spec with flattened struct fields and inline values", () => {
    const { spec, points } = buildCompactSpec({ mark: "line", x: "window.start", y: "revenue", color: "region" }, rows, revenueSchema);
    expect(points).toBe(3);
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v5.json");
    expect(spec.mark).toMatchObject({ type: "line", tooltip: true });
    expect(spec.encoding).toMatchObject({
      x: { field: "window\\.start", type: "temporal", title: "window.start" },
      y: { field: "revenue", type: "quantitative" },
      color: { field: "region", type: "nominal" },
    });
    const values = (spec.data as { values: Record<string, unknown>[] }).values;
    expect(values[0]).toEqual({ "window.start": Date.UTC(2026, 10, 24, 16, 0, 0), revenue: 10, region: "east" });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it("supports line, bar, area, point and heatmap marks, and type suffixes", () => {
    for (const mark of ["line", "bar", "area", "point"] as const) {
      expect(buildCompactSpec({ mark, x: "window.start", y: "revenue" }, rows, revenueSchema).spec.mark).toMatchObject({ type: mark });
    }
    const heat = buildCompactSpec({ mark: "heatmap", x: "window.start", y: "region", color: "revenue" }, rows, revenueSchema).spec;
    expect(heat.mark).toMatchObject({ type: "rect" });
    expect(heat.encoding).toMatchObject({ x: { type: "ordinal", timeUnit: "yearmonthdatehoursminutesseconds" }, y: { type: "nominal" }, color: { type: "quantitative" } });
    const typed = buildCompactSpec({ mark: "bar", x: "orders:O", y: "revenue", stack: false }, rows, revenueSchema).spec;
    expect(typed.encoding).toMatchObject({ x: { field: "orders", type: "ordinal" }, y: { stack: null } });
  });

  it("rejects bad options with one line naming the fix", () => {
    expect(() => buildCompactSpec({ mark: "pie" as "line", x: "a", y: "b" }, rows)).toThrow(/unknown mark 'pie': use one of line, bar/);
    expect(() => buildCompactSpec({ mark: "line", x: "", y: "b" }, rows)).toThrow(/needs x/);
    expect(() => buildCompactSpec({ mark: "heatmap", x: "a", y: "b" }, rows)).toThrow(/heatmap needs color/);
    expect(() => buildCompactSpec({ mark: "line", x: "window.begin", y: "revenue" }, rows, revenueSchema)).toThrow(/chart x: no column 'window.begin' in the result; columns are window.start, window.end, region/);
  });

  it("fills a full vega-lite spec's data (top level or named dataset) and leaves the rest alone", () => {
    const full = { mark: "point", encoding: { x: { field: "window.start", type: "temporal" }, y: { field: "revenue", type: "quantitative" } }, data: { url: "http://example.com/x.json" } };
    expect(isFullVegaLiteSpec(full)).toBe(true);
    expect(isFullVegaLiteSpec({ mark: "line", x: "a", y: "b" })).toBe(false);
    const filled = fillFullSpec(full, rows).spec;
    expect(filled.data).toEqual({ values: expect.any(Array) });
    expect((filled.data as { values: { window: { start: number } }[] }).values[0].window.start).toBe(Date.UTC(2026, 10, 24, 16, 0, 0));
    expect(full.data).toEqual({ url: "http://example.com/x.json" });
    const named = fillFullSpec({ ...full, data: { name: "stream" } }, rows).spec;
    expect(named.data).toEqual({ name: "stream" });
    expect((named.datasets as Record<string, unknown[]>).stream).toHaveLength(3);
    expect(buildChartSpec(full, rows).points).toBe(3);
  });

  it("reads compact options from string options and escapes field names", () => {
    expect(compactSpecFromOptions({ mark: "bar", x: "a", y: "b", width: "300", tooltip: "c, d", stack: "false" })).toEqual({ mark: "bar", x: "a", y: "b", width: 300, tooltip: ["c", "d"], stack: false });
    expect(vegaField("a.b[0]")).toBe("a\\.b\\[0\\]");
  });
});
