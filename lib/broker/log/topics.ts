/**
 * The broker's topics: creation (explicit or automatic), deletion, per-topic configuration and retention, and
 * the wake-up list for fetches that long-poll until data arrives.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PartitionLog, type RetentionPolicy } from "./partition-log";

export interface TopicConfig extends RetentionPolicy {
  /** Largest record batch a producer may send, as Kafka's max.message.bytes. */
  maxMessageBytes: number;
}

/** Config names this broker understands, with Kafka's names. */
export const TOPIC_CONFIG_KEYS: Record<string, keyof TopicConfig> = {
  "retention.bytes": "retentionBytes",
  "retention.ms": "retentionMs",
  "segment.bytes": "segmentBytes",
  "max.message.bytes": "maxMessageBytes",
};

/** Configs reported by DescribeConfigs that are fixed here. */
export const FIXED_TOPIC_CONFIGS: Record<string, string> = {
  "cleanup.policy": "delete",
  "compression.type": "producer",
  "message.timestamp.type": "CreateTime",
  "min.insync.replicas": "1",
};

export class Topic {
  constructor(
    readonly name: string,
    readonly partitions: PartitionLog[],
    public config: TopicConfig,
    readonly dir: string | undefined,
  ) {}
}

export class TopicError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: string): string | undefined {
  if (!TOPIC_NAME.test(name) || name === "." || name === "..") return `invalid topic name '${name}': use 1-249 of a-z A-Z 0-9 . _ -`;
  return undefined;
}

type Waiter = { keys: Set<string>; wake: () => void };

export class TopicStore {
  readonly topics = new Map<string, Topic>();
  private waiters = new Set<Waiter>();

  constructor(
    readonly dataDir: string | undefined,
    readonly defaults: TopicConfig,
  ) {
    if (dataDir) this.load(path.join(dataDir, "topics"));
  }

  private topicDir(name: string): string | undefined {
    return this.dataDir ? path.join(this.dataDir, "topics", name) : undefined;
  }

  private load(root: string): void {
    if (!fs.existsSync(root)) return;
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name);
      const metaFile = path.join(dir, "topic.json");
      if (!fs.existsSync(metaFile)) continue;
      let meta: { partitions: number; config?: Partial<TopicConfig> };
      try {
        meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as typeof meta;
      } catch {
        continue; // a topic whose creation was cut short before its metadata was written
      }
      const config = { ...this.defaults, ...meta.config };
      const parts: PartitionLog[] = [];
      for (let p = 0; p < meta.partitions; p++) parts.push(new PartitionLog(path.join(dir, String(p)), config));
      this.topics.set(name, new Topic(name, parts, config, dir));
    }
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  create(name: string, partitions: number, overrides: Partial<TopicConfig> = {}): Topic {
    const bad = checkTopicName(name);
    if (bad) throw new TopicError(17, bad);
    if (this.topics.has(name)) throw new TopicError(36, `topic '${name}' already exists`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10000) throw new TopicError(37, `partitions must be 1..10000, got ${partitions}`);
    const config = { ...this.defaults, ...overrides };
    const dir = this.topicDir(name);
    if (dir) {
      fs.mkdirSync(dir, { recursive: true });
      const tmp = path.join(dir, "topic.json.tmp");
      fs.writeFileSync(tmp, JSON.stringify({ partitions, config: overrides }));
      fs.renameSync(tmp, path.join(dir, "topic.json"));
    }
    const parts: PartitionLog[] = [];
    for (let p = 0; p < partitions; p++) parts.push(new PartitionLog(dir ? path.join(dir, String(p)) : undefined, config));
    const topic = new Topic(name, parts, config, dir);
    this.topics.set(name, topic);
    return topic;
  }

  delete(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(3, `unknown topic '${name}'`);
    this.topics.delete(name);
    for (const p of topic.partitions) p.close();
    if (topic.dir) fs.rmSync(topic.dir, { recursive: true, force: true });
  }

  /** Runs size and age retention over every partition. */
  applyRetention(now = Date.now()): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.applyRetention(now);
  }

  /** Registers a long-polling fetch interested in topic/partition keys ("topic\0partition"). */
  addWaiter(keys: Set<string>, wake: () => void): () => void {
    const w: Waiter = { keys, wake };
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }

  /** Called after an append: wakes fetches waiting on that partition. */
  notifyAppend(topic: string, partition: number): void {
    if (this.waiters.size === 0) return;
    const key = topic + "\0" + partition;
    for (const w of [...this.waiters]) {
      if (w.keys.has(key)) {
        this.waiters.delete(w);
        w.wake();
      }
    }
  }

  close(): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.close();
  }
}
