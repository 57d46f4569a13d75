/**
 * Spark's EventTimeWatermarkSuite cases for several watermarks in one query (a union of two streams and
 * spark.sql.streaming.multipleWatermarkPolicy), ported to streamlab (issue 17). Source: apache/spark
 * sql/core/src/test/scala/org/apache/spark/sql/streaming/EventTimeWatermarkSuite.scala (read, written anew).
 * These cases were listed as unsupported in ported.test.ts ("union of two streams"); they live here now.
 */
import { describe, afterEach, afterAll } from "vitest";
import { spark, col, timestamp_seconds, sum, type MemoryStream } from "../../lib/stream";
import { ConformanceLog } from "./conformance";
import { StreamTest, port as portTo, disposeAll, check, intercept, iso, memoryStream, type PortOptions } from "./streamtest";

const log = new ConformanceLog("1-ported-union", "Spark's streaming test suites, ported: several watermarks, union (test/spark/ported-union.test.ts)");
const POLICY = "spark.sql.streaming.multipleWatermarkPolicy";
afterEach(async () => {
  spark.conf.unset(POLICY);
  await disposeAll();
});
afterAll(() => log.save());

const port = (name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}) => portTo(log, "EventTimeWatermarkSuite", name, body, opts);

/** dfWithMultipleWatermarks: eventTime = timestamp_seconds(value), watermarks 10 s and 15 s, union, eventTime as int. */
function multipleWatermarks(input1: MemoryStream, input2: MemoryStream) {
  const df1 = input1.toDF().withColumn("eventTime", timestamp_seconds(col("value"))).withWatermark("eventTime", "10 seconds");
  const df2 = input2.toDF().withColumn("eventTime", timestamp_seconds(col("value"))).withWatermark("eventTime", "15 seconds");
  return df1.union(df2).select(col("eventTime").cast("int"));
}

/** MultiAddData(input1, a)(input2, b): one batch with both. */
async function multiAdd(t: StreamTest, input1: MemoryStream, a: number, input2: MemoryStream, b: number): Promise<void> {
  input1.addData([[a]]);
  await t.addData(input2, b);
}

/** checkWatermark(input, sec): add a dummy 1, run, the last batch ran with this watermark. */
async function checkWatermark(t: StreamTest, input: MemoryStream, sec: number): Promise<void> {
  await t.addData(input, 1);
  const wm = t.query!.lastProgress?.eventTime.watermark;
  check(wm === iso(sec), `watermark: expected ${iso(sec)}, got ${wm}`);
}

