/**
 * Arbitrary stateful processing beyond the ported Spark cases (test/spark/ported-stateful.test.ts): list and
 * map state with TTL, initial state, the checkpoint's stores, analysis errors, the export refusals, and
 * exactly-once across kill -9 (a transformWithState query with event-time timers in a child process, against
 * the embedded broker over TCP, killed mid-stream and restarted: its batches equal an uninterrupted run's).
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  spark, StatefulProcessor, ManualClock, setStreamClock, AnalysisError,
  type ListState, type MapState, type ValueState, type StatefulProcessorHandle, type StreamingQuery, type DataFrame, type MemoryStream,
} from "../../../lib/stream";
import { memoryTable } from "../../../lib/stream/sinks/memory";
import { runPySpark } from "../../../lib/pyspark";
import { startBroker, type RunningBroker } from "../../../lib/broker";
import { connect } from "../../../lib/client";
import "../../../lib/stream/export/pyspark";
import { bundleChild } from "../../support/child-script";

const ROOT = join(__dirname, "..", "..", "..");
const dirs: string[] = [];
const queries: StreamingQuery[] = [];
afterEach(async () => {
  setStreamClock(null);
  await Promise.all(queries.splice(0).map((q) => q.stop()));
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let tableN = 0;
function start(df: DataFrame, mode = "append", opts: { clock?: ManualClock; checkpoint?: string } = {}): { q: StreamingQuery; table: string; checkpoint: string } {
  const checkpoint = opts.checkpoint ?? mkdtempSync(join(tmpdir(), "streamlab-tws-"));
  if (!opts.checkpoint) dirs.push(checkpoint);
  const table = `tws_${++tableN}`;
  if (opts.clock) setStreamClock(opts.clock);
  const q = df.writeStream.format("memory").queryName(table).outputMode(mode).option("checkpointLocation", checkpoint).start();
  setStreamClock(null);
  queries.push(q);
  return { q, table, checkpoint };
}

function rows(table: string): unknown[][] {
  const t = memoryTable(table);
  if (!t) return [];
  return [...t.batches.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, cols]) => Array.from({ length: cols[0]?.length ?? 0 }, (_, r) => cols.map((c) => c[r])));
}

async function feed(q: StreamingQuery, s: MemoryStream, data: unknown[][], clock?: ManualClock, advanceMs = 0): Promise<void> {
  clock?.advance(advanceMs);
  if (data.length) s.addData(data);
  await q.processAllAvailable();
}

/** Sessions of clicks per user: a list of pages, a map of page -> visits, a ValueState of the session start. */
class Sessions extends StatefulProcessor<string> {
  pages!: ListState<string>;
  visits!: MapState<string, number>;
  started!: ValueState<Date>;
  init(h: StatefulProcessorHandle): void {
    this.pages = h.getListState<string>("pages");
    this.visits = h.getMapState<string, number>("visits", { ttlDuration: "10 seconds" });
    this.started = h.getValueState<Date>("started");
  }
  handleInputRows(user: string, rs: Record<string, unknown>[]): unknown[][] {
    if (!this.started.exists()) this.started.update(new Date(0));
    for (const r of rs) {
      const page = r.page as string;
      this.pages.appendValue(page);
      this.visits.updateValue(page, (this.visits.getValue(page) ?? 0) + 1);
    }
    const top = [...this.visits.iterator()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    return [[user, this.pages.get().join(">"), top[0], top[1], this.visits.keys().length, this.started.get()!.getTime()]];
  }
}

describe("transformWithState: list and map state, TTL, checkpoint", () => {
  it("keeps list and map state per key across restarts; map entries expire by their TTL", async () => {
    const clock = new ManualClock(1_000);
    const input = spark.memoryStream("user STRING, page STRING");
    const df = input.toDF().groupByKey((r) => r.user).transformWithState(new Sessions(), "ProcessingTime", "append", "user STRING, path STRING, top STRING, n INT, distinct INT, started BIGINT");
    let run = start(df, "append", { clock });
    await feed(run.q, input, [["u1", "home"], ["u1", "cart"], ["u2", "home"], ["u1", "cart"]], clock);
    expect(rows(run.table)).toEqual([["u1", "home>cart>cart", "cart", 2, 2, 0], ["u2", "home", "home", 1, 1, 0]]);
    // Four stores (three variables and the timers) under the operator's state directory.
    const stores = readdirSync(join(run.checkpoint, "state", "0", "0")).sort();
    expect(stores).toEqual(["$procTimers", "pages", "started", "visits"]);
    await run.q.stop();
    run = start(df, "append", { clock, checkpoint: run.checkpoint });
    // 5 s later: still within the TTL. Then 11 s after the last update: u1's visits expired, the list stays.
    await feed(run.q, input, [["u1", "pay"]], clock, 5_000);
    expect(rows(run.table)).toEqual([["u1", "home>cart>cart>pay", "cart", 2, 3, 0]]);
    await feed(run.q, input, [], clock, 11_000);
    const evicted = run.q.lastProgress!.stateOperators[0];
    expect(evicted.customMetrics?.numValuesRemovedDueToTTLExpiry).toBe(4);
    await feed(run.q, input, [["u1", "home"]], clock, 1_000);
    expect(rows(run.table).pop()).toEqual(["u1", "home>cart>cart>pay>home", "home", 1, 1, 0]);
  });

  it("initial state: handleInitialState runs for each row of a static DataFrame, in the first batch only", async () => {
    class Totals extends StatefulProcessor<string> {
      total!: ValueState<number>;
      init(h: StatefulProcessorHandle): void {
        this.total = h.getValueState<number>("total");
      }
      handleInitialState(key: string, row: Record<string, unknown>): void {
        this.total.update(row.total as number);
      }
      handleInputRows(key: string, rs: Record<string, unknown>[]): unknown[][] {
        const t = (this.total.get() ?? 0) + rs.reduce((s, r) => s + (r.amount as number), 0);
        this.total.update(t);
        return [[key, t]];
      }
    }
    const initial = spark.createDataFrame([{ card: "c1", total: 100 }, { card: "c2", total: 5 }], "card STRING, total DOUBLE").groupByKey((r) => r.card);
    const input = spark.memoryStream("card STRING, amount DOUBLE");
    const df = input.toDF().groupByKey((r) => r.card).transformWithState(new Totals(), "None", "update", { outputSchema: "card STRING, total DOUBLE", initialState: initial });
    let run = start(df, "update");
    await feed(run.q, input, [["c1", 1], ["c3", 2]]);
    expect(rows(run.table).sort()).toEqual([["c1", 101], ["c3", 2]]);
    await run.q.stop();
    run = start(df, "update", { checkpoint: run.checkpoint });
    await feed(run.q, input, [["c2", 1], ["c1", 1]]);
    // Restarted after batch 0: the initial state is not applied again (c1 continues from 101).
    expect(rows(run.table).sort()).toEqual([["c1", 102], ["c2", 6]]);
  });

  it("refuses bad arguments with one line that says what to do", () => {
    const df = spark.memoryStream("a STRING").toDF();
    const p = new (class extends StatefulProcessor {
      handleInputRows(): unknown[][] {
        return [];
      }
    })();
    expect(() => df.groupByKey("a" as never)).toThrow(/groupByKey\(\) takes a function of the row/);
    expect(() => df.groupByKey((r) => r.a).transformWithState(p, "None", "update")).toThrow(/needs the output schema/);
    expect(() => df.groupByKey((r) => r.a).transformWithState(p, "Sometimes", "update", "a STRING")).toThrow(/unknown time mode "Sometimes"; use "None", "ProcessingTime" or "EventTime"/);
    expect(() => df.groupByKey((r) => r.a).transformWithState({} as never, "None", "update", "a STRING")).toThrow(AnalysisError);
    const tws = df.groupByKey((r) => r.a).transformWithState(p, "None", "update", "a STRING");
    expect(() => tws.writeStream.format("memory").queryName("tws_complete").outputMode("complete").start()).toThrow(/Complete output mode not supported/);
    expect(() => df.groupByKey((r) => r.a).transformWithState(p, "EventTime", "update", "a STRING").writeStream.format("memory").queryName("tws_et").outputMode("update").start()).toThrow(/Watermark must be specified/);
  });

  it("a timer in TimeMode None and a null value are Spark's errors; the query fails with them", async () => {
    class Bad extends StatefulProcessor<string> {
      v!: ValueState<number>;
      init(h: StatefulProcessorHandle): void {
        this.v = h.getValueState<number>("v");
      }
      handleInputRows(key: string): unknown[][] {
        if (key === "timer") this.getHandle().registerTimer(1);
        else this.v.update(null as unknown as number);
        return [];
      }
    }
    for (const [key, message] of [["timer", /STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_TIME_MODE.*operation=registerTimer with invalid timeMode=NoTime/], ["null", /ILLEGAL_STATE_STORE_VALUE.NULL_VALUE/]] as const) {
      const input = spark.memoryStream("k STRING");
      const { q } = start(input.toDF().groupByKey((r) => r.k).transformWithState(new Bad(), "None", "update", "k STRING"), "update");
      input.addData([[key]]);
      await expect(q.processAllAvailable()).rejects.toThrow(message);
    }
  });

  it("two queries started from one processor object keep separate state; a key function that throws fails the query", async () => {
    class Counter extends StatefulProcessor<string> {
      n!: ValueState<number>;
      init(h: StatefulProcessorHandle): void {
        this.n = h.getValueState<number>("n");
      }
      handleInputRows(key: string, rs: Record<string, unknown>[]): unknown[][] {
        const n = (this.n.get() ?? 0) + rs.length;
        this.n.update(n);
        return [[key, n]];
      }
    }
    const shared = new Counter();
    const a = spark.memoryStream("k STRING");
    const b = spark.memoryStream("k STRING");
    const qa = start(a.toDF().groupByKey((r) => r.k).transformWithState(shared, "None", "update", "k STRING, n INT"), "update");
    const qb = start(b.toDF().groupByKey((r) => r.k).transformWithState(shared, "None", "update", "k STRING, n INT"), "update");
    a.addData([["x"], ["x"]]);
    b.addData([["x"]]);
    await qa.q.processAllAvailable();
    await qb.q.processAllAvailable();
    a.addData([["x"]]);
    await qa.q.processAllAvailable();
    expect(rows(qa.table)).toEqual([["x", 2], ["x", 3]]);
    expect(rows(qb.table)).toEqual([["x", 1]]);
    const c = spark.memoryStream("k STRING");
    const qc = start(c.toDF().groupByKey(() => {
      throw new Error("no key");
    }).transformWithState(new Counter(), "None", "update", "k STRING, n INT"), "update");
    c.addData([["y"]]);
    await expect(qc.q.processAllAvailable()).rejects.toThrow(/groupByKey's key function failed on \{"k":"y"\}: no key/);
  });

  it("explain() names the operator", () => {
    const p = { handleInputRows: () => [] };
    const df = spark.memoryStream("a STRING").toDF().groupByKey((r) => r.a).transformWithState(p, "ProcessingTime", "append", "a STRING");
    expect(df.explainString()).toMatch(/^GroupState transformWithState, ProcessingTime, append/);
  });
});

describe("export: TypeScript processors have no PySpark form", () => {
  it("toPySpark() refuses a transformWithState or flatMapGroupsWithState query with one line naming it", () => {
    const src = spark.readStream.format("kafka").option("kafka.bootstrap.servers", "localhost:9092").option("subscribe", "payments").load().selectExpr("CAST(key AS STRING) AS card");
    const tws = src.groupByKey((r) => r.card).transformWithState({ handleInputRows: () => [] }, "None", "append", "card STRING");
    const toPy = (df: DataFrame) => () => (df as unknown as { toPySpark: () => string }).toPySpark();
    expect(toPy(tws)).toThrow(/^toPySpark: transformWithState runs its StatefulProcessor in TypeScript, which has no PySpark equivalent; port it to transformWithStateInPandas/);
    const fm = src.groupByKey((r) => r.card).flatMapGroupsWithState(() => [], "append", "NoTimeout", "card STRING");
    expect(toPy(fm)).toThrow(/^toPySpark: flatMapGroupsWithState runs its function in TypeScript/);
    expect(toPy(fm)).not.toThrow(/\n/);
  });

  it("%%pyspark refuses per-key Python state with one line", async () => {
    const df = spark.memoryStream("card STRING").toDF();
    for (const call of ["df.groupBy('card').applyInPandasWithState(f)", "df.groupBy('card').transformWithStateInPandas(p)", "df.groupByKey(k)"]) {
      const err = await runPySpark(`out = ${call}`, { scope: { df } }).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/runs Python per key, which is outside the %%pyspark subset; write the processor in TypeScript/);
      expect(err?.message).not.toMatch(/\n/);
    }
  });
});

// ---- exactly-once across kill -9 --------------------------------------------------------------------------

describe("transformWithState recovers from kill -9 with the same output", () => {
  let dir: string;
  let script: string;
  let broker: RunningBroker;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "streamlab-tws-kill-"));
    dirs.push(dir);
    script = await bundleChild(join(__dirname, "support", "twsChild.ts"), dir);
    broker = await startBroker({ port: 0 });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  function run(args: string[]): { child: ChildProcess; done: Promise<number | null> } {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, NODE_PATH: join(ROOT, "node_modules") }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d) => (err += String(d)));
    const done = new Promise<number | null>((resolve) => child.on("exit", (code) => {
      if (code) process.stderr.write(`tws child exited ${code}: ${err}\n`);
      resolve(code);
    }));
    return { child, done };
  }

  /** Batch id -> its rows, the last write of a batch winning (a replayed batch writes its rows again). */
  function batches(file: string): Map<number, unknown[]> {
    const out = new Map<number, unknown[]>();
    if (!existsSync(file)) return out;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const b = JSON.parse(line) as { batchId: number; rows: unknown[] };
        out.set(b.batchId, b.rows);
      } catch {
        // torn by the kill: that batch was not committed and is written again
      }
    }
    return out;
  }

  it("killed mid-stream and restarted: every batch's output equals the uninterrupted run's", async () => {
    const topic = "tws_payments";
    const client = connect(broker.bootstrap);
    await client.createTopic(topic, 1);
    const base = Date.UTC(2024, 0, 1);
    // Bursts of 20 payments per card, one a second; a card comes back after 1000 s, past its 5-minute timer.
    const records = Array.from({ length: 2000 }, (_, i) => ({ key: null, value: JSON.stringify({ card: `c${Math.floor(i / 20) % 50}`, amount: (i % 13) + 0.5, ts: new Date(base + i * 1000).toISOString() }) }));
    await client.produce(topic, records);
    await client.close();

    const reference = join(dir, "reference.jsonl");
    expect(await run([broker.bootstrap, topic, join(dir, "cp-reference"), reference, "0"]).done).toBe(0);
    const want = batches(reference);
    const closed = [...want.values()].flat().filter((r) => String((r as { event: string }).event).startsWith("closed@"));
    expect(closed.length).toBeGreaterThan(40);
    expect([...want.values()].flat().filter((r) => (r as { event: string }).event === "flagged").length).toBeGreaterThan(40);

    const output = join(dir, "killed.jsonl");
    const checkpoint = join(dir, "cp-killed");
    const first = run([broker.bootstrap, topic, checkpoint, output, "150"]);
    const deadline = Date.now() + 90_000;
    while (batches(output).size < 5) {
      if (Date.now() > deadline) throw new Error("the child query made no progress");
      if (first.child.exitCode !== null) throw new Error("the child query ended before it could be killed");
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill("SIGKILL");
    await first.done;
    const before = batches(output).size;
    expect(before).toBeLessThan(want.size);
    expect(await run([broker.bootstrap, topic, checkpoint, output, "0"]).done).toBe(0);
    const got = batches(output);
    expect(got.size).toBe(want.size);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  }, 180_000);
});
