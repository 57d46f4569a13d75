/**
 * The Structured Streaming programming guide's examples that have a SQL form, written in SQL (spark.sql over a
 * temp view) and with the DataFrame API: both run over the same stream, batch by batch, and emit the same rows.
 */
import { describe, it, expect, afterEach } from "vitest";
import { spark, col, window, session_window, count, sum, avg, type DataFrame, type StreamingQuery } from "../../../lib/stream";
import { clearViews } from "../../../lib/stream/sql";
import { collect, at } from "../support/collect";

const started: StreamingQuery[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop()));
  clearViews();
});

const byJson = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Feed `rounds` to the stream; after each, both queries have emitted the same rows. Returns all SQL rows. */
async function same(sqlDf: DataFrame, apiDf: DataFrame, mode: "append" | "update" | "complete", add: (rows: Record<string, unknown>[]) => void, rounds: Record<string, unknown>[][]) {
  expect(sqlDf.schema).toEqual(apiDf.schema);
  const a = collect(sqlDf, mode);
  const b = collect(apiDf, mode);
  started.push(a.query, b.query);
  const all: Record<string, unknown>[] = [];
  for (const rows of rounds) {
    add(rows);
    await a.query.processAllAvailable();
    await b.query.processAllAvailable();
    const x = a.take();
    const y = b.take();
    expect(byJson(x)).toEqual(byJson(y));
    all.push(...x);
  }
  return all;
}

function devices() {
  const ms = spark.memoryStream("device STRING, deviceType STRING, signal DOUBLE, time TIMESTAMP");
  const df = ms.toDF();
  df.createOrReplaceTempView("updates");
  const add = (rows: Record<string, unknown>[]) => ms.addData(rows);
  const rounds = [
    [{ device: "d1", deviceType: "phone", signal: 12, time: at(1) }, { device: "d2", deviceType: "tv", signal: 5, time: at(2) }],
    [{ device: "d3", deviceType: "phone", signal: 30, time: at(8) }, { device: "d1", deviceType: "phone", signal: 9, time: at(14) }],
    [{ device: "d4", deviceType: "tv", signal: 11, time: at(25) }, { device: "d2", deviceType: "tv", signal: 40, time: at(3) }],
  ];
  return { df, add, rounds };
}

function words() {
  const ms = spark.memoryStream("word STRING, timestamp TIMESTAMP");
  const df = ms.toDF();
  df.createOrReplaceTempView("words");
  const add = (rows: Record<string, unknown>[]) => ms.addData(rows);
  const w = (word: string, s: number) => ({ word, timestamp: at(s * 60) });
  // minutes: 12:02 cat, 12:03 dog, 12:07 dog/owl, 12:11 cat, 12:13 owl; then late rows as the guide shows
  const rounds = [[w("cat", 2), w("dog", 3)], [w("dog", 7), w("owl", 7)], [w("cat", 11), w("owl", 13), w("dog", 4)], [w("donkey", 30), w("owl", 9)], [w("cat", 45)]];
  return { df, add, rounds };
}

