/**
 * Where the registry keeps its state: an append-only log of key/value records, replayed at start, as
 * Confluent's registry keeps it in the compacted `_schemas` topic. `MemoryLog` for tests and a registry
 * without a broker; `KafkaLog` writes the topic on a Kafka cluster (the embedded broker or a real one).
 */
import { Kafka, logLevel, type Producer } from "kafkajs";

export interface LogRecord {
  key: Buffer;
  value: Buffer | null;
}

export interface SchemaLog {
  /** Every record so far, in order. */
  readAll(): Promise<LogRecord[]>;
  /** Appends one record; resolves once it is durable (acks=all). */
  append(record: LogRecord): Promise<void>;
  close(): Promise<void>;
  /** Where the state lives, for messages ("topic _schemas on 127.0.0.1:9092"). */
  readonly description: string;
}

export class MemoryLog implements SchemaLog {
  readonly records: LogRecord[] = [];
  readonly description = "memory";
  readAll(): Promise<LogRecord[]> {
    return Promise.resolve(this.records.slice());
  }
  append(record: LogRecord): Promise<void> {
    this.records.push(record);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const SCHEMAS_TOPIC = "_schemas";

function describeError(err: unknown): string {
  const e = err as { message?: string; errors?: { type?: string; message?: string }[] };
  return [e.message, ...(e.errors ?? []).map((x) => `${x.type ?? ""} ${x.message ?? ""}`)].filter(Boolean).join("; ");
}

/** The `_schemas` topic (one partition, cleanup.policy=compact) on a Kafka cluster. */
export class KafkaLog implements SchemaLog {
  private readonly kafka: Kafka;
  private producer?: Producer;
  readonly description: string;

  constructor(
    readonly bootstrap: string[],
    readonly topic = SCHEMAS_TOPIC,
  ) {
    this.kafka = new Kafka({ clientId: "streamlab-schema-registry", brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    this.description = `topic ${topic} on ${bootstrap.join(",")}`;
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(this.topic)) {
        try {
          await admin.createTopics({ waitForLeaders: true, topics: [{ topic: this.topic, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
        } catch (err) {
          throw new Error(`schema registry: could not create ${this.description} (compacted, as Confluent's registry needs): ${describeError(err)}; create it with cleanup.policy=compact and restart`);
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  async readAll(): Promise<LogRecord[]> {
    await this.ensureTopic();
    const admin = this.kafka.admin();
    await admin.connect();
    let high: number;
    let low: number;
    try {
      const [p] = await admin.fetchTopicOffsets(this.topic);
      high = Number(p.high);
      low = Number(p.low);
    } finally {
      await admin.disconnect();
    }
    if (high <= low) return [];
    // A throwaway group that starts at the beginning and stops at the high watermark seen above.
    const consumer = this.kafka.consumer({ groupId: `streamlab-schema-registry-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false });
    await consumer.connect();
    const out: LogRecord[] = [];
    try {
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading ${this.description} timed out after 30 s`)), 30_000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              if (Number(message.offset) < high && message.key) out.push({ key: message.key, value: message.value });
              if (Number(message.offset) >= high - 1) {
                clearTimeout(timer);
                resolve();
              }
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  async append(record: LogRecord): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
      await this.producer.connect();
    }
    await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: record.key, value: record.value, partition: 0 }] });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}
