import { describe, it, expect } from "vitest";
import { spark, col, expr, from_json, to_json, struct, AnalysisError } from "../../../lib/stream";
import { evalSql } from "../support/sql";

describe("from_json and to_json", () => {
  it("from_json: struct fields, o.*, PERMISSIVE nulls with _corrupt_record, to_json back", () => {
    const df = spark.createDataFrame(
      [{ json: '{"id":"a","amount":12.5,"ts":"2024-01-01T00:00:01Z","tags":["x"]}' }, { json: "{broken" }, { json: '{"id":"c","amount":"lots"}' }],
      "json STRING",
    );
    const parsed = df.select(from_json(col("json"), "id STRING, amount DOUBLE, ts TIMESTAMP, tags ARRAY<STRING>, _corrupt_record STRING").alias("o"));
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
    const schema = "id STRING, amount DOUBLE, n BIGINT, ok BOOLEAN, ts TIMESTAMP, _corrupt_record STRING";
    const df = spark.createDataFrame(inputs.map((s) => [s]), "s STRING");
    const viaString = df.select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    const viaBytes = df.selectExpr("CAST(s AS BINARY) AS b").selectExpr("CAST(b AS STRING) AS s").select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    expect(viaBytes).toEqual(viaString);
    expect(viaString[0]).toEqual({ id: "a", amount: 12.34, n: 7, ok: true, ts: new Date("2024-01-01T00:00:01.500Z"), _corrupt_record: null });
    expect(viaString[1]).toMatchObject({ id: 'b"qé', amount: -0.1, n: 1000 });
    expect(viaString[3]).toMatchObject({ id: "last", amount: 3.5, n: null, _corrupt_record: inputs[3] });
  });

  it("timestamps and repeated strings read from bytes equal the string path's, form by form", () => {
    const stamps = ["2024-01-01", "2024-01-01T10:20", "2024-01-01 10:20:30", "2024-02-29T23:59:59.9Z", "2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.1234Z",
      "2024-01-01T00:00:00.Z", "2024-13-01T00:00:00Z", "2024-01-32", "2024-01-01T24:00:00Z", "2024-01-01T10:20Z", "2024-01-01Z", "1969-12-31T23:59:59.999Z",
      "2024-01-01T10:20:30+02:00", "0001-01-01T00:00:00Z", "not a time", "2024-01-01T1:2:3"];
    // Regions repeat (shared strings), ids do not (the byte path stops sharing them), a few collide in its table.
    const inputs = [...stamps, ...Array.from({ length: 3000 }, (_, i) => stamps[i % 5])].map((ts, i) => JSON.stringify({ ts, region: ["eu", "us", "é", "ap", ""][i % 5], id: `id${i}` }));
    const schema = "ts TIMESTAMP, region STRING, id STRING, _corrupt_record STRING";
    const df = spark.createDataFrame(inputs.map((s) => [s]), "s STRING");
    const viaString = df.select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    const viaBytes = df.selectExpr("CAST(s AS BINARY) AS b").selectExpr("CAST(b AS STRING) AS s").select(from_json(col("s"), schema).alias("o")).select("o.*").collect();
    expect(viaBytes).toEqual(viaString);
    expect(viaString[3]).toEqual({ ts: new Date("2024-02-29T23:59:59.900Z"), region: "ap", id: "id3", _corrupt_record: null });
    expect(viaString[15].ts).toBeNull();
    expect(new Set(viaBytes.map((r) => r.region))).toEqual(new Set(["eu", "us", "é", "ap", ""]));
  });

  it("from_json refuses DROPMALFORMED as Spark does, saying to filter on _corrupt_record", () => {
    const df = spark.createDataFrame([{ json: '{"a":1}' }, { json: "nope" }], "json STRING");
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "DROPMALFORMED" }).alias("o"))).toThrow(AnalysisError);
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "dropmalformed" }).alias("o"))).toThrow(/does not support mode DROPMALFORMED.*PERMISSIVE.*_corrupt_record IS NULL/);
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "LENIENT" }))).toThrow(/mode must be PERMISSIVE or FAILFAST, not 'LENIENT'/);
    // What the message recommends works: PERMISSIVE then a filter keeps only the good rows.
    const good = df.select(from_json(col("json"), "a INT, _corrupt_record STRING").alias("o")).select("o.*").filter("_corrupt_record IS NULL").select("a");
    expect(good.collect()).toEqual([{ a: 1 }]);
  });

  it("from_json FAILFAST fails naming the row", () => {
    const df = spark.createDataFrame([{ json: '{"a":1}' }, { json: "nope" }], "json STRING");
    expect(() => df.select(from_json(col("json"), "a INT", { mode: "FAILFAST" }).alias("o")).collect()).toThrow(/malformed record.*FAILFAST.*nope.*row 1/);
  });
});

