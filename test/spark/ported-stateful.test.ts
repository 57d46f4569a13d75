/**
 * Spark's arbitrary-stateful-processing suites, ported to streamlab (issue 17): transformWithState with a
 * TypeScript StatefulProcessor, and flatMapGroupsWithState / mapGroupsWithState with GroupState. Sources:
 * apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/ TransformWithStateSuite.scala,
 * TransformWithValueStateTTLSuite.scala, FlatMapGroupsWithStateSuite.scala and (for the checker rules)
 * sql/catalyst/.../UnsupportedOperationsSuite.scala, read and written anew. Spark's Scala processors become
 * TypeScript classes with the same logic; Spark 4's handleExpiredTimer replaces the earlier
 * `expiredTimerInfo.isValid()` branch of handleInputRows. MemoryStream[String] is a stream of "value STRING",
 * a tuple output (String, String) the schema "_1 STRING, _2 STRING". A StreamManualClock is streamlab's
 * ManualClock: AddData + AdvanceManualClock become clock.advance and addData in one step, then one batch.
 */
import { describe, afterEach, afterAll } from "vitest";
import {
  col, timestamp_seconds, spark, ManualClock, setStreamClock, StatefulProcessor, GroupState,
  type MemoryStream, type ValueState, type ListState, type MapState, type TimerValues, type ExpiredTimerInfo, type StatefulProcessorHandle, type DataFrame,
} from "../../lib/stream";
import { ConformanceLog } from "./conformance";
import { StreamTest, port as portTo, disposeAll, check, intercept, memoryStream, type PortOptions } from "./streamtest";

const log = new ConformanceLog("1-ported-stateful", "Spark's streaming test suites, ported: transformWithState, flatMapGroupsWithState (test/spark/ported-stateful.test.ts)");
afterEach(async () => {
  setStreamClock(null);
  await disposeAll();
});
afterAll(() => log.save());

type P = (name: string, body: (() => Promise<void>) | null, opts?: PortOptions) => void;
const tws: P = (name, body, opts = {}) => portTo(log, "TransformWithStateSuite", name, body, opts);
const ttl: P = (name, body, opts = {}) => portTo(log, "TransformWithValueStateTTLSuite", name, body, opts);
const fmgws: P = (name, body, opts = {}) => portTo(log, "FlatMapGroupsWithStateSuite", name, body, opts);
const checker: P = (name, body, opts = {}) => portTo(log, "UnsupportedOperationsSuite", name, body, opts);
const list: P = (name, body, opts = {}) => portTo(log, "TransformWithListStateSuite", name, body, opts);
const map: P = (name, body, opts = {}) => portTo(log, "TransformWithMapStateSuite", name, body, opts);
const init: P = (name, body, opts = {}) => portTo(log, "TransformWithStateInitialStateSuite", name, body, opts);

type Row = Record<string, unknown>;
const PAIR = "_1 STRING, _2 STRING";

// ---- processors (TransformWithStateSuite's, in TypeScript) ------------------------------------------------

class RunningCountStatefulProcessor extends StatefulProcessor<string> {
  protected countState!: ValueState<number>;
  init(handle: StatefulProcessorHandle): void {
    this.countState = handle.getValueState<number>("countState");
  }
  handleInputRows(key: string): unknown[][] {
    const count = (this.countState.getOption() ?? 0) + 1;
    if (count === 3) {
      this.countState.clear();
      return [];
    }
    this.countState.update(count);
    return [[key, String(count)]];
  }
}

class RunningCountStatefulProcessorWithTTL extends RunningCountStatefulProcessor {
  init(handle: StatefulProcessorHandle): void {
    this.countState = handle.getValueState<number>("countState", { ttlDuration: 1000 });
  }
}

class RunningCountListStatefulProcessor extends StatefulProcessor<string> {
  init(handle: StatefulProcessorHandle): void {
    handle.getListState<number>("countState");
  }
  handleInputRows(): unknown[][] {
    return [];
  }
}

class RunningCountStatefulProcessorWithProcTimeTimer extends RunningCountStatefulProcessor {
  handleExpiredTimer(key: string): unknown[][] {
    this.countState.clear();
    return [[key, "-1"]];
  }
  handleInputRows(key: string, _rows: Row[], tv: TimerValues): unknown[][] {
    const curr = this.countState.getOption() ?? 0;
    if (curr === 0 && (key === "a" || key === "c")) this.getHandle().registerTimer(tv.getCurrentProcessingTimeInMs() + 5000);
    const count = curr + 1;
    if (count === 3) {
      this.countState.clear();
      return [];
    }
    this.countState.update(count);
    return [[key, String(count)]];
  }
}

class RunningCountStatefulProcessorWithProcTimeTimerUpdates extends RunningCountStatefulProcessor {
  private timerState!: ValueState<number>;
  init(handle: StatefulProcessorHandle): void {
    super.init(handle);
    this.timerState = handle.getValueState<number>("timerState");
  }
  handleExpiredTimer(key: string): unknown[][] {
    this.timerState.clear();
    return [[key, "-1"]];
  }
  handleInputRows(key: string, rows: Row[], tv: TimerValues): unknown[][] {
    const curr = this.countState.getOption() ?? 0;
    const count = curr + rows.length;
    this.countState.update(count);
    if (key === "a") {
      const h = this.getHandle();
      if (curr === 0) {
        const next = tv.getCurrentProcessingTimeInMs() + 5000;
        h.registerTimer(next);
        this.timerState.update(next);
      } else if (curr === 1) {
        h.deleteTimer(this.timerState.get()!);
        const next = tv.getCurrentProcessingTimeInMs() + 7500;
        h.registerTimer(next);
        this.timerState.update(next);
      }
    }
    return [[key, String(count)]];
  }
}

class RunningCountStatefulProcessorWithMultipleTimers extends RunningCountStatefulProcessor {
  handleExpiredTimer(key: string): unknown[][] {
    const curr = this.countState.getOption() ?? 0;
    if (this.getHandle().listTimers().length === 1) this.countState.clear();
    return [[key, String(curr)]];
  }
  handleInputRows(_key: string, rows: Row[], tv: TimerValues): unknown[][] {
    const count = (this.countState.getOption() ?? 0) + rows.length;
    this.countState.update(count);
    const h = this.getHandle();
    if (h.listTimers().length === 0) {
      for (const d of [5000, 10000, 15000]) h.registerTimer(tv.getCurrentProcessingTimeInMs() + d);
      if (h.listTimers().length !== 3) throw new Error("expected 3 timers");
    }
    return [];
  }
}

class MaxEventTimeStatefulProcessor extends StatefulProcessor<string> {
  private maxEventTime!: ValueState<number>;
  private timerState!: ValueState<number>;
  init(handle: StatefulProcessorHandle): void {
    this.maxEventTime = handle.getValueState<number>("maxEventTimeState");
    this.timerState = handle.getValueState<number>("timerState");
  }
  handleExpiredTimer(key: string): unknown[][] {
    this.maxEventTime.clear();
    return [[key, -1]];
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    // .as[(String, Long)]: the timestamp as seconds.
    const secs = rows.map((r) => Math.floor((r.eventTime as Date).getTime() / 1000));
    const max = Math.max(...secs, this.maxEventTime.getOption() ?? 0);
    const timeout = (max + 5) * 1000;
    this.maxEventTime.update(max);
    const registered = this.timerState.getOption() ?? 0;
    if (registered < timeout) {
      this.getHandle().deleteTimer(registered);
      this.getHandle().registerTimer(timeout);
      this.timerState.update(timeout);
    }
    return [[key, max]];
  }
}

class RunningCountStatefulProcessorWithError extends RunningCountStatefulProcessor {
  handleInputRows(): unknown[][] {
    this.getHandle().getValueState<number>("tempState");
    return [];
  }
}

// ---- helpers ------------------------------------------------------------------------------------------------

const strings = () => memoryStream("value STRING");
const byValue = (input: MemoryStream) => input.toDF().groupByKey((r) => r.value);

/** A query on a manual clock (StartStream(Trigger.ProcessingTime("1 second"), triggerClock = clock)). */
function startClocked(t: StreamTest, clock: ManualClock): void {
  setStreamClock(clock);
  try {
    t.start();
  } finally {
    setStreamClock(null);
  }
}

/** AddData(...)* then AdvanceManualClock(ms): the data and the new time in one batch. */
async function advance(t: StreamTest, clock: ManualClock, ms: number, ...adds: [MemoryStream, unknown[]][]): Promise<void> {
  clock.advance(ms);
  for (const [s, rows] of adds) s.addData(rows.map((r) => (Array.isArray(r) ? r : [r])));
  await t.processAll();
}