describe("EventTimeWatermarkSuite (several watermarks)", () => {
  port("watermark with 2 streams", async () => {
    const first = memoryStream("value INT");
    const second = memoryStream("value INT");
    const firstDf = first.toDF().withColumn("eventTime", col("value").cast("timestamp")).withWatermark("eventTime", "10 seconds").select(col("value"));
    const secondDf = second.toDF().withColumn("eventTime", col("value").cast("timestamp")).withWatermark("eventTime", "5 seconds").select(col("value"));
    const t = new StreamTest(firstDf.union(secondDf).agg(sum("value")), "complete").start();
    const after = async (firstData: number[] = [], secondData: number[] = []): Promise<number> => {
      if (firstData.length) first.addData(firstData.map((v) => [v]));
      if (secondData.length) second.addData(secondData.map((v) => [v]));
      await t.processAll();
      await t.addData(first, 0); // the dummy batch, which runs with the new watermark
      return Date.parse(t.query!.lastProgress!.eventTime.watermark!);
    };
    const expectWm = async (got: Promise<number>, ms: number, what: string) => {
      const g = await got;
      check(g === ms, `${what}: expected watermark ${ms}, got ${g}`);
    };
    await expectWm(after([11]), 0, "starts at 0 until both sides have data");
    await expectWm(after([], [6]), 1000, "both sides");
    await expectWm(after([], [8]), 1000, "stays at the left watermark");
    await expectWm(after([21]), 3000, "switches to the right");
    await expectWm(after([], [17, 28, 39]), 11000, "back to the left");
    await expectWm(after([31]), 21000, "stays on the left");
    await expectWm(after([41]), 31000, "stays on the left");
    await expectWm(after([51]), 34000, "switches back to the right");
    await expectWm(after([100], [100]), 90000, "simultaneous data");
    await expectWm(after([120], [110]), 105000, "simultaneous data");
    await expectWm(after([130], [125]), 120000, "simultaneous data");
    await expectWm(after([100], [100]), 120000, "does not decrement");
    await expectWm(after([140], [100]), 120000, "does not decrement");
    await expectWm(after([100], [135]), 130000, "does not decrement");
    await expectWm(after([200], [190]), 185000, "before the restart");
    // union.stop(); unionWriter.start(): the same query on the same checkpoint.
    await t.stop();
    t.start();
    await expectWm(after(), 185000, "recovered after the restart");
    await expectWm(after([], [200]), 185000, "the left side's watermark ahead of it before the restart does not count");
    await expectWm(after([200]), 190000, "advances once the left passes it in this run");
  }, { note: "the watermark is read from the last progress of the dummy batch (Spark: lastExecution.offsetSeqMetadata)" });

  port("MultipleWatermarkPolicy: max", async () => {
    spark.conf.set(POLICY, "max");
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const t = new StreamTest(multipleWatermarks(input1, input2));
    await multiAdd(t, input1, 20, input2, 30);
    t.checkLastBatch([20], [30]);
    await checkWatermark(t, input1, 15);
    await t.stop();
    t.start();
    await checkWatermark(t, input1, 15);
    await multiAdd(t, input1, 120, input2, 130);
    t.checkLastBatch([120], [130]);
    await checkWatermark(t, input1, 115);
    await t.addData(input1, 150);
    t.checkLastBatch([150]);
    await checkWatermark(t, input1, 140);
  });

  port("MultipleWatermarkPolicy: min", async () => {
    spark.conf.set(POLICY, "min");
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    const t = new StreamTest(multipleWatermarks(input1, input2));
    await multiAdd(t, input1, 20, input2, 30);
    t.checkLastBatch([20], [30]);
    await checkWatermark(t, input1, 10);
    await t.stop();
    t.start();
    await checkWatermark(t, input1, 10);
    await multiAdd(t, input1, 120, input2, 130);
    t.checkLastBatch([120], [130]);
    await checkWatermark(t, input2, 110);
    await t.addData(input2, 150);
    t.checkLastBatch([150]);
    await checkWatermark(t, input2, 110);
  });

  port("MultipleWatermarkPolicy: recovery from checkpoints ignores session conf", async () => {
    const input1 = memoryStream("value INT");
    const input2 = memoryStream("value INT");
    spark.conf.set(POLICY, "max");
    const t = new StreamTest(multipleWatermarks(input1, input2));
    await multiAdd(t, input1, 20, input2, 30);
    t.checkLastBatch([20], [30]);
    await checkWatermark(t, input1, 15);
    await t.stop();
    spark.conf.set(POLICY, "min");
    t.start();
    await checkWatermark(t, input1, 15);
    await multiAdd(t, input1, 120, input2, 130);
    t.checkLastBatch([120], [130]);
    await checkWatermark(t, input1, 115);
    await t.addData(input1, 150);
    t.checkLastBatch([150]);
    await checkWatermark(t, input1, 140);
  });

  port("MultipleWatermarkPolicy: recovery from Spark ver 2.3.1 checkpoints ensures min policy", null, { unsupported: "reads a checkpoint written by Spark 2.3.1 (Spark's checkpoint format); a streamlab checkpoint without a recorded policy recovers with min, as this case requires" });

  port("MultipleWatermarkPolicy: fail on incorrect conf values", async () => {
    for (const value of ["", "random"]) {
      const e = await intercept(() => spark.conf.set(POLICY, value));
      check(e.message.toLowerCase().includes("valid values are 'min' and 'max'"), `message: ${e.message}`);
    }
  });
});
