/**
 * A producer on lib/client's own protocol code: each send() becomes one record batch per partition
 * (wire/batches.ts encodeBatch, compressed when asked), one Produce request per leader, answers awaited. Records
 * with a partition go there, keyed ones by murmur2 as the Java client, unkeyed ones to one partition per send
 * (sticky, the next one next time). Callers bound their in-flight sends (the datagen generator's maxInFlight);
 * requests on one connection are pipelined. Leader moves and a topic created by this very send are retried.
 */
import { Produce } from "../../protocol/messages";
import { partitionForKey } from "../produce";
import type { ClusterConfig, Compression, ProduceRecord, ProduceResult, ProducerHandle } from "../types";
import { encodeBatch, type OutRecord } from "./batches";
import { chunksBySize } from "../send-chunks";
import { KafkaProtocolError, errorName } from "./connection";
import { WireCluster } from "./cluster";

const RETRIABLE = new Set([3, 5, 6, 7, 19, 20, 74, 75]);

/** Strings stay strings: encodeBatch writes them as UTF-8 straight into the batch. */
const bytesOf = (v: Buffer | string | null | undefined): Buffer | string | null => (v === null || v === undefined ? null : v);
const byteLen = (v: Buffer | string | null): number => (v === null ? -1 : typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length);

export class WireProducer implements ProducerHandle {
  private readonly cluster: WireCluster;
  private sticky = 0;
  /** String key -> partition (murmur2 of its UTF-8 bytes), for the partition count it was computed with. */
  private keyPartitions = new Map<string, number>();
  private keyPartitionsCount = 0;

  constructor(config: ClusterConfig) {
    this.cluster = new WireCluster(config);
  }

  async send(topic: string, records: ProduceRecord[], options: { acks?: -1 | 0 | 1; compression?: Compression } = {}): Promise<ProduceResult[]> {
    let count = this.cluster.partitions(topic);
    if (count === undefined) {
      await this.cluster.refresh([topic], true);
      count = this.cluster.partitions(topic);
      for (let i = 0; count === undefined && i < 20; i++) {
        // Auto-created just now: the partitions appear in a moment.
        await new Promise((r) => setTimeout(r, 50 * (i + 1)));
        await this.cluster.refresh([topic], true);
        count = this.cluster.partitions(topic);
      }
      if (count === undefined) throw new KafkaProtocolError(3, `topic ${topic} does not exist and was not created (UNKNOWN_TOPIC_OR_PARTITION): create it first`);
    }
    const sticky = this.sticky++ % count;
    const now = Date.now();
    const byPartition = new Map<number, OutRecord[]>();
    if (this.keyPartitionsCount !== count || this.keyPartitions.size > 100_000) {
      this.keyPartitions.clear();
      this.keyPartitionsCount = count;
    }
    for (const r of records) {
      const key = bytesOf(r.key);
      const value = bytesOf(r.value);
      let p = r.partition;
      if (p === undefined) {
        if (key === null) p = sticky;
        else if (typeof key === "string") {
          p = this.keyPartitions.get(key);
          if (p === undefined) this.keyPartitions.set(key, (p = partitionForKey(key, count)));
        } else p = partitionForKey(key, count);
      }
      if (p < 0 || p >= count) throw new Error(`partition ${p} does not exist: ${topic} has ${count} partitions (0-${count - 1})`);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push({ key, value, keyBytes: byteLen(key), valueBytes: byteLen(value), timestamp: r.timestamp ?? now, headers: r.headers ? Object.entries(r.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]) : undefined });
    }
    // A partition's records go in batches under Kafka's default max.message.bytes (1 MiB), sent in rounds so that
    // each partition's batches stay in order: one batch per partition per request.
    const rounds: Map<number, Buffer>[] = [];
    for (const [p, list] of byPartition) {
      chunksBySize(list, recordSize).forEach((chunk, i) => (rounds[i] ??= new Map()).set(p, encodeBatch(chunk, options.compression ?? "none")));
    }
    const acks = options.acks ?? -1;
    const out: ProduceResult[] = [];
    for (const batches of rounds) await this.sendRound(topic, batches, acks, out);
    // One result per partition: where its first batch went.
    const first = new Map<number, ProduceResult>();
    for (const r of out) if (!first.has(r.partition)) first.set(r.partition, r);
    return [...first.values()].sort((a, b) => a.partition - b.partition);
  }

  private async sendRound(topic: string, batches: Map<number, Buffer>, acks: -1 | 0 | 1, out: ProduceResult[]): Promise<void> {
    let pending = [...batches.keys()];
    for (let attempt = 0; pending.length; attempt++) {
      const byLeader = new Map<string, number[]>();
      for (const p of pending) {
        const at = this.cluster.leader(topic, p);
        if (!at) throw new KafkaProtocolError(5, `no leader for ${topic}-${p} (LEADER_NOT_AVAILABLE)`);
        if (!byLeader.has(at)) byLeader.set(at, []);
        byLeader.get(at)!.push(p);
      }
      const retry: number[] = [];
      let lastError = 0;
      await Promise.all(
        [...byLeader].map(async ([at, parts]) => {
          const conn = await this.cluster.connection(at);
          const v = conn.version(Produce, 9, 3);
          const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: parts.map((index) => ({ index, records: batches.get(index)! })) }] };
          if (acks === 0) {
            await conn.sendOnly(Produce, v, body);
            for (const p of parts) out.push({ topic, partition: p, baseOffset: "-1" });
            return;
          }
          const res = await conn.request(Produce, v, body);
          for (const t of res.responses)
            for (const pr of t.partitionResponses) {
              if (pr.errorCode === 0) out.push({ topic, partition: pr.index, baseOffset: String(pr.baseOffset) });
              else if (RETRIABLE.has(pr.errorCode)) {
                retry.push(pr.index);
                lastError = pr.errorCode;
              } else throw new KafkaProtocolError(pr.errorCode, `Produce to ${topic}-${pr.index} failed: ${pr.errorMessage ?? errorName(pr.errorCode)}`);
            }
        }),
      );
      pending = retry;
      if (pending.length) {
        if (attempt >= 5) throw new KafkaProtocolError(lastError, `Produce to ${topic} failed after ${attempt + 1} attempts: ${errorName(lastError)}`);
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
        await this.cluster.refresh([topic], true);
      }
    }
  }

  close(): Promise<void> {
    return this.cluster.close();
  }
}

/** Keys, values, headers and ~30 bytes of framing. */
function recordSize(r: OutRecord): number {
  let size = 30 + Math.max(0, r.keyBytes ?? 0) + Math.max(0, r.valueBytes ?? 0);
  for (const [k, v] of r.headers ?? []) size += k.length + v.length + 8;
  return size;
}
