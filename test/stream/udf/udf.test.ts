/** TypeScript UDFs: row and vectorized, in select/filter/withColumn, registered for SQL/expr(); nulls, types, errors, export. */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, expr, udf, pandas_udf, sum, type StreamingQuery } from "../../../lib/stream";
import { collect } from "../support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
});

const temps = () => spark.createDataFrame([{ city: "a", f: 212 }, { city: "b", f: 32 }, { city: "c", f: null }], "city STRING, f DOUBLE");

describe("row UDFs", () => {
  it("udf(fn, type) in select, withColumn and filter; NULL arrives as null; the column is named fn(args)", () => {
    const toC = udf((f: number | null) => (f === null ? -999 : (f - 32) / 1.8), "double", "to_c");
    const df = temps();
    expect(df.select("city", toC("f")).collect()).toEqual([{ city: "a", "to_c(f)": 100 }, { city: "b", "to_c(f)": 0 }, { city: "c", "to_c(f)": -999 }]);
    expect(df.withColumn("c", toC(col("f"))).filter(toC("f").gt(50)).collect()).toEqual([{ city: "a", f: 212, c: 100 }]);
    const isHot = udf((c: number) => c > 50, "boolean");
    expect(df.filter(isHot(toC("f"))).select("city").collect()).toEqual([{ city: "a" }]);
  });

  it("results are of the declared type: undefined and values of another type are NULL, as in PySpark", () => {
    const df = temps();
    const weird = udf((f: number | null) => (f === 212 ? "hot" : f === 32 ? undefined : 7), "int");
    expect(df.select(weird("f").alias("w")).collect()).toEqual([{ w: null }, { w: null }, { w: 7 }]);
    const tags = udf((city: string) => [city, city.toUpperCase()], "array<string>");
    expect(df.select(tags("city").alias("t")).dtypes).toEqual([["t", "array<string>"]]);
    expect(df.select(tags("city").alias("t")).collect()[0]).toEqual({ t: ["a", "A"] });
    const stamp = udf((s: Date) => new Date(s.getTime() + 1000), "timestamp");
    const ts = spark.createDataFrame([{ t: new Date(Date.UTC(2024, 0, 1)) }], "t TIMESTAMP");
    expect(ts.select(stamp("t").alias("u")).collect()).toEqual([{ u: new Date(Date.UTC(2024, 0, 1, 0, 0, 1)) }]);
  });

  it("a UDF that throws fails the query with one line naming the UDF and the row", async () => {
    const boom = udf((f: number) => {
      if (f > 100) throw new Error("too hot\nreally");
      return f;
    }, "double", "check_temp");
    expect(() => temps().select(boom("f")).collect()).toThrow(/^\[FAILED_EXECUTE_UDF\] User defined function \(check_temp: \(double\) => double\) failed due to: too hot really \(row 0\)$/);
    const s = spark.memoryStream("f DOUBLE");
    const c = collect(s.toDF().select(boom("f").alias("x")), "append");
    started.push(c.query);
    s.addData([{ f: 1 }, { f: 500 }]);
    await c.query.processAllAvailable().catch(() => undefined);
    // The failing row is the second one of the stream's first batch.
    expect(c.query.exception()?.message).toMatch(/^\[FAILED_EXECUTE_UDF\] User defined function \(check_temp: \(double\) => double\) failed due to: too hot really \(MemoryStream\[\d+\] row 1\)$/);
  });

  it("registered with spark.udf.register: callable in SQL and expr(), same results as the Column form", () => {
    spark.udf.register("f_to_c", (f: number | null) => (f === null ? null : Math.round((f - 32) / 1.8)), "int");
    temps().createOrReplaceTempView("udf_temps");
    expect(spark.sql("SELECT city, f_to_c(f) AS c FROM udf_temps WHERE f_to_c(f) >= 0").collect()).toEqual([{ city: "a", c: 100 }, { city: "b", c: 0 }]);
    expect(temps().select(expr("f_to_c(f) + 1").alias("c1")).collect()).toEqual([{ c1: 101 }, { c1: 1 }, { c1: null }]);
    expect(() => spark.udf.register("bad name", () => 1, "int")).toThrow(/not a function name/);
    expect(() => udf((x: number) => x, "no_such_type")).toThrow(/not a Spark type/);
  });

  it("in a streaming aggregation's argument and key", async () => {
    const bucket = udf((v: number) => (v >= 10 ? "big" : "small"), "string", "bucket");
    const s = spark.memoryStream("v INT");
    const c = collect(s.toDF().groupBy(bucket("v").alias("b")).agg(sum(udf((v: number) => v * 2, "int")("v")).alias("s")), "complete");
    started.push(c.query);
    s.addData([{ v: 1 }, { v: 20 }, { v: 3 }]);
    await c.query.processAllAvailable();
    const rows = [...c.batches[c.batches.length - 1].rows].sort((x, y) => String(x.b).localeCompare(String(y.b)));
    expect(rows).toEqual([{ b: "big", s: 40 }, { b: "small", s: 8 }]);
  });
});

