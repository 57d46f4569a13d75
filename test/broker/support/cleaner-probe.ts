/**
 * What the two "the cleaner does not hold up the broker" tests share: a large compactable partition written
 * straight into a data dir, and a kafkajs probe (producer and consumer on another topic) whose produce → fetch
 * round trips show whether the broker keeps serving while that partition is cleaned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { buildBatch } from "../../../lib/broker/log/record-batch";
import { waitFor } from "../helpers";

/**
 * Topic "big" in `dataDir`: 6 closed 8 MiB segments of 70 batches of 1,000 records (100-byte values over 500
 * keys, 420,000 records) and an active one, as cleanup.policy=delete; `compactBig` switches it to compact.
 */
export function writeBigTopic(dataDir: string): void {
  const topicDir = path.join(dataDir, "topics", "big");
  const dir = path.join(topicDir, "0");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(topicDir, "topic.json"), JSON.stringify({ partitions: 1, config: { segmentBytes: 8 << 20 } }));
  const value = Buffer.alloc(100, 97);
  const batch = buildBatch(Array.from({ length: 1000 }, (_, i) => ({ key: Buffer.from(`key-${i % 500}`), value })), Date.now()).data;
  let offset = 0;
  for (let s = 0; s < 7; s++) {
    const fd = fs.openSync(path.join(dir, String(offset).padStart(20, "0") + ".log"), "w");
    for (let b = 0; b < (s < 6 ? 70 : 1); b++, offset += 1000) {
      batch.writeBigInt64BE(BigInt(offset), 0); // the base offset is outside the CRC
      fs.writeSync(fd, batch);
    }
    fs.closeSync(fd);
  }
}

export interface Probe {
  producer: Producer;
  /** Produces `probe-i` (acks=all) to "live" and waits until the consumer has fetched it; returns the milliseconds. */
  roundTrip(i: number): Promise<number>;
  /** Switches "big" to cleanup.policy=compact (8 MiB segments), which starts its cleaning. */
  compactBig(): Promise<void>;
  close(): Promise<void>;
}

/** A producer and a consumer (group "probe") on a new topic "live" of the broker at `bootstrap`. */
export async function startProbe(bootstrap: string): Promise<Probe> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: "probe", maxWaitTimeInMs: 100 });
  const close = async () => {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  };
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "live", numPartitions: 1 }] });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: "live", fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    return {
      producer,
      async roundTrip(i) {
        const t0 = performance.now();
        await producer.send({ topic: "live", acks: -1, messages: [{ value: `probe-${i}` }] });
        await waitFor(`probe ${i} to be fetched`, () => seen.has(`probe-${i}`), 60_000);
        return performance.now() - t0;
      },
      async compactBig() {
        await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "big", configEntries: [{ name: "cleanup.policy", value: "compact" }, { name: "segment.bytes", value: String(8 << 20) }] }] });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
