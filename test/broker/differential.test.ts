/**
 * Differential: the same kafkajs and confluent-kafka scenarios run against the embedded broker and against
 * librdkafka's built-in mock cluster, and must observe the same results (offsets assigned, end offsets,
 * records read back per partition, committed offsets). The mock auto-creates topics with 4 partitions, so
 * the embedded broker runs with 4 default partitions too; only what both brokers implement is compared
 * (the mock answers no CreateTopics/DescribeGroups from kafkajs and reports a fake log-append time).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { tool } from "../support/tools";
import { canonicalMessages, python, waitFor, withBroker } from "./helpers";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const MOCK_SCRIPT = String.raw`
import sys
from confluent_kafka import Producer
p = Producer({"test.mock.num.brokers": 1})
b = list(p.list_topics(timeout=10).brokers.values())[0]
print(f"{b.host}:{b.port}", flush=True)
sys.stdin.read()
`;

const CONFLUENT_SCENARIO = String.raw`
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
msgs = json.load(sys.stdin)
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
acks = []
def delivered(err, m):
    acks.append([m.partition(), m.offset(), str(err) if err else None])
for m in msgs:
    p.produce(topic, key=m["key"].encode(), value=m["value"].encode(), on_delivery=delivered)
    p.poll(0)
p.flush(60)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "diff-" + topic, "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
records = []
deadline = time.time() + 60
while len(records) < len(msgs) and time.time() < deadline:
    for m in c.consume(500, 0.3):
        if not m.error():
            records.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
c.commit(asynchronous=False)
parts = [TopicPartition(topic, i) for i in range(4)]
committed = [[tp.partition, tp.offset] for tp in c.committed(parts, timeout=10)]
watermarks = [list(c.get_watermark_offsets(tp, timeout=10)) for tp in parts]
c.close()
print(json.dumps({"acks": sorted(acks), "records": sorted(records), "committed": committed, "watermarks": watermarks}))
`;

async function kafkajsScenario(bootstrap: string, topic: string): Promise<unknown> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const messages = canonicalMessages(2000, topic);
  const producer = kafka.producer();
  await producer.connect();
  const produced: [number, string][] = [];
  for (let i = 0; i < messages.length; i += 500) {
    const res = await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    for (const r of res) produced.push([r.partition, r.baseOffset ?? "?"]);
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `diff-${topic}`, maxWaitTimeInMs: 100 });
  const records: [number, string, string, string][] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void records.push([partition, message.offset, message.key!.toString(), message.value!.toString()]) });
  await waitFor("kafkajs to read every message", () => records.length >= messages.length);
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId: `diff-${topic}`, topics: [topic] });
  await admin.disconnect();
  return {
    produced: produced.sort((a, b) => a[0] - b[0] || Number(a[1]) - Number(b[1])),
    records: records.sort((a, b) => a[0] - b[0] || Number(a[1]) - Number(b[1])),
    ends: ends.map((e) => [e.partition, e.low, e.high]).sort(),
    committed: committed[0].partitions.map((p) => [p.partition, p.offset]).sort(),
  };
}

async function confluentScenario(bootstrap: string, topic: string): Promise<unknown> {
  return JSON.parse(await python(CONFLUENT_SCENARIO, [bootstrap, topic], JSON.stringify(canonicalMessages(2000, topic))));
}

describe.runIf(tool("confluent-kafka"))("embedded broker versus librdkafka's mock cluster", () => {
  let mock: ChildProcess;
  let mockBootstrap = "";

  beforeAll(async () => {
    mock = spawn("/usr/bin/python3", ["-c", MOCK_SCRIPT], { stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    mock.stdout!.on("data", (d) => (out += d));
    await waitFor("the mock cluster's address", () => /^\S+:\d+\n/.test(out), 30_000);
    mockBootstrap = out.trim();
  });

  afterAll(async () => {
    mock.stdin!.end();
    await new Promise((r) => (mock.exitCode !== null ? r(null) : mock.once("exit", r)));
  });

  it("kafkajs observes the same results on both", async () => {
    const onMock = await kafkajsScenario(mockBootstrap, "diff-kafkajs");
    const onEmbedded = await withBroker((b) => kafkajsScenario(b.bootstrap, "diff-kafkajs"), { defaultPartitions: 4 });
    expect((onMock as { records: unknown[] }).records.length).toBe(2000);
    expect(onEmbedded).toEqual(onMock);
  });

  it("confluent-kafka observes the same results on both", async () => {
    const onMock = await confluentScenario(mockBootstrap, "diff-confluent");
    const onEmbedded = await withBroker((b) => confluentScenario(b.bootstrap, "diff-confluent"), { defaultPartitions: 4 });
    expect((onMock as { records: unknown[] }).records.length).toBe(2000);
    expect(onEmbedded).toEqual(onMock);
  });
});
