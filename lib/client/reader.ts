/**
 * A partition reader without consumer groups: Spark's Kafka source assigns partitions and reads offset ranges;
 * it never joins a group (no join latency, no rebalances, no committed offsets to fight). It speaks the
 * protocol itself (lib/protocol's codec over wire/connection.ts): Metadata for the leaders, Fetch (v4+,
 * read_committed) of every partition of a leader in one request, the leaders in parallel, and record batches
 * decoded straight into columns (wire/batches.ts: keys and values are views into the fetch answer).
 */
import { Fetch } from "../protocol/messages";
import type { ClusterConfig, TopicInfo, TopicPartitionOffsets } from "./types";
import { decodeBatches, emptyColumns, type RecordColumns } from "./wire/batches";
import { KafkaProtocolError, errorName } from "./wire/connection";
import { READ_COMMITTED, WireCluster } from "./wire/cluster";

export type { RecordColumns } from "./wire/batches";

export interface OffsetRange {
  topic: string;
  partition: number;
  /** First offset to read. */
  from: number;
  /** Read up to, not including, this offset. */
  to: number;
}

/** Partition errors after which new metadata (a new leader) may help. */
const RETRIABLE = new Set([3, 5, 6, 74, 75]);

export class PartitionReader {
  private readonly cluster: WireCluster;
  private readonly maxBytesPerPartition: number;
  private readonly maxWaitTimeMs: number;
  /** Bytes per record seen so far, to ask a fetch for about what a range still needs. */
  private bytesPerRecord = 160;

  constructor(config: ClusterConfig, options: { maxBytesPerPartition?: number; maxWaitTimeMs?: number } = {}) {
    this.cluster = new WireCluster(config);
    this.maxBytesPerPartition = options.maxBytesPerPartition ?? 16 * 1024 * 1024;
    this.maxWaitTimeMs = options.maxWaitTimeMs ?? 200;
  }

  listTopics(): Promise<TopicInfo[]> {
    return this.cluster.listTopics();
  }

  /** See WireCluster.topicOffsets: metadata younger than `maxMetadataAgeMs` is not read again. */
  topicOffsets(topic: string, maxMetadataAgeMs = 0): Promise<TopicPartitionOffsets[]> {
    return this.cluster.topicOffsets(topic, maxMetadataAgeMs);
  }

