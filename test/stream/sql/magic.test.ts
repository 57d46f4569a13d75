/** %%sql through the magic registry, with lib/render's display and chart sinks loaded (as in the kernel). */
import { describe, it, expect, afterEach, beforeEach } from "vitest";
import { runMagic, setDisplayBridge, type DisplayBridge, type MimeBundle } from "../../../lib/core";
import { spark } from "../../../lib";
import { clearViews } from "../../../lib/stream/sql";
import { expandSql } from "../../../lib/stream/sql/magic";
import { at } from "../support/collect";

interface Captured extends DisplayBridge {
  texts: string[];
  bundles: MimeBundle[];
  updates: MimeBundle[];
}

function captureBridge(): Captured {
  const c: Captured = {
    texts: [],
    bundles: [],
    updates: [],
    display(bundle) {
      c.bundles.push(bundle);
    },
    update(_id, bundle) {
      c.updates.push(bundle);
    },
    print(text) {
      c.texts.push(text);
    },
  };
  return c;
}

let bridge: Captured;
let previous: DisplayBridge;
const scope: Record<string, unknown> = {};
const evaluate = (code: string): Promise<unknown> => Promise.resolve(new Function("scope", `with (scope) { return (${code}); }`)(scope));
const sql = (args: string, body: string) => runMagic("sql", args, { body, display: bridge, scope, evaluate });

beforeEach(() => {
  bridge = captureBridge();
  previous = setDisplayBridge(bridge);
  clearViews();
});
afterEach(async () => {
  await Promise.all(spark.streams.active.map((q) => q.stop()));
  setDisplayBridge(previous);
});

const plain = (b: MimeBundle) => String(b["text/plain"] ?? "");

