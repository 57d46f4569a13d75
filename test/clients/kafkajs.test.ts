/** kafkajs in the client matrix: its admin, producer and consumer group, in this process. */
import { Kafka, logLevel } from "kafkajs";
import { clientMatrix, type ClientResult } from "./matrix";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const VERSION = (require("kafkajs/package.json") as { version: string }).version;

clientMatrix({
  client: "kafkajs",
  version: () => VERSION,
  session: async (s): Promise<ClientResult> => {
    const kafka = new Kafka({ brokers: [s.bootstrap], clientId: "matrix", logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: s.group, sessionTimeout: 10_000, heartbeatInterval: 500 });
    try {
      await admin.createTopics({ topics: [{ topic: s.topic, numPartitions: 3 }], waitForLeaders: true });
      const listed = (await admin.listTopics()).includes(s.topic);
      const partitions = (await admin.fetchTopicMetadata({ topics: [s.topic] })).topics[0].partitions.length;
      await producer.connect();
      const acks = await producer.send({ topic: s.topic, acks: -1, messages: Array.from({ length: s.n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      const produced: Record<string, number> = {};
      const perPartition = new Map<number, number>();
      // kafkajs acknowledges a batch per partition: count the messages it put there by their keys' partitioner.
      const offsets = await admin.fetchTopicOffsets(s.topic);
      for (const o of offsets) perPartition.set(o.partition, Number(o.high) - Number(o.low));
      for (const a of acks) produced[String(a.partition)] = perPartition.get(a.partition) ?? 0;
      const seen = new Set<string>();
      let consumed = 0;
      await consumer.connect();
      await consumer.subscribe({ topic: s.topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          consumed++;
          if (`v${String(message.key).slice(1)}` !== String(message.value)) throw new Error(`key/value mismatch ${message.key}=${message.value}`);
          seen.add(String(message.value));
        },
      });
      for (let i = 0; i < 600 && seen.size < s.n; i++) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect(); // commits what it read
      const fetched = await admin.fetchOffsets({ groupId: s.group, topics: [s.topic] });
      const committed: Record<string, number> = {};
      for (const p of fetched[0].partitions) committed[String(p.partition)] = Number(p.offset);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      return { client: "kafkajs", version: VERSION, admin: { created: true, listed, partitions }, produced, consumed, distinct: seen.size, committed, groupListed: groups.includes(s.group), groupOffsetsTotal: Object.values(committed).reduce((a, b) => a + Math.max(0, b), 0) };
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    }
  },
});