  /**
   * Every record in the given ranges, per range in offset order. Waits (long-polling the leaders) until each
   * range is complete; a range whose end is beyond the partition's last stable offset waits for those records.
   * Headers are decoded only when `options.headers` is set; each batch's CRC-32C is verified unless
   * `options.checkCrcs` is false (Kafka's check.crcs).
   */
  async read(ranges: OffsetRange[], deadlineMs = 120_000, options: { headers?: boolean; checkCrcs?: boolean } = {}): Promise<RecordColumns[]> {
    const out = ranges.map(() => emptyColumns());
    const next = new Map<number, number>();
    ranges.forEach((r, i) => r.to > r.from && next.set(i, r.from));
    if (!next.size) return out;
    const deadline = Date.now() + deadlineMs;
    let needMetadata = ranges.some((r) => !this.cluster.leader(r.topic, r.partition));
    let retries = 0;
    while (next.size) {
      if (Date.now() > deadline) {
        const [i, at] = [...next][0];
        throw new Error(`timed out reading ${ranges[i].topic}-${ranges[i].partition} at offset ${at} (wanted up to ${ranges[i].to})`);
      }
      if (needMetadata) {
        await this.cluster.refresh([...new Set(ranges.map((r) => r.topic))]);
        needMetadata = false;
      }
      const byLeader = new Map<string, number[]>();
      for (const i of next.keys()) {
        const at = this.cluster.leader(ranges[i].topic, ranges[i].partition);
        if (!at) {
          if (retries++ > 5) throw new KafkaProtocolError(5, `no leader for ${ranges[i].topic}-${ranges[i].partition} (LEADER_NOT_AVAILABLE)`);
          needMetadata = true;
          break;
        }
        if (!byLeader.has(at)) byLeader.set(at, []);
        byLeader.get(at)!.push(i);
      }
      if (needMetadata) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const stale = await Promise.all([...byLeader].map(([at, list]) => this.fetchFrom(at, list, ranges, next, out, options.headers === true, options.checkCrcs !== false)));
      if (stale.some(Boolean)) {
        if (retries++ > 20) throw new KafkaProtocolError(6, `the leaders of ${ranges.map((r) => `${r.topic}-${r.partition}`).join(", ")} keep moving (NOT_LEADER_OR_FOLLOWER)`);
        needMetadata = true;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return out;
  }

  /**
   * One Fetch round, no waiting (max wait 0): what the leaders hold now from each range's `from`, up to its
   * `to`. `reached[i]` is the offset after what range i's answer covered (its `from` when nothing came, or the
   * leader is unknown). A speculative read: the caller reads the rest, if any, with read().
   */
  async readAvailable(ranges: OffsetRange[], options: { headers?: boolean; checkCrcs?: boolean } = {}): Promise<{ columns: RecordColumns[]; reached: number[] }> {
    const columns = ranges.map(() => emptyColumns());
    const next = new Map<number, number>();
    ranges.forEach((r, i) => r.to > r.from && next.set(i, r.from));
    const byLeader = new Map<string, number[]>();
    for (const i of next.keys()) {
      const at = this.cluster.leader(ranges[i].topic, ranges[i].partition);
      if (!at) continue;
      if (!byLeader.has(at)) byLeader.set(at, []);
      byLeader.get(at)!.push(i);
    }
    await Promise.all([...byLeader].map(([at, list]) => this.fetchFrom(at, list, ranges, next, columns, options.headers === true, options.checkCrcs !== false, 0)));
    return { columns, reached: ranges.map((r, i) => next.get(i) ?? r.to) };
  }

  /** One Fetch to one leader for the ranges in `list`; true when its metadata looks stale. */
  private async fetchFrom(at: string, list: number[], ranges: OffsetRange[], next: Map<number, number>, out: RecordColumns[], headers: boolean, checkCrcs: boolean, maxWaitMs = this.maxWaitTimeMs): Promise<boolean> {
    const conn = await this.cluster.connection(at);
    const v = conn.version(Fetch, 12, 4);
    const topics = new Map<string, { partition: number; fetchOffset: number; partitionMaxBytes: number }[]>();
    for (const i of list) {
      const r = ranges[i];
      if (!topics.has(r.topic)) topics.set(r.topic, []);
      const want = Math.ceil((r.to - next.get(i)!) * this.bytesPerRecord * 1.1) + 16 * 1024;
      topics.get(r.topic)!.push({ partition: r.partition, fetchOffset: next.get(i)!, partitionMaxBytes: Math.min(this.maxBytesPerPartition, want) });
    }
    const res = await conn.request(
      Fetch,
      v,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes: 1,
        maxBytes: 64 * 1024 * 1024,
        isolationLevel: READ_COMMITTED,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      },
      maxWaitMs + 30_000,
    );
    if (res.errorCode) throw new KafkaProtocolError(res.errorCode, `Fetch from ${at}: ${errorName(res.errorCode)}`);
    let stale = false;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const i = list.find((x) => ranges[x].topic === t.topic && ranges[x].partition === p.partitionIndex);
        if (i === undefined) continue;
        const r = ranges[i];
        if (p.errorCode) {
          if (RETRIABLE.has(p.errorCode)) {
            stale = true;
            continue;
          }
          if (p.errorCode === 1) throw new KafkaProtocolError(1, `offset ${next.get(i)} of ${r.topic}-${r.partition} is out of range (OFFSET_OUT_OF_RANGE; log start ${p.logStartOffset}, end ${p.highWatermark}): the records were deleted, set failOnDataLoss=false to skip ahead`);
          throw new KafkaProtocolError(p.errorCode, `Fetch ${r.topic}-${r.partition} from ${at}: ${errorName(p.errorCode)}`);
        }
        if (!p.records || !p.records.length) continue;
        const c = out[i];
        const before = c.offsets.length;
        const from = next.get(i)!;
        const advanced = decodeBatches(p.records, { from, to: r.to, headers, aborted: p.abortedTransactions, checkCrcs }, c);
        const taken = c.offsets.length - before;
        if (taken > 100) this.bytesPerRecord = Math.max(16, Math.round(p.records.length / taken));
        // Advance past everything this answer covered (control records, aborted ones, compacted gaps).
        if (advanced < 0) {
          // Not even one whole batch fit: ask for more next time.
          this.bytesPerRecord *= 4;
          continue;
        }
        const to = Math.max(from, advanced);
        if (to >= r.to) next.delete(i);
        else next.set(i, to);
      }
    }
    return stale;
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}
