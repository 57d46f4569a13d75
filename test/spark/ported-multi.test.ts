/**
 * Spark's MultiStatefulOperatorsSuite (chained stateful operators in append mode, Spark 3.5+), ported to
 * streamlab (issue 17). Source: apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/
 * MultiStatefulOperatorsSuite.scala, read and written anew: same test names, input batches and expected
 * answers. MemoryStream[Int] is a stream of "value INT". Spark's assertNumStateRows lists operators from the
 * sink side (the last one first), as StreamTest.stateRows() does; assertNumRowsDroppedByWatermark reads the
 * last progress with input rows.
 */
import { describe, afterEach, afterAll } from "vitest";
import { col, count, expr, spark, sum, timestamp_seconds, window, type DataFrame, type MemoryStream } from "../../lib/stream";
import { ConformanceLog } from "./conformance";
import { StreamTest, port as portTo, disposeAll, check, intercept, memoryStream, type PortOptions } from "./streamtest";

const log = new ConformanceLog("1-ported-multi", "Spark's streaming test suites, ported: chained stateful operators (test/spark/ported-multi.test.ts)");
afterEach(async () => {
  await disposeAll();
});
afterAll(() => log.save());

const port = (name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}) => portTo(log, "MultiStatefulOperatorsSuite", name, body, opts);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** assertNumStateRows: rows in each operator's state after the last batch, the sink's operator first. */
function stateRows(t: StreamTest, expected: number[]): void {
  const total = t.stateRows().total;
  check(JSON.stringify(total) === JSON.stringify(expected), `numRowsTotal: expected [${expected}], got [${total}]`);
}

/** assertNumRowsDroppedByWatermark: of the last progress with input rows, the sink's operator first. */
function droppedRows(t: StreamTest, expected: number[]): void {
  const p = t.query!.recentProgress.filter((x) => x.numInputRows > 0).pop();
  const got = p ? [...p.stateOperators].reverse().map((o) => o.numRowsDroppedByWatermark) : [];
  check(JSON.stringify(got) === JSON.stringify(expected), `numRowsDroppedByWatermark: expected [${expected}], got [${got}]`);
}

/** Several inputs' data in one micro-batch (Spark's MultiAddData). */
async function multiAdd(t: StreamTest, ...pairs: [MemoryStream, unknown[]][]): Promise<void> {
  const [last, ...rest] = pairs.reverse();
  for (const [s, rows] of rest) s.addData(rows.map((r) => (Array.isArray(r) ? r : [r])));
  await t.addData(last[0], ...last[1]);
}

const eventTimeOf = (input: MemoryStream, delay: string): DataFrame =>
  input.toDF().withColumn("eventTime", timestamp_seconds(col("value"))).withWatermark("eventTime", delay);

/**
 * Spark counts rows dropped by a window aggregation after its partial aggregation (one per late window and
 * group); streamlab aggregates without a partial step and counts the late input rows themselves.
 */
const PARTIAL = "numRowsDroppedByWatermark of a window aggregation counts late input rows (Spark: late groups after partial aggregation)";

