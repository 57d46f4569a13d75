/** spark.sql over views: the grammar, the catalog, Spark's error texts. */
import { describe, it, expect, beforeEach } from "vitest";
import { spark, col, sum, count, avg, ParseError, AnalysisError } from "../../../lib/stream";
import { clearViews, parseSql } from "../../../lib/stream/sql";

const orders = () =>
  spark.createDataFrame(
    [
      { id: 1, region: "eu", amount: 10, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, 1)) },
      { id: 2, region: "us", amount: 20, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, 4)) },
      { id: 3, region: "eu", amount: 5, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, 12)) },
      { id: 4, region: "ap", amount: 7, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, 13)) },
    ],
    "id INT, region STRING, amount DOUBLE, ts TIMESTAMP",
  );
const regions = () => spark.createDataFrame([{ region: "eu", name: "Europe" }, { region: "us", name: "Americas" }], "region STRING, name STRING");

beforeEach(() => {
  clearViews();
  orders().createOrReplaceTempView("orders");
  regions().createOrReplaceTempView("regions");
});

describe("spark.sql: SELECT over views gives the DataFrame API's result", () => {
  it("projection, aliases, WHERE, CAST and ::, CASE", () => {
    const sqlRows = spark.sql("SELECT id, amount * 2 AS doubled, CAST(id AS STRING) s, amount::int AS i, CASE WHEN amount > 8 THEN 'big' ELSE 'small' END AS size FROM orders WHERE region = 'eu'").collect();
    const dfRows = orders().where("region = 'eu'").selectExpr("id", "amount * 2 AS doubled", "CAST(id AS STRING) s", "CAST(amount AS INT) AS i", "CASE WHEN amount > 8 THEN 'big' ELSE 'small' END AS size").collect();
    expect(sqlRows).toEqual(dfRows);
    expect(sqlRows).toEqual([
      { id: 1, doubled: 20, s: "1", i: 10, size: "big" },
      { id: 3, doubled: 10, s: "3", i: 5, size: "small" },
    ]);
  });

  it("SELECT *, t.*, qualified names and table aliases", () => {
    expect(spark.sql("SELECT * FROM orders").collect()).toEqual(orders().collect());
    expect(spark.sql("SELECT o.* FROM orders o WHERE o.id < 2").collect()).toEqual(orders().where("id < 2").collect());
    expect(spark.sql("SELECT o.id, o.region FROM orders AS o WHERE o.amount >= 10").collect()).toEqual([{ id: 1, region: "eu" }, { id: 2, region: "us" }]);
  });

  it("GROUP BY with aggregates, HAVING, ordinals and aliases, the same plan as groupBy().agg()", () => {
    const q = spark.sql("SELECT region, sum(amount) AS total, count(*) AS n FROM orders GROUP BY region");
    const d = orders().groupBy("region").agg(sum("amount").alias("total"), count("*").alias("n"));
    expect(q.plan.op).toBe("aggregate");
    expect(q.schema).toEqual(d.schema);
    expect(q.collect()).toEqual(d.collect());
    // Items in another order: aggregate then a projection.
    const sorted = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => String(a.region).localeCompare(String(b.region)));
    expect(sorted(spark.sql("SELECT sum(amount) total, region FROM orders GROUP BY 2").collect())).toEqual([
      { total: 7, region: "ap" },
      { total: 15, region: "eu" },
      { total: 20, region: "us" },
    ]);
    expect(spark.sql("SELECT upper(region) AS r, avg(amount) a FROM orders GROUP BY r HAVING count(*) > 1").collect()).toEqual([{ r: "EU", a: 7.5 }]);
    expect(spark.sql("SELECT count(*) FROM orders").collect()).toEqual(orders().agg(count("*")).collect());
    expect(spark.sql("SELECT avg(amount) FROM orders").collect()).toEqual(orders().agg(avg("amount")).collect());
  });

  it("window() keys take duration strings; INTERVAL literals in every Spark form elsewhere", () => {
    // Spark 4.1 refuses an INTERVAL as window()'s duration (test/spark/corpus.ts runs it side by side).
    expect(() => spark.sql("SELECT window, count(*) FROM orders GROUP BY window(ts, INTERVAL 10 SECONDS)")).toThrow(/^The duration and time inputs to window must be an integer, long or string literal/);
    const forms = ["'10 seconds'", "'10 SECONDS'", "'10000 milliseconds'"];
    const ref = spark.sql("SELECT window, count(*) AS n FROM orders GROUP BY window(ts, '10 seconds')").collect();
    expect(ref.map((r) => r.n)).toEqual([2, 2]);
    for (const f of forms) {
      expect(spark.sql(`SELECT window.start, window.end, count(*) AS n FROM orders GROUP BY window(ts, ${f})`).collect()).toEqual(
        ref.map((r) => ({ start: (r.window as { start: Date }).start, end: (r.window as { end: Date }).end, n: r.n })),
      );
    }
    expect(spark.sql("SELECT ts + INTERVAL '1 2:3:4' DAY TO SECOND = ts + INTERVAL 93784 SECONDS AS same FROM orders WHERE id = 1").collect()).toEqual([{ same: true }]);
    // The other ANSI day-time forms of Spark's grammar; a year-month interval is refused in one line.
    expect(spark.sql("SELECT ts + INTERVAL '3:30' MINUTE TO SECOND = ts + INTERVAL 210 SECONDS AS a, ts + INTERVAL '10:05' HOUR TO MINUTE = ts + INTERVAL 36300 SECONDS AS b, ts - INTERVAL '-1 2' DAY TO HOUR = ts + INTERVAL 93600 SECONDS AS c, ts + INTERVAL '1:02:03.5' HOUR TO SECOND = ts + INTERVAL 3723.5 SECONDS AS d FROM orders WHERE id = 1").collect()).toEqual([{ a: true, b: true, c: true, d: true }]);
    expect(() => spark.sql("SELECT * FROM orders").selectExpr("ts + INTERVAL '3:75' MINUTE TO SECOND")).toThrow(/the second field 75 is out of range/);
    expect(() => spark.sql("SELECT * FROM orders").selectExpr("ts + INTERVAL '1-2' YEAR TO MONTH")).toThrow(/year-month intervals .* are not supported/);
    expect(spark.sql("SELECT ts + INTERVAL '5' HOUR = ts + INTERVAL 5 HOURS AS same, ts + INTERVAL '10 minutes' = ts + INTERVAL 600 SECONDS AS same2 FROM orders WHERE id = 1").collect()).toEqual([{ same: true, same2: true }]);
  });

  it("window_time(window) is the window's last instant (end minus one millisecond at streamlab's precision)", () => {
    const rows = spark.sql("SELECT window_time(window) AS wt, n FROM (SELECT window, count(*) AS n FROM orders GROUP BY window(ts, '10 seconds'))").collect();
    expect(rows).toEqual([
      { wt: new Date(Date.UTC(2024, 0, 1, 0, 0, 9, 999)), n: 2 },
      { wt: new Date(Date.UTC(2024, 0, 1, 0, 0, 19, 999)), n: 2 },
    ]);
  });

  it("JOIN ... ON and USING with a static view, LEFT JOIN keeps unmatched rows", () => {
    const inner = spark.sql("SELECT o.id, r.name FROM orders o JOIN regions r ON o.region = r.region").collect();
    expect(inner).toEqual(orders().join(regions(), "region").select("id", "name").collect());
    const left = spark.sql("SELECT id, name FROM orders LEFT JOIN regions USING (region)").collect();
    expect(left).toEqual(orders().join(regions(), "region", "left").select("id", "name").collect());
    expect(left.find((r) => r.id === 4)).toEqual({ id: 4, name: null });
  });

  it("WITH, subqueries in FROM, UNION ALL, ORDER BY and LIMIT on static data", () => {
    const rows = spark.sql(`
      WITH big AS (SELECT * FROM orders WHERE amount >= 7)
      SELECT region, n FROM (SELECT region, count(*) AS n FROM big GROUP BY region) t
      ORDER BY n DESC, region LIMIT 2`).collect();
    expect(rows).toEqual([{ region: "ap", n: 1 }, { region: "eu", n: 1 }]);
    expect(spark.sql("SELECT id FROM orders WHERE id < 2 UNION ALL SELECT id FROM orders WHERE id > 3").collect()).toEqual([{ id: 1 }, { id: 4 }]);
  });

  it("global temp views, spark.view, catalog.listTables, DROP VIEW, SHOW TABLES", () => {
    orders().where("id = 1").createOrReplaceGlobalTempView("first_order");
    expect(spark.sql("SELECT id FROM global_temp.first_order").collect()).toEqual([{ id: 1 }]);
    expect(spark.view("regions").collect()).toEqual(regions().collect());
    expect(spark.catalog.listTables().map((t) => [t.name, t.isTemporary])).toEqual([["orders", true], ["regions", true]]);
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW eu AS SELECT * FROM orders WHERE region = 'eu'");
    expect(spark.sql("SELECT count(*) AS n FROM eu").collect()).toEqual([{ n: 2 }]);
    expect(spark.sql("SHOW TABLES").collect().map((r) => r.tableName)).toEqual(["eu", "orders", "regions"]);
    spark.sql("DROP VIEW eu");
    expect(spark.catalog.tableExists("eu")).toBe(false);
  });

  it("EXPLAIN returns the analysed plan as one row", () => {
    const [row] = spark.sql("EXPLAIN SELECT region, count(*) FROM orders WHERE amount > 1 GROUP BY region").collect();
    expect(row.plan).toMatch(/^== Analyzed Logical Plan ==\nAggregate keys=\[region\], aggs=\[count\]\n {2}\+- Filter condition\n/);
  });

  it("a view over a stream makes a streaming DataFrame; CREATE TEMPORARY VIEW ... USING kafka reads a topic", () => {
    spark.memoryStream("k STRING, v DOUBLE").toDF().createOrReplaceTempView("events");
    const df = spark.sql("SELECT k, sum(v) FROM events GROUP BY k");
    expect(df.isStreaming).toBe(true);
    expect(() => df.collect()).toThrow(/Queries with streaming sources must be executed with writeStream.start\(\)/);
    spark.sql("CREATE TEMPORARY VIEW topic_orders USING kafka OPTIONS (subscribe 'orders', startingOffsets 'earliest', kafka.bootstrap.servers 'localhost:1')");
    const t = spark.sql("SELECT CAST(value AS STRING) AS json, partition, offset FROM topic_orders");
    expect(t.isStreaming).toBe(true);
    expect(t.columns).toEqual(["json", "partition", "offset"]);
    spark.sql("CREATE TEMPORARY VIEW parsed (id INT, region STRING) USING kafka OPTIONS (subscribe 'orders', kafka.bootstrap.servers 'localhost:1')");
    expect(spark.sql("SELECT * FROM parsed").columns.slice(0, 2)).toEqual(["id", "region"]);
  });

  it("the WATERMARK clause in FROM is withWatermark()", () => {
    spark.memoryStream("k STRING, ts TIMESTAMP").toDF().createOrReplaceTempView("clicks");
    const q = spark.sql("SELECT window, k, count(*) FROM clicks WATERMARK ts DELAY OF INTERVAL 30 SECONDS GROUP BY window(ts, '1 minute'), k");
    const wm = q.plan.op === "aggregate" ? q.plan.child : undefined;
    expect(wm?.op).toBe("watermark");
    expect(wm?.op === "watermark" && wm.delayMs).toBe(30_000);
    expect(q.plan.op === "aggregate" && q.plan.eventTimeKey).toBe(0);
    const alias = spark.sql("SELECT c.k FROM clicks AS c WATERMARK ts DELAY OF INTERVAL '5' MINUTE");
    expect(alias.plan.op === "project" && alias.plan.child.op === "watermark" && alias.plan.child.delayMs).toBe(300_000);
  });
});

