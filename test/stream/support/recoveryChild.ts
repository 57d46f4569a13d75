/**
 * A streaming query in its own process, for the kill -9 recovery test: Kafka orders -> windowed revenue per
 * region, update mode, checkpointed; each batch is appended to a JSON-lines file (fsync'd) with its batch id.
 * Usage: node recoveryChild.js BOOTSTRAP TOPIC CHECKPOINT_DIR OUTPUT_FILE
 */
import { openSync, writeSync, fsyncSync, closeSync } from "node:fs";
import { spark, col, from_json, window, sum, count, type OutputBatch } from "../../../lib/stream";

const [bootstrap, topic, checkpoint, output] = process.argv.slice(2);
const orders = spark.readStream
  .format("kafka")
  .option("kafka.bootstrap.servers", bootstrap)
  .option("subscribe", topic)
  .option("startingOffsets", "earliest")
  .option("maxOffsetsPerTrigger", 100)
  .load()
  .selectExpr("CAST(value AS STRING) AS json")
  .select(from_json(col("json"), "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP").alias("o"))
  .select("o.*");
const revenue = orders
  .withWatermark("ts", "1 hour")
  .groupBy(window(col("ts"), "10 seconds"), col("region"))
  .agg(sum("amount").alias("revenue"), count("*").alias("orders"));
const q = revenue.writeStream
  .outputMode("update")
  .option("checkpointLocation", checkpoint)
  .trigger({ availableNow: true })
  .foreachBatch(async (b: OutputBatch) => {
    const rows = b.rows().map((r) => ({ start: (r.window as { start: Date }).start.getTime(), region: r.region, revenue: r.revenue, orders: r.orders }));
    const fd = openSync(output, "a");
    writeSync(fd, JSON.stringify({ batchId: b.batchId, rows }) + "\n");
    fsyncSync(fd);
    closeSync(fd);
    // Slow enough that the parent can kill the process in the middle of the stream.
    await new Promise((r) => setTimeout(r, 150));
  }, { raw: true })
  .start();
q.awaitTermination().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err) + "\n");
    process.exit(1);
  },
);
