import { describe, it, expect } from "vitest";
import { spark, col, expr, count, sum, avg, min, max, first, last, count_distinct, collect_list, approx_count_distinct } from "../../../lib/stream";

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

describe("aggregates without a test before the split (expected values are Spark's)", () => {
  const df = () => spark.createDataFrame([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { v: null }, { v: 2 }].slice(0, 5), "v INT");
  it("stddev and variance, sample and population", () => {
    const [r] = df().agg(expr("stddev(v)").alias("sd"), expr("stddev_samp(v)").alias("ss"), expr("stddev_pop(v)").alias("sp"), expr("variance(v)").alias("va"), expr("var_samp(v)").alias("vs"), expr("var_pop(v)").alias("vp")).collect();
    expect(r.sd).toBeCloseTo(1.2909944487358056, 12);
    expect(r.ss).toBeCloseTo(1.2909944487358056, 12);
    expect(r.sp).toBeCloseTo(1.118033988749895, 12);
    expect(r.va).toBeCloseTo(5 / 3, 12);
    expect(r.vs).toBeCloseTo(5 / 3, 12);
    expect(r.vp).toBeCloseTo(1.25, 12);
    // One value: the sample statistics are null, the population ones 0.
    const one = spark.createDataFrame([{ v: 5 }], "v INT").agg(expr("stddev(v)").alias("s"), expr("var_pop(v)").alias("p")).collect();
    expect(one).toEqual([{ s: null, p: 0 }]);
  });
  it("collect_set, mean, count(DISTINCT a, b), sum of strings as doubles", () => {
    const d = spark.createDataFrame([{ a: "x", b: 1 }, { a: "x", b: 1 }, { a: "y", b: 1 }, { a: "x", b: 2 }], "a STRING, b INT");
    const [r] = d.agg(expr("collect_set(a)").alias("cs"), expr("mean(b)").alias("m"), expr("count(DISTINCT a, b)").alias("cd"), expr("sum(CAST(b AS STRING))").alias("ss")).collect();
    expect((r.cs as string[]).sort()).toEqual(["x", "y"]);
    expect(r).toMatchObject({ m: 1.25, cd: 3, ss: 5 });
  });
});