async function restart(t: StreamTest, clock?: ManualClock): Promise<void> {
  await t.stop();
  if (clock) startClocked(t, clock);
  else t.start();
}

function customMetric(t: StreamTest, name: string): number {
  return (t.query!.lastProgress!.stateOperators[0].customMetrics as Record<string, number>)[name];
}

function stateRows(t: StreamTest, total: number, updated?: number): void {
  const r = t.stateRows();
  check(r.total[0] === total, `state rows: expected ${total}, got ${r.total.join(", ")}`);
  if (updated !== undefined) check(r.updated[0] === updated, `updated state rows: expected ${updated}, got ${r.updated.join(", ")}`);
}

// ---- TransformWithStateSuite ---------------------------------------------------------------------------------

describe("TransformWithStateSuite", () => {
  tws("transformWithState - streaming with rocksdb and invalid processor should fail", async () => {
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessorWithError(), "None", "update", PAIR), "update");
    const e = await intercept(() => t.addData(input, "a"));
    check(e.message.includes("invalid handle state"), `expected "invalid handle state", got: ${e.message}`);
  });

  tws("transformWithState - streaming with rocksdb should succeed", async () => {
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR), "update");
    await t.addData(input, "a");
    t.checkNewAnswer(["a", "1"]);
    check(customMetric(t, "numValueStateVars") > 0, "numValueStateVars > 0");
    check(customMetric(t, "numRegisteredTimers") === 0, "numRegisteredTimers == 0");
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", "2"], ["b", "1"]);
    await restart(t);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["b", "2"]);
    await restart(t);
    await t.addData(input, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"]);
  });

  tws("transformWithState - streaming with rocksdb and processing time timer should succeed", async () => {
    const clock = new ManualClock();
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessorWithProcTimeTimer(), "ProcessingTime", "update", PAIR), "update");
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, ["a"]]);
    t.checkNewAnswer(["a", "1"]);
    check(customMetric(t, "numValueStateVars") > 0, "numValueStateVars > 0");
    check(customMetric(t, "numRegisteredTimers") === 1, `numRegisteredTimers: expected 1, got ${customMetric(t, "numRegisteredTimers")}`);
    await advance(t, clock, 1000, [input, ["b"]]);
    t.checkNewAnswer(["b", "1"]);
    await advance(t, clock, 10_000, [input, ["b"]]);
    t.checkNewAnswer(["a", "-1"], ["b", "2"]);
    await restart(t, clock);
    await advance(t, clock, 1000, [input, ["b"]], [input, ["c"]]);
    t.checkNewAnswer(["c", "1"]);
    await advance(t, clock, 10_000, [input, ["d"]]);
    t.checkNewAnswer(["c", "-1"], ["d", "1"]);
  });

  tws("transformWithState - streaming with rocksdb and processing time timer and updating timers should succeed", async () => {
    const clock = new ManualClock();
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessorWithProcTimeTimerUpdates(), "ProcessingTime", "update", PAIR), "update");
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, ["a"]]);
    t.checkNewAnswer(["a", "1"]);
    await advance(t, clock, 2000, [input, ["a"]]);
    t.checkNewAnswer(["a", "2"]);
    await restart(t, clock);
    await advance(t, clock, 10_000, [input, ["d"]]);
    t.checkNewAnswer(["a", "-1"], ["d", "1"]);
  });

  tws("transformWithState - streaming with rocksdb and processing time timer and multiple timers should succeed", async () => {
    const clock = new ManualClock();
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessorWithMultipleTimers(), "ProcessingTime", "update", PAIR), "update");
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, ["a"]]);
    await advance(t, clock, 6000, [input, ["a"]]);
    t.checkNewAnswer(["a", "2"]);
    await advance(t, clock, 5000, [input, ["a"]]);
    t.checkNewAnswer(["a", "3"]);
    await restart(t, clock);
    await advance(t, clock, 5000, [input, ["a"]]);
    t.checkNewAnswer(["a", "4"]);
  });

  tws("transformWithState - streaming with rocksdb and event time based timer", async () => {
    const input = memoryStream("_1 STRING, _2 INT");
    const df = input.toDF().select(col("_1").alias("key"), timestamp_seconds(col("_2")).alias("eventTime")).withWatermark("eventTime", "10 seconds")
      .groupByKey((r) => r.key).transformWithState(new MaxEventTimeStatefulProcessor(), "EventTime", "update", "_1 STRING, _2 INT");
    const t = new StreamTest(df, "update").start();
    await t.addData(input, ["a", 11], ["a", 13], ["a", 15]);
    t.checkNewAnswer(["a", 15]);
    await t.addData(input, ["a", 4]);
    t.checkNewAnswer();
    await t.addData(input, ["a", 10]);
    t.checkNewAnswer(["a", 15]);
    await t.addData(input, ["b", 31]);
    t.checkNewAnswer(["a", -1], ["b", 31]);
    const progs = t.query!.recentProgress.filter((p) => p.stateOperators.length > 0).map((p) => p.stateOperators[0].customMetrics as Record<string, number>);
    check(progs.some((m) => m.numValueStateVars > 0), "numValueStateVars > 0 in some progress");
    check(progs.some((m) => m.numRegisteredTimers > 0), "numRegisteredTimers > 0 in some progress");
    check(progs.some((m) => m.numDeletedTimers > 0), "numDeletedTimers > 0 in some progress");
  });

  tws("Use statefulProcessor without transformWithState - handle should be absent", async () => {
    const e = await intercept(() => new RunningCountStatefulProcessor().getHandle());
    check(e.message.includes("STATE_STORE_HANDLE_NOT_INITIALIZED"), `expected STATE_STORE_HANDLE_NOT_INITIALIZED, got: ${e.message}`);
  });

  tws("transformWithState - batch should succeed", async () => {
    const df = spark.createDataFrame([{ value: "a" }, { value: "b" }], "value STRING").groupByKey((r) => r.value)
      .transformWithState(new RunningCountStatefulProcessor(), "None", "append", PAIR);
    const rows = df.collect().map((r) => [r._1, r._2]).sort();
    check(JSON.stringify(rows) === JSON.stringify([["a", "1"], ["b", "1"]]), `got ${JSON.stringify(rows)}`);
  });

  tws("transformWithState - test deleteIfExists operator", null, { unsupported: "ignored in Spark itself (SPARK-48796)" });

  tws("transformWithState - two input streams", async () => {
    const input1 = strings();
    const input2 = strings();
    const df = input1.toDF().union(input2.toDF()).groupByKey((r) => r.value).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR);
    const t = new StreamTest(df, "update");
    await t.addData(input1, "a");
    t.checkNewAnswer(["a", "1"]);
    await t.addData(input2, "a", "b");
    t.checkNewAnswer(["a", "2"], ["b", "1"]);
    await t.addData(input1, "a", "b");
    t.checkNewAnswer(["b", "2"]);
    input1.addData([["d"], ["e"]]);
    await t.addData(input2, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"], ["d", "1"], ["e", "1"]);
  });

  tws("transformWithState - three input streams", async () => {
    const [input1, input2, input3] = [strings(), strings(), strings()];
    const df = input1.toDF().union(input2.toDF()).union(input3.toDF()).groupByKey((r) => r.value).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR);
    const t = new StreamTest(df, "update");
    await t.addData(input1, "a");
    t.checkNewAnswer(["a", "1"]);
    await t.addData(input2, "a", "b");
    t.checkNewAnswer(["a", "2"], ["b", "1"]);
    await t.addData(input3, "a", "b");
    t.checkNewAnswer(["b", "2"]);
    input1.addData([["d"], ["e"]]);
    await t.addData(input2, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"], ["d", "1"], ["e", "1"]);
    await t.addData(input3, "a", "c", "d", "e");
    t.checkNewAnswer(["a", "2"], ["c", "2"], ["d", "2"], ["e", "2"]);
  });

  tws("transformWithState - two input streams, different key type", async () => {
    const input1 = strings();
    const input2 = memoryStream("value BIGINT");
    const df = input1.toDF().union(input2.toDF().select(col("value").cast("string").alias("value"))).groupByKey((r) => r.value)
      .transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR);
    const t = new StreamTest(df, "update");
    await t.addData(input1, "1");
    t.checkNewAnswer(["1", "1"]);
    await t.addData(input2, 1, 2);
    t.checkNewAnswer(["1", "2"], ["2", "1"]);
    await t.addData(input1, "1", "2");
    t.checkNewAnswer(["2", "2"]);
    input1.addData([["4"], ["5"]]);
    await t.addData(input2, 1, 3);
    t.checkNewAnswer(["1", "1"], ["3", "1"], ["4", "1"], ["5", "1"]);
  });

  const fileSource = "the case reads a text file source (spark.readStream.text), which streamlab does not have";
  tws("transformWithState - availableNow trigger mode, rate limit is respected", null, { unsupported: fileSource });
  tws("transformWithState - availableNow trigger mode, multiple restarts", null, { unsupported: fileSource });
  tws("SPARK-49070: transformWithState - valid initial state plan", null, { unsupported: `${fileSource}; it also inspects Spark's physical plan` });
  tws("transformWithState - verify StateSchemaV3 writes correct SQL schema of key/value", null, { unsupported: "reads Spark's StateSchemaV3 file through Spark's internal StateSchemaCompatibilityChecker; streamlab records its own schema file (state/<op>/_metadata/schema)" });
  tws("transformWithState - verify that OperatorStateMetadataV2 file is being written correctly", null, { unsupported: "reads Spark's OperatorStateMetadataV2 operator properties (timeMode, outputMode, state variables) through format(\"state-metadata\"); streamlab does not write them" });
  tws("test that invalid schema evolution fails query for column family", null, { unsupported: "ValueState[Long] -> ValueState[Int]: TypeScript state values are JSON, a long and an int are both numbers with the same state schema" });
  tws("test that different outputMode after query restart fails", async () => {
    const input = strings();
    const t1 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR), "update");
    await t1.addData(input, "a");
    t1.checkNewAnswer(["a", "1"]);
    await t1.stop();
    const t2 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "None", "append", PAIR), "update");
    (t2 as unknown as { checkpoint: string }).checkpoint = t1.checkpoint;
    const e = await intercept(async () => {
      t2.start();
      await t2.addData(input, "a");
    });
    check(e.message.includes("[STATE_STORE_INVALID_CONFIG_AFTER_RESTART]") && e.message.includes("outputMode from Update to Append"), `expected STATE_STORE_INVALID_CONFIG_AFTER_RESTART (outputMode, Update, Append), got: ${e.message.slice(0, 200)}`);
  });

  tws("test that different timeMode after query restart fails", async () => {
    const clock = new ManualClock();
    const input = strings();
    const t1 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR), "update");
    await t1.addData(input, "a");
    t1.checkNewAnswer(["a", "1"]);
    await t1.stop();
    const t2 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "ProcessingTime", "update", PAIR), "update");
    (t2 as unknown as { checkpoint: string }).checkpoint = t1.checkpoint;
    const e = await intercept(async () => {
      startClocked(t2, clock);
      await advance(t2, clock, 1000, [input, ["a"]]);
    });
    check(e.message.includes("[STATE_STORE_INVALID_CONFIG_AFTER_RESTART]") && e.message.includes("timeMode from NoTime to ProcessingTime"), `expected STATE_STORE_INVALID_CONFIG_AFTER_RESTART (timeMode, NoTime, ProcessingTime), got: ${e.message.slice(0, 200)}`);
  });

  tws("test that changing between different state variable types fails", async () => {
    const input = strings();
    const t1 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "None", "update", PAIR), "update");
    await t1.addData(input, "a");
    t1.checkNewAnswer(["a", "1"]);
    await t1.stop();
    const t2 = new StreamTest(byValue(input).transformWithState(new RunningCountListStatefulProcessor(), "None", "update", PAIR), "update");
    (t2 as unknown as { checkpoint: string }).checkpoint = t1.checkpoint;
    const e = await intercept(async () => {
      t2.start();
      await t2.addData(input, "a");
    });
    check(e.message.includes("STATE_STORE_INVALID_VARIABLE_TYPE_CHANGE"), `expected STATE_STORE_INVALID_VARIABLE_TYPE_CHANGE, got: ${e.message.slice(0, 200)}`);
    check(e.message.includes("Cannot change countState to ListState") && e.message.includes("set countState to ValueState"), `the variable and both types in: ${e.message}`);
  });

  tws("test that introducing TTL after restart fails query", async () => {
    const clock = new ManualClock();
    const input = strings();
    const t1 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessor(), "ProcessingTime", "update", PAIR), "update");
    startClocked(t1, clock);
    await advance(t1, clock, 1000, [input, ["a"]]);
    t1.checkNewAnswer(["a", "1"]);
    await advance(t1, clock, 1000);
    await t1.stop();
    const t2 = new StreamTest(byValue(input).transformWithState(new RunningCountStatefulProcessorWithTTL(), "ProcessingTime", "update", PAIR), "update");
    (t2 as unknown as { checkpoint: string }).checkpoint = t1.checkpoint;
    const e = await intercept(async () => {
      startClocked(t2, clock);
      await advance(t2, clock, 1000, [input, ["a"]]);
    });
    check(e.message.includes("[STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE]"), `expected STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE, got: ${e.message.slice(0, 200)}`);
  }, { note: "the schemas in the message are streamlab's (struct<ValueState:json> vs struct<ValueState:json,ttlExpirationMs:bigint>)" });
});

