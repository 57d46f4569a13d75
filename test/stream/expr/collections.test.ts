import { describe, it, expect } from "vitest";
import { spark, col, lit, to_json, struct, upper } from "../../../lib/stream";
import { evalSql } from "../support/sql";

describe("structs", () => {
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
});

describe("arrays, maps and named structs (expected values are Spark's)", () => {
  it("array, size, element_at (1-based, negative from the end), array_contains, [] (0-based)", () => {
    expect(
      evalSql({ a: "array(1, 2, 3)", n: "size(array(1, 2, 3))", e1: "element_at(array(10, 20, 30), 1)", em: "element_at(array(10, 20, 30), -1)", c: "array_contains(array(10, 20), 20)", c0: "array_contains(array(10, 20), 5)", ix: "array(10, 20, 30)[1]" }),
    ).toEqual({ a: [1, 2, 3], n: 3, e1: 10, em: 30, c: true, c0: false, ix: 20 });
  });
  it("array_sort (NULLs last), sort_array (NULLs first ascending, last descending), size(NULL) is NULL: Spark 4.1's answers", () => {
    expect(
      evalSql({ s1: "array_sort(array(3, NULL, 1, 2))", s2: "sort_array(array(3, NULL, 1, 2))", s3: "sort_array(array(3, NULL, 1, 2), false)", s4: "array_sort(array('b', 'a', NULL))" }),
    ).toEqual({ s1: [1, 2, 3, null], s2: [null, 1, 2, 3], s3: [3, 2, 1, null], s4: ["a", "b", null] });
    expect(evalSql({ z: "size(a)", n: "size(array(1, 2))" }, { a: null }, "a ARRAY<INT>")).toEqual({ z: null, n: 2 });
  });
  it("named_struct and field access", () => {
    expect(evalSql({ s: "named_struct('a', 1, 'b', 'x')", f: "named_struct('a', 1, 'b', 'x').b" })).toEqual({ s: { a: 1, b: "x" }, f: "x" });
  });
  it("map values by key", () => {
    const r = evalSql({ v: "m['k']", n: "m['nope']", d: "m.k" }, { m: { k: 1.5 } }, "m MAP<STRING, DOUBLE>");
    expect(r).toEqual({ v: 1.5, n: null, d: 1.5 });
  });
});

describe("getItem and [] (Spark's ExtractValue)", () => {
  it("getItem on a struct extracts the field, named as Spark 4.1.1 names it; on arrays and maps it indexes", () => {
    const df = spark.createDataFrame([{ s: { a: 1, b: "x" }, arr: [1, 2], m: { k: 1 } }], "s STRUCT<a: INT, b: STRING>, arr ARRAY<INT>, m MAP<STRING, INT>");
    const out = df.select(col("s").getItem("a"), col("arr").getItem(0), col("m").getItem("k"), col("s").getItem("b"), col("s").getField("a"));
    expect(out.columns).toEqual(["s.a", "arr[0]", "m[k]", "s.b", "s.a"]);
    expect(out.drop("s.a").collect()).toEqual([{ "arr[0]": 1, "m[k]": 1, "s.b": "x" }]);
    expect(df.selectExpr("s['a'] AS a", "arr[1] AS b", "m['k'] AS c").collect()).toEqual([{ a: 1, b: 2, c: 1 }]);
    expect(() => df.select(col("s").getItem("z"))).toThrow(/struct 's' has no field 'z'/);
  });
});
