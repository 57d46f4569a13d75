/**
 * The side-by-side corpus: streaming queries written twice, for streamlab (TypeScript, `ts`) and for PySpark
 * (`py`, a Python expression over `df`), run over the same Kafka topic contents. `df` is the topic parsed with
 * `from_json(CAST(value AS STRING), schema).alias("d")).select("d.*")`, or the raw Kafka DataFrame when `raw`.
 * Every batch of a query has the same number of records: both engines read it with maxOffsetsPerTrigger = that
 * size and Trigger.availableNow, so both are given the same micro-batches.
 *
 * `known` marks a query where streamlab is known to differ from Spark: the test then expects the difference
 * (an expected failure, written to docs/conformance.md), and fails when it disappears so the mark is removed.
 */
import {
  spark, col, lit, expr, when, window, session_window, from_json, to_json, struct, count, sum, avg, min, max, upper, lower, length, trim, concat,
  concat_ws, substring, regexp_replace, regexp_extract, split, abs, round, floor, ceil, sqrt, pow, coalesce, greatest, least, year, month,
  dayofmonth, hour, minute, second, date_format, to_date, unix_timestamp, from_unixtime, date_trunc, collect_list, stddev, variance, approx_count_distinct,
  get_json_object, explode, posexplode_outer, type DataFrame,
} from "../../lib/stream";

export type Mode = "append" | "update" | "complete";

export interface CorpusQuery {
  name: string;
  family: string;
  schema: string;
  /** Records (JSON values) per micro-batch; every batch the same length. Strings are sent as they are. */
  batches: (Record<string, unknown> | string)[][];
  raw?: boolean;
  ts: (df: DataFrame) => DataFrame;
  py: string;
  mode?: Mode;
  /** Spark rejects the query: streamlab must reject it too (the error's first words are checked loosely). */
  sparkRejects?: boolean;
  /** Known difference from Spark (why); the run records it as an expected failure. */
  known?: string;
}

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
const EV_SCHEMA = "id INT, name STRING, amount DOUBLE, qty BIGINT, ts TIMESTAMP, tags ARRAY<STRING>, flag BOOLEAN";
const ev = (id: number, name: string | null, amount: number | null, qty: number | null, s: number, tags: string[] | null = null, flag: boolean | null = null) =>
  ({ id, name, amount, qty, ts: t(s), tags, flag });
/** Three batches of four events: in order, then two late ones, then a jump that moves any watermark. */
const EV = [
  [ev(1, "alice", 10.5, 2, 1, ["a", "b"], true), ev(2, "Bob", 3.25, 1, 4, [], false), ev(3, "carol", null, 5, 7, null, null), ev(4, null, 7, 3, 12, ["c"], true)],
  [ev(5, "alice", 2, 4, 15, ["a"], false), ev(6, "bob", 8.75, 2, 18), ev(7, "Bob", 1.5, 1, 2, ["b"], true), ev(8, "dave", 20, 10, 25)],
  [ev(9, "alice", 4, 1, 41), ev(10, "erin", 0.5, 7, 44, ["z"], false), ev(11, "carol", 6, 2, 9), ev(12, "bob", 9, 3, 47)],
];

const q = (name: string, family: string, ts: CorpusQuery["ts"], py: string, more: Partial<CorpusQuery> = {}): CorpusQuery =>
  ({ name, family, schema: EV_SCHEMA, batches: EV, ts, py, ...more });
/** The same SQL select list on both sides. */
const sx = (name: string, family: string, exprs: string[], more: Partial<CorpusQuery> = {}): CorpusQuery =>
  q(name, family, (df) => df.selectExpr(...exprs), `df.selectExpr(${exprs.map(pyStr).join(", ")})`, more);
/** The same SQL filter on both sides. */
const fx = (name: string, family: string, cond: string, more: Partial<CorpusQuery> = {}): CorpusQuery =>
  q(name, family, (df) => df.filter(cond).select("id", "name"), `df.filter(${pyStr(cond)}).select("id", "name")`, more);