describe("%%sql", () => {
  it("a batch SELECT shows its table at once; several statements run in order", async () => {
    spark.createDataFrame([{ k: "a", v: 1 }, { k: "b", v: 2 }, { k: "a", v: 5 }], "k STRING, v INT").createOrReplaceTempView("t");
    await sql("", "CREATE OR REPLACE TEMP VIEW big AS SELECT * FROM t WHERE v > 1;\nSELECT k, sum(v) AS total FROM big GROUP BY k ORDER BY k");
    expect(bridge.texts).toEqual(["view big: [k, v]"]);
    expect(bridge.bundles).toHaveLength(1);
    expect(plain(bridge.bundles[0])).toMatch(/\|\s*k\|total\|[\s\S]*\|\s*a\|\s*5\|[\s\S]*\|\s*b\|\s*2\|/);
  });

  it("a streaming SELECT starts a named live table that follows the stream", async () => {
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP");
    ms.toDF().createOrReplaceTempView("clicks");
    await sql("--name clicks_by_k --trigger 50ms", "SELECT k, count(*) AS n FROM clicks GROUP BY k");
    const q = spark.streams.active.find((x) => x.name === "clicks_by_k");
    expect(q).toBeDefined();
    ms.addData([{ k: "a", ts: at(1) }, { k: "a", ts: at(2) }, { k: "b", ts: at(3) }]);
    await q!.processAllAvailable();
    await new Promise((r) => setTimeout(r, 400));
    const html = [...bridge.bundles, ...bridge.updates].map((b) => String(b["text/html"] ?? b["text/plain"] ?? "")).join("\n");
    expect(html).toMatch(/clicks_by_k/);
    expect(html).toMatch(/>a<[\s\S]*>2</);
  });

  it("--mode gives Spark's output-mode rules and errors; --chart starts a chart query", async () => {
    spark.memoryStream("k STRING, ts TIMESTAMP").toDF().createOrReplaceTempView("clicks");
    await expect(sql("--mode append", "SELECT k, count(*) FROM clicks GROUP BY k")).rejects.toThrow(
      /^%%sql: Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark/,
    );
    await expect(sql("--mode complete", "SELECT k FROM clicks")).rejects.toThrow(/Complete output mode not supported when there are no streaming aggregations/);
    await sql("--chart line --x window.start --y n --name clicks_chart", "SELECT window, count(*) AS n FROM clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS GROUP BY window(ts, '10 seconds')");
    expect(spark.streams.active.map((x) => x.name)).toContain("clicks_chart");
    await expect(sql("--x a", "SELECT 1")).rejects.toThrow(/--x and --y go with --chart/);
  });

  it("parse errors keep Spark's caret; unknown views say how to define one", async () => {
    await expect(sql("", "SELECT k FROM")).rejects.toThrow(/^\[PARSE_SYNTAX_ERROR\] Syntax error at or near end of input\. SQLSTATE: 42601 \(line 1, pos 13\)\n\n== SQL ==\nSELECT k FROM\n-------------\^\^\^$/);
    await expect(sql("", "SELECT * FROM nowhere")).rejects.toThrow(/^%%sql: \[TABLE_OR_VIEW_NOT_FOUND\] The table or view `nowhere` cannot be found/);
  });

  it("$name and {expression} expand in the body", async () => {
    scope.region = "eu";
    scope.limit = 3;
    expect(await expandSql("SELECT * FROM t WHERE region = '$region' AND n < {limit * 2} AND x = $undefinedName AND y = '$$region' AND m = map('{{a}}')", { scope, evaluate })).toBe(
      "SELECT * FROM t WHERE region = 'eu' AND n < 6 AND x = $undefinedName AND y = '$region' AND m = map('{a}')",
    );
    spark.createDataFrame([{ region: "eu", n: 1 }, { region: "us", n: 2 }], "region STRING, n INT").createOrReplaceTempView("r");
    await sql("", "SELECT n FROM r WHERE region = '$region'");
    expect(plain(bridge.bundles[0])).toMatch(/\|\s*n\|[\s\S]*\|\s*1\|/);
  });

  it("%display QUERY --late shows the rows the watermark dropped; %display DF --corrupt the malformed ones", async () => {
    const ms = spark.memoryStream("k STRING, ts TIMESTAMP");
    ms.toDF().createOrReplaceTempView("clicks");
    const q = spark.sql("SELECT window, k, count(*) AS n FROM clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS GROUP BY window(ts, '10 seconds'), k")
      .writeStream.format("memory").queryName("late_q").outputMode("update").trigger({ processingTime: "20 ms" }).start();
    ms.addData([{ k: "a", ts: at(20) }]);
    await q.processAllAvailable();
    await runMagic("display", "late_q --late", { display: bridge, scope, evaluate });
    expect(plain(bridge.bundles[0])).toMatch(/\(no rows yet\)/);
    ms.addData([{ k: "too_late", ts: at(3) }]);
    await q.processAllAvailable();
    await new Promise((r) => setTimeout(r, 100));
    const last = plain(bridge.updates[bridge.updates.length - 1]);
    expect(last).toMatch(/event_time[\s\S]*2024-01-01 00:00:03[\s\S]*2024-01-01 00:00:15[\s\S]*too_late/);
    await expect(runMagic("display", "clicks_df --late", { display: bridge, scope: { clicks_df: ms.toDF() }, evaluate })).rejects.toThrow(/--late shows a running query's late rows/);

    const raw = spark.memoryStream("value STRING");
    scope.parsed = raw.toDF().selectExpr("from_json(value, 'a INT, _corrupt_record STRING') AS d").select("d.*");
    await runMagic("display", "parsed --corrupt", { display: bridge, scope, evaluate });
    const cq = spark.streams.get("parsed_corrupt")!;
    raw.addData([{ value: '{"a": 1}' }, { value: "not json" }]);
    await cq.processAllAvailable();
    await new Promise((r) => setTimeout(r, 400));
    const text = [...bridge.bundles, ...bridge.updates].map(plain).join("\n");
    expect(text).toMatch(/not json/);
    expect(text).not.toMatch(/\|\s*1\|\s*null\|/);
  });
});