/** `{"id":"x","payload":[[[...]]]}` nested `depth` levels inside `payload` (the record itself is one more). */
const deep = (depth: number) => `{"id":"x","payload":${"[".repeat(depth)}${"]".repeat(depth)}}`;

/** The same texts through the string path and through the byte path (Kafka values), field by field and whole. */
function bothPaths(inputs: string[], schema: string, options: Record<string, string> = {}) {
  const df = spark.createDataFrame(inputs.map((s) => [s]), "s STRING");
  const viaString = df.select(from_json(col("s"), schema, options).alias("o")).select("o.*").collect();
  const viaBytes = df.selectExpr("CAST(s AS BINARY) AS b").selectExpr("CAST(b AS STRING) AS s").select(from_json(col("s"), schema, options).alias("o")).select("o.*").collect();
  // Reading one field only takes the scanner's positional path (column pruning): it must agree too.
  const oneField = df.selectExpr("CAST(s AS BINARY) AS b").selectExpr("CAST(b AS STRING) AS s").select(from_json(col("s"), schema, options).alias("o")).select("o._corrupt_record").collect();
  return { viaString, viaBytes, oneField };
}

describe("bad JSON input (issue 15): Spark's validity rule on every path", () => {
  it("a record nested thousands of levels deep in a STRING field is a corrupt record, not a stack overflow", () => {
    const inputs = [deep(5000), deep(200_000), '{"id":"ok","payload":[1,[2]]}'];
    const { viaString, viaBytes } = bothPaths(inputs, "id STRING, payload STRING, _corrupt_record STRING");
    expect(viaString).toEqual([
      { id: null, payload: null, _corrupt_record: inputs[0] },
      { id: null, payload: null, _corrupt_record: inputs[1] },
      { id: "ok", payload: "[1,[2]]", _corrupt_record: null },
    ]);
    expect(viaBytes).toEqual(viaString);
  });

  it("the nesting limit is Jackson's: 1000 levels pass, 1001 are malformed, also in a field nobody reads", () => {
    // payload at depth d means d + 1 levels with the record's own braces.
    const ok = deep(999);
    const tooDeep = deep(1000);
    const { viaString, viaBytes, oneField } = bothPaths([ok, tooDeep], "id STRING, _corrupt_record STRING");
    expect(viaString.map((r) => r.id)).toEqual(["x", null]);
    expect(viaString[1]._corrupt_record).toBe(tooDeep);
    expect(viaBytes).toEqual(viaString);
    expect(oneField).toEqual(viaString.map((r) => ({ _corrupt_record: r._corrupt_record })));
  });

  it("FAILFAST stops with one clear line naming the row, not 'Maximum call stack size exceeded'", () => {
    const df = spark.createDataFrame([['{"id":"a"}'], [deep(50_000)]], "s STRING");
    const run = () => df.select(from_json(col("s"), "id STRING, payload STRING", { mode: "FAILFAST" }).alias("o")).select("o.*").collect();
    expect(run).toThrow(/malformed record \(nested more than 1000 levels deep\) in FAILFAST mode: .*row 1/);
    expect(run).not.toThrow(/call stack/);
  });

  it("get_json_object gives null for a record nested too deep, as Spark", () => {
    const df = spark.createDataFrame([[deep(20_000)], ['{"id":"x","payload":[[1]]}']], "s STRING");
    expect(df.selectExpr("get_json_object(s, '$.payload') AS p").collect()).toEqual([{ p: null }, { p: "[[1]]" }]);
  });

  it("trailing commas, unbalanced brackets and raw control characters are corrupt from Kafka bytes exactly as from strings", () => {
    const inputs = [
      '{"id":"a","amount":1,}',
      '{"id":"a","amount":1 , }',
      '{"id":"a","amount":1,"tags":[1,2,]}',
      '{"id":"a","amount":1,"tags":[1,2}',
      '{"id":"a","amount":1,"tags":[[1]}',
      '{"id":"a","amount":1,"tags":{"x":[1]]}}',
      '{"id":"a","amount":1,"tags":[1 2]}',
      '{"id":"a","amount":1,"tags":{"x" 1}}',
      '{"id":"a","amount":1,"tags":{"x":1,}}',
      '{"id":"a\u0001b","amount":1}',
      '{"id":"a\nb","amount":1}',
      '{"id":"a","note":"tab\there","amount":1}',
      '{"id":"a","amount":1,"tags":["x\u0007"]}',
      '{"id\u0002":"a","amount":1}',
      '{"id":"a","amount":1e}',
      '{"id":"a","amount":1,"tags":[1.]}',
      '{"id":"a","amount":1,"tags":[tru]}',
      '{"id":"a","amount":1,"tags":["\\x"]}',
    ];
    const { viaString, viaBytes, oneField } = bothPaths(inputs, "id STRING, amount DOUBLE, _corrupt_record STRING");
    // Every one is invalid JSON for Spark: all fields null, the text kept as the corrupt record.
    expect(viaString).toEqual(inputs.map((s) => ({ id: null, amount: null, _corrupt_record: s })));
    expect(viaBytes).toEqual(viaString);
    expect(oneField).toEqual(inputs.map((s) => ({ _corrupt_record: s })));
  });

  it("valid records with nested values in unread fields still take the byte path's answer", () => {
    const inputs = ['{"id":"a","amount":1,"tags":[1,{"x":[true,false,null]},"s\\u00e9"],"e":{}}', '{"id":"b","amount":-2.5e2,"tags":[],"z":[[],{}]}'];
    const { viaString, viaBytes } = bothPaths(inputs, "id STRING, amount DOUBLE, _corrupt_record STRING");
    expect(viaString).toEqual([
      { id: "a", amount: 1, _corrupt_record: null },
      { id: "b", amount: -250, _corrupt_record: null },
    ]);
    expect(viaBytes).toEqual(viaString);
  });

  it("option names are case-insensitive, as Spark's", () => {
    const df = spark.createDataFrame([["nope"]], "s STRING");
    expect(() => df.select(from_json(col("s"), "a INT", { MODE: "failfast" }).alias("o")).collect()).toThrow(/FAILFAST/);
    const renamed = df.select(from_json(col("s"), "a INT, bad STRING", { ColumnNameOfCorruptRecord: "bad" }).alias("o")).select("o.*");
    expect(renamed.collect()).toEqual([{ a: null, bad: "nope" }]);
  });

  it("a schema without _corrupt_record gets no such column: a malformed record is a struct of nulls (Spark's rule)", () => {
    const inputs = ["nope", '{"a":1,}', '{"a":"x","b":"y"}', '{"a":2,"b":"z"}'];
    const df = spark.createDataFrame(inputs.map((s) => [s]), "s STRING");
    const parsed = df.select(from_json(col("s"), "a INT, b STRING").alias("o")).select("o.*");
    expect(parsed.columns).toEqual(["a", "b"]);
    const rows = [{ a: null, b: null }, { a: null, b: null }, { a: null, b: "y" }, { a: 2, b: "z" }];
    expect(parsed.collect()).toEqual(rows);
    // Kafka values (bytes) take the same rule; columnNameOfCorruptRecord alone does not add a column either.
    expect(df.selectExpr("CAST(s AS BINARY) AS b").select(from_json(col("b"), "a INT, b STRING").alias("o")).select("o.*").collect()).toEqual(rows);
    expect(df.select(from_json(col("s"), "a INT", { columnNameOfCorruptRecord: "bad" }).alias("o")).select("o.*").columns).toEqual(["a"]);
    // The corrupt-record field sits where the schema puts it, and must be a string.
    expect(df.select(from_json(col("s"), "_corrupt_record STRING, a INT").alias("o")).select("o.*").collect()[0]).toEqual({ _corrupt_record: "nope", a: null });
    expect(() => df.select(from_json(col("s"), "a INT, _corrupt_record INT").alias("o"))).toThrow(/corrupt record field '_corrupt_record' must be STRING/);
  });

  it("to_json writes doubles as Spark does (Java's Double.toString): Spark 4.1.1's text", () => {
    const r = evalSql({ j: "to_json(named_struct('a', 7.0D, 'b', 1e7D, 'c', 0.0001D, 'd', CAST(1.5 AS FLOAT), 'e', -0.0D, 'f', 123456789.125D, 'g', 0.001D, 'h', array(1.0D, 2.5D), 'i', CAST(3 AS FLOAT), 'j', 9999999.0D, 'k', 1.0E-5D, 'l', 12345678901234567890.0D, 'n', 7))" });
    expect(r.j).toBe('{"a":7.0,"b":1.0E7,"c":1.0E-4,"d":1.5,"e":-0.0,"f":1.23456789125E8,"g":0.001,"h":[1.0,2.5],"i":3.0,"j":9999999.0,"k":1.0E-5,"l":1.2345678901234567E19,"n":7}');
  });
});
