import { describe, it, expect } from "vitest";
import { setDisplayBridge, consoleBridge } from "../../lib/display";
import {
  spark, col, lit, expr, when, from_json, to_json, struct, parseDDL, typeString, AnalysisError, ParseError,
  upper, coalesce, concat_ws, to_timestamp, date_format, window, count, sum, avg, min, max, first, last,
  count_distinct, collect_list, approx_count_distinct,
} from "../../lib/stream";

const people = () =>
  spark.createDataFrame(
    [
      { name: "ann", age: 31, city: "Oslo", score: 1.5 },
      { name: "bob", age: null, city: "Rome", score: null },
      { name: "cid", age: 17, city: null, score: 3 },
    ],
    "name STRING, age INT, city STRING, score DOUBLE",
  );

describe("DDL schemas", () => {
  it("parses flat and nested DDL with Spark's type names", () => {
    const s = parseDDL("order_id STRING, amount DOUBLE, qty bigint NOT NULL, ts TIMESTAMP, o STRUCT<a: INT, b: ARRAY<STRING>>, m MAP<STRING, DOUBLE>, d DECIMAL(10,2)");
    expect(s.fields.map((f) => [f.name, typeString(f.type), f.nullable])).toEqual([
      ["order_id", "string", true],
      ["amount", "double", true],
      ["qty", "bigint", false],
      ["ts", "timestamp", true],
      ["o", "struct<a:int,b:array<string>>", true],
      ["m", "map<string,double>", true],
      ["d", "decimal", true],
    ]);
  });
  it("rejects bad DDL with one line that names the problem", () => {
    expect(() => parseDDL("a STRNG")).toThrow(/unknown type 'strng'/);
    expect(() => parseDDL("a INT b INT")).toThrow(/expected ','/);
    expect(() => parseDDL("a INT, a STRING")).toThrow(/appears twice/);
  });
});

describe("printSchema", () => {
  it("prints the tree once and returns nothing, as PySpark does; schemaString() gives the text", () => {
    const printed: string[] = [];
    const previous = setDisplayBridge({ ...consoleBridge, print: (text) => printed.push(text) });
    let returned: unknown = "not called";
    try {
      returned = people().select("name", "age").printSchema();
    } finally {
      setDisplayBridge(previous);
    }
    const tree = "root\n |-- name: string (nullable = true)\n |-- age: integer (nullable = true)";
    expect(returned).toBeUndefined();
    expect(printed).toEqual([tree]);
    expect(people().select("name", "age").schemaString()).toBe(tree);
  });
});

