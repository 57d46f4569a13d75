"""Spark's micro-batch latency for bench/latency.bench.js: a Kafka query on Apache Spark (local[2], default trigger:
the next micro-batch as soon as the previous one ends, Spark's equivalent of processingTime 0) with foreachBatch,
reading the topic the benchmark's producer writes (each record stamped with its send time). Latency of a record =
the time foreachBatch is called for its batch minus the record's timestamp, as streamlab's row measures it; the
batch's latencies are counted into a histogram by Spark (1 ms buckets) and only the histogram reaches Python.

Protocol with the benchmark: prints READY once the query runs; counts records stamped at least WARMUP_MS after
that (printing COUNTED n after each batch); stops when stdin closes and prints one JSON line {"n", "p50", "p99", "max", "batches"}.

usage: python spark_latency.py BOOTSTRAP TOPIC WARMUP_MS   (STREAMLAB_SPARK_JARS: the connector jars)
"""
import json
import os
import sys
import threading
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

bootstrap, topic, warmup_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
builder = (
    SparkSession.builder.master("local[2]")
    .appName("streamlab-bench-latency")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.default.parallelism", "2")
    .config("spark.driver.memory", "1g")
    # The stream execution thread overflowed the default thread stack on the first foreachBatch here.
    .config("spark.driver.extraJavaOptions", "-Xss16m")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
)
jars = os.environ.get("STREAMLAB_SPARK_JARS", "")
if jars:
    builder = builder.config("spark.jars", jars)
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")

histogram = {}
state = {"from_ms": None, "batches": 0}


def on_batch(batch_df, batch_id):
    now_ms = int(time.time() * 1000)
    from_ms = state["from_ms"]
    if from_ms is None:
        return
    rows = (
        batch_df.select(F.unix_millis(F.col("timestamp")).alias("t"))
        .where(F.col("t") >= from_ms)
        .select((F.lit(now_ms) - F.col("t")).alias("l"))
        .groupBy("l")
        .count()
        .collect()
    )
    if rows:
        state["batches"] += 1
    if os.environ.get("SPARK_LATENCY_DEBUG"):
        print(f"batch {batch_id} at {now_ms}: {sum(r['count'] for r in rows)} counted", file=sys.stderr, flush=True)
    for r in rows:
        histogram[r["l"]] = histogram.get(r["l"], 0) + r["count"]
    print(f"COUNTED {sum(histogram.values())}", flush=True)


df = spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic).option("startingOffsets", "latest").load()
q = df.select("timestamp").writeStream.foreachBatch(on_batch).start()
time.sleep(5)  # the query has planned its first triggers
state["from_ms"] = int(time.time() * 1000) + warmup_ms
print("READY", flush=True)
sys.stdin.read()  # until the benchmark closes stdin
if q.exception() is not None:
    print(f"the query failed: {q.exception()}", file=sys.stderr, flush=True)
q.stop()
n = sum(histogram.values())


def pct(p):
    seen = 0
    for lat in sorted(histogram):
        seen += histogram[lat]
        if seen > p / 100 * n:
            return lat
    return None


print(json.dumps({"n": n, "p50": pct(50), "p99": pct(99), "max": max(histogram) if histogram else None, "batches": state["batches"]}), flush=True)
spark.stop()
