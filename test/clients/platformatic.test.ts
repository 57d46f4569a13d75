/** @platformatic/kafka (flexible versions only) in the client matrix. */
import * as fs from "node:fs";
import * as path from "node:path";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { clientMatrix, type ClientResult } from "./matrix";

const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "node_modules", "@platformatic", "kafka", "package.json"), "utf8")) as { version: string }).version;

clientMatrix({
  client: "platformatic-kafka",
  version: () => VERSION,
  session: async (s): Promise<ClientResult> => {
    const bootstrapBrokers = [s.bootstrap];
    const admin = new Admin({ clientId: "matrix-admin", bootstrapBrokers });
    // Idempotent, so a retry (Kafka answers NOT_LEADER for a moment after creating a topic) writes nothing twice.
    const producer = new Producer({ clientId: "matrix-producer", bootstrapBrokers, serializers: stringSerializers, idempotent: true });
    const consumer = new Consumer({ clientId: "matrix-consumer", groupId: s.group, bootstrapBrokers, deserializers: stringDeserializers });
    try {
      await admin.createTopics({ topics: [s.topic], partitions: 3, replicas: 1 });
      let meta = await admin.metadata({ topics: [s.topic] });
      for (let i = 0; i < 50 && (meta.topics.get(s.topic)?.partitionsCount ?? 0) < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        meta = await admin.metadata({ topics: [s.topic] });
      }
      const listed = (await admin.listTopics()).includes(s.topic);
      const produced: Record<string, number> = {};
      for (let i = 0; i < s.n; i += 100) {
        const r = await producer.send({ messages: Array.from({ length: Math.min(100, s.n - i) }, (_, j) => ({ topic: s.topic, key: `k${i + j}`, value: `v${i + j}` })) });
        void r;
      }
      const seen = new Set<string>();
      let consumed = 0;
      const stream = await consumer.consume({ topics: [s.topic], mode: "earliest", autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
      const last = new Map<number, bigint>();
      stream.on("data", (m) => {
        consumed++;
        if (`v${m.key.slice(1)}` !== m.value) throw new Error(`key/value mismatch ${m.key}=${m.value}`);
        seen.add(m.value);
        produced[String(m.partition)] = (produced[String(m.partition)] ?? 0) + 1;
        last.set(m.partition, m.offset);
      });
      for (let i = 0; i < 600 && seen.size < s.n; i++) await new Promise((r) => setTimeout(r, 100));
      await consumer.commit({ offsets: [...last].map(([partition, offset]) => ({ topic: s.topic, partition, offset: offset + 1n, leaderEpoch: 0 })) });
      await stream.close();
      const offsets = await consumer.listCommittedOffsets({ topics: [{ topic: s.topic, partitions: [0, 1, 2] }] });
      const committed: Record<string, number> = {};
      const byP = offsets.get(s.topic) ?? [];
      byP.forEach((o: bigint, p: number) => (committed[String(p)] = Number(o)));
      const groups = await admin.listGroups();
      return { client: "platformatic-kafka", version: VERSION, admin: { created: true, listed, partitions: meta.topics.get(s.topic)?.partitionsCount ?? null }, produced, consumed, distinct: seen.size, committed, groupListed: groups.has(s.group), groupOffsetsTotal: Object.values(committed).reduce((a, b) => a + Math.max(0, b), 0) };
    } finally {
      await consumer.close(true).catch(() => {});
      await producer.close().catch(() => {});
      await admin.close().catch(() => {});
    }
  },
});