describe("expressions over static DataFrames", () => {
  it("propagates nulls through arithmetic and comparisons", () => {
    const rows = people().select(col("name"), col("age").plus(1).alias("next"), col("age").gt(18).alias("adult"), expr("score * 2 AS double_score"), expr("age / 0 AS div0")).collect();
    expect(rows).toEqual([
      { name: "ann", next: 32, adult: true, double_score: 3, div0: null },
      { name: "bob", next: null, adult: null, double_score: null, div0: null },
      { name: "cid", next: 18, adult: false, double_score: 6, div0: null },
    ]);
  });

  it("uses three-valued logic for AND / OR and filters keep only true", () => {
    const rows = people().selectExpr("name", "age > 18 AND city = 'Oslo' AS a", "age > 18 OR city IS NULL AS o", "NOT (age > 18) AS n").collect();
    expect(rows).toEqual([
      { name: "ann", a: true, o: true, n: false },
      { name: "bob", a: false, o: null, n: null },
      { name: "cid", a: false, o: true, n: true },
    ]);
    expect(people().filter("age > 18 OR city = 'Rome'").collect().map((r) => r.name)).toEqual(["ann", "bob"]);
    expect(people().where(col("age").isNull()).collect().map((r) => r.name)).toEqual(["bob"]);
  });

  it("CASE WHEN, when().otherwise(), IN with nulls, LIKE, BETWEEN, coalesce", () => {
    const rows = people()
      .select(
        col("name"),
        when(col("age").lt(18), "minor").when(col("age").geq(18), "adult").otherwise("unknown").alias("group"),
        expr("CASE WHEN score > 2 THEN 'high' ELSE 'low' END").alias("s"),
        expr("city IN ('Oslo', 'Paris')").alias("in_list"),
        expr("name LIKE '_o%'").alias("like"),
        expr("age BETWEEN 17 AND 31").alias("between"),
        coalesce(col("city"), lit("?")).alias("city"),
      )
      .collect();
    expect(rows).toEqual([
      { name: "ann", group: "adult", s: "low", in_list: true, like: false, between: true, city: "Oslo" },
      { name: "bob", group: "unknown", s: "low", in_list: false, like: true, between: null, city: "Rome" },
      { name: "cid", group: "minor", s: "high", in_list: null, like: false, between: true, city: "?" },
    ]);
  });

  it("casts as Spark does", () => {
    const df = spark.createDataFrame([{ s: "42" }, { s: " 7.9 " }, { s: "x" }, { s: null }], "s STRING");
    const rows = df.selectExpr("CAST(s AS INT) AS i", "CAST(s AS DOUBLE) AS d", "CAST(CAST(s AS DOUBLE) AS STRING) AS back", "s::bigint AS l").collect();
    expect(rows).toEqual([
      { i: 42, d: 42, back: "42.0", l: 42 },
      { i: 7, d: 7.9, back: "7.9", l: 7 },
      { i: null, d: null, back: null, l: null },
      { i: null, d: null, back: null, l: null },
    ]);
  });

  it("string and date functions", () => {
    const df = spark.createDataFrame([{ s: " Hello ", t: "2024-03-05 14:07:09" }], "s STRING, t STRING");
    const [r] = df
      .select(
        upper(col("s")).alias("u"),
        expr("trim(s)").alias("t1"),
        expr("length(trim(s))").alias("len"),
        expr("substring(trim(s), 2, 3)").alias("sub"),
        concat_ws("-", col("t"), lit("x")).alias("cw"),
        to_timestamp(col("t")).alias("ts"),
        date_format(to_timestamp(col("t")), "yyyy/MM/dd HH:mm").alias("f"),
        expr("hour(to_timestamp(t))").alias("h"),
        expr("year(to_timestamp(t)) * 100 + month(to_timestamp(t))").alias("ym"),
        expr("to_timestamp('05/03/2024', 'dd/MM/yyyy')").alias("p"),
        expr("regexp_extract(t, '(\\\\d+):(\\\\d+)', 2)").alias("rx"),
      )
      .collect();
    expect(r).toEqual({
      u: " HELLO ", t1: "Hello", len: 5, sub: "ell", cw: "2024-03-05 14:07:09-x",
      ts: new Date("2024-03-05T14:07:09Z"), f: "2024/03/05 14:07", h: 14, ym: 202403,
      p: new Date("2024-03-05T00:00:00Z"), rx: "07",
    });
  });

  it("tumbling window() in select assigns [start, end) with the end exclusive", () => {
    const df = spark.createDataFrame([{ ts: "2024-01-01T00:00:09.999Z" }, { ts: "2024-01-01T00:00:10Z" }], "ts TIMESTAMP");
    const rows = df.select(window(col("ts"), "10 seconds").alias("w")).collect();
    expect(rows).toEqual([
      { w: { start: new Date("2024-01-01T00:00:00Z"), end: new Date("2024-01-01T00:00:10Z") } },
      { w: { start: new Date("2024-01-01T00:00:10Z"), end: new Date("2024-01-01T00:00:20Z") } },
    ]);
  });

  it("from_json: struct fields, o.*, PERMISSIVE nulls with _corrupt_record, to_json back", () => {
    const df = spark.createDataFrame(
      [{ json: '{"id":"a","amount":12.5,"ts":"2024-01-01T00:00:01Z","tags":["x"]}' }, { json: "{broken" }, { json: '{"id":"c","amount":"lots"}' }],
      "json STRING",
    );
    const parsed = df.select(from_json(col("json"), "id STRING, amount DOUBLE, ts TIMESTAMP, tags ARRAY<STRING>").alias("o"));
    expect(parsed.select("o.*").columns).toEqual(["id", "amount", "ts", "tags", "_corrupt_record"]);
    expect(parsed.select("o.*").collect()).toEqual([
      { id: "a", amount: 12.5, ts: new Date("2024-01-01T00:00:01Z"), tags: ["x"], _corrupt_record: null },
      { id: null, amount: null, ts: null, tags: null, _corrupt_record: "{broken" },
      { id: "c", amount: null, ts: null, tags: null, _corrupt_record: '{"id":"c","amount":"lots"}' },
    ]);
    expect(parsed.select(col("o.amount"), expr("o.id AS id")).collect()[0]).toEqual({ amount: 12.5, id: "a" });
    const back = parsed.filter("o.id = 'a'").select(to_json(struct(col("o.id"), col("o.amount"))).alias("j")).collect();
    expect(back).toEqual([{ j: '{"id":"a","amount":12.5}' }]);
  });

  it("struct(*) and struct(o.*) expand to the row's columns: to_json(struct(*)) is the whole row as JSON", () => {
    const df = spark.createDataFrame([{ id: "a", amount: 12.5, note: null }], "id STRING, amount DOUBLE, note STRING");
    // to_json leaves out null fields, as Spark's does by default.
    expect(df.select(to_json(struct("*")).alias("value")).collect()).toEqual([{ value: '{"id":"a","amount":12.5}' }]);
    expect(df.select(to_json(struct(col("*"))).alias("value")).collect()).toEqual([{ value: '{"id":"a","amount":12.5}' }]);
    expect(df.selectExpr("to_json(struct(*)) AS value").collect()).toEqual([{ value: '{"id":"a","amount":12.5}' }]);
    // The star mixes with other fields, and alias.* takes a struct's fields.
    expect(df.select(struct(lit(1).alias("v"), col("*")).alias("s")).collect()).toEqual([{ s: { v: 1, id: "a", amount: 12.5, note: null } }]);
    const nested = df.select(struct("id", "amount").alias("o"), col("note"));
    expect(nested.select(to_json(struct("o.*")).alias("j")).collect()).toEqual([{ j: '{"id":"a","amount":12.5}' }]);
    expect(nested.selectExpr("struct(o.*, note) AS s").collect()).toEqual([{ s: { id: "a", amount: 12.5, note: null } }]);
    expect(() => nested.select(struct("note.*"))).toThrow(/'note\.\*' needs a struct column/);
    // Elsewhere a star is still refused at definition time.
    expect(() => df.select(upper(col("*")))).toThrow(/can only be used in select/);
  });

  it("from_json over bytes (the fast scanner) gives exactly what it gives over strings", () => {
    const inputs = [
      '{"id":"a","amount":12.34,"n":7,"ok":true,"ts":"2024-01-01T00:00:01.5Z"}',
      ' { "amount" : -0.1 , "id" : "b\\"q\\u00e9" , "extra" : {"x":[1,{"y":"}"}]} , "n": 1e3 } ',
      '{"id":"ü€","amount":1234567890123456789,"n":-0,"ok":false,"ts":1700000000}',
      '{"id":"dup","id":"last","amount":"3.5","n":2.5,"ok":null}',
      '{"id":"x"} trailing',
      '{"id":{"nested":1}}',
      '[1,2]',
      '{"amount":01}',
      "",
    ];
    const schema = "id STRING, amount DOUBLE, n BIGINT, ok BOOLEAN, ts TIMESTAMP";
    const df = spark.createDataFrame(inputs.map((s) => [s]), "s STRING");
    const viaString = df.select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    const viaBytes = df.selectExpr("CAST(s AS BINARY) AS b").selectExpr("CAST(b AS STRING) AS s").select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    expect(viaBytes).toEqual(viaString);
    expect(viaString[0]).toEqual({ id: "a", amount: 12.34, n: 7, ok: true, ts: new Date("2024-01-01T00:00:01.500Z"), _corrupt_record: null });
    expect(viaString[1]).toMatchObject({ id: 'b"qé', amount: -0.1, n: 1000 });
    expect(viaString[3]).toMatchObject({ id: "last", amount: 3.5, n: null, _corrupt_record: inputs[3] });
  });

  it("from_json refuses DROPMALFORMED as Spark does, saying to filter on _corrupt_record", () => {
    const df = spark.createDataFrame([{ json: '{"a":1}' }, { json: "nope" }], "json STRING");
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "DROPMALFORMED" }).alias("o"))).toThrow(AnalysisError);
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "dropmalformed" }).alias("o"))).toThrow(/does not support mode DROPMALFORMED.*PERMISSIVE.*_corrupt_record IS NULL/);
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "LENIENT" }))).toThrow(/mode must be PERMISSIVE or FAILFAST, not 'LENIENT'/);
    // What the message recommends works: PERMISSIVE then a filter keeps only the good rows.
    const good = df.select(from_json(col("json"), "a INT").alias("o")).select("o.*").filter("_corrupt_record IS NULL").select("a");
    expect(good.collect()).toEqual([{ a: 1 }]);
  });

  it("from_json FAILFAST fails naming the row", () => {
    const df = spark.createDataFrame([{ json: '{"a":1}' }, { json: "nope" }], "json STRING");
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "FAILFAST" }).alias("o")).collect()).toThrow(/malformed record.*FAILFAST.*nope.*row 1/);
  });

  it("fails at definition time on a wrong column, listing the columns", () => {
    expect(() => people().select("agee")).toThrow(AnalysisError);
    expect(() => people().select("agee")).toThrow("column 'agee' does not exist (did you mean 'age'?); available columns: name, age, city, score");
    expect(() => people().filter("nme = 'x'")).toThrow(/available columns: name, age, city, score/);
    expect(() => people().filter("age + 1")).toThrow(/filter condition must be boolean/);
    expect(() => people().select(expr("upper(age, 2)"))).toThrow(/upper\(\) takes 1 arguments/);
    expect(() => people().select(expr("uper(name)"))).toThrow(/unknown function uper\(\) \(did you mean upper\(\)\?\)/);
    expect(() => people().selectExpr("name +")).toThrow(ParseError);
    expect(() => people().select(expr("name.first"))).toThrow(/'name' is a string, not a struct/);
  });

  it("withColumn, withColumnRenamed, drop", () => {
    const df = people().withColumn("age2", col("age").multiply(2)).withColumnRenamed("city", "town").drop("score", "name");
    expect(df.columns).toEqual(["age", "town", "age2"]);
    expect(df.collect()[0]).toEqual({ age: 31, town: "Oslo", age2: 62 });
  });
});

