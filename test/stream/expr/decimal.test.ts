import { describe, it, expect } from "vitest";
import { spark, col, sum, avg, min, max } from "../../../lib/stream";
import { evalSql } from "../support/sql";
import { treeString } from "../../../lib/stream/types";

// Expected values and types are Spark 4.1.1's (pyspark, ANSI mode; decimals as their text).
describe("DECIMAL(p, s), exact (expr/decimal.ts)", () => {
  it("literals, casts, + - * /, round and bround: Spark's values and types", () => {
    const exprs = { a: "2.5", r: "round(2.5)", b: "bround(2.5)", c: "CAST(10.5 AS DECIMAL(10,2))", d: "2.5 + 1", e: "2.5 * 1.25", f: "2.5 / 3", g: "1.10 - 2.005", h: "round(3.14159, 2)", i: "CAST(1 AS BIGINT) + 2.5", j: "2.5 + 1.5D", k: "2.5 > 1", l: "CAST('1.255' AS DECIMAL(4,2))", m: "round(CAST(-2.5 AS DECIMAL(3,1)))", n: "10.50", p: "100000000000000000000" };
    const df = spark.createDataFrame([{ one: 1 }], "one INT").selectExpr(...Object.entries(exprs).map(([k, v]) => `${v} AS ${k}`));
    expect(df.collect()[0]).toEqual({ a: "2.5", r: "3", b: "2", c: "10.50", d: "3.5", e: "3.125", f: "0.833333", g: "-0.905", h: "3.14", i: "3.5", j: 4, k: true, l: "1.26", m: "-3", n: "10.50", p: "100000000000000000000" });
    expect(treeString(df.schema).split("\n").slice(1).map((l) => l.replace(/ \(nullable.*/, "").replace(" |-- ", ""))).toEqual([
      "a: decimal(2,1)", "r: decimal(2,0)", "b: decimal(2,0)", "c: decimal(10,2)", "d: decimal(3,1)", "e: decimal(6,3)", "f: decimal(7,6)", "g: decimal(5,3)", "h: decimal(4,2)",
      "i: decimal(22,1)", "j: double", "k: boolean", "l: decimal(4,2)", "m: decimal(3,0)", "n: decimal(4,2)", "p: decimal(21,0)",
    ]);
    expect(evalSql({ x: "bround(2.55, 1)", y: "round(-2.55, 1)", z: "round(CAST(125 AS DECIMAL(5,0)), -1)", w: "CAST(2.5 AS INT)", v: "CAST(2.5 AS DOUBLE)", u: "1.5 < 1.25", t: "CAST(2.50 AS STRING)" }))
      .toEqual({ x: "2.6", y: "-2.6", z: "130", w: 2, v: 2.5, u: false, t: "2.50" });
    expect(() => evalSql({ x: "CAST(12345.678 AS DECIMAL(5,2))" })).toThrow(/\[NUMERIC_VALUE_OUT_OF_RANGE\.WITH_SUGGESTION\]\s+12345\.678 cannot be represented as Decimal\(5, 2\)/);
    expect(() => evalSql({ x: "2.5 / 0" })).toThrow(/DIVIDE_BY_ZERO/);
  });
  it("sum, avg, min, max of a DECIMAL column are exact decimals", () => {
    const df = spark.createDataFrame([{ k: "a", v: "0.10" }, { k: "a", v: "0.20" }, { k: "a", v: "-0.05" }], "k STRING, v STRING").select(col("k"), col("v").cast("decimal(10,2)").alias("v"));
    const out = df.groupBy("k").agg(sum("v").alias("s"), avg("v").alias("a"), min("v").alias("mn"), max("v").alias("mx"));
    expect(out.collect()).toEqual([{ k: "a", s: "0.25", a: "0.083333", mn: "-0.05", mx: "0.20" }]);
    expect(out.schema.fields.map((f) => [f.name, f.type.kind === "decimal" ? `${f.type.precision},${f.type.scale}` : f.type.kind])).toEqual([["k", "string"], ["s", "20,2"], ["a", "14,6"], ["mn", "10,2"], ["mx", "10,2"]]);
  });
});
