/**
 * The Kafka client interface the rest of streamlab programs against: cluster settings, records, producer and
 * consumer handles, admin results. No kafkajs types leak out of lib/client: kafkajs.ts adapts it to these.
 */

export interface ClusterConfig {
  /** host:port list. */
  bootstrap: string[];
  clientId?: string;
  ssl?: boolean | { ca?: string; rejectUnauthorized?: boolean };
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  /** Milliseconds to wait for a connection before failing with a clear message. */
  connectionTimeout?: number;
  /** Set when this is streamlab's embedded broker (started by %kafka start or on first use). */
  embedded?: { pid: number; dataDir?: string };
  /** The schema registry of this cluster (%kafka connect --registry URL, or the one %kafka start started). */
  registry?: { url: string; auth?: string };
}

export type Bytes = Buffer | string | null;

export interface ProduceRecord {
  key?: Bytes;
  value: Bytes;
  partition?: number;
  headers?: Record<string, string | Buffer>;
  /** Milliseconds since the epoch; the broker's time when absent. */
  timestamp?: number;
}

export interface ProduceResult {
  topic: string;
  partition: number;
  /** Offset of the first record of this request in the partition. */
  baseOffset: string;
}

export type Compression = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export interface ProducerHandle {
  send(topic: string, records: ProduceRecord[], options?: { acks?: -1 | 0 | 1; compression?: Compression }): Promise<ProduceResult[]>;
  close(): Promise<void>;
}

export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface ConsumerHandle {
  /**
   * Start consuming; `onBatch` gets every fetched batch of one partition. Returning a promise applies
   * backpressure: the next fetch of that partition waits for it.
   */
  run(onBatch: (batch: { topic: string; partition: number; highWatermark: string; records: FetchedRecord[] }) => Promise<void>): Promise<void>;
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string, partitions?: number[]): void;
  resume(topic: string, partitions?: number[]): void;
  commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
  /** Commit offsets automatically after each batch. Default true. */
  autoCommit?: boolean;
  sessionTimeout?: number;
  maxBytesPerPartition?: number;
}

export interface TopicPartitionOffsets {
  partition: number;
  /** Log start offset. */
  low: string;
  /** High watermark: the offset the next record will get. */
  high: string;
}

export interface TopicInfo {
  name: string;
  partitions: number;
}

export interface GroupLag {
  groupId: string;
  state: string;
  members: number;
  partitions: { topic: string; partition: number; committed: string; high: string; lag: number }[];
}

/** What createTopic takes besides the name, when given as an object. */
export interface CreateTopicOptions {
  partitions?: number;
  replicationFactor?: number;
  /** Topic configs, e.g. { "retention.ms": 60000 }. */
  configs?: Record<string, string | number>;
}