describe("aggregates over static DataFrames (complete semantics)", () => {
  it("count, sum, avg, min, max, first, last, count_distinct, collect_list skip nulls as Spark's", () => {
    const df = spark.createDataFrame(
      [
        { k: "a", v: 1 }, { k: "a", v: null }, { k: "a", v: 3 }, { k: "b", v: null }, { k: "a", v: 3 },
      ],
      "k STRING, v INT",
    );
    const rows = df
      .groupBy("k")
      .agg(count("*").alias("n"), count("v").alias("nv"), sum("v").alias("s"), avg("v").alias("a"), min("v").alias("mn"), max("v").alias("mx"), first("v").alias("f"), last("v").alias("l"), count_distinct("v").alias("d"), approx_count_distinct("v").alias("ad"), collect_list("v").alias("cl"))
      .collect();
    expect(rows).toEqual([
      { k: "a", n: 4, nv: 3, s: 7, a: 7 / 3, mn: 1, mx: 3, f: 1, l: 3, d: 2, ad: 2, cl: [1, 3, 3] },
      { k: "b", n: 1, nv: 0, s: null, a: null, mn: null, mx: null, f: null, l: null, d: 0, ad: 0, cl: [] },
    ]);
  });
  it("expressions over aggregates and keys; SQL aggregates; global agg", () => {
    const df = spark.createDataFrame([{ k: "a", v: 2 }, { k: "a", v: 4 }, { k: "b", v: 5 }], "k STRING, v DOUBLE");
    expect(df.groupBy("k").agg(sum("v").divide(count("*")).alias("mean"), expr("max(v) - min(v)").alias("range"), expr("upper(k)").alias("K")).collect()).toEqual([
      { k: "a", mean: 3, range: 2, K: "A" },
      { k: "b", mean: 5, range: 0, K: "B" },
    ]);
    expect(df.agg(count("*").alias("n"), sum("v").alias("total")).collect()).toEqual([{ n: 3, total: 11 }]);
    expect(() => df.groupBy("k").agg(col("v"))).toThrow(/neither a groupBy\(\) key nor inside an aggregate/);
    expect(() => df.select(sum("v"))).toThrow(/can only be used in agg/);
  });
});

