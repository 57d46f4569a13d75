/**
 * The only module in streamlab that imports kafkajs.
 *
 * kafkajs has had no release since 2.2.4 and its maintainers asked for new ones, so everything else in lib/
 * talks to Kafka through the small interface in types.ts. Swapping in another client (@platformatic/kafka, say)
 * means rewriting this file only.
 */
import { Kafka, logLevel, CompressionTypes, type Producer as KjsProducer, type Consumer as KjsConsumer, type Admin as KjsAdmin, type SASLOptions } from "kafkajs";
import type {
  ClusterConfig,
  Compression,
  ConsumerHandle,
  ConsumerOptions,
  CreateTopicOptions,
  GroupLag,
  ProduceRecord,
  ProduceResult,
  ProducerHandle,
  TopicInfo,
  TopicPartitionOffsets,
} from "./types";
import { UserError } from "../core";
import { WireProducer } from "./wire/producer";
import { chunksBySize } from "./send-chunks";

const COMPRESSION: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

function toKafkaJsSasl(sasl: NonNullable<ClusterConfig["sasl"]>): SASLOptions {
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

/** A connection to one cluster. Cheap to create; producers, consumers and the admin connect lazily. */
export class KafkaClient {
  readonly config: ClusterConfig;
  private readonly kafka: Kafka;
  private adminPromise?: Promise<KjsAdmin>;

  constructor(config: ClusterConfig) {
    this.config = config;
    this.kafka = new Kafka({
      clientId: config.clientId ?? "streamlab",
      brokers: config.bootstrap,
      ssl: config.ssl === true ? true : config.ssl ? { ca: config.ssl.ca ? [config.ssl.ca] : undefined, rejectUnauthorized: config.ssl.rejectUnauthorized } : undefined,
      sasl: config.sasl ? toKafkaJsSasl(config.sasl) : undefined,
      connectionTimeout: config.connectionTimeout ?? 3000,
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100 },
    });
  }

  get bootstrap(): string {
    return this.config.bootstrap.join(",");
  }

  /**
   * A producer writing record batches itself (wire/producer.ts: one batch per partition per send, gzip, snappy
   * or lz4 when asked); an idempotent one is kafkajs' (producer ids and sequence numbers).
   */
  async producer(options: { idempotent?: boolean } = {}): Promise<ProducerHandle> {
    if (!options.idempotent) return new WireProducer(this.config);
    const producer: KjsProducer = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: true });
    await producer.connect();
    return {
      async send(topic, records, opts = {}) {
        // One request per ~900 KB of records, so no partition's batch passes Kafka's default 1 MiB
        // max.message.bytes (kafkajs sends all records of a send to a partition as one batch).
        const out: ProduceResult[] = [];
        for (const chunk of records.length ? chunksBySize(records, recordSize) : [records]) {
          const meta = await producer.send({
            topic,
            acks: opts.acks ?? -1,
            compression: COMPRESSION[opts.compression ?? "none"],
            messages: chunk.map((r) => ({
              key: r.key ?? null,
              value: r.value,
              partition: r.partition,
              headers: r.headers,
              timestamp: r.timestamp !== undefined ? String(r.timestamp) : undefined,
            })),
          });
          for (const m of meta) if (!out.some((o) => o.partition === m.partition)) out.push({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? "-1" });
        }
        return out;
      },
      close: () => producer.disconnect(),
    };
  }

  /** One-shot produce: connects, sends, disconnects. */
  async produce(topic: string, records: ProduceRecord[]): Promise<ProduceResult[]> {
    const p = await this.producer();
    try {
      return await p.send(topic, records);
    } finally {
      await p.close();
    }
  }

  async consumer(options: ConsumerOptions): Promise<ConsumerHandle> {
    const consumer: KjsConsumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeout ?? 10_000,
      heartbeatInterval: 1000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false });
    return {
      run: (onBatch) =>
        consumer.run({
          autoCommit: options.autoCommit ?? true,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            await onBatch({
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              records: batch.messages.map((m) => ({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                timestamp: m.timestamp,
                key: m.key,
                value: m.value,
                headers: (m.headers ?? {}),
              })),
            });
          },
        }),
      seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
      pause: (topic, partitions) => consumer.pause([{ topic, partitions }]),
      resume: (topic, partitions) => consumer.resume([{ topic, partitions }]),
      commit: (offsets) => consumer.commitOffsets(offsets),
      close: () => consumer.disconnect(),
    };
  }

  private admin(): Promise<KjsAdmin> {
    if (!this.adminPromise) {
      const admin = this.kafka.admin();
      this.adminPromise = admin.connect().then(() => admin);
      this.adminPromise.catch(() => (this.adminPromise = undefined));
    }
    return this.adminPromise;
  }

  async listTopics(): Promise<TopicInfo[]> {
    const admin = await this.admin();
    const meta = await admin.fetchTopicMetadata();
    return meta.topics.map((t) => ({ name: t.name, partitions: t.partitions.length })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Creates a topic: `createTopic("orders", 3)` or `createTopic("orders", { partitions: 3, configs: {...} })`.
   * Arguments are checked first: a wrong one fails with a line saying what to pass, never a topic that is not
   * what was asked for (an object where the count goes used to create a one-partition topic).
   */
  async createTopic(name: string, partitions: number | CreateTopicOptions = 1, replicationFactor = 1): Promise<boolean> {
    const o = typeof partitions === "object" && partitions !== null ? partitions : { partitions, replicationFactor };
    if (typeof partitions === "object" && partitions !== null) {
      const unknown = Object.keys(partitions).filter((k) => !["partitions", "replicationFactor", "configs"].includes(k));
      if (unknown.length) throw new UserError(`createTopic: unknown option ${unknown.join(", ")}; options are partitions, replicationFactor and configs`);
    }
    if (typeof name !== "string" || !/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === "." || name === "..") {
      throw new UserError(`createTopic: the topic name must be 1 to 249 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
    }
    const count = o.partitions ?? 1;
    const rf = o.replicationFactor ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new UserError(`createTopic: partitions must be a whole number of at least 1, got ${JSON.stringify(count)}`);
    if (!Number.isInteger(rf) || rf < 1) throw new UserError(`createTopic: replicationFactor must be a whole number of at least 1, got ${JSON.stringify(rf)}`);
    const configEntries = Object.entries(o.configs ?? {}).map(([k, v]) => ({ name: k, value: String(v) }));
    const admin = await this.admin();
    return admin.createTopics({ topics: [{ topic: name, numPartitions: count, replicationFactor: rf, ...(configEntries.length ? { configEntries } : {}) }], waitForLeaders: true });
  }

  async deleteTopic(name: string): Promise<void> {
    const admin = await this.admin();
    await admin.deleteTopics({ topics: [name] });
  }

  async topicOffsets(topic: string): Promise<TopicPartitionOffsets[]> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
  }

  /** Per partition, the first offset whose timestamp is >= `timestamp` (the high watermark when none). */
  async offsetsForTimestamp(topic: string, timestamp: number): Promise<{ partition: number; offset: string }[]> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    return offsets.map((o) => ({ partition: o.partition, offset: o.offset }));
  }

  async listGroups(): Promise<string[]> {
    const admin = await this.admin();
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId).sort();
  }

  async groupLag(groupId: string): Promise<GroupLag> {
    const admin = await this.admin();
    const described = await admin.describeGroups([groupId]);
    const group = described.groups[0];
    const committed = await admin.fetchOffsets({ groupId });
    const partitions: GroupLag["partitions"] = [];
    for (const t of committed) {
      const highs = new Map((await this.topicOffsets(t.topic)).map((o) => [o.partition, o.high]));
      for (const p of t.partitions) {
        const high = highs.get(p.partition) ?? "0";
        const lag = p.offset === "-1" ? Number(high) : Math.max(0, Number(high) - Number(p.offset));
        partitions.push({ topic: t.topic, partition: p.partition, committed: p.offset, high, lag });
      }
    }
    return { groupId, state: group?.state ?? "Unknown", members: group?.members.length ?? 0, partitions };
  }

  async close(): Promise<void> {
    const admin = this.adminPromise;
    this.adminPromise = undefined;
    if (admin) await (await admin).disconnect().catch(() => undefined);
  }
}

/** Parse `host:port[,host:port]` into a bootstrap list, with a clear error for typos. */
export function parseBootstrap(text: string): string[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new Error(`no bootstrap servers in '${text}': write HOST:PORT, e.g. localhost:9092`);
  for (const hp of list) {
    if (!/^[\w.-]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i.test(hp)) throw new Error(`'${hp}' is not HOST:PORT: write e.g. localhost:9092`);
  }
  return list;
}

export function connect(config: ClusterConfig | string): KafkaClient {
  return new KafkaClient(typeof config === "string" ? { bootstrap: parseBootstrap(config) } : config);
}

function sizeOf(b: unknown): number {
  if (b === null || b === undefined) return 0;
  if (typeof b === "string") return Buffer.byteLength(b);
  if (Buffer.isBuffer(b)) return b.length;
  return 16;
}

/** Keys, values, headers and ~30 bytes of framing. */
function recordSize(r: ProduceRecord): number {
  let n = 30 + sizeOf(r.key) + sizeOf(r.value);
  for (const [k, v] of Object.entries(r.headers ?? {})) n += Buffer.byteLength(k) + sizeOf(v) + 4;
  return n;
}