describe("MultiStatefulOperatorsSuite", () => {
  port("window agg -> window agg, append mode", async () => {
    const input = memoryStream("value INT");
    const stream = eventTimeOf(input, "0 seconds")
      .groupBy(window(col("eventTime"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .groupBy(window(col("window"), "10 seconds"))
      .agg(count("*").alias("count"), sum("count").alias("sum"))
      .select(col("window.start").cast("long"), col("count"), col("sum"));
    const t = new StreamTest(stream);
    await t.addData(input, ...range(10, 21));
    t.checkNewAnswer([10, 2, 10]);
    stateRows(t, [0, 1]);
    droppedRows(t, [0, 0]);
    await t.addData(input, ...range(10, 29));
    t.checkNewAnswer();
    stateRows(t, [1, 1]);
    // Spark: [0, 2] (the late windows [10, 15) and [15, 20)); streamlab counts their 10 rows.
    droppedRows(t, [0, 10]);
    await t.addData(input, 30, 31);
    t.checkNewAnswer([20, 2, 12]);
    stateRows(t, [0, 1]);
    droppedRows(t, [0, 0]);
  }, { note: PARTIAL });

  port("agg -> agg -> agg, append mode", async () => {
    const input = memoryStream("value INT");
    const stream = eventTimeOf(input, "0 seconds")
      .groupBy(window(col("eventTime"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .groupBy(window(expr("window_time(window)"), "10 seconds"))
      .agg(count("*").alias("count"), sum("count").alias("sum"))
      .groupBy(window(expr("window_time(window)"), "20 seconds"))
      .agg(count("*").alias("count"), sum("sum").alias("sum"))
      .select(col("window.start").cast("long"), col("window.end").cast("long"), col("count"), col("sum"));
    const t = new StreamTest(stream);
    await t.addData(input, ...range(0, 37));
    t.checkNewAnswer([0, 20, 2, 20]);
    stateRows(t, [1, 1, 1]);
    droppedRows(t, [0, 0, 0]);
    await t.addData(input, ...range(30, 60));
    t.checkNewAnswer([20, 40, 2, 23], [40, 60, 2, 20]);
    stateRows(t, [0, 0, 1]);
    // Spark: [0, 0, 1] (the late window [30, 35)); streamlab counts its 5 rows.
    droppedRows(t, [0, 0, 5]);
  }, { note: PARTIAL });

  port("stream deduplication -> aggregation, append mode", async () => {
    const input = memoryStream("value INT");
    const deduplication = eventTimeOf(input, "10 seconds").dropDuplicates(["value", "eventTime"]);
    const windowed = deduplication
      .groupBy(window(col("eventTime"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"), sum("value").alias("sum"))
      .select(col("window.start").cast("long"), col("count"));
    const t = new StreamTest(windowed);
    await t.addData(input, ...range(1, 15));
    t.checkNewAnswer([0, 4]);
    stateRows(t, [3, 10]);
    droppedRows(t, [0, 0]);
  });

  port("join -> window agg, append mode", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().withColumnRenamed("value", "value1").withColumn("eventTime1", timestamp_seconds(col("value1"))).withWatermark("eventTime1", "0 seconds");
    const df2 = input2.toDF().withColumnRenamed("value", "value2").withColumn("eventTime2", timestamp_seconds(col("value2"))).withWatermark("eventTime2", "0 seconds");
    const stream = df1.join(df2, expr("eventTime1 = eventTime2"), "inner")
      .groupBy(window(col("eventTime1"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .select(col("window.start").cast("long"), col("count"));
    const t = new StreamTest(stream);
    await multiAdd(t, [input1, range(1, 4)], [input2, range(1, 4)]);
    t.checkNewAnswer();
    stateRows(t, [1, 0]);
    droppedRows(t, [0, 0]);
    await multiAdd(t, [input1, [5]], [input2, [5]]);
    t.checkNewAnswer([0, 4]);
    stateRows(t, [1, 0]);
    droppedRows(t, [0, 0]);
  });

  port("aggregation -> stream deduplication, append mode", async () => {
    const aggStream = (input: MemoryStream) => eventTimeOf(input, "0 seconds")
      .groupBy(window(col("eventTime"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .withColumn("windowEnd", expr("window.end"));
    // Without an event-time column in the deduplication keys its state is never trimmed.
    const input = memoryStream("value INT");
    const noEventTime = aggStream(input).dropDuplicates(["count", "windowEnd"]).select(col("windowEnd").cast("long"), col("count"));
    const t = new StreamTest(noEventTime);
    await t.addData(input, 1, 5, 10, 15);
    t.checkNewAnswer([5, 1], [10, 1], [15, 1]);
    stateRows(t, [3, 1]);
    droppedRows(t, [0, 0]);
    await t.dispose();
    // With window_time(window) among the keys, the watermark trims it.
    const input2 = memoryStream("value INT");
    const withEventTime = aggStream(input2)
      .withColumn("windowTime", expr("window_time(window)"))
      .withColumn("windowTimeMicros", expr("unix_micros(windowTime)"))
      .dropDuplicates(["count", "windowEnd", "windowTime"])
      .select(col("windowEnd").cast("long"), col("windowTimeMicros").cast("long"), col("count"));
    const t2 = new StreamTest(withEventTime);
    await t2.addData(input2, 1, 5, 10, 15);
    t2.checkNewAnswer([5, 4999999, 1], [10, 9999999, 1], [15, 14999999, 1]);
    stateRows(t2, [0, 1]);
    droppedRows(t2, [0, 0]);
  }, { note: "the second query reads a second MemoryStream with the same data (Spark's reuses the first)" });

  port("join on time interval -> window agg, append mode, should fail", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("_1 INT, _2 INT");
    const df1 = input1.toDF().withColumnRenamed("value", "value1").withColumn("eventTime1", timestamp_seconds(col("value1"))).withWatermark("eventTime1", "0 seconds");
    const df2 = input2.toDF().toDF("start", "end")
      .withColumn("eventTime2Start", timestamp_seconds(col("start")))
      .withColumn("eventTime2End", timestamp_seconds(col("end")))
      .withColumn("start2", timestamp_seconds(col("start")))
      .withWatermark("eventTime2Start", "0 seconds");
    const e = await intercept(() => {
      const stream = df1.join(df2, expr("eventTime1 >= eventTime2Start AND eventTime1 < eventTime2End AND eventTime1 = start2"), "inner")
        .groupBy(window(col("eventTime1"), "5 seconds").alias("window"))
        .agg(count("*").alias("count"))
        .select(col("window.start").cast("long"), col("count"));
      new StreamTest(stream).start();
    });
    check(e.message.includes("Detected pattern of possible 'correctness' issue"), `Spark's message; streamlab: ${e.message}`);
  });

  port("join with range join on non-time intervals -> window agg, append mode, shouldn't fail", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("_1 INT, _2 INT");
    const df1 = input1.toDF().withColumnRenamed("value", "value1")
      .withColumn("eventTime1", timestamp_seconds(col("value1")))
      .withColumn("v1", timestamp_seconds(col("value1")))
      .withWatermark("eventTime1", "0 seconds");
    const df2 = input2.toDF().toDF("start", "end")
      .withColumn("eventTime2Start", timestamp_seconds(col("start")))
      .withColumn("start2", timestamp_seconds(col("start")))
      .withColumn("end2", timestamp_seconds(col("end")))
      .withWatermark("eventTime2Start", "0 seconds");
    const stream = df1.join(df2, expr("v1 >= start2 AND v1 < end2 AND eventTime1 = start2"), "inner")
      .groupBy(window(col("eventTime1"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .select(col("window.start").cast("long"), col("count"));
    const t = new StreamTest(stream);
    await t.addData(input1, 1, 2, 3, 4);
    await t.addData(input2, [1, 2], [2, 3], [3, 4], [4, 5]);
    t.checkNewAnswer();
    stateRows(t, [1, 0]);
    droppedRows(t, [0, 0]);
  });

  /** Spark's withSQLConf("spark.sql.streaming.unsupportedOperationCheck" -> "false"): streamlab's switch for this check. */
  async function withoutCorrectnessCheck(body: () => Promise<void>): Promise<void> {
    spark.conf.set("spark.sql.streaming.statefulOperator.checkCorrectness.enabled", "false");
    try {
      await body();
    } finally {
      spark.conf.unset("spark.sql.streaming.statefulOperator.checkCorrectness.enabled");
    }
  }
  const ts = (day: number, h: number, m: number, sec: number, ms = 0) => new Date(Date.UTC(2020, 0, day, h, m, sec, ms));
  const CORRECTNESS = "Spark's withSQLConf(unsupportedOperationCheck=false) is spark.sql.streaming.statefulOperator.checkCorrectness.enabled=false here; Timestamp.valueOf is read as UTC";

  port("stream-stream time interval left outer join -> aggregation, append mode", () => withoutCorrectnessCheck(async () => {
    const input1 = memoryStream("_1 TIMESTAMP, _2 STRING, _3 STRING");
    const input2 = memoryStream("_1 TIMESTAMP, _2 STRING, _3 STRING");
    const df1 = input1.toDF().selectExpr("_1 as eventTime", "_2 as id", "_3 as comment").withWatermark("eventTime", "2 minutes");
    const df2 = input2.toDF().selectExpr("_1 as rightEventTime", "_2 as rightId", "_3 as name").withWatermark("rightEventTime", "4 minutes");
    const joined = df1.join(df2, expr("id = rightId AND eventTime BETWEEN rightEventTime - INTERVAL 40 seconds AND rightEventTime + INTERVAL 30 seconds"), "left_outer");
    const windowAggregation = joined.groupBy(window(col("eventTime"), "30 seconds")).agg(count("*").alias("cnt"))
      .selectExpr("window.start AS window_start", "window.end AS window_end", "cnt");
    const t = new StreamTest(windowAggregation);
    await multiAdd(t,
      [input1, [[ts(1, 0, 0, 0), "abc", "has no join partner"], [ts(2, 0, 0, 0), "abc", "joined with A"], [ts(2, 1, 0, 0), "abc", "joined with B"]]],
      [input2, [[ts(2, 0, 0, 10), "abc", "A"], [ts(2, 0, 59, 59), "abc", "B"], [ts(2, 2, 0, 0), "abc", "C"]]]);
    // The join's output watermark is 40 s behind its input's (the range's lower bound): the aggregation closes
    // windows by it, so the left row with no partner, emitted by the join as its state watermark passes it, is
    // counted and not dropped as late.
    t.checkNewAnswer([ts(1, 0, 0, 0), ts(1, 0, 0, 30), 1], [ts(2, 0, 0, 0), ts(2, 0, 0, 30), 1]);
    await multiAdd(t, [input1, [[ts(5, 0, 0, 0), "abc", "joined with D"]]], [input2, [[ts(5, 0, 0, 10), "abc", "D"]]]);
    t.checkNewAnswer([ts(2, 1, 0, 0), ts(2, 1, 0, 30), 1]);
  }), { note: `${CORRECTNESS}; the right side's columns are renamed (rightEventTime, rightId) where Spark tells them apart with left./right.` });

  port("stream-stream time interval left outer join (left side condition) -> time window aggregation", () => withoutCorrectnessCheck(async () => {
    const adImprStream = memoryStream("id INT, ts TIMESTAMP");
    const adClickStream = memoryStream("id INT, ts TIMESTAMP");
    const adImpr = adImprStream.toDF().withWatermark("ts", "1 hour");
    const adClick = adClickStream.toDF().select(col("id").alias("clickId"), col("ts").alias("clickTs")).withWatermark("clickTs", "1 hour");
    const stream = adImpr.join(adClick, expr("id == clickId AND ts + interval 5 minutes > clickTs"), "left_outer")
      .groupBy(window(col("ts"), "5 minutes")).count()
      .select("window.start", "window.end", "count");
    const t = new StreamTest(stream);
    const at = (h: number, m: number) => new Date(Date.UTC(2022, 0, 1, h, m, 55, 888));
    await multiAdd(t, [adImprStream, [[1, at(1, 30)], [2, at(3, 30)], [4, at(5, 30)]]], [adClickStream, [[1, at(1, 31)], [3, at(2, 40)], [6, at(5, 30)]]]);
    t.checkNewAnswer([new Date(Date.UTC(2022, 0, 1, 1, 30)), new Date(Date.UTC(2022, 0, 1, 1, 35)), 1], [new Date(Date.UTC(2022, 0, 1, 3, 30)), new Date(Date.UTC(2022, 0, 1, 3, 35)), 1]);
  }), { note: `${CORRECTNESS}; the click side's columns are renamed (clickId, clickTs) where Spark uses tb1./tb2.` });

  // The output modes Spark refuses for chained operators (UnsupportedOperationChecker.checkStreamingQueryGlobalWatermarkLimit).
  port("window agg -> window agg, update and complete mode are refused (UnsupportedOperationsSuite)", async () => {
    const input = memoryStream("value INT");
    const chained = eventTimeOf(input, "0 seconds")
      .groupBy(window(col("eventTime"), "5 seconds").alias("window"))
      .agg(count("*").alias("count"))
      .groupBy(window(col("window"), "10 seconds"))
      .agg(count("*").alias("count"));
    for (const mode of ["update", "complete"] as const) {
      const e = await intercept(() => new StreamTest(chained, mode).start());
      check(e.message.startsWith("Detected pattern of possible 'correctness' issue due to global watermark."), `${mode}: Spark's message; streamlab: ${e.message}`);
    }
  }, { note: "not in MultiStatefulOperatorsSuite: the rule its append-mode cases rely on, from UnsupportedOperationsSuite's 'Global watermark limit' cases" });
});