describe("Structured Streaming guide, in SQL and with DataFrames", () => {
  it("basic operations: select/where and a running count per type", async () => {
    const { df, add, rounds } = devices();
    await same(spark.sql("SELECT device FROM updates WHERE signal > 10"), df.where("signal > 10").select("device"), "append", add, rounds);
  });

  it("groupBy(deviceType).count() and avg(signal) in update mode", async () => {
    const { df, add, rounds } = devices();
    const rows = await same(
      spark.sql("SELECT deviceType, count(*) AS count, avg(signal) FROM updates GROUP BY deviceType"),
      df.groupBy("deviceType").agg(count("*").alias("count"), avg("signal")),
      "update",
      add,
      rounds,
    );
    expect(rows.length).toBeGreaterThan(3);
  });

  it("spark.sql('select count(*) from updates') is a streaming global count (complete mode)", async () => {
    const { df, add, rounds } = devices();
    const rows = await same(spark.sql("select count(*) from updates"), df.agg(count("*")), "complete", add, rounds);
    expect(rows[rows.length - 1]).toEqual({ "count(1)": 6 });
  });

  it("windowed word count over sliding windows (10 minutes, sliding 5)", async () => {
    const { df, add, rounds } = words();
    await same(
      spark.sql("SELECT window, word, count(*) AS count FROM words GROUP BY window(timestamp, '10 minutes', '5 minutes'), word"),
      df.groupBy(window(col("timestamp"), "10 minutes", "5 minutes"), col("word")).count(),
      "update",
      add,
      rounds,
    );
  });

  it("watermarked windowed count in append mode: WATERMARK clause = withWatermark()", async () => {
    const { df, add, rounds } = words();
    const rows = await same(
      spark.sql("SELECT window, word, count(*) AS count FROM words WATERMARK timestamp DELAY OF INTERVAL 10 MINUTES GROUP BY window(timestamp, '10 minutes', '5 minutes'), word"),
      df.withWatermark("timestamp", "10 minutes").groupBy(window(col("timestamp"), "10 minutes", "5 minutes"), col("word")).count(),
      "append",
      add,
      rounds,
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it("the same in update mode, written with a CTE and a subquery", async () => {
    const { df, add, rounds } = words();
    await same(
      spark.sql(`WITH w AS (SELECT * FROM words WATERMARK timestamp DELAY OF INTERVAL '10' MINUTE)
                 SELECT window, word, count(*) AS count FROM (SELECT word, timestamp FROM w) GROUP BY window(timestamp, '10 minutes'), word`),
      df.withWatermark("timestamp", "10 minutes").select("word", "timestamp").groupBy(window(col("timestamp"), "10 minutes"), col("word")).count(),
      "update",
      add,
      rounds,
    );
  });

  it("session windows per user with a watermark", async () => {
    const ms = spark.memoryStream("userId STRING, timestamp TIMESTAMP");
    const df = ms.toDF();
    df.createOrReplaceTempView("events");
    const e = (userId: string, s: number) => ({ userId, timestamp: at(s * 60) });
    const rows = await same(
      spark.sql("SELECT session_window, userId, count(*) AS count FROM events WATERMARK timestamp DELAY OF INTERVAL 10 MINUTES GROUP BY session_window(timestamp, '5 minutes'), userId"),
      df.withWatermark("timestamp", "10 minutes").groupBy(session_window(col("timestamp"), "5 minutes"), col("userId")).count(),
      "append",
      (r) => ms.addData(r),
      [[e("u1", 1), e("u1", 3), e("u2", 2)], [e("u1", 20), e("u2", 4)], [e("u1", 40), e("u2", 45)]],
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it("stream-static joins, inner and left outer", async () => {
    const { df, add, rounds } = devices();
    const types = spark.createDataFrame([{ deviceType: "phone", vendor: "acme" }], "deviceType STRING, vendor STRING");
    types.createOrReplaceTempView("types");
    await same(spark.sql("SELECT * FROM updates JOIN types USING (deviceType)"), df.join(types, "deviceType"), "append", add, rounds);
    const { df: df2, add: add2, rounds: rounds2 } = devices();
    await same(
      spark.sql("SELECT u.deviceType, u.device, u.signal, u.time, t.vendor FROM updates u LEFT OUTER JOIN types t ON u.deviceType = t.deviceType"),
      df2.join(types, "deviceType", "left_outer"),
      "append",
      add2,
      rounds2,
    );
  });

  it("filter, projection and aggregation with HAVING in complete mode", async () => {
    const { df, add, rounds } = devices();
    await same(
      spark.sql("SELECT deviceType, sum(signal) AS total FROM updates WHERE signal > 0 GROUP BY deviceType HAVING sum(signal) > 20"),
      df.where("signal > 0").groupBy("deviceType").agg(sum("signal").alias("total")).where("total > 20"),
      "complete",
      add,
      rounds,
    );
  });
});
