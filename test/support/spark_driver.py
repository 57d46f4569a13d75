"""
One long-lived PySpark driver for a test file (test/support/spark.ts starts it). It reads JSON requests, one per
line, on stdin and answers one JSON line per request on stdout (everything else Spark prints goes to stderr).

Requests:
  {"id": 1, "op": "query", "bootstrap": "127.0.0.1:9092", "topic": "t", "code": "out = df.select(...)",
   "outputMode": "append", "maxOffsetsPerTrigger": 3, "startingOffsets": "earliest"}
      df is spark.readStream.format("kafka")...load() on the topic; the code binds `out`, the streaming DataFrame
      to run. It runs with Trigger.availableNow (maxOffsetsPerTrigger records per micro-batch) into foreachBatch;
      the answer has every micro-batch's rows (batchId, rows), out's schema (fields with simpleString types and
      printSchema's tree).
  {"id": 2, "op": "script", "path": "/tmp/job.py", "env": {...}, "table": "name"}
      runs a Python file (an exported job) in this process (its SparkSession.builder.getOrCreate() returns this
      session), then answers the rows of the memory table `table` if given.
  {"id": 3, "op": "ping"}

Answers: {"id": 1, "ok": true, ...} or {"id": 1, "ok": false, "error": "first line of the error"}.
Values: timestamps as ISO-8601 UTC strings ending in Z, dates as YYYY-MM-DD, decimals as strings, bytes as
{"$binary": base64}, integers beyond 2^53 as {"$long": "digits"}, NaN/Infinity as strings, structs as objects.
"""
import base64
import datetime
import decimal
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import traceback

os.environ.setdefault("TZ", "UTC")
try:
    import time as _time

    _time.tzset()
except Exception:
    pass

_real_stdout = sys.stdout
sys.stdout = sys.stderr  # console sinks and prints from scripts must not corrupt the protocol

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402
from pyspark.sql.types import Row  # noqa: E402

jars = os.environ.get("STREAMLAB_SPARK_JARS", "")
builder = (
    SparkSession.builder.master("local[2]")
    .appName("streamlab-reference")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.default.parallelism", "2")
    .config("spark.driver.memory", "768m")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC -XX:+UseSerialGC")
    .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
    .config("spark.sql.adaptive.enabled", "false")
)
if jars:
    builder = builder.config("spark.jars", jars)
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")

SAFE = 2**53


def value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else {"$long": str(v)}
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (v.microsecond // 1000)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return {"$intervalMs": v // datetime.timedelta(milliseconds=1)}
    if isinstance(v, (bytes, bytearray)):
        return {"$binary": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, Row):
        return {k: value(x) for k, x in zip(v.__fields__, v)}
    if isinstance(v, dict):
        return {str(k): value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    return str(v)


def schema_of(df):
    return {
        "fields": [{"name": f.name, "type": f.dataType.simpleString(), "typeName": f.dataType.typeName()} for f in df.schema.fields],
        "tree": df._jdf.schema().treeString().rstrip("\n"),
    }


def rows_of(df):
    names = df.columns
    return [{n: value(r[i]) for i, n in enumerate(names)} for r in df.collect()]


def run_query(req):
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", req["bootstrap"])
        .option("subscribe", req["topic"])
        .option("startingOffsets", req.get("startingOffsets", "earliest"))
    )
    if req.get("maxOffsetsPerTrigger"):
        reader = reader.option("maxOffsetsPerTrigger", str(req["maxOffsetsPerTrigger"]))
    for k, v in (req.get("options") or {}).items():
        reader = reader.option(k, v)
    df = reader.load()
    scope = {"df": df, "F": F, "T": T, "spark": spark, "col": F.col, "expr": F.expr, "lit": F.lit}
    exec(req["code"], scope)
    out = scope["out"]
    batches = []

    def collect(batch_df, batch_id):
        batches.append({"batchId": batch_id, "rows": rows_of(batch_df)})

    checkpoint = tempfile.mkdtemp(prefix="streamlab-spark-ckpt-")
    try:
        q = (
            out.writeStream.outputMode(req.get("outputMode", "append"))
            .option("checkpointLocation", checkpoint)
            .foreachBatch(collect)
            .trigger(availableNow=True)
            .start()
        )
        q.awaitTermination()
    finally:
        shutil.rmtree(checkpoint, ignore_errors=True)
    return {"batches": batches, "schema": schema_of(out)}


def run_script(req):
    saved = dict(os.environ)
    os.environ.update(req.get("env") or {})
    try:
        with open(req["path"]) as f:
            src = f.read()
        scope = {"__name__": "__main__", "__file__": req["path"]}
        exec(compile(src, req["path"], "exec"), scope)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    answer = {}
    if req.get("table"):
        t = spark.table(req["table"])
        answer["rows"] = rows_of(t)
        answer["schema"] = schema_of(t)
    return answer


def first_line(err):
    text = str(err).strip() or type(err).__name__
    for line in text.splitlines():
        if line.strip():
            return type(err).__name__ + ": " + line.strip()
    return type(err).__name__


_write_lock = threading.Lock()


def answer(line_obj):
    with _write_lock:
        _real_stdout.write(json.dumps(line_obj) + "\n")
        _real_stdout.flush()


def serve(req):
    try:
        op = req.get("op")
        if op == "query":
            result = run_query(req)
        elif op == "script":
            result = run_script(req)
        elif op == "ping":
            result = {"version": spark.version}
        else:
            raise ValueError("unknown op %r" % op)
        result.update({"id": req["id"], "ok": True})
    except BaseException as err:  # noqa: B902 - every failure is an answer, the driver keeps serving
        traceback.print_exc(file=sys.stderr)
        result = {"id": req.get("id"), "ok": False, "error": first_line(err)}
    answer(result)


def main():
    answer({"id": 0, "ok": True, "ready": True, "version": spark.version})
    threads = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        # Queries run side by side (each its own thread, as Spark runs concurrent streaming queries); scripts
        # change the environment, so they run alone.
        if req.get("op") == "query" or (req.get("op") == "script" and not req.get("env")):
            t = threading.Thread(target=serve, args=(req,), daemon=True)
            t.start()
            threads.append(t)
        else:
            for t in threads:
                t.join()
            threads = []
            serve(req)
    for t in threads:
        t.join()
    spark.stop()


if __name__ == "__main__":
    main()