// ---- TransformWithValueStateTTLSuite -------------------------------------------------------------------------

/** ValueStateTTLProcessor: put / get actions on a value state with a 1 minute TTL (Spark 4's TTLConfig). */
class ValueStateTTLProcessor extends StatefulProcessor<string> {
  private state!: ValueState<number>;
  init(handle: StatefulProcessorHandle): void {
    this.state = handle.getValueState<number>("valueState", { ttlDuration: "1 minute" });
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    const out: unknown[][] = [];
    for (const r of rows) {
      if (r.action === "get") {
        const v = this.state.get();
        if (v !== undefined) out.push([key, v, false, -1]);
      } else if (r.action === "put") this.state.update(r.value as number);
    }
    return out;
  }
}
const TTL_OUT = "key STRING, value INT, isTTLValue BOOLEAN, ttlValue BIGINT";
const internalTtl = "the steps reading the TTL index (get_ttl_value_from_state, get_values_in_ttl_state, get_without_enforcing_ttl) use Spark's internal ValueStateImplWithTTL and are left out; the per-value Duration of the old API is TTLConfig(1 minute)";

describe("TransformWithValueStateTTLSuite", () => {
  ttl("validate state is evicted at ttl expiry - processing time ttl", async () => {
    const clock = new ManualClock();
    const input = memoryStream("key STRING, action STRING, value INT");
    const t = new StreamTest(input.toDF().groupByKey((r) => r.key).transformWithState(new ValueStateTTLProcessor(), "None", "append", TTL_OUT));
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, [["k1", "put", 1]]]);
    t.checkNewAnswer();
    await restart(t, clock);
    await advance(t, clock, 1000, [input, [["k1", "get", -1]]]);
    t.checkNewAnswer(["k1", 1, false, -1]);
    await restart(t, clock);
    await advance(t, clock, 2000);
    await restart(t, clock);
    await advance(t, clock, 60_000);
    await advance(t, clock, 1000, [input, [["k1", "get", -1]]]);
    t.checkNewAnswer();
    check(t.query!.lastProgress!.stateOperators[0].numRowsTotal === 0, "the expired value left the state");
  }, { note: internalTtl });

  ttl("validate ttl update updates the expiration timestamp - processing time ttl", async () => {
    const clock = new ManualClock();
    const input = memoryStream("key STRING, action STRING, value INT");
    const t = new StreamTest(input.toDF().groupByKey((r) => r.key).transformWithState(new ValueStateTTLProcessor(), "None", "append", TTL_OUT));
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, [["k1", "put", 1]]]);
    t.checkNewAnswer();
    await advance(t, clock, 1000, [input, [["k1", "get", -1]]]);
    t.checkNewAnswer(["k1", 1, false, -1]);
    await advance(t, clock, 2000);
    await advance(t, clock, 30_000);
    // at 35 s: put again (expires at 95 s), then get
    await advance(t, clock, 1000, [input, [["k1", "put", 1]]], [input, [["k1", "get", -1]]]);
    t.checkNewAnswer(["k1", 1, false, -1]);
    await advance(t, clock, 2000);
    await advance(t, clock, 30_000);
    // at 68 s: past the first expiration (61 s), before the second
    await advance(t, clock, 1000, [input, [["k1", "get", -1]]]);
    t.checkNewAnswer(["k1", 1, false, -1]);
  }, { note: internalTtl });
});

// ---- TransformWithListStateSuite ---------------------------------------------------------------------------

