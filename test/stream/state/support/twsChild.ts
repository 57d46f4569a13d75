/**
 * A transformWithState query in its own process, for the kill -9 test: Kafka payments -> per card a ListState
 * of the burst's amounts, a ValueState of its count, an event-time timer 5 minutes after the card's last
 * payment; append mode, checkpointed; each batch is appended to a JSON-lines file (fsync'd) with its batch id.
 * Usage: node twsChild.js BOOTSTRAP TOPIC CHECKPOINT_DIR OUTPUT_FILE SLOW_MS
 */
import { openSync, writeSync, fsyncSync, closeSync } from "node:fs";
import { spark, col, from_json, StatefulProcessor, type OutputBatch, type ValueState, type ListState, type StatefulProcessorHandle, type TimerValues, type ExpiredTimerInfo } from "../../../../lib/stream";

const [bootstrap, topic, checkpoint, output, slow] = process.argv.slice(2);

class Bursts extends StatefulProcessor<string> {
  private amounts!: ListState<number>;
  private count!: ValueState<number>;
  private timer!: ValueState<number>;
  init(h: StatefulProcessorHandle): void {
    this.amounts = h.getListState<number>("amounts");
    this.count = h.getValueState<number>("count");
    this.timer = h.getValueState<number>("timer");
  }
  handleInputRows(card: string, rows: Record<string, unknown>[]): unknown[][] {
    this.amounts.appendList(rows.map((r) => r.amount as number));
    const n = (this.count.get() ?? 0) + rows.length;
    this.count.update(n);
    const last = Math.max(...rows.map((r) => (r.ts as Date).getTime()));
    const old = this.timer.get();
    if (old === undefined || old < last + 300_000) {
      if (old !== undefined) this.getHandle().deleteTimer(old);
      this.getHandle().registerTimer(last + 300_000);
      this.timer.update(last + 300_000);
    }
    return n > 3 && n - rows.length <= 3 ? [[card, "flagged", n, 0]] : [];
  }
  handleExpiredTimer(card: string, _tv: TimerValues, info: ExpiredTimerInfo): unknown[][] {
    const total = this.amounts.get().reduce((a, b) => a + b, 0);
    const n = this.count.get() ?? 0;
    this.amounts.clear();
    this.count.clear();
    this.timer.clear();
    return [[card, `closed@${info.getExpiryTimeInMs()}`, n, Math.round(total * 100) / 100]];
  }
}

const payments = spark.readStream
  .format("kafka")
  .option("kafka.bootstrap.servers", bootstrap)
  .option("subscribe", topic)
  .option("startingOffsets", "earliest")
  .option("maxOffsetsPerTrigger", 100)
  .load()
  .selectExpr("CAST(value AS STRING) AS json")
  .select(from_json(col("json"), "card STRING, amount DOUBLE, ts TIMESTAMP").alias("p"))
  .select("p.*")
  .withWatermark("ts", "30 seconds");
const q = payments
  .groupByKey((r) => r.card)
  .transformWithState(new Bursts(), "EventTime", "append", "card STRING, event STRING, payments INT, total DOUBLE")
  .writeStream.outputMode("append")
  .option("checkpointLocation", checkpoint)
  .trigger({ availableNow: true })
  .foreachBatch(async (b: OutputBatch) => {
    const fd = openSync(output, "a");
    writeSync(fd, JSON.stringify({ batchId: b.batchId, rows: b.rows() }) + "\n");
    fsyncSync(fd);
    closeSync(fd);
    await new Promise((r) => setTimeout(r, Number(slow)));
  }, { raw: true })
  .start();
q.awaitTermination().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err) + "\n");
    process.exit(1);
  },
);
