import { describe, it, expect } from "vitest";
import { setDisplayBridge, consoleBridge } from "../../../lib/core";
import { col, expr, AnalysisError, ParseError } from "../../../lib/stream";
import { people } from "../support/people";

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

describe("analysis at definition time", () => {
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