/** TestListStateProcessor: one action per input row on a ListState of strings. */
class TestListStateProcessor extends StatefulProcessor<string> {
  private list!: ListState<string>;
  init(handle: StatefulProcessorHandle): void {
    this.list = handle.getListState<string>("testListState");
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    const out: unknown[][] = [];
    for (const r of rows) {
      const v = r.value as string;
      switch (r.action) {
        case "emit": out.push([key, v]); break;
        case "emitAllInState": for (const x of this.list.get()) out.push([key, x]); this.list.clear(); break;
        case "append": this.list.appendValue(v); break;
        case "appendAll": this.list.appendList(v.split(",")); break;
        case "put": this.list.put(v.split(",")); break;
        case "remove": this.list.clear(); break;
        case "tryAppendingNull": this.list.appendValue(null as unknown as string); break;
        case "tryAppendingNullValueInList": this.list.appendList([null as unknown as string]); break;
        case "tryAppendingNullList": this.list.appendList(null as unknown as string[]); break;
        case "tryPutNullList": this.list.put(null as unknown as string[]); break;
        case "tryPuttingNullInList": this.list.put([null as unknown as string]); break;
        case "tryPutEmptyList": this.list.put([]); break;
        case "tryAppendingEmptyList": this.list.appendList([]); break;
      }
    }
    return out;
  }
}

describe("TransformWithListStateSuite", () => {
  const listQuery = () => {
    const input = memoryStream("key STRING, action STRING, value STRING");
    return { input, t: new StreamTest(input.toDF().groupByKey((r) => r.key).transformWithState(new TestListStateProcessor(), "None", "update", PAIR), "update") };
  };
  for (const [name, action, error] of [
    ["test appending null value in list state throw exception", "tryAppendingNull", "ILLEGAL_STATE_STORE_VALUE.NULL_VALUE"],
    ["test putting null value in list state throw exception", "tryPuttingNullInList", "ILLEGAL_STATE_STORE_VALUE.NULL_VALUE"],
    ["test putting null list in list state throw exception", "tryPutNullList", "ILLEGAL_STATE_STORE_VALUE.NULL_VALUE"],
    ["test appending null list in list state throw exception", "tryAppendingNullList", "ILLEGAL_STATE_STORE_VALUE.NULL_VALUE"],
    ["test putting empty list in list state throw exception", "tryPutEmptyList", "ILLEGAL_STATE_STORE_VALUE.EMPTY_LIST_VALUE"],
    ["test appending empty list in list state throw exception", "tryAppendingEmptyList", "ILLEGAL_STATE_STORE_VALUE.EMPTY_LIST_VALUE"],
  ]) {
    list(name, async () => {
      const { input, t } = listQuery();
      const e = await intercept(() => t.addData(input, ["k1", action, ""]));
      check(e.message.includes(error), `expected ${error}, got: ${e.message}`);
    });
  }

  list("test list state correctness", async () => {
    const { input, t } = listQuery();
    const add = async (...rows: unknown[][]) => {
      for (const r of rows) await t.addData(input, r);
    };
    await add(["k1", "emit", "v1"]);
    t.checkNewAnswer(["k1", "v1"]);
    await add(["k1", "append", "v2"], ["k1", "emitAllInState", ""]);
    t.checkNewAnswer(["k1", "v2"]);
    await add(["k2", "append", "v1"], ["k1", "append", "v4"], ["k2", "append", "v2"], ["k1", "emit", "v5"], ["k2", "emit", "v3"]);
    t.checkNewAnswer(["k1", "v5"], ["k2", "v3"]);
    await add(["k1", "emitAllInState", ""], ["k2", "emitAllInState", ""]);
    t.checkNewAnswer(["k2", "v1"], ["k2", "v2"], ["k1", "v4"]);
    await add(["k3", "appendAll", "v1,v2,v3"], ["k3", "emit", "v4"], ["k3", "append", "v5"]);
    t.checkNewAnswer(["k3", "v4"]);
    await add(["k3", "emitAllInState", ""]);
    t.checkNewAnswer(["k3", "v1"], ["k3", "v2"], ["k3", "v3"], ["k3", "v5"]);
    await add(["k4", "append", "v2"], ["k4", "appendList", "v3,v4"], ["k4", "remove", ""], ["k4", "emitAllInState", ""]);
    t.checkNewAnswer();
    await add(["k5", "appendAll", "v1,v2,v3"], ["k5", "append", "v4"], ["k5", "put", "v5,v6"], ["k5", "emitAllInState", ""]);
    t.checkNewAnswer(["k5", "v5"], ["k5", "v6"]);
    check(customMetric(t, "numListStateVars") > 0, "numListStateVars > 0");
  });

  list("test ValueState And ListState in Processor", async () => {
    class ToggleSaveAndEmitProcessor extends StatefulProcessor<string> {
      private list!: ListState<string>;
      private saved!: ValueState<boolean>;
      init(handle: StatefulProcessorHandle): void {
        this.list = handle.getListState<string>("testListState");
        this.saved = handle.getValueState<boolean>("testValueState");
      }
      handleInputRows(_key: string, rows: Row[]): unknown[][] {
        const values = rows.map((r) => r.value as string);
        if (!this.saved.getOption()) {
          this.list.appendList(values);
          this.saved.update(true);
          return [];
        }
        this.saved.clear();
        const stored = this.list.get();
        this.list.clear();
        return [...values, ...stored].map((v) => [v]);
      }
    }
    const input = strings();
    const t = new StreamTest(byValue(input).transformWithState(new ToggleSaveAndEmitProcessor(), "None", "update", "value STRING"), "update");
    await t.addData(input, "k1");
    await t.addData(input, "k2");
    t.checkNewAnswer();
    await t.addData(input, "k1");
    await t.addData(input, "k2");
    t.checkNewAnswer(["k1"], ["k1"], ["k2"], ["k2"]);
  }, { note: "the Dataset[String] output is the schema \"value STRING\"" });
});

// ---- TransformWithMapStateSuite ----------------------------------------------------------------------------

/** TestMapStateProcessor: one action per input row on a MapState[String, String]; value is (user key, value). */
class TestMapStateProcessor extends StatefulProcessor<string> {
  private m!: MapState<string, string>;
  init(handle: StatefulProcessorHandle): void {
    this.m = handle.getMapState<string, string>("sessionState");
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    const out: unknown[][] = [];
    for (const r of rows) {
      const [k, v] = [r.uk as string, r.uv as string];
      switch (r.action) {
        case "exists": out.push([key, "exists", String(this.m.exists())]); break;
        case "getValue": out.push([key, k, this.m.getValue(k) ?? null]); break;
        case "containsKey": out.push([key, k, this.m.containsKey(k) ? "true" : "false"]); break;
        case "updateValue": this.m.updateValue(k, v); break;
        case "iterator": for (const [a, b] of this.m.iterator()) out.push([key, a, b]); break;
        case "keys": for (const a of this.m.keys()) out.push([r.key, a, v]); break;
        case "values": for (const b of this.m.values()) out.push([r.key, k, b]); break;
        case "removeKey": this.m.removeKey(k); break;
        case "clear": this.m.clear(); break;
      }
    }
    return out;
  }
}

