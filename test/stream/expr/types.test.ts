import { describe, it, expect } from "vitest";
import { spark, parseDDL, typeString, col, upper, max } from "../../../lib/stream";

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
      ["d", "decimal(10,2)", true],
    ]);
  });
  it("rejects bad DDL with one line that names the problem", () => {
    expect(() => parseDDL("a STRNG")).toThrow(/unknown type 'strng'/);
    expect(() => parseDDL("a INT b INT")).toThrow(/expected ','/);
    expect(() => parseDDL("a INT, a STRING")).toThrow(/appears twice/);
  });
});

describe("casts", () => {
  it("casts as Spark does", () => {
    const df = spark.createDataFrame([{ s: "42" }, { s: " 7.9 " }, { s: "x" }, { s: null }], "s STRING");
    // Spark 4 runs in ANSI mode: a malformed string fails CAST (below); try_cast gives NULL. ' 7.9 ' is not an INT.
    const rows = df.selectExpr("try_cast(s AS INT) AS i", "try_cast(s AS DOUBLE) AS d", "CAST(try_cast(s AS DOUBLE) AS STRING) AS back", "try_cast(s AS bigint) AS l").collect();
    expect(rows).toEqual([
      { i: 42, d: 42, back: "42.0", l: 42 },
      { i: null, d: 7.9, back: "7.9", l: null },
      { i: null, d: null, back: null, l: null },
      { i: null, d: null, back: null, l: null },
    ]);
    expect(spark.createDataFrame([{ s: " 42 " }], "s STRING").selectExpr("CAST(s AS INT) AS i", "s::bigint AS l").collect()).toEqual([{ i: 42, l: 42 }]);
    expect(() => df.selectExpr("CAST(s AS INT) AS i").collect()).toThrow(/\[CAST_INVALID_INPUT\] The value ' 7\.9 ' of the type "STRING" cannot be cast to "INT"/);
    expect(() => df.selectExpr("s::double AS d").collect()).toThrow(/\[CAST_INVALID_INPUT\] The value 'x' of the type "STRING" cannot be cast to "DOUBLE"/);
  });
});

describe("names of casts", () => {
  it("a cast of a column at the top keeps the column's name, as Spark's ResolveAliases does", () => {
    const df = spark.createDataFrame([{ value: "1", s: { a: 2 } }], "value STRING, s STRUCT<a: INT>");
    expect(df.selectExpr("CAST(value AS INT)").columns).toEqual(["value"]);
    expect(df.select(col("value").cast("int")).columns).toEqual(["value"]);
    expect(df.selectExpr("upper(CAST(value AS STRING))", "CAST(value AS INT) + 1").columns).toEqual(["upper(CAST(value AS STRING))", "(CAST(value AS INT) + 1)"]);
    expect(df.groupBy(col("value").cast("int")).count().columns).toEqual(["value", "count"]);
  });
  it("a nested column is named after its last part at the top and printed `s.a` inside expressions (as Spark 4.1.1 names them)", () => {
    const df = spark.createDataFrame([{ s: { a: 1, b: "x" }, v: 2 }], "s STRUCT<a: INT, b: STRING>, v INT");
    expect(df.select(col("s.a"), upper(col("s.b")), col("s.a").cast("string"), col("s").getField("a")).columns).toEqual(["a", "upper(s.b)", "CAST(s.a AS STRING)", "s.a"]);
    expect(df.selectExpr("s.a", "upper(s.b)", "s.a + 1", "CAST(s.a AS STRING)", "s.a AS z").columns).toEqual(["a", "upper(s.b)", "(s.a + 1)", "CAST(s.a AS STRING)", "z"]);
    expect(df.groupBy("s.a").count().columns).toEqual(["a", "count"]);
    expect(df.groupBy(col("s.a")).agg(max("s.b")).columns).toEqual(["a", "max(s.b)"]);
  });
});
