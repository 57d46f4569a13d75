/**
 * Spark's stream-stream join suites, ported to streamlab (issue 17). Source: apache/spark
 * sql/core/src/test/scala/org/apache/spark/sql/streaming/StreamingJoinSuite.scala (StreamingInnerJoinSuite,
 * StreamingOuterJoinSuite, StreamingLeftSemiJoinSuite), read and written anew. MemoryStream[Int] is a stream
 * of "value INT"; MemoryStream[(Int, Int)] of "_1 INT, _2 INT".
 */
import { describe, afterEach, afterAll } from "vitest";
import { col, expr, timestamp_seconds, window, type DataFrame, type MemoryStream } from "../../lib/stream";
import { ConformanceLog } from "./conformance";
import { StreamTest, port as portTo, disposeAll, check, intercept, memoryStream, type PortOptions } from "./streamtest";

const log = new ConformanceLog("1-ported-joins", "Spark's streaming test suites, ported: stream-stream joins (test/spark/ported-joins.test.ts)");
afterEach(async () => {
  await disposeAll();
});
afterAll(() => log.save());

const inner = (name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}) => portTo(log, "StreamingInnerJoinSuite", name, body, opts);
const outer = (name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}) => portTo(log, "StreamingOuterJoinSuite", name, body, opts);
const semi = (name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}) => portTo(log, "StreamingLeftSemiJoinSuite", name, body, opts);

/** Several inputs' data in one micro-batch (Spark's MultiAddData). */
async function multiAdd(t: StreamTest, ...pairs: [MemoryStream, unknown[][]][]): Promise<void> {
  const [last, ...rest] = pairs.reverse();
  for (const [s, rows] of rest) s.addData(rows);
  await t.addData(last[0], ...last[1]);
}

function stateTotal(t: StreamTest, total: number): void {
  const got = t.stateRows().total;
  check(got[0] === total, `state rows: expected ${total}, got ${got.join(", ")}`);
}

async function restart(t: StreamTest): Promise<void> {
  await t.stop();
  t.start();
}

/** setupStream(prefix, multiplier) of the outer-join suite: key, window(time, 10 s) over a 10 s watermark, value. */
function windowed(input: MemoryStream, prefix: string, multiplier: number): DataFrame {
  return input.toDF()
    .select(col("value").alias("key"), timestamp_seconds(col("value")).alias(`${prefix}Time`), col("value").multiply(multiplier).alias(`${prefix}Value`))
    .withWatermark(`${prefix}Time`, "10 seconds")
    .select(col("key"), window(col(`${prefix}Time`), "10 second").alias("window"), col(`${prefix}Value`));
}

/** setupWindowedJoin: two windowed streams joined on key and window; key, window end, values. */
function windowedJoin(how: string): { left: MemoryStream; right: MemoryStream; joined: DataFrame } {
  const left = memoryStream("value INT");
  const right = memoryStream("value INT");
  const joined = windowed(left, "left", 2).join(windowed(right, "right", 3), ["key", "window"], how);
  const cols = [col("key"), col("window.end").cast("long"), col("leftValue"), ...(how === "left_semi" ? [] : [col("rightValue")])];
  return { left, right, joined: joined.select(...cols) };
}

/** setupJoinWithRangeCondition: leftTime BETWEEN rightTime - 5 s AND rightTime + 5 s, watermarks 10 s. */
function rangeJoin(how: string): { left: MemoryStream; right: MemoryStream; joined: DataFrame } {
  const left = memoryStream("_1 INT, _2 INT");
  const right = memoryStream("_1 INT, _2 INT");
  const l = left.toDF().toDF("leftKey", "time").select(col("leftKey"), timestamp_seconds(col("time")).alias("leftTime"), col("leftKey").multiply(2).alias("leftValue")).withWatermark("leftTime", "10 seconds");
  const r = right.toDF().toDF("rightKey", "time").select(col("rightKey"), timestamp_seconds(col("time")).alias("rightTime"), col("rightKey").multiply(3).alias("rightValue")).withWatermark("rightTime", "10 seconds");
  const cond = expr("leftKey = rightKey AND leftTime BETWEEN rightTime - interval 5 seconds AND rightTime + interval 5 seconds");
  const joined = l.join(r, cond, how).select(col("leftKey"), col("rightKey"), col("leftTime").cast("int"), col("rightTime").cast("int"));
  return { left, right, joined };
}

