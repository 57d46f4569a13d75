"""The issue pipeline as a confluent-kafka 2.x + pandas user writes it, foreach-batch style: consume up to BATCH
messages, json.loads each value, a DataFrame, 10-second windows, group by window and region, sum and count, merged
into running totals. Reads TOTAL messages of TOPIC from the beginning; prints one JSON line: rows, seconds.

usage: python confluent_pandas_orders.py BOOTSTRAP TOPIC TOTAL BATCH
"""
import json
import sys
import time

import pandas as pd
from confluent_kafka import Consumer

bootstrap, topic, total, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-py-%d" % time.time(), "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
state = None
seen = 0
t0 = time.perf_counter()
while seen < total:
    msgs = c.consume(num_messages=batch, timeout=1.0)
    msgs = [m for m in msgs if m.error() is None]
    if not msgs:
        continue
    seen += len(msgs)
    df = pd.DataFrame([json.loads(m.value()) for m in msgs])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["window"] = df["ts"].dt.floor("10s")
    g = df.groupby(["window", "region"]).agg(revenue=("amount", "sum"), orders=("amount", "count"))
    state = g if state is None else state.add(g, fill_value=0)
sec = time.perf_counter() - t0
c.close()
print(json.dumps({"rows": seen, "seconds": sec, "groups": len(state)}))