describe("TransformWithMapStateSuite", () => {
  const TRIPLE = "_1 STRING, _2 STRING, _3 STRING";
  const mapQuery = (mode: "append" | "update" = "update") => {
    const input = memoryStream("key STRING, action STRING, uk STRING, uv STRING");
    return { input, t: new StreamTest(input.toDF().groupByKey((r) => r.key).transformWithState(new TestMapStateProcessor(), "None", mode, TRIPLE), mode) };
  };
  const note = "InputMapRow's value tuple (user key, value) is two columns uk, uv";

  map("Test retrieving value with non-existing user key", async () => {
    const { input, t } = mapQuery();
    await t.addData(input, ["k1", "getValue", "v1", ""]);
    t.checkAnswer(["k1", "v1", null]);
  }, { note });

  for (const fn of ["getValue", "containsKey", "updateValue", "removeKey"]) {
    map(`Test ${fn} with null user key`, async () => {
      const { input, t } = mapQuery();
      const e = await intercept(() => t.addData(input, ["k1", fn, null, ""]));
      check(e.message.includes("ILLEGAL_STATE_STORE_VALUE.NULL_VALUE") && e.message.includes("sessionState"), `expected NULL_VALUE for sessionState, got: ${e.message}`);
    }, { note });
  }

  map("Test put value with null value", async () => {
    const { input, t } = mapQuery();
    const e = await intercept(() => t.addData(input, ["k1", "updateValue", "k1", null]));
    check(e.message.includes("ILLEGAL_STATE_STORE_VALUE.NULL_VALUE") && e.message.includes("sessionState"), `expected NULL_VALUE for sessionState, got: ${e.message}`);
  }, { note });

  map("Test map state correctness", async () => {
    const { input, t } = mapQuery("append");
    const add = async (...rows: unknown[][]) => {
      for (const r of rows) await t.addData(input, r);
    };
    await add(["k1", "updateValue", "v1", "10"], ["k1", "exists", "", ""], ["k2", "exists", "", ""]);
    t.checkNewAnswer(["k1", "exists", "true"], ["k2", "exists", "false"]);
    await add(["k1", "updateValue", "v2", "5"], ["k2", "updateValue", "v2", "3"], ["k2", "updateValue", "v2", "12"], ["k2", "updateValue", "v4", "1"]);
    await add(["k1", "getValue", "v2", ""]);
    t.checkNewAnswer(["k1", "v2", "5"]);
    await add(["k2", "getValue", "v2", ""]);
    t.checkNewAnswer(["k2", "v2", "12"]);
    await add(["k2", "iterator", "", ""]);
    t.checkNewAnswer(["k2", "v2", "12"], ["k2", "v4", "1"]);
    await add(["k2", "keys", "", ""]);
    t.checkNewAnswer(["k2", "v2", ""], ["k2", "v4", ""]);
    await add(["k2", "values", "", ""]);
    t.checkNewAnswer(["k2", "", "12"], ["k2", "", "1"]);
    await add(["k1", "removeKey", "v2", ""], ["k1", "containsKey", "v2", ""]);
    t.checkNewAnswer(["k1", "v2", "false"]);
    await add(["k2", "clear", "", ""], ["k2", "iterator", "", ""]);
    t.checkNewAnswer();
    // The last three rows in one micro-batch, as Spark's test reads one batch's metrics.
    input.addData([["k2", "exists", "", ""], ["k1", "clear", "", ""]]);
    await t.addData(input, ["k3", "updateValue", "v7", "11"]);
    t.checkNewAnswer(["k2", "exists", "false"]);
    const op = t.query!.lastProgress!.stateOperators[0];
    check(customMetric(t, "numMapStateVars") > 0, "numMapStateVars > 0");
    check(op.numRowsUpdated === 1, `numRowsUpdated: expected 1, got ${op.numRowsUpdated}`);
    check(op.numRowsRemoved === 1, `numRowsRemoved: expected 1, got ${op.numRowsRemoved}`);
  }, { note });

  map("transformWithMapState - batch should succeed", async () => {
    const df = spark.createDataFrame([["k1", "updateValue", "v1", "10"], ["k1", "getValue", "v1", ""]].map(([key, action, uk, uv]) => ({ key, action, uk, uv })), "key STRING, action STRING, uk STRING, uv STRING")
      .groupByKey((r) => r.key).transformWithState(new TestMapStateProcessor(), "None", "append", TRIPLE);
    const rows = df.collect().map((r) => [r._1, r._2, r._3]);
    check(JSON.stringify(rows) === JSON.stringify([["k1", "v1", "10"]]), `got ${JSON.stringify(rows)}`);
  }, { note });
});

// ---- TransformWithStateInitialStateSuite -------------------------------------------------------------------

/** StatefulProcessorWithInitialStateTestClass: value, list and map state driven by (key, action, value) rows. */
class InitialStateTestProcessor extends StatefulProcessor<string> {
  protected val!: ValueState<number>;
  protected list!: ListState<number>;
  protected map!: MapState<number, number>;
  init(handle: StatefulProcessorHandle): void {
    this.val = handle.getValueState<number>("testValueInit");
    this.list = handle.getListState<number>("testListInit");
    this.map = handle.getMapState<number, number>("testMapInit");
  }
  handleInitialState(_key: string, row: Row): void {
    // InitialStateInMemoryTestClass: value, list entries and map from the initial row.
    this.val.update(row.value as number);
    this.list.appendList(row.entries as number[]);
    for (const [k, v] of Object.entries(row.mapping as Record<string, number>)) this.map.updateValue(Number(k), v);
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    const out: unknown[][] = [];
    for (const r of rows) {
      const v = r.value as number;
      const count = () => (this.map.containsKey(v) ? this.map.getValue(v)! : 0);
      switch (r.action) {
        case "getOption": out.push([key, r.action, this.val.getOption() ?? -1.0]); break;
        case "update": this.val.update(v); break;
        case "remove": this.val.clear(); break;
        case "getList": for (const e of this.list.get()) out.push([key, r.action, e]); break;
        case "appendList": this.list.appendValue(v); break;
        case "clearList": this.list.clear(); break;
        case "getCount": out.push([key, r.action, count()]); break;
        case "incCount": this.map.updateValue(v, count() + 1); break;
        case "clearCount": this.map.removeKey(v); break;
      }
    }
    return out;
  }
}

/** AccumulateStatefulProcessorWithInitState: a running sum started from the initial state. */
class AccumulateStatefulProcessorWithInitState extends InitialStateTestProcessor {
  handleInitialState(_key: string, row: Row): void {
    this.val.update(row._2 as number);
  }
  handleInputRows(key: string, rows: Row[]): unknown[][] {
    const out: unknown[][] = [];
    for (const r of rows) {
      if (r.action === "getOption") out.push([key, r.action, this.val.getOption() ?? 0.0]);
      else if (r.action === "add") this.val.update((this.val.getOption() ?? 0.0) + (r.value as number));
      else if (r.action === "remove") this.val.clear();
    }
    return out;
  }
}

describe("TransformWithStateInitialStateSuite", () => {
  const OUT = "_1 STRING, _2 STRING, _3 DOUBLE";
  const initialDf = () => spark.createDataFrame([{ _1: "init_1", _2: 40.0 }, { _1: "init_2", _2: 100.0 }], "_1 STRING, _2 DOUBLE").groupByKey((r) => r._1);
  const inputRows = () => memoryStream("key STRING, action STRING, value DOUBLE");

  init("transformWithStateWithInitialState - correctness test, run with multiple state variables - in-memory type", async () => {
    const input = inputRows();
    const initial = spark.createDataFrame([
      { key: "init_1", value: 40.0, entries: [40.0], mapping: { "40": 1 } },
      { key: "init_2", value: 100.0, entries: [100.0], mapping: { "100": 1 } },
    ], "key STRING, value DOUBLE, entries ARRAY<DOUBLE>, mapping STRUCT<`40`: INT, `100`: INT>").groupByKey((r) => r.key);
    // A struct with both keys: drop the absent one (null) before handleInitialState sees it.
    const df = input.toDF().groupByKey((r) => r.key).transformWithState(new (class extends InitialStateTestProcessor {
      handleInitialState(key: string, row: Row): void {
        super.handleInitialState(key, { ...row, mapping: Object.fromEntries(Object.entries(row.mapping as Record<string, number | null>).filter(([, v]) => v !== null)) });
      }
    })(), "None", "append", { outputSchema: OUT, initialState: initial });
    const t = new StreamTest(df, "update");
    const add = async (...rows: unknown[][]) => {
      for (const r of rows) await t.addData(input, r);
    };
    await add(["k1", "update", 37.0], ["k2", "update", 40.0], ["non-exist", "getOption", -1.0]);
    t.checkNewAnswer(["non-exist", "getOption", -1.0]);
    await add(["k1", "appendList", 37.0], ["k2", "appendList", 40.0], ["non-exist", "getList", -1.0]);
    t.checkNewAnswer();
    await add(["k1", "incCount", 37.0], ["k2", "incCount", 40.0], ["non-exist", "getCount", -1.0]);
    t.checkNewAnswer(["non-exist", "getCount", 0.0]);
    await add(["k2", "incCount", 40.0], ["k2", "getCount", 40.0]);
    t.checkNewAnswer(["k2", "getCount", 2.0]);
    for (const [k, action, v, want] of [["init_1", "getOption", -1.0, 40.0], ["init_2", "getOption", -1.0, 100.0], ["init_1", "getList", -1.0, 40.0], ["init_2", "getList", -1.0, 100.0], ["init_1", "getCount", 40.0, 1.0], ["init_2", "getCount", 100.0, 1.0]] as const) {
      await add([k, action, v]);
      t.checkNewAnswer([k, action, want]);
    }
    await add(["init_1", "update", 50.0], ["init_1", "getOption", -1.0]);
    t.checkNewAnswer(["init_1", "getOption", 50.0]);
    await add(["init_1", "remove", -1.0], ["init_1", "getOption", -1.0]);
    t.checkNewAnswer(["init_1", "getOption", -1.0]);
    await add(["init_1", "appendList", 50.0], ["init_1", "getList", -1.0]);
    t.checkNewAnswer(["init_1", "getList", 50.0], ["init_1", "getList", 40.0]);
    await add(["init_1", "incCount", 40.0], ["init_1", "getCount", 40.0]);
    t.checkNewAnswer(["init_1", "getCount", 2.0]);
    await add(["k1", "remove", -1.0], ["k1", "getOption", -1.0]);
    t.checkNewAnswer(["k1", "getOption", -1.0]);
    await add(["init_1", "clearCount", -1.0], ["init_1", "getCount", -1.0]);
    t.checkNewAnswer(["init_1", "getCount", 0.0]);
    await add(["init_1", "clearList", -1.0], ["init_1", "getList", -1.0]);
    t.checkNewAnswer();
  }, { note: "the initial rows' Map[Double, Int] is a struct with the keys as field names (streamlab has no map columns in createDataFrame); Spark's clearCount with value -1.0 removes nothing, so its getCount -1.0 is 0" });

  init("transformWithStateWithInitialState - correctness test, processInitialState should only run once", async () => {
    const input = inputRows();
    const df = input.toDF().groupByKey((r) => r.key).transformWithState(new AccumulateStatefulProcessorWithInitState(), "None", "append", { outputSchema: OUT, initialState: initialDf() });
    const t = new StreamTest(df, "update");
    await t.addData(input, ["init_1", "add", 50.0]);
    await t.addData(input, ["init_2", "add", 60.0]);
    await t.addData(input, ["init_1", "add", 50.0]);
    await t.addData(input, ["init_1", "getOption", -1.0], ["init_2", "getOption", -1.0]);
    t.checkNewAnswer(["init_2", "getOption", 160.0], ["init_1", "getOption", 140.0]);
  });

  init("transformWithStateWithInitialState - batch should succeed", async () => {
    const df = spark.createDataFrame([{ key: "k1", action: "add", value: 37.0 }, { key: "k1", action: "getOption", value: -1.0 }], "key STRING, action STRING, value DOUBLE")
      .groupByKey((r) => r.key).transformWithState(new AccumulateStatefulProcessorWithInitState(), "None", "append", { outputSchema: OUT, initialState: initialDf() });
    const rows = df.collect().map((r) => [r._1, r._2, r._3]);
    check(JSON.stringify(rows) === JSON.stringify([["k1", "getOption", 37.0]]), `got ${JSON.stringify(rows)}`);
  });
});

