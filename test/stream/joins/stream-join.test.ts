/** Stream-stream joins: state per side in the checkpoint, exactly once across a failed batch, outer rows, conditions. */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, expr, timestamp_seconds, type DataFrame, type MemoryStream, type StreamingQuery } from "../../../lib/stream";
import { collect } from "../support/collect";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const key = (r: Record<string, unknown>) => JSON.stringify(r);
const sorted = (rows: Record<string, unknown>[]) => rows.map(key).sort();

/** Orders and payments, each with an event time in seconds and a 10 s watermark; payments within 0..30 s. */
function ordersPayments(how: string): { orders: MemoryStream; payments: MemoryStream; joined: DataFrame } {
  const orders = spark.memoryStream("orderId INT, amount INT, t INT");
  const payments = spark.memoryStream("payOrderId INT, paid INT, pt INT");
  const o = orders.toDF().withColumn("orderTime", timestamp_seconds(col("t"))).withWatermark("orderTime", "10 seconds");
  const p = payments.toDF().withColumn("payTime", timestamp_seconds(col("pt"))).withWatermark("payTime", "10 seconds");
  const joined = o.join(p, expr("orderId = payOrderId AND payTime >= orderTime AND payTime <= orderTime + interval 30 seconds"), how)
    .select("orderId", "amount", "payOrderId", "paid");
  return { orders, payments, joined };
}

describe("stream-stream join", () => {
  it("keeps each side's state in the checkpoint (two stores, with schema) and continues after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamlab-sjoin-"));
    dirs.push(dir);
    const { orders, payments, joined } = ordersPayments("inner");
    const out: Record<string, unknown>[] = [];
    const start = () => {
      const q = joined.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ processingTime: "10 ms" })
        .foreachBatch((b: { rows(): Record<string, unknown>[] }) => { out.push(...b.rows()); }, { raw: true }).start();
      started.push(q);
      return q;
    };
    let q = start();
    orders.addData([{ orderId: 1, amount: 10, t: 100 }, { orderId: 2, amount: 20, t: 100 }]);
    await q.processAllAvailable();
    payments.addData([{ payOrderId: 1, paid: 10, pt: 110 }]);
    await q.processAllAvailable();
    expect(out).toEqual([{ orderId: 1, amount: 10, payOrderId: 1, paid: 10 }]);
    await q.stop();
    const ops = readdirSync(join(dir, "state"));
    expect(ops).toHaveLength(1);
    const schema = readFileSync(join(dir, "state", ops[0], "_metadata", "schema"), "utf8");
    expect(schema).toContain("left-keyToValues");
    expect(schema).toContain("right-keyToValues");
    // After the restart, order 2 (in the state) meets its payment; a second payment of order 1 joins too.
    payments.addData([{ payOrderId: 2, paid: 20, pt: 120 }, { payOrderId: 1, paid: 5, pt: 125 }]);
    q = start();
    await q.processAllAvailable();
    expect(sorted(out.slice(1))).toEqual(sorted([{ orderId: 2, amount: 20, payOrderId: 2, paid: 20 }, { orderId: 1, amount: 10, payOrderId: 1, paid: 5 }]));
  });

  it("a batch that failed in the sink is run again with the same state: every pair exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamlab-sjoin-"));
    dirs.push(dir);
    const { orders, payments, joined } = ordersPayments("inner");
    const seen = new Map<number, Record<string, unknown>[]>();
    let failOnce = true;
    const start = () => {
      const q = joined.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ processingTime: "10 ms" })
        .foreachBatch((b: { batchId: number; rows(): Record<string, unknown>[] }) => {
          const rows = b.rows();
          if (rows.length && failOnce) {
            failOnce = false;
            throw new Error("sink down");
          }
          seen.set(b.batchId, rows);
        }, { raw: true }).start();
      started.push(q);
      return q;
    };
    let q = start();
    orders.addData([{ orderId: 1, amount: 10, t: 100 }]);
    await q.processAllAvailable();
    payments.addData([{ payOrderId: 1, paid: 10, pt: 101 }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/sink down/);
    q = start();
    await q.processAllAvailable();
    orders.addData([{ orderId: 1, amount: 11, t: 98 }]);
    await q.processAllAvailable();
    const all = [...seen.values()].flat();
    expect(sorted(all)).toEqual(sorted([{ orderId: 1, amount: 10, payOrderId: 1, paid: 10 }, { orderId: 1, amount: 11, payOrderId: 1, paid: 10 }]));
  });

  it("full outer: both sides' unmatched rows come out with nulls once the watermark passes them", async () => {
    const { orders, payments, joined } = ordersPayments("full_outer");
    const c = collect(joined, "append");
    started.push(c.query);
    orders.addData([{ orderId: 1, amount: 10, t: 100 }, { orderId: 2, amount: 20, t: 100 }]);
    payments.addData([{ payOrderId: 1, paid: 10, pt: 105 }, { payOrderId: 3, paid: 30, pt: 100 }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ orderId: 1, amount: 10, payOrderId: 1, paid: 10 }]);
    // watermark 190: order 2 (no payment within 30 s can still come) and payment 3 (no order can) are final
    orders.addData([{ orderId: 9, amount: 0, t: 200 }]);
    payments.addData([{ payOrderId: 8, paid: 0, pt: 200 }]);
    await c.query.processAllAvailable();
    expect(sorted(c.take())).toEqual(sorted([{ orderId: 2, amount: 20, payOrderId: null, paid: null }, { orderId: null, amount: null, payOrderId: 3, paid: 30 }]));
    expect(c.query.lastProgress?.stateOperators[0].numRowsTotal).toBe(2);
  });

  it("the rest of the condition filters pairs; null keys never match; left semi emits a left row once", async () => {
    const a = spark.memoryStream("k INT, x INT");
    const b = spark.memoryStream("k2 INT, y INT");
    const inner = collect(a.toDF().join(b.toDF(), expr("k = k2 AND x < y")), "append");
    started.push(inner.query);
    a.addData([{ k: 1, x: 5 }, { k: null, x: 0 }]);
    b.addData([{ k2: 1, y: 4 }, { k2: 1, y: 6 }, { k2: null, y: 9 }]);
    await inner.query.processAllAvailable();
    expect(inner.take()).toEqual([{ k: 1, x: 5, k2: 1, y: 6 }]);
    expect(() => a.toDF().join(b.toDF(), expr("k = k2"), "left_semi")).toThrow(/Stream-stream LeftSemi join/);
  });

  it("left semi with a range condition: each order with a payment, once", async () => {
    const { orders, payments } = ordersPayments("inner");
    const o = orders.toDF().withColumn("orderTime", timestamp_seconds(col("t"))).withWatermark("orderTime", "10 seconds");
    const p = payments.toDF().withColumn("payTime", timestamp_seconds(col("pt"))).withWatermark("payTime", "10 seconds");
    const semi = o.join(p, expr("orderId = payOrderId AND payTime >= orderTime AND payTime <= orderTime + interval 30 seconds"), "left_semi").select("orderId", "amount");
    expect(semi.columns).toEqual(["orderId", "amount"]);
    const c = collect(semi, "append");
    started.push(c.query);
    orders.addData([{ orderId: 1, amount: 10, t: 100 }, { orderId: 2, amount: 20, t: 100 }]);
    payments.addData([{ payOrderId: 1, paid: 10, pt: 105 }, { payOrderId: 1, paid: 10, pt: 106 }, { payOrderId: 2, paid: 1, pt: 99 }]);
    await c.query.processAllAvailable();
    payments.addData([{ payOrderId: 1, paid: 1, pt: 107 }]);
    await c.query.processAllAvailable();
    expect(c.take()).toEqual([{ orderId: 1, amount: 10 }]);
  });

  it("exports to PySpark with its condition (toPySpark)", () => {
    const read = () => spark.readStream.format("kafka").option("kafka.bootstrap.servers", "localhost:9092").option("subscribe", "orders").load();
    const o = read().selectExpr("CAST(key AS INT) AS orderId", "timestamp AS orderTime").withWatermark("orderTime", "10 seconds");
    const p = read().selectExpr("CAST(key AS INT) AS payOrderId", "timestamp AS payTime").withWatermark("payTime", "10 seconds");
    const joined = o.join(p, expr("orderId = payOrderId AND payTime >= orderTime AND payTime <= orderTime + interval 30 seconds"), "left_outer");
    const job = joined.toPySpark({ format: "console", outputMode: "append" });
    expect(job).toMatch(/\.join\(.*orderId.*payOrderId.*"left_outer"\)/s);
    expect(job).toContain("F.expr(\"(((orderId = payOrderId) AND (payTime >= orderTime)) AND (payTime <= (orderTime + INTERVAL '30' SECOND)))\"), \"left_outer\")");
  });
});

