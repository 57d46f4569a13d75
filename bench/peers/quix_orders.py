"""The issue pipeline on Quix Streams (PyPI quixstreams 3.x), as its docs write a windowed aggregation: JSON values,
the event time from the value's `ts`, changelog topics off (the embedded broker does not compact), group_by region (Quix repartitions through a topic it creates), a 10-second
tumbling window with 30 s grace, sum of amount and count, final results. Consumes TOTAL messages of TOPIC from the
beginning, then stops; prints one JSON line: rows, seconds (from the first message to the last).

usage: python quix_orders.py BOOTSTRAP TOPIC TOTAL
"""
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta

from quixstreams import Application
from quixstreams.dataframe.windows import Count, Sum

bootstrap, topic_name, total = sys.argv[1], sys.argv[2], int(sys.argv[3])


def event_time(value, headers, timestamp, timestamp_type):
    return int(datetime.fromisoformat(value["ts"].replace("Z", "+00:00")).timestamp() * 1000)


app = Application(
    broker_address=bootstrap,
    consumer_group="bench-quix-%d" % time.time(),
    auto_offset_reset="earliest",
    state_dir=tempfile.mkdtemp(prefix="streamlab-bench-quix-"),
    loglevel="ERROR",
    # The embedded broker has no log compaction (it refuses cleanup.policy=compact), which Quix's changelog
    # topics need: the window state stays in the local RocksDB only, which spares Quix that produce work too.
    use_changelog_topics=False,
)
topic = app.topic(topic_name, value_deserializer="json", timestamp_extractor=event_time)
sdf = app.dataframe(topic)
seen = {"n": 0, "t0": None, "t1": None}


def counted(value):
    if seen["t0"] is None:
        seen["t0"] = time.perf_counter()
    seen["n"] += 1
    if seen["n"] >= total:
        seen["t1"] = time.perf_counter()
        app.stop()
    return value


sdf = sdf.group_by("region")
# Counted after the repartition, where the window runs: the clock stops when the last message reached it.
sdf = sdf.update(counted)
sdf = sdf.tumbling_window(timedelta(seconds=10), grace_ms=30_000).agg(revenue=Sum("amount"), orders=Count()).final()
app.run()
end = seen["t1"] or time.perf_counter()
print(json.dumps({"rows": seen["n"], "seconds": end - (seen["t0"] or end)}), flush=True)