describe("errors as Spark gives them", () => {
  const err = (f: () => unknown): Error => {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    throw new Error("no error");
  };

  it("PARSE_SYNTAX_ERROR with line, pos and a caret under the spot", () => {
    const e = err(() => spark.sql("SELECT id\nFROM orders WHERE id = = 1"));
    expect(e).toBeInstanceOf(ParseError);
    expect(e.message).toBe("[PARSE_SYNTAX_ERROR] Syntax error at or near '='. SQLSTATE: 42601 (line 2, pos 23)\n\n== SQL ==\nSELECT id\nFROM orders WHERE id = = 1\n-----------------------^^^");
    expect(err(() => spark.sql("SELECT id FROM")).message).toMatch(/^\[PARSE_SYNTAX_ERROR\] Syntax error at or near end of input\. SQLSTATE: 42601 \(line 1, pos 14\)/);
    expect(err(() => spark.sql("SELECT (1 + FROM orders")).message).toMatch(/at or near 'FROM'.*\(line 1, pos 12\)/);
    expect(err(() => spark.sql("SELECT 1; SELECT 2")).message).toMatch(/at or near 'SELECT'/);
  });

  it("UNRESOLVED_COLUMN.WITH_SUGGESTION and TABLE_OR_VIEW_NOT_FOUND, with the place", () => {
    const e = err(() => spark.sql("SELECT amout FROM orders"));
    expect(e).toBeInstanceOf(AnalysisError);
    expect(e.message).toBe("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `amout` cannot be resolved. Did you mean one of the following? [`amount`, `id`, `ts`, `region`]. SQLSTATE: 42703; line 1 pos 7");
    const t = err(() => spark.sql("SELECT * FROM order"));
    expect(t.message).toMatch(/^\[TABLE_OR_VIEW_NOT_FOUND\] The table or view `order` cannot be found\. .* Did you mean `orders`\?.*SQLSTATE: 42P01; line 1 pos 14$/);
    expect(err(() => spark.sql("SELECT region, amount FROM orders GROUP BY region")).message).toMatch(/^\[MISSING_AGGREGATION\] The non-aggregating expression `amount`/);
  });

  it("a stream-stream join and sorting a stream fail with Spark's messages", () => {
    spark.memoryStream("k STRING").toDF().createOrReplaceTempView("s1");
    spark.memoryStream("k STRING").toDF().createOrReplaceTempView("s2");
    // An inner equi-join of two streams plans (the stream-stream join, lib/stream/plan/join.ts); a LEFT JOIN
    // without watermarks gets Spark's message.
    expect(spark.sql("SELECT * FROM s1 JOIN s2 USING (k)").isStreaming).toBe(true);
    expect(() => spark.sql("SELECT * FROM s1 LEFT JOIN s2 USING (k)")).toThrow(/Stream-stream LeftOuter join between two streaming DataFrame\/Datasets is not supported without a watermark/);
    // As in Spark, the sort is checked against the output mode when the query starts.
    const sorted = spark.sql("SELECT k FROM s1 ORDER BY k");
    expect(() => sorted.writeStream.format("memory").queryName("sorted_s1").outputMode("append").start()).toThrow(/^Sorting is not supported on streaming DataFrames\/Datasets, unless it is on aggregated DataFrame\/Dataset in Complete output mode/);
  });

  it("scripts split into statements at ';' (not inside strings or comments)", () => {
    const st = parseSql("CREATE TEMP VIEW a AS SELECT ';' AS x; -- a comment;\nSELECT * FROM a /* ; */ ;");
    expect(st.map((s) => s.kind)).toEqual(["createView", "query"]);
    expect(st[1].text).toBe("SELECT * FROM a /* ; */");
  });
});