describe("vectorized UDFs (udf.vectorized / pandas_udf)", () => {
  it("called once per batch with whole columns, results read per row; works in select and filter", async () => {
    const calls: number[] = [];
    const scale = udf.vectorized((xs: (number | null)[], ks: (number | null)[]) => {
      calls.push(xs.length);
      return xs.map((x, i) => (x === null || ks[i] === null ? null : x * (ks[i] as number)));
    }, "double", "scale");
    const s = spark.memoryStream("x DOUBLE, k INT");
    const c = collect(s.toDF().filter(pandas_udf((xs: number[]) => xs.map((x) => x !== 0), "boolean")("x")).select(scale("x", "k").alias("y"), col("x")), "append");
    started.push(c.query);
    s.addData([{ x: 1, k: 2 }, { x: 0, k: 5 }, { x: 3, k: null }, { x: 4, k: 10 }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ y: 2, x: 1 }, { y: null, x: 3 }, { y: 40, x: 4 }]);
    expect(calls).toEqual([3]);
  });

  it("a result of the wrong length fails with one line naming the UDF", () => {
    const short = udf.vectorized((xs: number[]) => xs.slice(1), "double", "short_udf");
    expect(() => temps().select(short("f")).collect()).toThrow(/^\[FAILED_EXECUTE_UDF\] User defined function \(short_udf: \(double\) => double\) failed due to: it returned 2 values for 3 rows; return one value per row/);
    spark.udf.registerVectorized("v_double", (xs: (number | null)[]) => xs.map((x) => (x === null ? null : x * 2)), "double");
    expect(spark.sql("SELECT v_double(f) AS d FROM udf_temps").collect()).toEqual([{ d: 424 }, { d: 64 }, { d: null }]);
  });
});

describe("the PySpark export refuses a UDF", () => {
  it("with one line naming it, from the Column form, expr(), selectExpr and SQL", () => {
    const src = () => spark.readStream.format("kafka").option("subscribe", "t").option("kafka.bootstrap.servers", "localhost:1").load().selectExpr("CAST(value AS STRING) AS v");
    const up = udf((s: string) => s.toUpperCase(), "string", "shout");
    expect(() => src().select(up("v")).toPySpark()).toThrow(/^toPySpark: the TypeScript UDF 'shout' has no PySpark equivalent; .*$/);
    spark.udf.register("shout2", (s: string) => s.toUpperCase(), "string");
    expect(() => src().selectExpr("shout2(v) AS s").toPySpark()).toThrow(/^toPySpark: the TypeScript UDF 'shout2' has no PySpark equivalent/);
    src().createOrReplaceTempView("udf_src");
    expect(() => spark.sql("SELECT shout2(v) FROM udf_src").toPySpark()).toThrow(/^toPySpark: the TypeScript UDF 'shout2'/);
  });
});
