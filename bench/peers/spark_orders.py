"""The issue pipeline on Apache Spark (local[2]), read from the same Kafka topic streamlab reads in
bench/kafka-path.bench.js: CAST(value AS STRING) -> from_json -> o.* -> withWatermark(ts, 30 s) ->
groupBy(window(ts, 10 s), region).agg(sum(amount), count(*)), update mode, availableNow, maxOffsetsPerTrigger as
streamlab's; the sink is Spark's `noop` (cheaper for Spark than a Python foreachBatch). Runs the query RUNS times in
one session (a fresh checkpoint each time) and prints one JSON line per run: rows, seconds (query start to end,
the JVM and session start-up excluded), batches.

usage: python spark_orders.py BOOTSTRAP TOPIC MAX_OFFSETS_PER_TRIGGER RUNS   (STREAMLAB_SPARK_JARS: the connector jars)
"""
import json
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

bootstrap, topic, per_trigger, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
builder = (
    SparkSession.builder.master("local[2]")
    .appName("streamlab-bench")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.default.parallelism", "2")
    .config("spark.driver.memory", "1g")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.adaptive.enabled", "false")
    .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
)
jars = os.environ.get("STREAMLAB_SPARK_JARS", "")
if jars:
    builder = builder.config("spark.jars", jars)
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
SCHEMA = "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP"

for run in range(runs):
    df = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", per_trigger)
        .load()
    )
    out = (
        df.selectExpr("CAST(value AS STRING) AS json")
        .select(F.from_json(F.col("json"), SCHEMA).alias("o"))
        .select("o.*")
        .withWatermark("ts", "30 seconds")
        .groupBy(F.window(F.col("ts"), "10 seconds"), F.col("region"))
        .agg(F.sum("amount").alias("revenue"), F.count("*").alias("orders"))
    )
    checkpoint = tempfile.mkdtemp(prefix="streamlab-bench-spark-")
    t0 = time.perf_counter()
    q = out.writeStream.outputMode("update").format("noop").option("checkpointLocation", checkpoint).trigger(availableNow=True).start()
    q.awaitTermination()
    seconds = time.perf_counter() - t0
    progress = q.recentProgress
    rows = sum(p["numInputRows"] for p in progress)
    print(json.dumps({"run": run, "rows": rows, "seconds": seconds, "batches": len([p for p in progress if p["numInputRows"] > 0])}), flush=True)
spark.stop()
