"""One client session for the client matrix with a Python Kafka client: admin create/list, produce N keyed
records, consume them in a group, commit, read the committed offsets back; prints one JSON object.

Usage: python client_check.py (confluent|kafka-python) BOOTSTRAP TOPIC GROUP N
Secured listeners: KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_CA_FILE.
"""
import json
import os
import sys
import time

lib, bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
proto = os.environ.get("KAFKA_SECURITY_PROTOCOL", "")
mech = os.environ.get("KAFKA_SASL_MECHANISM", "")
user = os.environ.get("KAFKA_USERNAME", "")
password = os.environ.get("KAFKA_PASSWORD", "")
ca = os.environ.get("KAFKA_CA_FILE", "")
out = {}


def check(key, value):
    if "v" + key[1:] != value:
        raise SystemExit(f"key/value mismatch {key}={value}")


if lib == "confluent":
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    conf = {"bootstrap.servers": bootstrap}
    if proto:
        conf["security.protocol"] = proto
    if mech:
        conf.update({"sasl.mechanism": mech, "sasl.username": user, "sasl.password": password})
    if ca:
        conf["ssl.ca.location"] = ca
    ver, lib_ver = confluent_kafka.version(), confluent_kafka.libversion()
    out.update(client="confluent-kafka", version=ver[0] if isinstance(ver, tuple) else ver, librdkafka=lib_ver[0] if isinstance(lib_ver, tuple) else lib_ver)
    admin = AdminClient(conf)
    for f in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).values():
        f.result(60)
    md = admin.list_topics(timeout=30)
    for _ in range(50):
        if topic in md.topics and len(md.topics[topic].partitions) == 3:
            break
        time.sleep(0.1)
        md = admin.list_topics(timeout=30)
    out["admin"] = {"created": True, "listed": topic in md.topics, "partitions": len(md.topics[topic].partitions)}
    produced = {}
    errors = []

    def delivered(err, m):
        if err:
            errors.append(str(err))
        else:
            produced[str(m.partition())] = produced.get(str(m.partition()), 0) + 1

    p = Producer({**conf, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    for i in range(n):
        p.produce(topic, key=f"k{i}", value=f"v{i}", on_delivery=delivered)
        p.poll(0)
    p.flush(60)
    if errors:
        raise SystemExit(f"produce errors: {errors[:3]}")
    out["produced"] = produced
    c = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    seen, consumed = set(), 0
    deadline = time.time() + 60
    while len(seen) < n and time.time() < deadline:
        for m in c.consume(500, 0.5):
            if m.error():
                continue
            consumed += 1
            check(m.key().decode(), m.value().decode())
            seen.add(m.value().decode())
    c.commit(asynchronous=False)
    parts = c.committed([TopicPartition(topic, i) for i in range(3)], timeout=30)
    out.update(consumed=consumed, distinct=len(seen), committed={str(tp.partition): tp.offset for tp in parts})
    c.close()
    if hasattr(admin, "list_consumer_groups"):  # confluent-kafka 2.x: the group admin API
        groups = admin.list_consumer_groups().result(30)
        out["groupListed"] = group in [g.group_id for g in groups.valid]
        from confluent_kafka import ConsumerGroupTopicPartitions

        res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        total = 0
        for f in res.values():
            for tp in f.result(30).topic_partitions:
                total += max(tp.offset, 0)
        out["groupOffsetsTotal"] = total
    else:  # 1.x: ListGroups only; the offsets through a fresh consumer of the group
        out["groupListed"] = group in [g.id for g in admin.list_groups(timeout=30)]
        c2 = Consumer({**conf, "group.id": group, "enable.auto.commit": False})
        out["groupOffsetsTotal"] = sum(max(tp.offset, 0) for tp in c2.committed([TopicPartition(topic, i) for i in range(3)], timeout=30))
        c2.close()
else:
    import kafka
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic

    conf = {"bootstrap_servers": bootstrap}
    if proto:
        conf["security_protocol"] = proto
    if mech:
        conf.update(sasl_mechanism=mech, sasl_plain_username=user, sasl_plain_password=password)
    if ca:
        conf["ssl_cafile"] = ca
    out.update(client="kafka-python", version=kafka.__version__)
    admin = KafkaAdminClient(**conf)
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    parts = None
    for _ in range(50):
        desc = admin.describe_topics([topic])
        if desc and desc[0].get("error_code", 0) == 0 and len(desc[0]["partitions"]) == 3:
            parts = len(desc[0]["partitions"])
            break
        time.sleep(0.1)
    out["admin"] = {"created": True, "listed": topic in admin.list_topics(), "partitions": parts}
    p = KafkaProducer(acks="all", linger_ms=5, **conf)
    futures = [p.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode()) for i in range(n)]
    produced = {}
    for f in futures:
        md = f.get(timeout=60)
        produced[str(md.partition)] = produced.get(str(md.partition), 0) + 1
    p.close()
    out["produced"] = produced
    c = KafkaConsumer(topic, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False, **conf)
    seen, consumed = set(), 0
    deadline = time.time() + 60
    while len(seen) < n and time.time() < deadline:
        for recs in c.poll(timeout_ms=500).values():
            for m in recs:
                consumed += 1
                check(m.key.decode(), m.value.decode())
                seen.add(m.value.decode())
    c.commit()
    committed = {str(i): (c.committed(TopicPartition(topic, i)) if c.committed(TopicPartition(topic, i)) is not None else -1) for i in range(3)}
    c.close()
    out.update(consumed=consumed, distinct=len(seen), committed=committed)
    if hasattr(admin, "list_consumer_groups"):  # kafka-python 2.x
        names = [g[0] for g in admin.list_consumer_groups()]
        offsets = admin.list_consumer_group_offsets(group)
    else:  # kafka-python 3.x
        names = [g["group_id"] if isinstance(g, dict) else getattr(g, "group_id", g[0]) for g in admin.list_groups()]
        res = admin.list_group_offsets({group: None})
        offsets = res[group] if group in res else res
    out["groupListed"] = group in names
    out["groupOffsetsTotal"] = sum(max(getattr(o, "offset", 0), 0) for o in offsets.values())
    admin.close()
print(json.dumps(out))
