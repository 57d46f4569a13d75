/**
 * The brokers of one cluster as lib/client's own protocol code sees them: bootstrap, Metadata (leaders per
 * partition), one connection per broker opened on first use and opened again after it breaks, and the
 * offsets of a topic's partitions by ListOffsets. Used by the columnar reader and the batch producer.
 */
import { ListOffsets, Metadata } from "../../protocol/messages";
import type { ClusterConfig, TopicInfo, TopicPartitionOffsets } from "../types";
import { Connection, KafkaProtocolError, errorName } from "./connection";

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(":");
  return [hostPort.slice(0, i).replace(/^\[|\]$/g, ""), Number(hostPort.slice(i + 1))];
}

/** isolation_level of ListOffsets and Fetch: 1 = read_committed, as the source reads. */
export const READ_COMMITTED = 1;

export class WireCluster {
  private readonly conns = new Map<string, Promise<Connection>>();
  private brokers = new Map<number, string>();
  /** "topic:partition" -> leader node id. */
  private leaders = new Map<string, number>();
  private partitionCounts = new Map<string, number>();
  /** When each topic's metadata was last read (Date.now()). */
  private metadataAt = new Map<string, number>();
  private closed = false;

  constructor(readonly config: ClusterConfig) {}

  /** A connection to host:port, reused until it breaks. */
  connection(address: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error("the Kafka reader was closed"));
    const have = this.conns.get(address);
    if (have) {
      return have.then((c) => {
        if (!c.closed) return c;
        this.conns.delete(address);
        return this.connection(address);
      });
    }
    const [host, port] = splitHostPort(address);
    const p = Connection.open(host, port, this.config);
    this.conns.set(address, p);
    p.catch(() => this.conns.get(address) === p && this.conns.delete(address));
    return p;
  }

  /** A connection to any bootstrap server (the first that answers). */
  private async any(): Promise<Connection> {
    let last: unknown;
    for (const b of [...this.brokers.values(), ...this.config.bootstrap]) {
      try {
        return await this.connection(b);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(`no Kafka broker reachable at ${this.config.bootstrap.join(",")}`);
  }

  /** Metadata for these topics (all when undefined); remembers brokers and leaders. */
  async refresh(topics?: string[], autoCreate = false): Promise<TopicInfo[]> {
    const conn = await this.any();
    const v = conn.version(Metadata, 12, 1);
    // Before v4 a broker creates requested topics when its auto.create.topics.enable says so.
    const res = await conn.request(Metadata, v, { topics: topics ? topics.map((name) => ({ name })) : null, allowAutoTopicCreation: autoCreate });
    for (const b of res.brokers) this.brokers.set(b.nodeId, `${b.host}:${b.port}`);
    const out: TopicInfo[] = [];
    for (const t of res.topics) {
      if (t.errorCode || !t.name) continue;
      this.partitionCounts.set(t.name, t.partitions.length);
      this.metadataAt.set(t.name, Date.now());
      for (const p of t.partitions) this.leaders.set(`${t.name}:${p.partitionIndex}`, p.leaderId);
      out.push({ name: t.name, partitions: t.partitions.length });
    }
    return out;
  }

  /** Partition count of a topic from the last metadata; undefined when unknown. */
  partitions(topic: string): number | undefined {
    return this.partitionCounts.get(topic);
  }

  listTopics(): Promise<TopicInfo[]> {
    return this.refresh();
  }

  /** The leader's address of a partition, from the last metadata; undefined when unknown. */
  leader(topic: string, partition: number): string | undefined {
    const id = this.leaders.get(`${topic}:${partition}`);
    return id === undefined || id < 0 ? undefined : this.brokers.get(id);
  }

  /**
   * Low (log start) and high (last stable) offsets of every partition of a topic. The topic's metadata
   * (partitions, leaders) is read again unless it is younger than `maxMetadataAgeMs`.
   */
  async topicOffsets(topic: string, maxMetadataAgeMs = 0): Promise<TopicPartitionOffsets[]> {
    const at = this.metadataAt.get(topic);
    if (at === undefined || Date.now() - at >= maxMetadataAgeMs) await this.refresh([topic]);
    const n = this.partitionCounts.get(topic);
    if (n === undefined) throw new KafkaProtocolError(3, `topic ${topic} does not exist (UNKNOWN_TOPIC_OR_PARTITION)`);
    const byLeader = new Map<string, number[]>();
    for (let p = 0; p < n; p++) {
      const at = this.leader(topic, p);
      if (!at) throw new KafkaProtocolError(5, `no leader for ${topic}-${p} (LEADER_NOT_AVAILABLE)`);
      if (!byLeader.has(at)) byLeader.set(at, []);
      byLeader.get(at)!.push(p);
    }
    const out: TopicPartitionOffsets[] = [];
    await Promise.all(
      [...byLeader].map(async ([at, parts]) => {
        const conn = await this.connection(at);
        // v2 (isolation level, no leader epochs): librdkafka's mock cluster misencodes v4+ answers of several partitions.
        const v = conn.version(ListOffsets, 2, 2);
        const ask = async (timestamp: number) => {
          const res = await conn.request(ListOffsets, v, { replicaId: -1, isolationLevel: READ_COMMITTED, topics: [{ name: topic, partitions: parts.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
          const m = new Map<number, number>();
          for (const t of res.topics)
            for (const p of t.partitions) {
              if (p.errorCode) throw new KafkaProtocolError(p.errorCode, `ListOffsets ${topic}-${p.partitionIndex} at ${at}: ${errorName(p.errorCode)}`);
              m.set(p.partitionIndex, p.offset);
            }
          return m;
        };
        const [low, high] = await Promise.all([ask(-2), ask(-1)]);
        for (const p of parts) out.push({ partition: p, low: String(low.get(p)), high: String(high.get(p)) });
      }),
    );
    return out.sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}
