import { describe, it, expect } from "vitest";
import { col, lit, expr, when, coalesce } from "../../../lib/stream";
import { people } from "../support/people";
import { evalSql } from "../support/sql";

describe("null semantics, logic and conditionals", () => {
  it("propagates nulls through arithmetic and comparisons", () => {
    const rows = people().select(col("name"), col("age").plus(1).alias("next"), col("age").gt(18).alias("adult"), expr("score * 2 AS double_score"), expr("try_divide(age, 0) AS div0")).collect();
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
});

describe("conditional functions without a test before the split (expected values are Spark's)", () => {
  it("greatest and least skip nulls; nullif, if/iff, ifnull/nvl", () => {
    expect(
      evalSql({ g: "greatest(1, NULL, 3)", l: "least(4, NULL, 2)", gn: "greatest(NULL, NULL)", ni: "nullif(1, 1)", nn: "nullif(1, 2)", i1: "if(1 < 2, 'a', 'b')", i2: "iff(NULL, 'a', 'b')", fn: "ifnull(NULL, 'x')", nv: "nvl('y', 'x')" }),
    ).toEqual({ g: 3, l: 2, gn: null, ni: null, nn: 1, i1: "a", i2: "b", fn: "x", nv: "y" });
  });
  it("null-safe equality, isnull, isnotnull, isnan, IN with literals and with columns", () => {
    expect(
      evalSql({ e1: "NULL <=> NULL", e2: "1 <=> NULL", e3: "1 <=> 1", n1: "isnull(NULL)", n2: "isnotnull(1)", nan: "isnan(sqrt(-1))", nan2: "isnan(1.0)", in1: "one IN (1, 2)", in2: "one IN (2, NULL)", in3: "one IN (one + 0, 5)" }),
    ).toEqual({ e1: true, e2: false, e3: true, n1: true, n2: true, nan: true, nan2: false, in1: true, in2: null, in3: true });
  });
  it("comparisons coerce to a common type", () => {
    expect(evalSql({ a: "1 = 1.0", b: "'2' > 1", c: "'abc' < 'abd'" })).toEqual({ a: true, b: true, c: true });
  });
});