// ---- FlatMapGroupsWithStateSuite -----------------------------------------------------------------------------

const gs = <S>(value: S | undefined, batchMs: number, wm: number | null, timeout: "None" | "ProcessingTime" | "EventTime", timedOut = false) => new GroupState<S>(value, batchMs, wm, timeout, timedOut, "flatMapGroupsWithState");

async function throws(f: () => unknown, kind: string): Promise<void> {
  const e = await intercept(f);
  check(e.message.includes(kind), `expected ${kind}, got: ${e.message}`);
}

async function timeoutNotAllowed(state: GroupState<number>, what: "duration" | "timestamp"): Promise<void> {
  const before = state.getTimeoutTimestampMs();
  const calls = what === "duration" ? [() => state.setTimeoutDuration(1000), () => state.setTimeoutDuration("2 second")]
    : [() => state.setTimeoutTimestamp(2000), () => state.setTimeoutTimestamp(2000, "1 second"), () => state.setTimeoutTimestamp(new Date(2000)), () => state.setTimeoutTimestamp(new Date(2000), "1 second")];
  for (const c of calls) {
    await throws(c, "UnsupportedOperationException");
    check(state.getTimeoutTimestampMs() === before, "timeout unchanged");
  }
}

/** The running-count function of the streaming cases: remove at 3 (flatMap: no output; map: -1). */
function runningCount(mapStyle: boolean) {
  return (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
    if (state.getCurrentProcessingTimeMs() < 0) throw new Error("Could not get processing time");
    let watermarkThrew = false;
    try {
      state.getCurrentWatermarkMs();
    } catch {
      watermarkThrew = true;
    }
    if (!watermarkThrew) throw new Error("Could get watermark when not expected");
    const count = (state.getOption()?.count ?? 0) + rows.length;
    if (count === 3) {
      state.remove();
      return mapStyle ? [key, "-1"] : [];
    }
    state.update({ count });
    return mapStyle ? [key, String(count)] : [[key, String(count)]];
  };
}