describe("StreamingInnerJoinSuite", () => {
  inner("stream stream inner join on non-time column", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("key"), col("value").multiply(2).alias("leftValue"));
    const df2 = input2.toDF().select(col("value").alias("key"), col("value").multiply(3).alias("rightValue"));
    const t = new StreamTest(df1.join(df2, "key"));
    await t.addData(input1, 1);
    t.checkAnswer();
    await t.addData(input2, 1, 10);
    t.checkNewAnswer([1, 2, 3]);
    await t.addData(input1, 10);
    t.checkNewAnswer([10, 20, 30]);
    await t.addData(input2, 1);
    t.checkNewAnswer([1, 2, 3]);
    await restart(t);
    await t.addData(input1, 1);
    t.checkNewAnswer([1, 2, 3], [1, 2, 3]);
    await restart(t);
    await t.addData(input1, 100);
    await t.addData(input2, 100);
    t.checkNewAnswer([100, 200, 300]);
  });

  inner("stream stream inner join on windows - without watermark", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("key"), timestamp_seconds(col("value")).alias("timestamp"), col("value").multiply(2).alias("leftValue")).select(col("key"), window(col("timestamp"), "10 second").alias("window"), col("leftValue"));
    const df2 = input2.toDF().select(col("value").alias("key"), timestamp_seconds(col("value")).alias("timestamp"), col("value").multiply(3).alias("rightValue")).select(col("key"), window(col("timestamp"), "10 second").alias("window"), col("rightValue"));
    const joined = df1.join(df2, ["key", "window"]).select(col("key"), col("window.end").cast("long"), col("leftValue"), col("rightValue"));
    const t = new StreamTest(joined);
    await t.addData(input1, 1);
    t.checkNewAnswer();
    await t.addData(input2, 1);
    t.checkNewAnswer([1, 10, 2, 3]);
    await restart(t);
    await t.addData(input1, 25);
    t.checkNewAnswer();
    await restart(t);
    await t.addData(input2, 25);
    t.checkNewAnswer([25, 30, 50, 75]);
    await t.addData(input1, 1);
    t.checkNewAnswer([1, 10, 2, 3]);
    await restart(t);
    await t.addData(input1, 5);
    t.checkNewAnswer();
    await t.addData(input2, 5);
    t.checkNewAnswer([5, 10, 10, 15]);
  });

  inner("stream stream inner join on windows - with watermark", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("key"), timestamp_seconds(col("value")).alias("timestamp"), col("value").multiply(2).alias("leftValue")).withWatermark("timestamp", "10 seconds").select(col("key"), window(col("timestamp"), "10 second").alias("window"), col("leftValue"));
    const df2 = input2.toDF().select(col("value").alias("key"), timestamp_seconds(col("value")).alias("timestamp"), col("value").multiply(3).alias("rightValue")).select(col("key"), window(col("timestamp"), "10 second").alias("window"), col("rightValue"));
    const joined = df1.join(df2, ["key", "window"]).select(col("key"), col("window.end").cast("long"), col("leftValue"), col("rightValue"));
    const t = new StreamTest(joined);
    await t.addData(input1, 1);
    t.checkAnswer();
    stateTotal(t, 1);
    await t.addData(input2, 1);
    t.checkAnswer([1, 10, 2, 3]);
    stateTotal(t, 2);
    await restart(t);
    await t.addData(input1, 25);
    t.checkNewAnswer(); // watermark 15: the no-data batch drops both rows of window [0, 10)
    stateTotal(t, 1);
    await t.addData(input2, 25);
    t.checkNewAnswer([25, 30, 50, 75]);
    stateTotal(t, 2);
    await restart(t);
    await t.addData(input2, 1);
    t.checkNewAnswer(); // its window ends before the watermark: not joined, not kept
    stateTotal(t, 2);
    await t.addData(input1, 5);
    t.checkNewAnswer(); // late on the left
    stateTotal(t, 2);
    check(t.stateRows().dropped[0] === 1, `dropped by watermark: expected 1, got ${t.stateRows().dropped[0]}`);
  });

  inner("stream stream inner join with time range - with watermark - one side condition", async () => {
    const leftInput = memoryStream("_1 INT, _2 INT");
    const rightInput = memoryStream("_1 INT, _2 INT");
    const df1 = leftInput.toDF().toDF("leftKey", "time").select(col("leftKey"), timestamp_seconds(col("time")).alias("leftTime"), col("leftKey").multiply(2).alias("leftValue")).withWatermark("leftTime", "10 seconds");
    const df2 = rightInput.toDF().toDF("rightKey", "time").select(col("rightKey"), timestamp_seconds(col("time")).alias("rightTime"), col("rightKey").multiply(3).alias("rightValue")).withWatermark("rightTime", "10 seconds");
    const joined = df1.join(df2, expr("leftKey = rightKey AND leftTime < rightTime - interval 5 seconds")).select(col("leftKey"), col("leftTime").cast("int"), col("rightTime").cast("int"));
    const t = new StreamTest(joined);
    await t.addData(leftInput, [1, 5]);
    t.checkAnswer();
    await t.addData(rightInput, [1, 11]);
    t.checkNewAnswer([1, 5, 11]);
    await t.addData(rightInput, [1, 10]);
    t.checkNewAnswer();
    stateTotal(t, 3);
    await t.addData(leftInput, [1, 3], [1, 30]);
    t.checkNewAnswer([1, 3, 10], [1, 3, 11]);
    stateTotal(t, 5);
    await t.addData(rightInput, [0, 30]);
    t.checkNewAnswer();
    // watermark 20: right rows with rightTime <= 25 go, (1, 11) and (1, 10)
    stateTotal(t, 4);
    await t.addData(rightInput, [1, 20], [1, 21], [1, 28]);
    t.checkNewAnswer([1, 3, 21], [1, 5, 21], [1, 3, 28], [1, 5, 28]);
    stateTotal(t, 5);
    await t.addData(leftInput, [1, 20], [1, 21]);
    t.checkNewAnswer([1, 21, 28]);
    stateTotal(t, 6);
  });

  inner("stream stream inner join with time range - with watermark - two side conditions", async () => {
    const leftInput = memoryStream("_1 INT, _2 INT");
    const rightInput = memoryStream("_1 INT, _2 INT");
    const df1 = leftInput.toDF().toDF("leftKey", "time").select(col("leftKey"), timestamp_seconds(col("time")).alias("leftTime"), col("leftKey").multiply(2).alias("leftValue")).withWatermark("leftTime", "20 seconds");
    const df2 = rightInput.toDF().toDF("rightKey", "time").select(col("rightKey"), timestamp_seconds(col("time")).alias("rightTime"), col("rightKey").multiply(3).alias("rightValue")).withWatermark("rightTime", "30 seconds");
    const cond = expr("leftKey = rightKey AND leftTime BETWEEN rightTime - interval 10 seconds AND rightTime + interval 5 seconds");
    const joined = df1.join(df2, cond).select(col("leftKey"), col("leftTime").cast("int"), col("rightTime").cast("int"));
    const t = new StreamTest(joined);
    await t.addData(leftInput, [1, 20]);
    t.checkAnswer();
    await t.addData(rightInput, [1, 14], [1, 15], [1, 25], [1, 26], [1, 30], [1, 31]);
    t.checkNewAnswer([1, 20, 15], [1, 20, 25], [1, 20, 26], [1, 20, 30]);
    stateTotal(t, 7);
    await t.addData(rightInput, [1, 60]);
    t.checkNewAnswer();
    await t.addData(leftInput, [1, 49], [1, 50], [1, 65], [1, 66]);
    t.checkNewAnswer([1, 50, 60], [1, 65, 60]);
    // watermark min(66 - 20, 60 - 30) = 30: left drops < 20 (none), right drops < 25 (14 and 15)
    stateTotal(t, 10);
    await t.addData(leftInput, [1, 30], [1, 31]); // 30 is late
    t.checkNewAnswer([1, 31, 26], [1, 31, 30], [1, 31, 31]);
    stateTotal(t, 11);
    check(t.stateRows().dropped[0] === 1, `dropped by watermark: expected 1, got ${t.stateRows().dropped[0]}`);
    await t.addData(rightInput, [1, 80]);
    t.checkNewAnswer();
    // watermark min(46, 50) = 46: left drops < 36 (20, 31), right drops < 41 (25, 26, 30, 31)
    stateTotal(t, 6);
    await t.addData(rightInput, [1, 46], [1, 50]); // 46 is late
    t.checkNewAnswer([1, 49, 50], [1, 50, 50]);
    stateTotal(t, 7);
  });

  inner("stream stream self join", async () => {
    const input = memoryStream("value INT");
    const df = input.toDF();
    const joined = df.select(col("value").mod(5).alias("key"), col("value")).join(df.select(col("value").mod(5).alias("key"), col("value")), "key");
    const t = new StreamTest(joined);
    await t.addData(input, 1, 2);
    t.checkAnswer([1, 1, 1], [2, 2, 2]);
    await restart(t);
    await t.addData(input, 3, 6);
    t.checkAnswer([3, 3, 3], [1, 1, 1], [1, 1, 6], [2, 2, 2], [1, 6, 1], [1, 6, 6]);
  });

  inner("join between three streams", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const input3 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("leftKey"), col("value").multiply(2).alias("leftValue"));
    const df2 = input2.toDF().select(col("value").alias("middleKey"), col("value").multiply(3).alias("middleValue"));
    const df3 = input3.toDF().select(col("value").alias("rightKey"), col("value").multiply(5).alias("rightValue"));
    const joined = df1.join(df2, expr("leftKey = middleKey")).join(df3, expr("rightKey = middleKey"));
    const t = new StreamTest(joined);
    input1.addData([[1], [5]]);
    input2.addData([[1], [5], [10]]);
    await t.addData(input3, 5, 10);
    t.checkNewAnswer([5, 10, 5, 15, 5, 25]);
  });

  inner("streaming join should require StatefulOpClusteredDistribution from children", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("a"), col("value").multiply(2).alias("b"));
    const df2 = input2.toDF().select(col("value").alias("a"), col("value").multiply(2).alias("b"));
    const joined = df1.join(df2, ["a", "b"]).select(col("a"));
    const t = new StreamTest(joined);
    const n = Array.from({ length: 1000 }, (_, i) => i + 1);
    input1.addData(n.map((v) => [v]));
    await t.addData(input2, ...n);
    t.checkAnswer(...n.map((v) => [v]));
  }, { note: "the answer only: streamlab runs one partition, there is no shuffle to check in the plan" });

  inner("stream stream inner join without equality predicate", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const df1 = input1.toDF().select(col("value").alias("leftKey"), col("value").multiply(2).alias("leftValue"));
    const df2 = input2.toDF().select(col("value").alias("rightKey"), col("value").multiply(3).alias("rightValue"));
    const e = await intercept(() => df1.join(df2, expr("leftKey < rightKey")));
    check(e.message.includes("Stream-stream join without equality predicate is not supported"), e.message);
  });

  inner("join between two streaming DataFrames is not supported in Update or Complete mode", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const joined = input1.toDF().join(input2.toDF(), "value");
    for (const mode of ["update", "complete"] as const) {
      const e = await intercept(() => new StreamTest(joined, mode).start());
      check(e.message.includes(`Join between two streaming DataFrames/Datasets is not supported in ${mode === "update" ? "Update" : "Complete"} output mode, only in Append output mode`), e.message);
    }
  }, { note: "streamlab's own case for UnsupportedOperationsSuite's rule" });
});

