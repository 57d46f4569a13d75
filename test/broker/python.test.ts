/**
 * The Python clients against the embedded broker: confluent-kafka (librdkafka, idempotent producer) and
 * kafka-python (pure Python, old API versions). Each creates a topic with its admin client, produces the
 * 10,000 canonical keyed messages, reads them back in a consumer group and commits.
 */
import { describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { canonicalMessages, checkExactlyOnceInOrder, python, withBroker, type Consumed } from "./helpers";

export const CONFLUENT_SCRIPT = String.raw`
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
msgs = json.load(sys.stdin)
admin = AdminClient({"bootstrap.servers": bootstrap})
for f in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
    f.result()
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
errors = []
def delivered(err, m):
    if err: errors.append(str(err))
for m in msgs:
    while True:
        try:
            p.produce(topic, key=m["key"].encode(), value=m["value"].encode(), on_delivery=delivered)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
left = p.flush(60)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-" + topic, "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
out = []
deadline = time.time() + 90
while len(out) < len(msgs) and time.time() < deadline:
    for m in c.consume(1000, 0.5):
        if m.error():
            errors.append(str(m.error()))
            continue
        out.append({"partition": m.partition(), "offset": m.offset(), "key": m.key().decode(), "value": m.value().decode()})
c.commit(asynchronous=False)
committed = c.committed([TopicPartition(topic, i) for i in range(partitions)], timeout=10)
c.close()
print(json.dumps({"unflushed": left, "errors": errors, "consumed": out, "committed": [tp.offset for tp in committed]}))
`;

const KAFKA_PYTHON_SCRIPT = String.raw`
import sys, json, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
msgs = json.load(sys.stdin)
admin = KafkaAdminClient(bootstrap_servers=bootstrap)
admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
admin.close()
p = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
futures = [p.send(topic, key=m["key"].encode(), value=m["value"].encode()) for m in msgs]
p.flush(60)
errors = [str(f.exception) for f in futures if f.failed()]
p.close()
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="kp-" + topic, auto_offset_reset="earliest", enable_auto_commit=False)
out = []
deadline = time.time() + 90
while len(out) < len(msgs) and time.time() < deadline:
    for tp, records in c.poll(timeout_ms=500, max_records=2000).items():
        for m in records:
            out.append({"partition": m.partition, "offset": m.offset, "key": m.key.decode(), "value": m.value.decode()})
c.commit()
committed = [c.committed(TopicPartition(topic, i)) for i in range(partitions)]
c.close()
print(json.dumps({"unflushed": 0, "errors": errors, "consumed": out, "committed": committed}))
`;

interface ScriptResult {
  unflushed: number;
  errors: string[];
  consumed: Consumed[];
  committed: number[];
}

async function roundTrip(script: string, bootstrap: string, topic: string): Promise<void> {
  const messages = canonicalMessages(10_000, topic);
  const out = await python(script, [bootstrap, topic, "3"], JSON.stringify(messages));
  const res = JSON.parse(out) as ScriptResult;
  expect(res.errors).toEqual([]);
  expect(res.unflushed).toBe(0);
  checkExactlyOnceInOrder(messages, res.consumed);
  // The committed offsets are the ends of the partitions, which hold every message.
  expect(res.committed.reduce((s, o) => s + o, 0)).toBe(messages.length);
}

describe.runIf(tool("confluent-kafka"))("confluent-kafka-python against the embedded broker", () => {
  it("admin, idempotent producer and group consumer round-trip 10,000 keyed messages", async () => {
    await withBroker((b) => roundTrip(CONFLUENT_SCRIPT, b.bootstrap, "confluent"));
  });
});

describe.runIf(tool("kafka-python"))("kafka-python against the embedded broker", () => {
  it("admin, producer and group consumer round-trip 10,000 keyed messages", async () => {
    await withBroker((b) => roundTrip(KAFKA_PYTHON_SCRIPT, b.bootstrap, "kafkapython"));
  });
});
