import { describe, it, expect } from "vitest";
import { spark, col, from_json, sum, min, max, count, to_json, struct } from "../../../lib/stream";
import { evalSql } from "../support/sql";

// Expected values are Spark 4.1.1's (pyspark, ANSI mode): BIGINT is exact to 64 bits.
const BIG = 9007199254740993n; // 2^53 + 1: the first integer a double cannot hold

describe("BIGINT beyond 2^53 stays exact (expr/long.ts)", () => {
  it("from JSON (text and bytes) through + - * and comparisons", () => {
    const rows = ['{"id": 1, "qty": 9007199254740993}', '{"id": 2, "qty": 9223372036854775806}', '{"id": 3, "qty": 5}'];
    for (const value of [rows, rows.map((r) => Buffer.from(r))]) {
      const df = spark.createDataFrame(value.map((v) => ({ v })), Buffer.isBuffer(value[0]) ? "v BINARY" : "v STRING")
        .select(from_json(col("v").cast("string"), "id INT, qty BIGINT").alias("d")).select("d.*");
      const out = df.select(col("id"), col("qty"), col("qty").plus(1).alias("next"), col("qty").minus(1).alias("prev"), col("qty").gt(9007199254740992).alias("gt"), col("qty").cast("string").alias("s")).collect();
      expect(out).toEqual([
        { id: 1, qty: BIG, next: BIG + 1n, prev: 9007199254740992n /* 2^53: beyond the safe integers, a bigint */, gt: true, s: "9007199254740993" },
        { id: 2, qty: 9223372036854775806n, next: 9223372036854775807n, prev: 9223372036854775805n, gt: true, s: "9223372036854775806" },
        { id: 3, qty: 5, next: 6, prev: 4, gt: false, s: "5" },
      ]);
      expect(df.schema.fields.map((f) => f.type.kind)).toEqual(["integer", "long"]);
    }
  });
  it("literals, casts, * and overflow (ARITHMETIC_OVERFLOW, as Spark's ANSI mode)", () => {
    expect(evalSql({ a: "9007199254740993L", b: "9007199254740993L * 2", c: "CAST('9223372036854775807' AS BIGINT)", d: "CAST(9007199254740993L AS DOUBLE)", e: "-9223372036854775808L", f: "9007199254740993L % 10", g: "9007199254740993L = 9007199254740993L" }))
      .toEqual({ a: BIG, b: 18014398509481986n, c: 9223372036854775807n, d: 9007199254740992, e: -9223372036854775808n, f: 3, g: true });
    expect(() => evalSql({ x: "9223372036854775807L + 1" })).toThrow(/\[ARITHMETIC_OVERFLOW\] long overflow\. Use 'try_add'/);
    expect(() => evalSql({ x: "9223372036854775807L * 2" })).toThrow(/\[ARITHMETIC_OVERFLOW\] long overflow\. Use 'try_multiply'/);
    expect(() => evalSql({ x: "CAST('9223372036854775808' AS BIGINT)" })).toThrow(/CAST_INVALID_INPUT/);
  });
  it("sum, min, max, count of BIGINT are exact; a sum beyond 64 bits fails; to_json writes the digits", () => {
    const df = spark.createDataFrame([{ k: "a", q: BIG }, { k: "a", q: 9007199254740995n }, { k: "b", q: 1 }], "k STRING, q BIGINT");
    const out = df.groupBy("k").agg(sum("q").alias("s"), min("q").alias("mn"), max("q").alias("mx"), count("q").alias("n")).orderBy("k").collect();
    expect(out).toEqual([{ k: "a", s: 18014398509481988n, mn: BIG, mx: 9007199254740995n, n: 2 }, { k: "b", s: 1, mn: 1, mx: 1, n: 1 }]);
    expect(df.select(to_json(struct("q")).alias("j")).collect().map((r) => r.j)).toEqual(['{"q":9007199254740993}', '{"q":9007199254740995}', '{"q":1}']);
    const over = spark.createDataFrame([{ q: 9223372036854775807n }, { q: 1 }], "q BIGINT");
    expect(() => over.agg(sum("q")).collect()).toThrow(/\[ARITHMETIC_OVERFLOW\] long overflow/);
  });
});
