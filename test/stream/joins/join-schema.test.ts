/**
 * A stream-stream join restarted from its checkpoint with another key or value schema fails with Spark's state
 * schema messages (StateSchemaCompatibilityChecker over the join's left/right keyToValues stores), as a changed
 * aggregation does: never a JavaScript TypeError, never rows of another shape read back as this join's.
 */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, expr, lit, timestamp_seconds, type DataFrame, type StreamingQuery } from "../../../lib/stream";

const started: StreamingQuery[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((q) => q.stop().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "streamlab-join-schema-"));
  dirs.push(dir);
  const orders = spark.memoryStream("orderId INT, ref STRING, amount INT, t INT");
  const payments = spark.memoryStream("payOrderId INT, payRef STRING, paid INT, pt INT");
  const o = orders.toDF().withColumn("orderTime", timestamp_seconds(col("t"))).withWatermark("orderTime", "10 seconds");
  const p = payments.toDF().withColumn("payTime", timestamp_seconds(col("pt"))).withWatermark("payTime", "10 seconds");
  const range = "payTime >= orderTime AND payTime <= orderTime + interval 30 seconds";
  const run = (df: DataFrame) => {
    const q = df.writeStream.outputMode("append").option("checkpointLocation", dir).trigger({ processingTime: "10 ms" }).foreachBatch(() => undefined).start();
    started.push(q);
    return q;
  };
  return { dir, orders, payments, o, p, range, run };
}

async function firstRun(s: ReturnType<typeof setup>): Promise<void> {
  const q = s.run(s.o.join(s.p, expr(`orderId = payOrderId AND ${s.range}`)));
  s.orders.addData([{ orderId: 1, ref: "r1", amount: 10, t: 100 }]);
  s.payments.addData([{ payOrderId: 2, payRef: "r2", paid: 5, pt: 105 }]);
  await q.processAllAvailable();
  await q.stop();
}

const failure = (q: StreamingQuery) => q.awaitTermination().then(() => null, (e: Error) => e);

describe("stream-stream join state schema on restart", () => {
  it("another join key fails with Spark's key schema message, before any state is read or written", async () => {
    const s = setup();
    await firstRun(s);
    const left = join(s.dir, "state", "0", "0", "left-keyToValues");
    const before = readdirSync(left).sort();
    const err = await failure(s.run(s.o.join(s.p, expr(`ref = payRef AND ${s.range}`))));
    expect(err).not.toBeNull();
    expect(err!.message).not.toMatch(/TypeError/);
    expect(err!.message).toContain(
      "[STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema does not match existing state key schema. Please check number and type of fields. " +
        "Existing key_schema=struct<orderId:int> and new key_schema=struct<ref:string>.",
    );
    expect(err!.message).toContain("spark.sql.streaming.stateStore.stateSchemaCheck to false");
    expect(readdirSync(left).sort()).toEqual(before);
  });

  it("another column on one side fails with Spark's value schema message", async () => {
    const s = setup();
    await firstRun(s);
    const err = await failure(s.run(s.o.withColumn("note", lit("x")).join(s.p, expr(`orderId = payOrderId AND ${s.range}`))));
    expect(err?.message).toContain(
      "[STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE] Provided value schema does not match existing state value schema. Please check number and type of fields. " +
        "Existing value_schema=struct<orderId:int,ref:string,amount:int,t:int,orderTime:timestamp,matched:boolean> and " +
        "new value_schema=struct<orderId:int,ref:string,amount:int,t:int,orderTime:timestamp,note:string,matched:boolean>.",
    );
  });

  it("the same join restarts and keeps its state; a join where an aggregation was is Spark's operator mismatch", async () => {
    const s = setup();
    await firstRun(s);
    const out: unknown[] = [];
    const same = s.o.join(s.p, expr(`orderId = payOrderId AND ${s.range}`)).select("orderId", "paid");
    const q = same.writeStream.outputMode("append").option("checkpointLocation", s.dir).trigger({ processingTime: "10 ms" })
      .foreachBatch((b: { rows(): Record<string, unknown>[] }) => void out.push(...b.rows()), { raw: true }).start();
    started.push(q);
    s.payments.addData([{ payOrderId: 1, payRef: "r1", paid: 10, pt: 110 }]);
    await q.processAllAvailable();
    // Order 1 was in the left state from the first run.
    expect(out).toEqual([{ orderId: 1, paid: 10 }]);
    await q.stop();
    const counts = s.o.groupBy(col("orderId")).count().writeStream.outputMode("update").option("checkpointLocation", s.dir).trigger({ processingTime: "10 ms" }).foreachBatch(() => undefined).start();
    started.push(counts);
    const err = await failure(counts);
    expect(err?.message).toContain("[STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA]");
    expect(err?.message).toContain("Stateful operators in the metadata: [(0, symmetricHashJoin)]; Stateful operators in current batch: [(0, stateStoreSave)]");
  });
});