describe("stream-stream join: NULL join keys and the watermark (Spark 4.1.1, measured side by side)", () => {
  it("a row with a NULL key on the side that is never output unmatched does not move that side's watermark", async () => {
    // Spark infers isnotnull(rk) for the right side of a left outer join and pushes it below the right withWatermark:
    // the NULL-key right row at 12 s is not seen by the right watermark (9 - 5 = 4 s, not 12 - 5 = 7 s), and the
    // global watermark is the minimum of the left's (20 - 5 = 15 s) and the right's: 4 s.
    const left = spark.memoryStream("lk STRING, lt INT");
    const right = spark.memoryStream("rk STRING, rt INT");
    const l = left.toDF().select(col("lk"), timestamp_seconds(col("lt")).alias("lts")).withWatermark("lts", "5 seconds");
    const r = right.toDF().select(col("rk"), timestamp_seconds(col("rt")).alias("rts")).withWatermark("rts", "5 seconds");
    const joined = l.join(r, expr("lk = rk AND rts > lts AND rts <= lts + interval 5 seconds"), "left_outer").select("lk", "lts", "rts");
    const q = joined.writeStream.outputMode("append").trigger({ processingTime: "10 ms" }).format("memory").queryName("nullkey_wm").start();
    started.push(q);
    left.addData([{ lk: "a", lt: 1 }, { lk: "b", lt: 20 }]);
    right.addData([{ rk: "b", rt: 9 }, { rk: null, rt: 12 }]);
    await q.processAllAvailable();
    left.addData([{ lk: "c", lt: 30 }]);
    await q.processAllAvailable();
    expect(q.lastProgress?.eventTime.watermark).toBe(new Date(4000).toISOString());
  });
});
