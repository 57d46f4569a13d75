"""confluent-kafka (librdkafka 2.x) with group.protocol=consumer (KIP-848), for the differential suite.

Two consumers of one group split a 4-partition topic, each committing what it read; one leaves and the other
takes every partition over, resuming from the commits; a third consumer of the group, started after the first
one closed, reads only what was produced after. Prints one JSON line. Arguments: BOOTSTRAP PREFIX N.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
topic, group = prefix + "-t", prefix + "-g"

admin = AdminClient({"bootstrap.servers": bootstrap})
for f in admin.create_topics([NewTopic(topic, 4, 1)]).values():
    try:
        f.result(30)
    except Exception as e:  # an existing topic from an earlier run is fine
        if "TOPIC_ALREADY_EXISTS" not in str(e):
            raise

producer = Producer({"bootstrap.servers": bootstrap})


def produce(start, count):
    for i in range(start, start + count):
        producer.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % 4)
    producer.flush(30)


def consumer():
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    return c


reads = {}


def poll(c, seconds):
    end = time.time() + seconds
    while time.time() < end:
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        v = m.value().decode()
        reads[v] = reads.get(v, 0) + 1
        c.commit(message=m, asynchronous=False)


def wait(cond, timeout, *cs):
    end = time.time() + timeout
    while time.time() < end and not cond():
        for c in cs:
            poll(c, 0.2)
    return cond()


produce(0, n)
a = consumer()
wait(lambda: len(a.assignment()) == 4, 60, a)
first_alone = len(a.assignment())
b = consumer()
split = wait(lambda: sorted([len(a.assignment()), len(b.assignment())]) == [2, 2] and len(reads) >= n, 90, a, b)
sizes = sorted([len(a.assignment()), len(b.assignment())])
b.close()  # leaves the group (member epoch -1)
took_over = wait(lambda: len(a.assignment()) == 4, 60, a)
produce(n, n)
wait(lambda: len(reads) >= 2 * n, 60, a)
a.close()
c = consumer()
wait(lambda: len(c.assignment()) == 4, 60, c)
before = len(reads)
produce(2 * n, 8)
wait(lambda: len(reads) >= 2 * n + 8, 60, c)
committed = c.committed([TopicPartition(topic, p) for p in range(4)], timeout=30)
c.close()
print(json.dumps({
    "firstAlone": first_alone,
    "split": split,
    "sizes": sizes,
    "tookOver": took_over,
    "distinct": len(reads),
    "redelivered": sum(1 for v in reads.values() if v > 1),
    "resumedReads": len(reads) - before,
    "committed": sum(tp.offset for tp in committed),
}))