/** The same SQL text on both sides, over df as a temp view named after the query (queries run concurrently). */
const sq = (name: string, text: string, more: Partial<CorpusQuery> = {}): CorpusQuery => {
  const view = `sbs_${name.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;
  const sql = text.replace(/\{v\}/g, view);
  return q(name, "sql", (df) => (df.createOrReplaceTempView(view), spark.sql(sql)), `(df.createOrReplaceTempView(${pyStr(view)}) or spark.sql(${pyStr(sql)}))`, more);
};

export function pyStr(s: string): string {
  return JSON.stringify(s);
}

/** The watermark difference several queries show. */

const STATIC_PY = 'spark.createDataFrame([("alice", "eu"), ("bob", "us"), ("carol", "eu")], "name STRING, region STRING")';
const staticDF = () => spark.createDataFrame([["alice", "eu"], ["bob", "us"], ["carol", "eu"]], "name STRING, region STRING");

export const CORPUS: CorpusQuery[] = [
  // ---- projection and filters ------------------------------------------------------------------------------
  q("select columns", "projection", (df) => df.select("id", "name", "ts"), 'df.select("id", "name", "ts")'),
  sx("arithmetic", "math", ["id * 2 AS d", "amount + qty AS s", "qty / 2 AS h", "id % 3 AS m", "-id AS neg", "qty * qty AS sq"]),
  sx("integer division", "math", ["id DIV 3 AS q", "qty DIV 2 AS h", "-id DIV 2 AS n", "id % 3 AS m"]),
  sx("division by zero (ANSI)", "math", ["id", "id / 0 AS z", "amount % 0 AS r", "qty DIV 0 AS dz"], { sparkRejects: true }),
  fx("filter SQL comparison", "filter", "amount > 5"),
  q("filter Column and/isNotNull", "filter", (df) => df.filter(col("name").isNotNull().and(col("qty").geq(2))).select("id"), 'df.filter(F.col("name").isNotNull() & (F.col("qty") >= 2)).select("id")'),
  fx("where LIKE / IN / OR", "filter", "name LIKE 'a%' OR id IN (2, 3)"),
  fx("filter with null comparison", "filter", "amount <> 7 OR amount IS NULL"),
  q("withColumn, withColumnRenamed, drop", "projection",
    (df) => df.withColumn("twice", col("amount").multiply(2)).withColumnRenamed("name", "who").drop("tags", "flag", "ts"),
    'df.withColumn("twice", F.col("amount") * 2).withColumnRenamed("name", "who").drop("tags", "flag", "ts")'),
  sx("CASE WHEN", "conditional", ["id", "CASE WHEN amount > 5 THEN 'big' WHEN amount IS NULL THEN 'none' ELSE 'small' END AS size"]),
  q("when/otherwise", "conditional", (df) => df.select(col("id"), when(col("qty").gt(3), "many").when(col("qty").gt(1), "some").otherwise("one").alias("n")),
    'df.select(F.col("id"), F.when(F.col("qty") > 3, "many").when(F.col("qty") > 1, "some").otherwise("one").alias("n"))'),
  sx("if / nullif / nvl / ifnull", "conditional", ["id", "if(flag, 'y', 'n') AS f", "nullif(qty, 1) AS nq", "nvl(name, '?') AS nm", "ifnull(amount, -1) AS am"]),
  q("coalesce, greatest, least", "nulls", (df) => df.select(col("id"), coalesce(col("amount"), lit(0)).alias("c"), greatest(col("id"), col("qty")).alias("g"), least(col("id"), col("qty")).alias("l")),
    'df.select(F.col("id"), F.coalesce(F.col("amount"), F.lit(0)).alias("c"), F.greatest(F.col("id"), F.col("qty")).alias("g"), F.least(F.col("id"), F.col("qty")).alias("l"))'),
  sx("isnull / isnotnull / <=>", "nulls", ["id", "isnull(name) AS a", "isnotnull(amount) AS b", "name <=> NULL AS c", "amount = NULL AS d"]),
  // ---- casts -----------------------------------------------------------------------------------------------
  sx("casts between numbers and strings", "cast", ["CAST(id AS STRING) AS s", "CAST(amount AS INT) AS i", "CAST(qty AS DOUBLE) AS d", "CAST('12' AS INT) + id AS x", "CAST(amount AS STRING) AS a"]),
  sx("casts of timestamps", "cast", ["id", "CAST(ts AS LONG) AS e", "CAST(ts AS DATE) AS dt", "CAST(ts AS STRING) AS s", "CAST(CAST(ts AS LONG) + 60 AS TIMESTAMP) AS later"]),
  sx("casts of bad strings (ANSI)", "cast", ["id", "CAST(name AS INT) AS i", "CAST(name AS DOUBLE) AS d", "CAST(name AS BOOLEAN) AS b", "CAST('true' AS BOOLEAN) AS t"], { sparkRejects: true }),
  sx("try_cast of bad strings", "cast", ["id", "try_cast(name AS INT) AS i", "try_cast(name AS DOUBLE) AS d", "try_cast(name AS BOOLEAN) AS b", "try_cast(name AS DATE) AS dt", "try_cast(CAST(id AS STRING) AS INT) AS ok"]),
  sx("cast of a bad string to a date (ANSI)", "cast", ["id", "CAST(name AS DATE) AS dt"], { sparkRejects: true }),
  sx("cast of a decimal string to INT (ANSI)", "cast", ["id", "CAST(CAST(amount AS STRING) AS INT) AS i"], { sparkRejects: true }),
  sx("try_cast-free casts of good strings", "cast", ["id", "CAST(CAST(id AS STRING) AS INT) AS i", "CAST('2.5' AS DOUBLE) AS d", "CAST('false' AS BOOLEAN) AS b", "CAST('2024-02-03' AS DATE) AS dt", "CAST('2024-02-03 04:05:06' AS TIMESTAMP) AS t"]),
  sx("cast to decimal", "cast", ["id", "CAST(amount AS DECIMAL(10,2)) AS dec"]),
  sx("decimal arithmetic and comparisons", "decimal", ["id", "CAST(amount AS DECIMAL(10,2)) * 1.5 AS m", "CAST(amount AS DECIMAL(10,2)) + qty AS p", "CAST(amount AS DECIMAL(10,2)) / 3 AS d", "CAST(amount AS DECIMAL(10,2)) - 0.125 AS s", "CAST(amount AS DECIMAL(10,2)) > 5.5 AS gt", "round(CAST(amount AS DECIMAL(10,2)) / 3, 2) AS r", "bround(CAST(amount AS DECIMAL(10,2)), 0) AS b", "CAST(CAST(amount AS DECIMAL(10,2)) AS STRING) AS t", "to_json(named_struct('d', CAST(amount AS DECIMAL(6,3)))) AS j"]),
  q("decimal sum, avg, min, max complete", "decimal", (df) => df.withColumn("d", col("amount").cast("decimal(8,2)")).groupBy("name").agg(sum("d").alias("s"), avg("d").alias("a"), min("d").alias("mn"), max("d").alias("mx")),
    'df.withColumn("d", F.col("amount").cast("decimal(8,2)")).groupBy("name").agg(F.sum("d").alias("s"), F.avg("d").alias("a"), F.min("d").alias("mn"), F.max("d").alias("mx"))', { mode: "complete" }),
  q("DECIMAL column from JSON", "decimal", (df) => df.select(col("id"), col("price"), col("price").multiply(col("id")).alias("total")), 'df.select(F.col("id"), F.col("price"), (F.col("price") * F.col("id")).alias("total"))',
    { schema: "id INT, price DECIMAL(7,3)", batches: [['{"id": 1, "price": 10.5}', '{"id": 2, "price": 0.1255}'], ['{"id": 3, "price": "2.25"}', '{"id": 4, "price": 12345.6789}']] }),
  sx("decimal overflow (ANSI)", "decimal", ["id", "CAST(amount * 1000 AS DECIMAL(4,1)) AS o"], { sparkRejects: true }),
  // ---- strings ---------------------------------------------------------------------------------------------
  q("upper, lower, length, trim", "string", (df) => df.select(col("id"), upper(col("name")).alias("u"), lower(col("name")).alias("l"), length(col("name")).alias("n"), trim(concat(lit("  "), col("name"), lit(" "))).alias("t")),
    'df.select(F.col("id"), F.upper(F.col("name")).alias("u"), F.lower(F.col("name")).alias("l"), F.length(F.col("name")).alias("n"), F.trim(F.concat(F.lit("  "), F.col("name"), F.lit(" "))).alias("t"))'),
  q("concat and concat_ws", "string", (df) => df.select(col("id"), concat(col("name"), lit("-"), col("id")).alias("c"), concat_ws("/", col("name"), col("qty")).alias("w")),
    'df.select(F.col("id"), F.concat(F.col("name"), F.lit("-"), F.col("id")).alias("c"), F.concat_ws("/", F.col("name"), F.col("qty")).alias("w"))'),
  q("substring, regexp_replace, regexp_extract", "string",
    (df) => df.select(col("id"), substring(col("name"), 2, 3).alias("s"), regexp_replace(col("name"), "[aeiou]", "_").alias("r"), regexp_extract(col("name"), "([a-z])([a-z]+)", 2).alias("x")),
    'df.select(F.col("id"), F.substring(F.col("name"), 2, 3).alias("s"), F.regexp_replace(F.col("name"), "[aeiou]", "_").alias("r"), F.regexp_extract(F.col("name"), "([a-z])([a-z]+)", 2).alias("x"))'),
  q("split", "string", (df) => df.select(col("id"), split(col("name"), "o").alias("parts")), 'df.select(F.col("id"), F.split(F.col("name"), "o").alias("parts"))'),
  sx("lpad, rpad, initcap, reverse, instr, replace", "string", ["id", "lpad(name, 7, '*') AS lp", "rpad(name, 2, '.') AS rp", "initcap(name) AS ic", "reverse(name) AS rv", "instr(name, 'o') AS io", "replace(name, 'a', 'A') AS rep"]),
  sx("LIKE, RLIKE, ILIKE", "string", ["id", "name LIKE '%o%' AS l", "name RLIKE '^[a-c]' AS r", "name ILIKE 'b%' AS il"]),
  q("startswith, endswith, contains", "string", (df) => df.select(col("id"), col("name").startswith("a").alias("s"), col("name").endswith("b").alias("e"), col("name").contains("ar").alias("c")),
    'df.select(F.col("id"), F.col("name").startswith("a").alias("s"), F.col("name").endswith("b").alias("e"), F.col("name").contains("ar").alias("c"))'),
  // ---- math ------------------------------------------------------------------------------------------------
  q("abs, round, floor, ceil, sqrt, pow", "math",
    (df) => df.select(col("id"), abs(col("amount").minus(5)).alias("a"), round(col("amount").divide(3), 2).alias("r"), floor(col("amount")).alias("f"), ceil(col("amount")).alias("c"), sqrt(col("qty")).alias("s"), pow(col("id"), 2).alias("p")),
    'df.select(F.col("id"), F.abs(F.col("amount") - 5).alias("a"), F.round(F.col("amount") / 3, 2).alias("r"), F.floor(F.col("amount")).alias("f"), F.ceil(F.col("amount")).alias("c"), F.sqrt(F.col("qty")).alias("s"), F.pow(F.col("id"), 2).alias("p"))'),
  sx("round half up, bround, signum, exp, ln", "math", ["id", "round(amount, 0) AS r0", "round(2.5) AS r25", "bround(2.5) AS b25", "signum(amount - 5) AS sg", "round(exp(id / 4), 6) AS ex", "round(ln(qty), 6) AS lg"]),
  // ---- dates and times -------------------------------------------------------------------------------------
  q("year, month, dayofmonth, hour, minute, second", "datetime",
    (df) => df.select(col("id"), year(col("ts")).alias("y"), month(col("ts")).alias("mo"), dayofmonth(col("ts")).alias("d"), hour(col("ts")).alias("h"), minute(col("ts")).alias("mi"), second(col("ts")).alias("s")),
    'df.select(F.col("id"), F.year(F.col("ts")).alias("y"), F.month(F.col("ts")).alias("mo"), F.dayofmonth(F.col("ts")).alias("d"), F.hour(F.col("ts")).alias("h"), F.minute(F.col("ts")).alias("mi"), F.second(F.col("ts")).alias("s"))'),
  q("date_format, to_date, unix_timestamp, from_unixtime", "datetime",
    (df) => df.select(col("id"), date_format(col("ts"), "yyyy-MM-dd HH:mm:ss").alias("f"), to_date(col("ts")).alias("d"), unix_timestamp(col("ts")).alias("u"), from_unixtime(unix_timestamp(col("ts"))).alias("fu")),
    'df.select(F.col("id"), F.date_format(F.col("ts"), "yyyy-MM-dd HH:mm:ss").alias("f"), F.to_date(F.col("ts")).alias("d"), F.unix_timestamp(F.col("ts")).alias("u"), F.from_unixtime(F.unix_timestamp(F.col("ts"))).alias("fu"))'),
  q("date_trunc and timestamp_seconds", "datetime", (df) => df.select(col("id"), date_trunc("minute", col("ts")).alias("m"), expr("timestamp_seconds(qty)").alias("s")),
    'df.select(F.col("id"), F.date_trunc("minute", F.col("ts")).alias("m"), F.expr("timestamp_seconds(qty)").alias("s"))'),
  sx("to_timestamp with a format, date_add, datediff", "datetime", ["id", "to_timestamp('2024-03-05 10:11', 'yyyy-MM-dd HH:mm') AS p", "date_add(CAST(ts AS DATE), id) AS da", "datediff(date_add(CAST(ts AS DATE), id), CAST(ts AS DATE)) AS dd"]),
  sx("interval arithmetic", "interval", ["id", "ts + INTERVAL 1 HOUR AS h", "ts - INTERVAL '30' SECOND AS s", "ts + INTERVAL 2 DAYS AS d"]),
  sx("dayofweek, quarter, weekofyear", "datetime", ["id", "dayofweek(ts) AS dw", "quarter(ts) AS qu", "weekofyear(ts) AS w"]),
  // ---- JSON, structs, arrays -------------------------------------------------------------------------------
  q("to_json of a struct", "json", (df) => df.select(col("id"), to_json(struct(col("id"), col("name"), col("amount"))).alias("j")),
    'df.select(F.col("id"), F.to_json(F.struct(F.col("id"), F.col("name"), F.col("amount"))).alias("j"))'),
  q("get_json_object on the raw value", "json", (df) => df.select(get_json_object(col("value").cast("string"), "$.name").alias("n"), get_json_object(col("value").cast("string"), "$.tags[0]").alias("t0")),
    'df.select(F.get_json_object(F.col("value").cast("string"), "$.name").alias("n"), F.get_json_object(F.col("value").cast("string"), "$.tags[0]").alias("t0"))', { raw: true }),
  q("from_json of a nested schema", "json",
    (df) => df.select(from_json(col("value").cast("string"), "id INT, o STRUCT<a: INT, b: ARRAY<STRING>>, m MAP<STRING, INT>").alias("d")).select("d.id", "d.o.a", "d.o.b", "d.m"),
    'df.select(F.from_json(F.col("value").cast("string"), "id INT, o STRUCT<a: INT, b: ARRAY<STRING>>, m MAP<STRING, INT>").alias("d")).select("d.id", "d.o.a", "d.o.b", "d.m")',
    { raw: true, batches: [[{ id: 1, o: { a: 1, b: ["x"] }, m: { k: 1 } }, { id: 2, o: { a: null, b: [] }, m: {} }], [{ id: 3, o: null, m: null }, { id: 4 }]] }),
  q("from_json of malformed records (PERMISSIVE)", "json",
    (df) => df.select(from_json(col("value").cast("string"), "a INT, b STRING").alias("d")).select("d.*"),
    'df.select(F.from_json(F.col("value").cast("string"), "a INT, b STRING").alias("d")).select("d.*")',
    { raw: true, batches: [['{"a": 1, "b": "x"}', "not json", '{"a": "text", "b": 2}'], ['{"a": 1,}', "[1, 2]", '{"b": "\u0001"}']] }),
  q("from_json with _corrupt_record in the schema (PERMISSIVE)", "json",
    (df) => df.select(from_json(col("value").cast("string"), "a INT, _corrupt_record STRING, b STRING").alias("d")).select("d.*"),
    'df.select(F.from_json(F.col("value").cast("string"), "a INT, _corrupt_record STRING, b STRING").alias("d")).select("d.*")',
    { raw: true, batches: [['{"a": 1, "b": "x"}', "not json", '{"a": "text", "b": 2}'], ['{"a": 1,}', "[1, 2]", '{"b": "\u0001"}']] }),
  sx("struct, array, size, array_contains", "collection", ["id", "named_struct('x', id, 'y', name) AS s", "array(id, qty) AS a", "size(tags) AS n", "array_contains(tags, 'a') AS has"]),
  sx("struct field access", "collection", ["named_struct('x', id, 'y', name).y AS y", "named_struct('x', id, 'y', name).x AS x"]),
  sx("element_at and [] out of range (ANSI)", "collection", ["id", "element_at(tags, 1) AS e", "tags[0] AS first"], { sparkRejects: true }),
  sx("element_at out of range (ANSI)", "collection", ["id", "element_at(tags, 2) AS e"], { sparkRejects: true }),
  sx("[] out of range (ANSI)", "collection", ["id", "tags[1] AS second"], { sparkRejects: true }),
  sx("try_element_at and get out of range", "collection", ["id", "try_element_at(tags, 1) AS e", "try_element_at(tags, -2) AS l", "get(tags, 0) AS g0", "get(tags, 5) AS g5", "element_at(array(id, qty), -1) AS last"]),
  // ---- raw Kafka columns -----------------------------------------------------------------------------------
  q("raw Kafka columns", "kafka", (df) => df.selectExpr("CAST(value AS STRING) AS v", "topic", "partition", "offset"), 'df.selectExpr("CAST(value AS STRING) AS v", "topic", "partition", "offset")',
    { raw: true, batches: [["a", "b"], ["c", "d"]] }),
  // ---- 64-bit integers -------------------------------------------------------------------------------------
  q("64-bit integers beyond 2^53", "types", (df) => df.select("id", "qty").withColumn("next", col("qty").plus(1)), 'df.select("id", "qty").withColumn("next", F.col("qty") + 1)',
    { schema: "id INT, qty BIGINT", batches: [['{"id": 1, "qty": 9007199254740993}', '{"id": 2, "qty": 9223372036854775806}']] }),
  q("BIGINT sum, min, max, count beyond 2^53", "types", (df) => df.groupBy("id").agg(sum("qty").alias("s"), min("qty").alias("mn"), max("qty").alias("mx"), count("qty").alias("n")),
    'df.groupBy("id").agg(F.sum("qty").alias("s"), F.min("qty").alias("mn"), F.max("qty").alias("mx"), F.count("qty").alias("n"))',
    { mode: "complete", schema: "id INT, qty BIGINT", batches: [['{"id": 1, "qty": 9007199254740993}', '{"id": 1, "qty": 4503599627370497}'], ['{"id": 1, "qty": -9007199254740993}', '{"id": 2, "qty": 9223372036854775000}']] }),
  sx("BIGINT arithmetic, casts and comparisons beyond 2^53", "types", ["id", "qty * 2 AS dbl", "qty - 9007199254740993 AS d", "CAST(qty AS STRING) AS s", "CAST(CAST(qty AS STRING) AS BIGINT) AS back", "qty > 9007199254740992 AS gt", "qty % 10 AS m", "to_json(named_struct('q', qty)) AS j"],
    { schema: "id INT, qty BIGINT", batches: [['{"id": 1, "qty": 9007199254740993}', '{"id": 2, "qty": -4611686018427387904}']] }),
  sx("BIGINT overflow (ANSI)", "types", ["id", "qty + 9223372036854775000 AS o"], { schema: "id INT, qty BIGINT", batches: [['{"id": 1, "qty": 9007199254740993}']], sparkRejects: true }),
  // ---- aggregations ----------------------------------------------------------------------------------------
  q("groupBy().count() complete", "aggregate", (df) => df.groupBy("name").count(), 'df.groupBy("name").count()', { mode: "complete" }),
  q("sum, avg, min, max, count complete", "aggregate",
    (df) => df.groupBy("name").agg(sum("amount").alias("s"), avg("amount").alias("a"), min("qty").alias("mn"), max("ts").alias("mx"), count("amount").alias("c")),
    'df.groupBy("name").agg(F.sum("amount").alias("s"), F.avg("amount").alias("a"), F.min("qty").alias("mn"), F.max("ts").alias("mx"), F.count("amount").alias("c"))', { mode: "complete" }),
  q("global aggregate update", "aggregate", (df) => df.agg(count("*").alias("n"), sum("qty").alias("q")), 'df.agg(F.count("*").alias("n"), F.sum("qty").alias("q"))', { mode: "update" }),
  q("groupBy update mode", "aggregate", (df) => df.groupBy("name").agg(sum("qty").alias("q")), 'df.groupBy("name").agg(F.sum("qty").alias("q"))', { mode: "update" }),
  q("groupBy an expression", "aggregate", (df) => df.groupBy(expr("id % 2").alias("parity")).agg(count("*").alias("n"), sum("amount").alias("s")),
    'df.groupBy(F.expr("id % 2").alias("parity")).agg(F.count("*").alias("n"), F.sum("amount").alias("s"))', { mode: "complete" }),
  q("expression over aggregates", "aggregate", (df) => df.groupBy("name").agg(sum("amount").divide(count("*")).alias("per"), max("qty").minus(min("qty")).alias("spread")),
    'df.groupBy("name").agg((F.sum("amount") / F.count("*")).alias("per"), (F.max("qty") - F.min("qty")).alias("spread"))', { mode: "complete" }),
  q("stddev, variance, approx_count_distinct", "aggregate",
    (df) => df.groupBy(expr("id % 2").alias("p")).agg(round(stddev("amount"), 6).alias("sd"), round(variance("qty"), 6).alias("v"), approx_count_distinct("name").alias("ac")),
    'df.groupBy(F.expr("id % 2").alias("p")).agg(F.round(F.stddev("amount"), 6).alias("sd"), F.round(F.variance("qty"), 6).alias("v"), F.approx_count_distinct("name").alias("ac"))', { mode: "complete" }),
  q("collect_list size", "aggregate", (df) => df.groupBy("name").agg(expr("size(collect_list(id))").alias("n"), expr("array_sort(collect_set(qty))").alias("qs")),
    'df.groupBy("name").agg(F.expr("size(collect_list(id))").alias("n"), F.expr("array_sort(collect_set(qty))").alias("qs"))', { mode: "complete" }),
  q("count distinct is rejected in streaming", "aggregate", (df) => df.groupBy("name").agg(expr("count(DISTINCT id)").alias("n")),
    'df.groupBy("name").agg(F.expr("count(DISTINCT id)").alias("n"))', { mode: "complete", sparkRejects: true }),
  q("aggregates skip nulls", "aggregate", (df) => df.groupBy("flag").agg(sum("amount").alias("s"), avg("amount").alias("a"), count("amount").alias("c"), count("*").alias("n")),
    'df.groupBy("flag").agg(F.sum("amount").alias("s"), F.avg("amount").alias("a"), F.count("amount").alias("c"), F.count("*").alias("n"))', { mode: "complete" }),
  q("append aggregation without watermark is rejected", "output mode", (df) => df.groupBy("name").count(), 'df.groupBy("name").count()', { mode: "append", sparkRejects: true }),
  q("complete mode without aggregation is rejected", "output mode", (df) => df.select("id"), 'df.select("id")', { mode: "complete", sparkRejects: true }),
  q("update mode without aggregation", "output mode", (df) => df.select("id", "name"), 'df.select("id", "name")', { mode: "update" }),
  // ---- windows ---------------------------------------------------------------------------------------------
  q("tumbling window complete", "window", (df) => df.groupBy(window(col("ts"), "10 seconds")).agg(count("*").alias("n"), sum("qty").alias("q")),
    'df.groupBy(F.window(F.col("ts"), "10 seconds")).agg(F.count("*").alias("n"), F.sum("qty").alias("q"))', { mode: "complete" }),
  q("tumbling window + watermark append", "watermark", (df) => df.withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds")).agg(count("*").alias("n")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.window(F.col("ts"), "10 seconds")).agg(F.count("*").alias("n"))', { mode: "append" }),
  q("tumbling window + watermark update", "watermark", (df) => df.withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("name")).agg(sum("amount").alias("s")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.window(F.col("ts"), "10 seconds"), F.col("name")).agg(F.sum("amount").alias("s"))', { mode: "update" }),
  q("sliding window complete", "window", (df) => df.groupBy(window(col("ts"), "10 seconds", "5 seconds")).agg(count("*").alias("n")),
    'df.groupBy(F.window(F.col("ts"), "10 seconds", "5 seconds")).agg(F.count("*").alias("n"))', { mode: "complete" }),
  q("sliding window + watermark append", "watermark", (df) => df.withWatermark("ts", "10 seconds").groupBy(window(col("ts"), "20 seconds", "10 seconds")).agg(sum("qty").alias("q")),
    'df.withWatermark("ts", "10 seconds").groupBy(F.window(F.col("ts"), "20 seconds", "10 seconds")).agg(F.sum("qty").alias("q"))', { mode: "append" }),
  q("window with a start time", "window", (df) => df.groupBy(window(col("ts"), "10 seconds", "10 seconds", "3 seconds")).agg(count("*").alias("n")),
    'df.groupBy(F.window(F.col("ts"), "10 seconds", "10 seconds", "3 seconds")).agg(F.count("*").alias("n"))', { mode: "complete" }),
  q("window start and end selected", "window", (df) => df.groupBy(window(col("ts"), "30 seconds")).agg(max("amount").alias("m")).select(col("window.start").alias("s"), col("window.end").alias("e"), col("m")),
    'df.groupBy(F.window(F.col("ts"), "30 seconds")).agg(F.max("amount").alias("m")).select(F.col("window.start").alias("s"), F.col("window.end").alias("e"), F.col("m"))', { mode: "complete" }),
  q("tumbling window in select", "window", (df) => df.select(col("id"), window(col("ts"), "10 seconds").alias("w")), 'df.select(F.col("id"), F.window(F.col("ts"), "10 seconds").alias("w"))'),
  q("session window + watermark append", "session", (df) => df.withWatermark("ts", "5 seconds").groupBy(session_window(col("ts"), "5 seconds"), col("name")).agg(count("*").alias("n")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.session_window(F.col("ts"), "5 seconds"), F.col("name")).agg(F.count("*").alias("n"))', { mode: "append" }),
  q("session window complete", "session", (df) => df.groupBy(session_window(col("ts"), "4 seconds"), col("flag")).agg(count("*").alias("n"), sum("qty").alias("q")),
    'df.groupBy(F.session_window(F.col("ts"), "4 seconds"), F.col("flag")).agg(F.count("*").alias("n"), F.sum("qty").alias("q"))', { mode: "complete" }),
  q("global session window is rejected", "session", (df) => df.groupBy(session_window(col("ts"), "4 seconds")).agg(count("*").alias("n")),
    'df.groupBy(F.session_window(F.col("ts"), "4 seconds")).agg(F.count("*").alias("n"))', { mode: "complete", sparkRejects: true }),
  q("session window update mode is rejected", "session", (df) => df.withWatermark("ts", "10 seconds").groupBy(session_window(col("ts"), "6 seconds"), col("name")).agg(count("*").alias("n")),
    'df.withWatermark("ts", "10 seconds").groupBy(F.session_window(F.col("ts"), "6 seconds"), F.col("name")).agg(F.count("*").alias("n"))', { mode: "update", sparkRejects: true }),
  // ---- watermark and deduplication -------------------------------------------------------------------------
  q("dropDuplicates by a column", "dedup", (df) => df.dropDuplicates(["name"]).select("id", "name"), 'df.dropDuplicates(["name"]).select("id", "name")'),
  q("dropDuplicates with watermark", "dedup", (df) => df.withWatermark("ts", "5 seconds").dropDuplicates(["name", "ts"]).select("id", "name"),
    'df.withWatermark("ts", "5 seconds").dropDuplicates(["name", "ts"]).select("id", "name")',
    { batches: [[ev(1, "a", 1, 1, 10), ev(2, "a", 1, 1, 10), ev(3, "b", 1, 1, 12)], [ev(4, "a", 1, 1, 10), ev(5, "c", 1, 1, 30), ev(6, "b", 1, 1, 12)], [ev(7, "a", 1, 1, 10), ev(8, "c", 1, 1, 30), ev(9, "d", 1, 1, 31)]] }),
  q("distinct()", "dedup", (df) => df.select("name").distinct(), 'df.select("name").distinct()'),
  q("watermark drops late rows before a window", "watermark", (df) => df.withWatermark("ts", "2 seconds").groupBy(window(col("ts"), "5 seconds"), col("name")).agg(count("*").alias("n")),
    'df.withWatermark("ts", "2 seconds").groupBy(F.window(F.col("ts"), "5 seconds"), F.col("name")).agg(F.count("*").alias("n"))', { mode: "update" }),
  q("groupBy the watermarked column append", "watermark", (df) => df.withWatermark("ts", "3 seconds").groupBy("ts").agg(count("*").alias("n")),
    'df.withWatermark("ts", "3 seconds").groupBy("ts").agg(F.count("*").alias("n"))', { mode: "append" }),
  // ---- joins with static data ------------------------------------------------------------------------------
  q("stream-static inner join", "join", (df) => df.join(staticDF(), "name").select("id", "name", "region"), `df.join(${STATIC_PY}, "name").select("id", "name", "region")`),
  q("stream-static left join", "join", (df) => df.join(staticDF(), "name", "left").select("id", "name", "region"), `df.join(${STATIC_PY}, "name", "left").select("id", "name", "region")`),
  q("join then aggregate", "join", (df) => df.join(staticDF(), "name").groupBy("region").agg(sum("qty").alias("q")), `df.join(${STATIC_PY}, "name").groupBy("region").agg(F.sum("qty").alias("q"))`, { mode: "complete" }),
  // ---- stream-stream joins: the topic joined with itself (two scans of one source), watermarks on both sides ----
  q("stream-stream self join within 10 s", "join", (df) => {
    const l = df.select(col("id").alias("lid"), col("name").alias("ln"), col("ts").alias("lt")).withWatermark("lt", "10 seconds");
    const r = df.select(col("id").alias("rid"), col("name").alias("rn"), col("ts").alias("rt")).withWatermark("rt", "10 seconds");
    return l.join(r, expr("ln = rn AND rt > lt AND rt <= lt + interval 10 seconds")).select("lid", "rid");
  }, '(lambda l, r: l.join(r, F.expr("ln = rn AND rt > lt AND rt <= lt + interval 10 seconds")).select("lid", "rid"))(df.select(F.col("id").alias("lid"), F.col("name").alias("ln"), F.col("ts").alias("lt")).withWatermark("lt", "10 seconds"), df.select(F.col("id").alias("rid"), F.col("name").alias("rn"), F.col("ts").alias("rt")).withWatermark("rt", "10 seconds"))'),
  q("stream-stream self left outer join within 5 s", "join", (df) => {
    const l = df.select(col("id").alias("lid"), col("name").alias("ln"), col("ts").alias("lt")).withWatermark("lt", "5 seconds");
    const r = df.select(col("id").alias("rid"), col("name").alias("rn"), col("ts").alias("rt")).withWatermark("rt", "5 seconds");
    return l.join(r, expr("ln = rn AND rt > lt AND rt <= lt + interval 5 seconds"), "left_outer").select("lid", "rid");
  }, '(lambda l, r: l.join(r, F.expr("ln = rn AND rt > lt AND rt <= lt + interval 5 seconds"), "left_outer").select("lid", "rid"))(df.select(F.col("id").alias("lid"), F.col("name").alias("ln"), F.col("ts").alias("lt")).withWatermark("lt", "5 seconds"), df.select(F.col("id").alias("rid"), F.col("name").alias("rn"), F.col("ts").alias("rt")).withWatermark("rt", "5 seconds"))',
  {}),
  // ---- union and explode over streams (issue 17) ---------------------------------------------------------------
  q("union of two scans of the stream", "union", (df) => df.filter("qty >= 3").select("id", "name").union(df.filter("amount < 3").select("id", "name")),
    'df.filter("qty >= 3").select("id", "name").union(df.filter("amount < 3").select("id", "name"))'),
  q("unionByName with columns in another order", "union", (df) => df.select("id", "name").unionByName(df.filter("flag").select("name", "id")),
    'df.select("id", "name").unionByName(df.filter("flag").select("name", "id"))'),
  q("union with watermarks then window append", "union", (df) => df.select("ts", "qty").withWatermark("ts", "5 seconds").union(df.filter("flag").select("ts", "qty").withWatermark("ts", "5 seconds"))
    .groupBy(window(col("ts"), "10 seconds")).agg(sum("qty").alias("q")),
    'df.select("ts", "qty").withWatermark("ts", "5 seconds").union(df.filter("flag").select("ts", "qty").withWatermark("ts", "5 seconds")).groupBy(F.window(F.col("ts"), "10 seconds")).agg(F.sum("qty").alias("q"))', { mode: "append" }),
  q("explode an array", "explode", (df) => df.select(col("id"), explode(col("tags")).alias("tag")), 'df.select(F.col("id"), F.explode(F.col("tags")).alias("tag"))'),
  q("posexplode_outer keeps empty and null arrays", "explode", (df) => df.select(col("id"), posexplode_outer(col("tags"))), 'df.select(F.col("id"), F.posexplode_outer(F.col("tags")))'),
  q("explode then aggregate", "explode", (df) => df.select(explode(col("tags")).alias("tag")).groupBy("tag").count(), 'df.select(F.explode(F.col("tags")).alias("tag")).groupBy("tag").count()', { mode: "complete" }),
  // ---- chained stateful operators in append mode (Spark 3.5+) -----------------------------------------------------
  q("window aggregation of a window aggregation", "chained", (df) => df.withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "5 seconds")).agg(count("*").alias("n"))
    .groupBy(window(col("window"), "20 seconds")).agg(count("*").alias("windows"), sum("n").alias("n")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.window(F.col("ts"), "5 seconds")).agg(F.count("*").alias("n")).groupBy(F.window(F.col("window"), "20 seconds")).agg(F.count("*").alias("windows"), F.sum("n").alias("n"))', { mode: "append" }),
  q("window_time of a window aggregation, aggregated again", "chained", (df) => df.withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "10 seconds"), col("flag")).agg(sum("qty").alias("q"))
    .groupBy(window(expr("window_time(window)"), "30 seconds")).agg(max("q").alias("top"), count("*").alias("groups")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.window(F.col("ts"), "10 seconds"), F.col("flag")).agg(F.sum("qty").alias("q")).groupBy(F.window(F.expr("window_time(window)"), "30 seconds")).agg(F.max("q").alias("top"), F.count("*").alias("groups"))', { mode: "append" }),
  q("dropDuplicates then window aggregation", "chained", (df) => df.withWatermark("ts", "5 seconds").dropDuplicates(["name", "ts"]).groupBy(window(col("ts"), "10 seconds")).agg(count("*").alias("n")),
    'df.withWatermark("ts", "5 seconds").dropDuplicates(["name", "ts"]).groupBy(F.window(F.col("ts"), "10 seconds")).agg(F.count("*").alias("n"))', { mode: "append" }),
  q("aggregation after a stream-stream join", "chained", (df) => {
    const l = df.select(col("id").alias("lid"), col("ts").alias("lt")).withWatermark("lt", "5 seconds");
    const r = df.select(col("qty").alias("rq"), col("ts").alias("rt")).withWatermark("rt", "5 seconds");
    return l.join(r, expr("lt = rt")).groupBy(window(col("lt"), "10 seconds")).agg(count("*").alias("pairs"), sum("rq").alias("q"));
  }, '(lambda l, r: l.join(r, F.expr("lt = rt")).groupBy(F.window(F.col("lt"), "10 seconds")).agg(F.count("*").alias("pairs"), F.sum("rq").alias("q")))(df.select(F.col("id").alias("lid"), F.col("ts").alias("lt")).withWatermark("lt", "5 seconds"), df.select(F.col("qty").alias("rq"), F.col("ts").alias("rt")).withWatermark("rt", "5 seconds"))', { mode: "append" }),
  q("chained aggregations in update mode are rejected", "chained", (df) => df.withWatermark("ts", "5 seconds").groupBy(window(col("ts"), "5 seconds")).agg(count("*").alias("n"))
    .groupBy(window(col("window"), "20 seconds")).agg(sum("n").alias("n")),
    'df.withWatermark("ts", "5 seconds").groupBy(F.window(F.col("ts"), "5 seconds")).agg(F.count("*").alias("n")).groupBy(F.window(F.col("window"), "20 seconds")).agg(F.sum("n").alias("n"))', { mode: "update", sparkRejects: true }),
  // ---- the same queries in SQL: spark.sql over a temp view of df, on both engines ------------------------------
  sq("SQL select, where and expressions", "SELECT id, upper(name) AS n, amount * 2 AS a2, CAST(qty AS INT) AS q FROM {v} WHERE amount > 3"),
  sq("SQL CASE, :: cast and IN", "SELECT id, CASE WHEN amount > 5 THEN 'big' WHEN amount IS NULL THEN 'none' ELSE 'small' END AS size, qty::string AS q FROM {v} WHERE name IN ('alice', 'bob')"),
  sq("SQL GROUP BY with HAVING", "SELECT name, count(*) AS n, sum(qty) AS q FROM {v} WHERE name IS NOT NULL GROUP BY name HAVING count(*) >= 2", { mode: "complete" }),
  sq("SQL window GROUP BY", "SELECT window.start AS s, window.end AS e, count(*) AS n, max(amount) AS m FROM {v} GROUP BY window(ts, '10 seconds')", { mode: "complete" }),
  sq("SQL window with an INTERVAL duration is rejected", "SELECT window, count(*) AS n FROM {v} GROUP BY window(ts, INTERVAL 10 SECONDS)", { mode: "complete", sparkRejects: true }),
  sq("SQL WATERMARK clause in FROM", "SELECT window, count(*) AS n FROM {v} WATERMARK ts DELAY OF INTERVAL 10 SECONDS GROUP BY window(ts, '10 seconds')", { mode: "complete" }),
  sq("SQL subquery and CTE", "WITH big AS (SELECT * FROM {v} WHERE qty >= 2) SELECT name, total FROM (SELECT name, sum(amount) AS total FROM big GROUP BY name) t", { mode: "complete" }),
];