describe("StreamingOuterJoinSuite", () => {
  outer("left outer join with no watermark", async () => {
    const e = await intercept(() => memoryStream("value INT").toDF().join(memoryStream("value INT").toDF(), ["value"], "left_outer"));
    check(e.message.includes("Stream-stream LeftOuter join between two streaming DataFrame/Datasets is not supported without a watermark"), e.message);
  }, { note: "Spark 3.x says 'outer'; Spark 4 names the join type" });

  outer("right outer join with no watermark", async () => {
    const e = await intercept(() => memoryStream("value INT").toDF().join(memoryStream("value INT").toDF(), ["value"], "right_outer"));
    check(e.message.includes("Stream-stream RightOuter join between two streaming DataFrame/Datasets is not supported without a watermark"), e.message);
  }, { note: "Spark 3.x says 'outer'; Spark 4 names the join type" });

  for (const [how, name] of [["left_outer", "left"], ["right_outer", "right"]] as const) {
    outer(`${how} with watermark range condition`, async () => {
      const { left, right, joined } = rangeJoin(how);
      const t = new StreamTest(joined);
      await multiAdd(t, [left, [[1, 5], [3, 5]]], [right, [[1, 10], [2, 5]]]);
      t.checkNewAnswer([1, 1, 5, 10]);
      // watermark 11 after this batch: left state with leftTime <= 11 - 5 and right state with rightTime <=
      // 11 - 5 can no longer match; the unmatched rows of the outer side come out with nulls
      await multiAdd(t, [left, [[1, 9], [3, 21]]], [right, [[1, 25]]]);
      if (name === "left") t.checkNewAnswer([1, 1, 9, 10], [3, null, 5, null]);
      else t.checkNewAnswer([1, 1, 9, 10], [null, 2, null, 5]);
      await multiAdd(t, [left, [[1, 32]]], [right, [[3, 32]]]);
      t.checkNewAnswer(); // watermark 22: only matched rows are evicted
      await multiAdd(t, [left, [[4, 50]]], [right, [[5, 50]]]);
      if (name === "left") t.checkNewAnswer([3, null, 21, null], [1, null, 32, null]);
      else t.checkNewAnswer([null, 1, null, 25], [null, 3, null, 32]);
    }, { note: "setupJoinWithRangeCondition's query; the data and expected rows are streamlab's, derived from Spark's eviction rule" });
  }

  outer("windowed left outer join", async () => {
    const { left, right, joined } = windowedJoin("left_outer");
    const t = new StreamTest(joined);
    await multiAdd(t, [left, [[1], [2], [3], [4], [5]]], [right, [[3], [4], [5], [6], [7]]]);
    t.checkNewAnswer([3, 10, 6, 9], [4, 10, 8, 12], [5, 10, 10, 15]);
    await multiAdd(t, [left, [[21]]], [right, [[22]]]);
    t.checkNewAnswer([1, 10, 2, null], [2, 10, 4, null]); // watermark 11: window [0, 10) is over
    stateTotal(t, 2);
    await t.addData(left, 22);
    t.checkNewAnswer([22, 30, 44, 66]);
    stateTotal(t, 3);
  });

  outer("windowed right outer join", async () => {
    const { left, right, joined } = windowedJoin("right_outer");
    const t = new StreamTest(joined);
    await multiAdd(t, [left, [[1], [2], [3], [4], [5]]], [right, [[3], [4], [5], [6], [7]]]);
    t.checkNewAnswer([3, 10, 6, 9], [4, 10, 8, 12], [5, 10, 10, 15]);
    await multiAdd(t, [left, [[21]]], [right, [[22]]]);
    t.checkNewAnswer([6, 10, null, 18], [7, 10, null, 21]);
    stateTotal(t, 2);
    await t.addData(left, 22);
    t.checkNewAnswer([22, 30, 44, 66]);
    stateTotal(t, 3);
  });
});

describe("StreamingLeftSemiJoinSuite", () => {
  semi("windowed left semi join", async () => {
    const { left, right, joined } = windowedJoin("left_semi");
    const t = new StreamTest(joined);
    await multiAdd(t, [left, [[1], [2], [3], [4], [5]]], [right, [[3], [4], [5], [6], [7]]]);
    t.checkNewAnswer([3, 10, 6], [4, 10, 8], [5, 10, 10]);
    await multiAdd(t, [left, [[21]]], [right, [[22]]]);
    t.checkNewAnswer();
    await t.addData(left, 22);
    t.checkNewAnswer([22, 30, 44]);
    await t.addData(right, 22);
    t.checkNewAnswer(); // a left row is emitted once
  }, { note: "the last step (a second right match) is streamlab's" });
});
