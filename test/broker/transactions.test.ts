/**
 * The idempotent producer and transactions on the embedded broker beyond what the differential scenarios play
 * against Apache Kafka: producer state and open/aborted transactions surviving a restart with a data dir
 * (rebuilt from the log's batch headers), and real clients' exactly-once paths: kafkajs and confluent-kafka 2.x
 * (librdkafka) transactional producers, read_committed consumers, consume-transform-produce with offsets
 * committed in the transaction, and a zombie producer fenced by a newer one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { tool } from "../support/tools";
import { venvPython } from "../support/venv";
import * as wire from "../differential/wire";
import { RawConnection } from "../differential/wire";
import { run, withBroker } from "./helpers";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

function batch(values: string[], producerId: number, producerEpoch: number, baseSequence: number, transactional = false): Buffer {
  return wire.buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch, baseSequence, transactional, baseTimestamp: Date.now() });
}

async function withConn<T>(bootstrap: string, fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await RawConnection.open(bootstrap);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

describe("idempotent producer and transactions survive a restart (data dir)", () => {
  it.each([
    ["a clean stop (from the producer-state snapshot)", false],
    ["a crash (no snapshot: rebuilt from the whole log)", true],
  ] as const)("a retried batch after %s is still recognised as a duplicate; the sequence continues", async (_label, crash) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-idem-"));
    try {
      let pid = -1;
      let epoch = -1;
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            expect(await wire.createTopic(c, "idem-restart", 1, 1)).toBe(0);
            const p = await wire.initProducerId(c, null);
            pid = p.producerId;
            epoch = p.epoch;
            expect(await wire.produce(c, "idem-restart", 0, batch(["a", "b"], pid, epoch, 0))).toEqual({ error: 0, baseOffset: 0 });
            expect(await wire.produce(c, "idem-restart", 0, batch(["c"], pid, epoch, 2))).toEqual({ error: 0, baseOffset: 2 });
          }),
        { dataDir },
      );
      const snapshot = path.join(dataDir, "topics", "idem-restart", "0", "producer-state.json");
      expect(fs.existsSync(snapshot)).toBe(true); // written at the clean stop
      if (crash) fs.rmSync(snapshot); // what a killed broker leaves: no snapshot
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            // The same batches again (a producer retrying across the restart): acknowledged, not written twice.
            expect(await wire.produce(c, "idem-restart", 0, batch(["a", "b"], pid, epoch, 0))).toEqual({ error: 0, baseOffset: 0 });
            expect(await wire.produce(c, "idem-restart", 0, batch(["c"], pid, epoch, 2))).toEqual({ error: 0, baseOffset: 2 });
            expect(await wire.produce(c, "idem-restart", 0, batch(["x"], pid, epoch, 9))).toEqual({ error: 45, baseOffset: -1 });
            expect(await wire.produce(c, "idem-restart", 0, batch(["d"], pid, epoch, 3))).toEqual({ error: 0, baseOffset: 3 });
            expect((await wire.listOffset(c, "idem-restart", 0, -1)).offset).toBe(4);
            // A producer id handed out after the restart is not one handed out before it.
            expect((await wire.initProducerId(c, null)).producerId).not.toBe(pid);
          }),
        { dataDir },
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("an open transaction holds the last stable offset across a restart and commits after it; an aborted one stays listed", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-txn-"));
    try {
      let p = { error: -1, producerId: -1, epoch: -1 };
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            expect(await wire.createTopic(c, "txn-restart", 1, 1)).toBe(0);
            p = await wire.initProducerId(c, "restart-id");
            expect(p.error).toBe(0);
            expect(await wire.addPartitionsToTxn(c, "restart-id", p.producerId, p.epoch, "txn-restart", [0])).toEqual([0]);
            expect(await wire.produce(c, "txn-restart", 0, batch(["aborted-1", "aborted-2"], p.producerId, p.epoch, 0, true), { transactionalId: "restart-id" })).toEqual({ error: 0, baseOffset: 0 });
            expect(await wire.endTxn(c, "restart-id", p.producerId, p.epoch, false)).toBe(0);
            expect(await wire.addPartitionsToTxn(c, "restart-id", p.producerId, p.epoch, "txn-restart", [0])).toEqual([0]);
            expect(await wire.produce(c, "txn-restart", 0, batch(["open"], p.producerId, p.epoch, 2, true), { transactionalId: "restart-id" })).toEqual({ error: 0, baseOffset: 3 });
          }),
        { dataDir },
      );
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            const open = await wire.fetchPartition(c, "txn-restart", 0, 0, { isolation: 1 });
            if (open === "closed") throw new Error("closed");
            expect(open.highWatermark).toBe(4);
            expect(open.lastStableOffset).toBe(3); // the open transaction's first offset
            expect(open.records.map((r) => r.value)).toEqual(["aborted-1", "aborted-2"]); // returned, with the aborted list that hides them
            expect(open.abortedTransactions).toBe(1);
            expect(open.batches.map((x) => x.baseOffset)).toEqual([0, 2]); // data and ABORT marker; nothing from offset 3
            expect(await wire.endTxn(c, "restart-id", p.producerId, p.epoch, true)).toBe(0);
            const done = await wire.fetchPartition(c, "txn-restart", 0, 0, { isolation: 1 });
            if (done === "closed") throw new Error("closed");
            expect(done.lastStableOffset).toBe(5);
            expect(done.batches.map((x) => `${x.control ? "control" : "data"}@${x.baseOffset}`)).toEqual(["data@0", "control@2", "data@3", "control@4"]);
          }),
        { dataDir },
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a transaction left open past its timeout is aborted after a restart too", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-txn-timeout-"));
    try {
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            expect(await wire.createTopic(c, "txn-expire", 1, 1)).toBe(0);
            const p = await wire.initProducerId(c, "expire-id", 1000);
            await wire.addPartitionsToTxn(c, "expire-id", p.producerId, p.epoch, "txn-expire", [0]);
            expect((await wire.produce(c, "txn-expire", 0, batch(["x"], p.producerId, p.epoch, 0, true), { transactionalId: "expire-id" })) as object).toMatchObject({ error: 0 });
          }),
        { dataDir },
      );
      await withBroker(
        (b) =>
          withConn(b.bootstrap, async (c) => {
            let f = await wire.fetchPartition(c, "txn-expire", 0, 0, { isolation: 1 });
            for (let i = 0; i < 100 && f !== "closed" && f.lastStableOffset !== f.highWatermark; i++) {
              await new Promise((r) => setTimeout(r, 100));
              f = await wire.fetchPartition(c, "txn-expire", 0, 0, { isolation: 1 });
            }
            if (f === "closed") throw new Error("closed");
            expect(f.lastStableOffset).toBe(2);
            expect(f.abortedTransactions).toBe(1);
            expect(f.batches.map((x) => x.control)).toEqual([false, true]);
          }),
        { dataDir },
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("kafkajs transactions against the embedded broker", () => {
  it("consume-transform-produce: output and input offsets commit together; a read_committed consumer sees committed output only", async () => {
    await withBroker(async (b) => {
      const kafka = new Kafka({ brokers: [b.bootstrap], clientId: "eos", logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "eos-in", numPartitions: 2 }, { topic: "eos-out", numPartitions: 2 }] });
      const plain = kafka.producer();
      await plain.connect();
      await plain.send({ topic: "eos-in", messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `in-${i}` })) });
      await plain.disconnect();

      const producer = kafka.producer({ transactionalId: "eos-app", idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      // An aborted batch first: its records must never reach a read_committed consumer.
      const doomed = await producer.transaction();
      await doomed.send({ topic: "eos-out", messages: [{ key: "k0", value: "aborted" }] });
      await doomed.abort();

      const consumer = kafka.consumer({ groupId: "eos-g", readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: "eos-in", fromBeginning: true });
      let seen = 0;
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch: bt }) => {
          const txn = await producer.transaction();
          await txn.send({ topic: "eos-out", messages: bt.messages.map((m) => ({ key: m.key, value: `out-${String(m.value)}` })) });
          await txn.sendOffsets({ consumerGroupId: "eos-g", topics: [{ topic: bt.topic, partitions: [{ partition: bt.partition, offset: String(Number(bt.lastOffset()) + 1) }] }] });
          await txn.commit();
          seen += bt.messages.length;
        },
      });
      const deadline = Date.now() + 60_000;
      while (seen < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      await producer.disconnect();
      expect(seen).toBe(20);

      const offsets = await admin.fetchOffsets({ groupId: "eos-g", topics: ["eos-in"] });
      expect(offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0)).toBe(20);

      const reader = kafka.consumer({ groupId: "eos-reader", readUncommitted: false });
      await reader.connect();
      await reader.subscribe({ topic: "eos-out", fromBeginning: true });
      const out: string[] = [];
      await reader.run({ eachMessage: async ({ message }) => void out.push(String(message.value)) });
      const until = Date.now() + 30_000;
      while (out.length < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      await reader.disconnect();
      await admin.disconnect();
      expect(out.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `out-in-${i}`).sort());
    });
  }, 120_000);

  it("a second producer with the same transactional id fences the first", async () => {
    await withBroker(async (b) => {
      const kafka = new Kafka({ brokers: [b.bootstrap], clientId: "fence", logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "fence-out", numPartitions: 1 }] });
      await admin.disconnect();
      const zombie = kafka.producer({ transactionalId: "fence-app", idempotent: true, maxInFlightRequests: 1 });
      await zombie.connect();
      const t1 = await zombie.transaction();
      await t1.send({ topic: "fence-out", messages: [{ value: "zombie" }] });
      const fresh = kafka.producer({ transactionalId: "fence-app", idempotent: true, maxInFlightRequests: 1 });
      await fresh.connect();
      const t2 = await fresh.transaction(); // kafkajs sends InitProducerId with the transactional id here
      const err = await t1.commit().then(
        () => undefined,
        (e: { type?: string; name?: string }) => e.type ?? e.name,
      );
      expect(err).toMatch(/PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/);
      await t2.send({ topic: "fence-out", messages: [{ value: "fresh" }] });
      await t2.commit();
      await fresh.disconnect();
      await zombie.disconnect().catch(() => undefined);
      const f = await withConn(b.bootstrap, (c) => wire.fetchPartition(c, "fence-out", 0, 0, { isolation: 1 }));
      if (f === "closed") throw new Error("closed");
      expect(f.abortedTransactions).toBe(1);
      expect(f.records.map((r) => r.value)).toEqual(["zombie", "fresh"]); // the consumer drops "zombie" using the aborted list
    });
  }, 60_000);
});

const CONFLUENT_EOS = String.raw`
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})
for f in admin.create_topics([NewTopic(t, num_partitions=2, replication_factor=1) for t in ("ck-in", "ck-out")]).values():
    f.result()
plain = Producer({"bootstrap.servers": bootstrap})
for i in range(30):
    plain.produce("ck-in", key=b"k%d" % i, value=b"in-%d" % i)
plain.flush(30)
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "ck-app", "transaction.timeout.ms": 30000})
p.init_transactions(30)
p.begin_transaction()
p.produce("ck-out", key=b"x", value=b"aborted")
p.abort_transaction(30)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ck-g", "auto.offset.reset": "earliest", "enable.auto.commit": False, "isolation.level": "read_committed"})
c.subscribe(["ck-in"])
done = 0
deadline = time.time() + 60
while done < 30 and time.time() < deadline:
    msgs = c.consume(100, 0.5)
    msgs = [m for m in msgs if not m.error()]
    if not msgs:
        continue
    p.begin_transaction()
    for m in msgs:
        p.produce("ck-out", key=m.key(), value=b"out-" + m.value())
    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
    p.commit_transaction(30)
    done += len(msgs)
committed = c.committed([TopicPartition("ck-in", i) for i in range(2)], timeout=10)
c.close()
# A zombie: a second producer with the same id fences the first.
p2 = Producer({"bootstrap.servers": bootstrap, "transactional.id": "ck-app"})
p2.init_transactions(30)
fenced = None
try:
    p.begin_transaction()
    p.produce("ck-out", value=b"zombie")
    p.commit_transaction(10)
except KafkaException as e:
    fenced = e.args[0].name()
r = Consumer({"bootstrap.servers": bootstrap, "group.id": "ck-reader", "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
r.subscribe(["ck-out"])
out = []
deadline = time.time() + 30
while len(out) < 30 and time.time() < deadline:
    out += [m.value().decode() for m in r.consume(100, 0.5) if not m.error()]
for _ in range(3):
    out += [m.value().decode() for m in r.consume(100, 0.3) if not m.error()]
r.close()
print(json.dumps({"done": done, "committed": sum(tp.offset for tp in committed), "out": sorted(out), "fenced": fenced}))
`;

describe.runIf(tool("venv-kafka-clients"))("confluent-kafka 2.x (librdkafka) transactions against the embedded broker", () => {
  it("transactional consume-transform-produce, read_committed reader, zombie fenced", async () => {
    await withBroker(async (b) => {
      const r = await run(venvPython()!, ["-c", CONFLUENT_EOS, b.bootstrap], undefined, 150_000);
      if (r.code !== 0) throw new Error(`python exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const res = JSON.parse(r.stdout.toString("utf8")) as { done: number; committed: number; out: string[]; fenced: string | null };
      expect(res.done).toBe(30);
      expect(res.committed).toBe(30);
      expect(res.out).toEqual(Array.from({ length: 30 }, (_, i) => `out-in-${i}`).sort());
      expect(res.fenced).toMatch(/_FENCED|INVALID_PRODUCER_EPOCH/);
    });
  }, 180_000);
});