describe("FlatMapGroupsWithStateSuite", () => {
  fmgws("GroupState - get, exists, update, remove", async () => {
    const expect = async (state: GroupState<string>, v: string | undefined, updated = false, removed = false) => {
      if (v !== undefined) {
        check(state.exists() && state.get() === v, `state ${v}`);
      } else {
        check(!state.exists(), "no state");
        await throws(() => state.get(), "NoSuchElementException");
      }
      check(state.getOption() === v, "getOption");
      check(state.outcome().updated === updated && state.outcome().removed === removed, `updated=${updated} removed=${removed}`);
    };
    let state = gs<string>(undefined, 1, null, "None");
    await expect(state, undefined);
    state.update("");
    await expect(state, "", true);
    state = gs<string>("2", 1, null, "None");
    await expect(state, "2");
    state.update("3");
    await expect(state, "3", true);
    state.remove();
    await expect(state, undefined, false, true);
    state.remove();
    state.update("4");
    await expect(state, "4", true, false);
    await throws(() => state.update(null as unknown as string), "IllegalArgumentException");
  });

  fmgws("GroupState - setTimeout - with NoTimeout", async () => {
    for (const init of [undefined, 5]) {
      const state = gs<number>(init, 1000, null, "None");
      await timeoutNotAllowed(state, "duration");
      await timeoutNotAllowed(state, "timestamp");
    }
  });

  fmgws("GroupState - setTimeout - with ProcessingTimeTimeout", async () => {
    const state = gs<number>(undefined, 1000, null, "ProcessingTime");
    check(state.getTimeoutTimestampMs() === -1, "no timeout yet");
    state.setTimeoutDuration("-1 month 31 days 1 second");
    check(state.getTimeoutTimestampMs() === 2000, `2000, got ${state.getTimeoutTimestampMs()}`);
    state.setTimeoutDuration(500);
    check(state.getTimeoutTimestampMs() === 1500, "1500");
    await timeoutNotAllowed(state, "timestamp");
    state.update(5);
    check(state.getTimeoutTimestampMs() === 1500, "update does not change it");
    state.setTimeoutDuration(1000);
    check(state.getTimeoutTimestampMs() === 2000, "2000");
    state.setTimeoutDuration("2 second");
    check(state.getTimeoutTimestampMs() === 3000, "3000");
    state.remove();
    check(state.getTimeoutTimestampMs() === 3000, "remove does not change it");
    state.setTimeoutDuration(500);
    check(state.getTimeoutTimestampMs() === 1500, "can still be set");
    await timeoutNotAllowed(state, "timestamp");
  }, { note: "the batch-query half (createForBatch) is not ported: streamlab's static runs use the same GroupState" });

  fmgws("GroupState - setTimeout - with EventTimeTimeout", async () => {
    const state = gs<number>(undefined, 1000, 1000, "EventTime");
    check(state.getTimeoutTimestampMs() === -1, "no timeout yet");
    await timeoutNotAllowed(state, "duration");
    state.setTimeoutTimestamp(5000);
    check(state.getTimeoutTimestampMs() === 5000, "5000");
    state.update(5);
    check(state.getTimeoutTimestampMs() === 5000, "update does not change it");
    state.setTimeoutTimestamp(10000);
    check(state.getTimeoutTimestampMs() === 10000, "10000");
    state.setTimeoutTimestamp(new Date(20000));
    check(state.getTimeoutTimestampMs() === 20000, "20000");
    await timeoutNotAllowed(state, "duration");
    state.remove();
    check(state.getTimeoutTimestampMs() === 20000, "remove does not change it");
    state.setTimeoutTimestamp(5000);
    check(state.getTimeoutTimestampMs() === 5000, "can be set after remove");
  }, { note: "the batch-query half (createForBatch) is not ported" });

  fmgws("GroupState - illegal params to setTimeout", async () => {
    let state = gs<number>(5, 1000, null, "ProcessingTime");
    const illegal = async (f: () => void) => {
      await throws(f, "IllegalArgumentException");
      check(state.getTimeoutTimestampMs() === -1, "timeout unchanged");
    };
    for (const d of [-1000, 0, "-2 second", "-1 month", "1 month -31 day"]) await illegal(() => state.setTimeoutDuration(d));
    state = gs<number>(5, 1000, null, "EventTime");
    await illegal(() => state.setTimeoutTimestamp(-10000));
    for (const add of ["-3 second", "-1 month", "1 month -32 day"]) {
      await illegal(() => state.setTimeoutTimestamp(10000, add));
      await illegal(() => state.setTimeoutTimestamp(new Date(-10000), add));
    }
    await illegal(() => state.setTimeoutTimestamp(new Date(-10000)));
  });

  fmgws("GroupState - hasTimedOut", async () => {
    for (const timeout of ["None", "ProcessingTime", "EventTime"] as const) {
      for (const init of [undefined, 5]) {
        check(gs(init, 1000, 1000, timeout, false).hasTimedOut() === false, "not timed out");
        check(gs(init, 1000, 1000, timeout, true).hasTimedOut() === true, "timed out");
      }
    }
  });

  fmgws("GroupState - getCurrentWatermarkMs", async () => {
    for (const timeout of ["None", "EventTime", "ProcessingTime"] as const) {
      await throws(() => gs<number>(undefined, 1000, null, timeout).getCurrentWatermarkMs(), "Cannot get event time watermark timestamp without setting watermark");
      check(gs<number>(undefined, 1000, 1000, timeout).getCurrentWatermarkMs() === 1000, "1000");
      check(gs<number>(undefined, 1000, 2000, timeout).getCurrentWatermarkMs() === 2000, "2000");
    }
  }, { note: "the batch-query half (createForBatch) is not ported" });

  fmgws("GroupState - getCurrentProcessingTimeMs", async () => {
    for (const timeout of ["None", "EventTime", "ProcessingTime"] as const) {
      check(gs<number>(undefined, -1, null, timeout).getCurrentProcessingTimeMs() === -1, "-1");
      check(gs<number>(undefined, 1000, null, timeout).getCurrentProcessingTimeMs() === 1000, "1000");
      check(gs<number>(undefined, 2000, null, timeout).getCurrentProcessingTimeMs() === 2000, "2000");
    }
  }, { note: "the batch-query half (createForBatch) is not ported" });

  fmgws("GroupState - primitive type", async () => {
    let s = gs<number>(undefined, 1000, 1000, "None");
    await throws(() => s.get(), "NoSuchElementException");
    check(s.getOption() === undefined, "getOption none");
    s = gs<number>(10, 1000, 1000, "None");
    check(s.get() === 10, "10");
    s.update(0);
    check(s.get() === 0, "0");
    s.remove();
    await throws(() => s.get(), "NoSuchElementException");
  });

  fmgws("InputProcessor - process new data / process timed out state (generated cases)", null, { unsupported: "unit tests of Spark's internal FlatMapGroupsWithStateExec.InputProcessor over a bare StateStore; the same rules are covered by the streaming cases" });

  fmgws("flatMapGroupsWithState - streaming", async () => {
    const input = strings();
    const t = new StreamTest(byValue(input).flatMapGroupsWithState(runningCount(false), "update", "NoTimeout", PAIR), "update");
    await t.addData(input, "a");
    t.checkNewAnswer(["a", "1"]);
    stateRows(t, 1, 1);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", "2"], ["b", "1"]);
    stateRows(t, 2, 2);
    await restart(t);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["b", "2"]);
    stateRows(t, 1, 2);
    await restart(t);
    await t.addData(input, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"]);
    stateRows(t, 3, 2);
  });

  fmgws("flatMapGroupsWithState - streaming + func returns iterator that updates state lazily", async () => {
    const input = strings();
    const fn = function* (key: string, rows: Row[], state: GroupState<{ count: number }>) {
      for (const _ of rows) {
        const count = (state.getOption()?.count ?? 0) + 1;
        if (count === 3) state.remove();
        else {
          state.update({ count });
          yield [key, String(count)];
        }
      }
    };
    const t = new StreamTest(byValue(input).flatMapGroupsWithState(fn, "update", "NoTimeout", PAIR), "update");
    await t.addData(input, "a", "a", "b");
    t.checkNewAnswer(["a", "1"], ["a", "2"], ["b", "1"]);
    await restart(t);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["b", "2"]);
    await restart(t);
    await t.addData(input, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"]);
  });

  fmgws("flatMapGroupsWithState - streaming + aggregation", async () => {
    const input = strings();
    const fn = (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
      const count = (state.getOption()?.count ?? 0) + rows.length;
      if (count === 3) {
        state.remove();
        return [[key, "-1"]];
      }
      state.update({ count });
      return [[key, String(count)]];
    };
    const df = byValue(input).flatMapGroupsWithState(fn, "append", "NoTimeout", PAIR).groupBy("_1").count();
    const t = new StreamTest(df, "complete");
    await t.addData(input, "a");
    t.checkNewAnswer(["a", 1]);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", 2], ["b", 1]);
    await restart(t);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", 3], ["b", 2]);
    await restart(t);
    await t.addData(input, "a", "c");
    t.checkNewAnswer(["a", 4], ["b", 2], ["c", 1]);
  }, { note: "Dataset.groupByKey(_._1).count() is groupBy(\"_1\").count()" });

  fmgws("flatMapGroupsWithState - batch", async () => {
    const fn = (key: string, rows: Row[], state: GroupState) => {
      if (!(state.getCurrentProcessingTimeMs() > 0)) throw new Error("Could not get processing time");
      let threw = false;
      try {
        state.getCurrentWatermarkMs();
      } catch {
        threw = true;
      }
      if (!threw) throw new Error("Could get watermark when not expected");
      if (state.exists()) throw new Error("state.exists should be false");
      return [[key, rows.length]];
    };
    const df = spark.createDataFrame([{ value: "a" }, { value: "a" }, { value: "b" }], "value STRING").groupByKey((r) => r.value).flatMapGroupsWithState(fn, "update", "NoTimeout", "_1 STRING, _2 INT");
    const rows = df.collect().map((r) => [r._1, r._2]).sort();
    check(JSON.stringify(rows) === JSON.stringify([["a", 2], ["b", 1]]), `got ${JSON.stringify(rows)}`);
  });

  fmgws("flatMapGroupsWithState - streaming with processing time timeout", async () => {
    const fn = (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
      if (state.hasTimedOut()) {
        state.remove();
        return [[key, "-1"]];
      }
      const count = (state.getOption()?.count ?? 0) + rows.length;
      state.update({ count });
      state.setTimeoutDuration("10 seconds");
      return [[key, String(count)]];
    };
    const clock = new ManualClock();
    const input = strings();
    const t = new StreamTest(byValue(input).flatMapGroupsWithState(fn, "update", "ProcessingTimeTimeout", PAIR), "update");
    startClocked(t, clock);
    await advance(t, clock, 1000, [input, ["a"]]);
    t.checkNewAnswer(["a", "1"]);
    stateRows(t, 1, 1);
    await advance(t, clock, 1000, [input, ["b"]]);
    t.checkNewAnswer(["b", "1"]);
    stateRows(t, 2, 1);
    await advance(t, clock, 10_000, [input, ["b"]]);
    t.checkNewAnswer(["a", "-1"], ["b", "2"]);
    stateRows(t, 1, 2);
    await restart(t, clock);
    await advance(t, clock, 11_000, [input, ["c"]]);
    t.checkNewAnswer(["b", "-1"], ["c", "1"]);
    stateRows(t, 1, 2);
    await advance(t, clock, 12_000);
    check(clock.now() === 35_000, "clock at 35 s");
    check(t.query!.lastProgress!.timestamp === "1970-01-01T00:00:35.000Z", `last batch at 35 s, got ${t.query!.lastProgress!.timestamp}`);
    t.checkNewAnswer(["c", "-1"]);
    stateRows(t, 0, 1);
  });

  fmgws("flatMapGroupsWithState - streaming w/ event time timeout + watermark", async () => {
    const fn = (key: string, rows: Row[], state: GroupState<number>) => {
      if (!(state.getCurrentWatermarkMs() >= -1)) throw new Error("Could not get watermark");
      if (state.hasTimedOut()) {
        state.remove();
        return [[key, -1]];
      }
      const max = Math.max(...rows.map((r) => Math.floor((r.eventTime as Date).getTime() / 1000)), state.getOption() ?? 0);
      state.update(max);
      state.setTimeoutTimestamp((max + 5) * 1000);
      return [[key, max]];
    };
    const input = memoryStream("_1 STRING, _2 INT");
    const df = input.toDF().select(col("_1").alias("key"), timestamp_seconds(col("_2")).alias("eventTime")).withWatermark("eventTime", "10 seconds")
      .groupByKey((r) => r.key).flatMapGroupsWithState(fn, "update", "EventTimeTimeout", "_1 STRING, _2 INT");
    const t = new StreamTest(df, "update").start();
    await t.addData(input, ["a", 11], ["a", 13], ["a", 15]);
    t.checkNewAnswer(["a", 15]);
    await t.addData(input, ["a", 4]);
    t.checkNewAnswer();
    await t.addData(input, ["a", 10]);
    t.checkNewAnswer(["a", 15]);
    await t.addData(input, ["b", 31]);
    t.checkNewAnswer(["a", -1], ["b", 31]);
  });

  fmgws("flatMapGroupsWithState - uses state format version 2 by default", null, { unsupported: "inspects Spark's physical plan (stateFormatVersion); streamlab has one state format" });
  fmgws("flatMapGroupsWithState - recovery from checkpoint uses state format version 1", null, { unsupported: "reads a checkpoint written by Spark 2.3.1" });

  fmgws("mapGroupsWithState - streaming", async () => {
    const input = strings();
    const t = new StreamTest(byValue(input).mapGroupsWithState(runningCount(true), "NoTimeout", PAIR), "update");
    await t.addData(input, "a");
    t.checkNewAnswer(["a", "1"]);
    stateRows(t, 1, 1);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", "2"], ["b", "1"]);
    stateRows(t, 2, 2);
    await restart(t);
    await t.addData(input, "a", "b");
    t.checkNewAnswer(["a", "-1"], ["b", "2"]);
    stateRows(t, 1, 2);
    await restart(t);
    await t.addData(input, "a", "c");
    t.checkNewAnswer(["a", "1"], ["c", "1"]);
    stateRows(t, 3, 2);
  });

  fmgws("mapGroupsWithState - batch", async () => {
    const fn = (key: string, rows: Row[], state: GroupState<number>) => {
      if (!(state.getCurrentProcessingTimeMs() > 0)) throw new Error("Could not get processing time");
      if (state.exists()) throw new Error("state.exists should be false");
      state.setTimeoutTimestamp(0, "1 hour");
      state.update(10);
      return [key, rows.length];
    };
    const df = spark.createDataFrame([{ value: "a" }, { value: "a" }, { value: "b" }], "value STRING").groupByKey((r) => r.value).mapGroupsWithState(fn, "EventTimeTimeout", "_1 STRING, _2 INT");
    const rows = df.collect().map((r) => [r._1, r._2]).sort();
    check(JSON.stringify(rows) === JSON.stringify([["a", 2], ["b", 1]]), `got ${JSON.stringify(rows)}`);
  });

  fmgws("SPARK-29438: ensure UNION doesn't lead (flat)MapGroupsWithState to use shifted partition IDs", async () => {
    const fn = (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
      const count = (state.getOption()?.count ?? 0) + rows.length;
      state.update({ count });
      return [key, String(count)];
    };
    const build = (): [MemoryStream, MemoryStream, DataFrame] => {
      const input1 = strings();
      const input2 = strings();
      const df1 = input1.toDF().select(col("value").alias("_1"), col("value").alias("_2"));
      const df2 = byValue(input2).mapGroupsWithState(fn, "NoTimeout", PAIR);
      return [input1, input2, df1.union(df2)];
    };
    const [in1, in2, df] = build();
    const t = new StreamTest(df, "update");
    in1.addData([["input1-a"]]);
    await t.addData(in2, "input2-a");
    t.checkNewAnswer(["input1-a", "input1-a"], ["input2-a", "1"]);
    await t.stop();
    const [n1, n2, df2] = build();
    const t2 = new StreamTest(df2, "update");
    (t2 as unknown as { checkpoint: string }).checkpoint = t.checkpoint;
    n1.addData([["input1-a"]]);
    n2.addData([["input2-a"]]);
    t2.start();
    n1.addData([["input1-a"]]);
    await t2.addData(n2, "input2-a", "input2-b");
    t2.checkNewAnswer(["input1-a", "input1-a"], ["input2-a", "2"], ["input2-b", "1"]);
  }, { note: "no partitions here; the restart with new MemoryStreams replays their first batch from the checkpoint's offsets" });

  fmgws("StateStore.abort on task failure handling", async () => {
    let failInTask = false;
    const fn = (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
      if (failInTask) throw new Error("expected failure");
      const count = (state.getOption()?.count ?? 0) + rows.length;
      state.update({ count });
      return [key, count];
    };
    const input = strings();
    const t = new StreamTest(byValue(input).mapGroupsWithState(fn, "NoTimeout", "_1 STRING, _2 BIGINT"), "update");
    await t.addData(input, "a");
    t.checkNewAnswer(["a", 1]);
    await t.addData(input, "a");
    t.checkNewAnswer(["a", 2]);
    failInTask = true;
    await intercept(() => t.addData(input, "a"));
    failInTask = false;
    t.start();
    await t.processAll();
    t.checkNewAnswer(["a", 3]);
  });

  fmgws("output partitioning is unknown", null, { unsupported: "inspects Spark's physical plan (outputPartitioning)" });

  fmgws("disallow complete mode", async () => {
    const e = await intercept(() => byValue(strings()).flatMapGroupsWithState(() => [], "complete", "NoTimeout", "value STRING"));
    check(e.message.startsWith("The output mode of function should be append or update"), `got: ${e.message}`);
  }, { note: "the Java-function overload is the same TypeScript call" });

  for (const timeout of ["NoTimeout", "ProcessingTimeTimeout"]) {
    fmgws(`SPARK-20714: watermark does not fail query when timeout = ${timeout}`, async () => {
      const fn = (key: string, rows: Row[], state: GroupState<{ count: number }>) => {
        if (state.hasTimedOut()) {
          state.remove();
          return [[key, "-1"]];
        }
        const count = (state.getOption()?.count ?? 0) + rows.length;
        state.update({ count });
        state.setTimeoutDuration("10 seconds");
        return [[key, String(count)]];
      };
      const clock = new ManualClock();
      const input = memoryStream("key STRING, time BIGINT");
      const df = input.toDF().selectExpr("key", "timestamp_seconds(time) as timestamp").withWatermark("timestamp", "10 second")
        .groupByKey((r) => r.key).flatMapGroupsWithState(fn, "update", "ProcessingTimeTimeout", PAIR);
      const t = new StreamTest(df, "update");
      startClocked(t, clock);
      await advance(t, clock, 1000, [input, [["a", 1]]]);
      t.checkNewAnswer(["a", "1"]);
    }, { note: "Spark's test calls flatMapGroupsWithState with ProcessingTimeTimeout in both variants too" });
  }
});