describe("stream-static joins", () => {
  it("joins a stream with a static table (inner and left)", async () => {
    const regions = spark.createDataFrame([{ region: "eu", manager: "Eva" }, { region: "us", manager: "Sam" }]);
    const ms = spark.memoryStream("id INT, region STRING");
    const got: Record<string, unknown>[] = [];
    const q = ms.toDF().join(regions, "region", "left").writeStream.foreachBatch((b: { rows(): Record<string, unknown>[] }) => void got.push(...b.rows()), { raw: true }).trigger({ processingTime: "20 ms" }).start();
    ms.addData([{ id: 1, region: "eu" }, { id: 2, region: "ap" }, { id: 3, region: null }, { id: 4, region: "us" }]);
    await q.processAllAvailable();
    await q.stop();
    expect(got).toEqual([
      { region: "eu", id: 1, manager: "Eva" },
      { region: "ap", id: 2, manager: null },
      { region: null, id: 3, manager: null },
      { region: "us", id: 4, manager: "Sam" },
    ]);
    expect(() => ms.toDF().join(regions, "regio")).toThrow(/column 'regio' does not exist/);
  });
});

describe("timestamp parsing", () => {
  it("parses ISO-8601 and Spark's 'yyyy-MM-dd HH:mm:ss' exactly as Date does", async () => {
    const { parseTimestamp } = await import("../../lib/stream/expr/runtime");
    let seed = 7;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const t = Math.floor((seed / 2 ** 32 - 0.3) * 4e12);
      const iso = new Date(t).toISOString();
      expect(parseTimestamp(iso)).toBe(t);
      expect(parseTimestamp(iso.replace("T", " ").replace("Z", ""))).toBe(t);
    }
    expect(parseTimestamp("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp("2024-01-01T10:00:00+02:00")).toBe(Date.UTC(2024, 0, 1, 8));
    expect(parseTimestamp("not a time")).toBeNull();
  });
});