// ---- UnsupportedOperationsSuite (the rules for these operators) ---------------------------------------------

describe("UnsupportedOperationsSuite (map/flatMapGroupsWithState)", () => {
  const start = (df: DataFrame, mode: string) => df.writeStream.format("memory").queryName(`unsupported_${Math.random().toString(36).slice(2)}`).outputMode(mode).start();
  const f = () => [];
  const cases: [string, (s: MemoryStream) => DataFrame, string, string | null][] = [
    ["mapGroupsWithState - mapGroupsWithState on streaming relation without aggregation in append mode", (s) => byValue(s).mapGroupsWithState(f, "NoTimeout", "value STRING"), "append", "mapGroupsWithState is not supported with Append output mode on a streaming DataFrame/Dataset"],
    ["mapGroupsWithState - mapGroupsWithState on streaming relation without aggregation in complete mode", (s) => byValue(s).mapGroupsWithState(f, "NoTimeout", "value STRING"), "complete", "Complete output mode not supported when there are no streaming aggregations"],
    ["mapGroupsWithState - mapGroupsWithState on streaming relation without aggregation in update mode", (s) => byValue(s).mapGroupsWithState(f, "NoTimeout", "value STRING"), "update", null],
    ["flatMapGroupsWithState - flatMapGroupsWithState(Update) on streaming relation without aggregation in append mode", (s) => byValue(s).flatMapGroupsWithState(f, "update", "NoTimeout", "value STRING"), "append", "flatMapGroupsWithState in update mode is not supported with Append output mode on a streaming DataFrame/Dataset"],
    ["flatMapGroupsWithState - flatMapGroupsWithState(Append) on streaming relation without aggregation in update mode", (s) => byValue(s).flatMapGroupsWithState(f, "append", "NoTimeout", "value STRING"), "update", "flatMapGroupsWithState in append mode is not supported with Update output mode on a streaming DataFrame/Dataset"],
    ["flatMapGroupsWithState - flatMapGroupsWithState(Update) on streaming relation with aggregation in complete mode", (s) => byValue(s).flatMapGroupsWithState(f, "update", "NoTimeout", "value STRING").groupBy("value").count(), "complete", "flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame/Dataset"],
    ["flatMapGroupsWithState - flatMapGroupsWithState(Append) on streaming relation with aggregation in complete mode", (s) => byValue(s).flatMapGroupsWithState(f, "append", "NoTimeout", "value STRING").groupBy("value").count(), "complete", null],
    ["flatMapGroupsWithState - flatMapGroupsWithState(Update) with event time timeout without watermark", (s) => byValue(s).flatMapGroupsWithState(f, "update", "EventTimeTimeout", "value STRING"), "update", "Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout in a [map|flatMap]GroupsWithState. Event-time timeout not supported without watermark."],
  ];
  for (const [name, build, mode, message] of cases) {
    checker(name, async () => {
      const s = strings();
      if (message === null) {
        const q = start(build(s), mode);
        await q.stop();
        return;
      }
      const e = await intercept(() => start(build(s), mode));
      check(e.message.includes(message), `expected "${message}", got: ${e.message}`);
    });
  }
});
