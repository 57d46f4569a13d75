/**
 * The Kafka source, with Spark's row schema and options. Reads through lib/client (kafkajs), never a broker
 * shortcut. A consumer in a private group (one member, so it owns every partition) fetches ahead into
 * per-partition buffers; a micro-batch takes exactly the records between two offset maps, so a batch replayed
 * after a restart reads the same records. Offsets are Spark's JSON: {"topic": {"0": nextOffset}}.
 */
import { randomUUID } from "node:crypto";
import type { StreamSource, SourceBatch, SourceProvider, Offset } from "./types";
import type { StructType, StructField } from "../types";
import { AnalysisError } from "../expr/bound";
import { connect, currentCluster, parseBootstrap, type KafkaClient, type ClusterConfig, type ConsumerHandle, type FetchedRecord } from "../../client";

export type KafkaOffsets = Record<string, Record<string, number>>;

const BASE_FIELDS: StructField[] = [
  { name: "key", type: { kind: "binary" }, nullable: true },
  { name: "value", type: { kind: "binary" }, nullable: true },
  { name: "topic", type: { kind: "string" }, nullable: true },
  { name: "partition", type: { kind: "integer" }, nullable: true },
  { name: "offset", type: { kind: "long" }, nullable: true },
  { name: "timestamp", type: { kind: "timestamp" }, nullable: true },
  { name: "timestampType", type: { kind: "integer" }, nullable: true },
];
const HEADERS_FIELD: StructField = {
  name: "headers",
  type: { kind: "array", elementType: { kind: "struct", fields: [{ name: "key", type: { kind: "string" }, nullable: true }, { name: "value", type: { kind: "binary" }, nullable: true }] } },
  nullable: true,
};

const KNOWN_OPTIONS = new Set(["subscribe", "subscribepattern", "assign", "startingoffsets", "endingoffsets", "maxoffsetspertrigger", "failondataloss", "includeheaders", "minpartitions", "groupidprefix", "kafka.group.id", "startingtimestamp"]);

type Subscription = { kind: "subscribe"; topics: string[] } | { kind: "pattern"; regex: RegExp } | { kind: "assign"; partitions: Record<string, number[]> };

function parseOffsetsJson(text: string, what: string): KafkaOffsets {
  try {
    const v = JSON.parse(text) as KafkaOffsets;
    if (!v || typeof v !== "object") throw new Error();
    return v;
  } catch {
    throw new AnalysisError(`${what} must be "earliest", "latest" or JSON like {"orders":{"0":23,"1":-2}} (-2 = earliest, -1 = latest)`);
  }
}

export class KafkaSourceProvider implements SourceProvider {
  readonly schema: StructType;
  readonly name: string;
  readonly subscription: Subscription;
  readonly options: Record<string, string>;

  constructor(options: Record<string, string>) {
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(options)) lower[k.startsWith("kafka.") ? k : k.toLowerCase()] = v;
    this.options = lower;
    for (const k of Object.keys(lower)) {
      if (!k.startsWith("kafka.") && !KNOWN_OPTIONS.has(k)) throw new AnalysisError(`unknown kafka source option '${k}'; options: subscribe, subscribePattern, assign, startingOffsets, endingOffsets, maxOffsetsPerTrigger, failOnDataLoss, includeHeaders, kafka.*`);
    }
    const given = ["subscribe", "subscribepattern", "assign"].filter((k) => lower[k] !== undefined);
    if (given.length !== 1) throw new AnalysisError('the kafka source needs exactly one of .option("subscribe", "topic"), .option("subscribePattern", "regex") or .option("assign", \'{"topic":[0,1]}\')');
    if (lower.subscribe !== undefined) {
      const topics = lower.subscribe.split(",").map((s) => s.trim()).filter(Boolean);
      if (!topics.length) throw new AnalysisError("subscribe needs at least one topic name");
      this.subscription = { kind: "subscribe", topics };
    } else if (lower.subscribepattern !== undefined) {
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${lower.subscribepattern})$`);
      } catch (err) {
        throw new AnalysisError(`subscribePattern '${lower.subscribepattern}' is not a regular expression: ${(err as Error).message}`);
      }
      this.subscription = { kind: "pattern", regex };
    } else {
      let parsed: Record<string, number[]>;
      try {
        parsed = JSON.parse(lower.assign) as Record<string, number[]>;
      } catch {
        throw new AnalysisError(`assign must be JSON like {"orders":[0,1]}, got '${lower.assign}'`);
      }
      this.subscription = { kind: "assign", partitions: parsed };
    }
    const so = lower.startingoffsets ?? "latest";
    if (so !== "earliest" && so !== "latest") parseOffsetsJson(so, "startingOffsets");
    const eo = lower.endingoffsets;
    if (eo !== undefined && eo !== "latest") parseOffsetsJson(eo, "endingOffsets");
    if (lower.maxoffsetspertrigger !== undefined && !(Number(lower.maxoffsetspertrigger) > 0)) throw new AnalysisError(`maxOffsetsPerTrigger must be a positive number, got '${lower.maxoffsetspertrigger}'`);
    if (lower["kafka.bootstrap.servers"] !== undefined) parseBootstrap(lower["kafka.bootstrap.servers"]);
    const includeHeaders = lower.includeheaders === "true";
    this.schema = { kind: "struct", fields: includeHeaders ? [...BASE_FIELDS, HEADERS_FIELD] : BASE_FIELDS.slice() };
    this.name = `KafkaV2[${this.subscription.kind === "subscribe" ? `Subscribe[${this.subscription.topics.join(",")}]` : this.subscription.kind === "pattern" ? `SubscribePattern[${lower.subscribepattern}]` : `Assign[${lower.assign}]`}]`;
  }

  create(): StreamSource {
    return new KafkaSource(this);
  }
}

interface PartitionBuffer {
  records: FetchedRecord[];
  /** Offset of the next record the consumer should deliver (records below are duplicates). */
  fetched: number;
  paused: boolean;
}

const BUFFER_PAUSE = 100_000;

/** Cluster settings from `kafka.*` options, on top of the notebook's current cluster. */
async function clusterFor(options: Record<string, string>): Promise<ClusterConfig> {
  const servers = options["kafka.bootstrap.servers"];
  const base: ClusterConfig = servers ? { bootstrap: parseBootstrap(servers) } : { ...(await currentCluster()) };
  if (options["kafka.client.id"]) base.clientId = options["kafka.client.id"];
  const mech = options["kafka.sasl.mechanism"]?.toLowerCase();
  if (mech) {
    base.sasl = { mechanism: mech as "plain", username: options["kafka.sasl.username"] ?? "", password: options["kafka.sasl.password"] ?? "" };
  }
  if (/ssl/i.test(options["kafka.security.protocol"] ?? "")) base.ssl = true;
  return base;
}

class KafkaSource implements StreamSource {
  readonly schema: StructType;
  private client?: KafkaClient;
  private consumer?: ConsumerHandle;
  private consumerStarting?: Promise<void>;
  private readonly buffers = new Map<string, PartitionBuffer>();
  private waiters: (() => void)[] = [];
  private latest: KafkaOffsets = {};
  private lows: KafkaOffsets = {};
  private readonly maxPerTrigger?: number;
  private readonly failOnDataLoss: boolean;
  private readonly includeHeaders: boolean;
  private fetchError?: Error;
  private stopped = false;
  private readonly groupId: string;

  constructor(private readonly p: KafkaSourceProvider) {
    this.schema = p.schema;
    this.maxPerTrigger = p.options.maxoffsetspertrigger ? Number(p.options.maxoffsetspertrigger) : undefined;
    this.failOnDataLoss = (p.options.failondataloss ?? "true") !== "false";
    this.includeHeaders = p.options.includeheaders === "true";
    this.groupId = p.options["kafka.group.id"] ?? `${p.options.groupidprefix ?? "spark-kafka-source"}-${randomUUID()}`;
  }

  description(): string {
    return this.p.name;
  }

  async start(): Promise<void> {
    this.client = connect(await clusterFor(this.p.options));
  }

  /** Topics and partitions this source reads now, with their low and high offsets. */
  private async refresh(): Promise<void> {
    const client = this.client!;
    const sub = this.p.subscription;
    let topics: string[];
    if (sub.kind === "subscribe") topics = sub.topics;
    else if (sub.kind === "assign") topics = Object.keys(sub.partitions);
    else topics = (await client.listTopics()).map((t) => t.name).filter((t) => sub.regex.test(t) && !t.startsWith("__"));
    const existing = new Set((await client.listTopics()).map((t) => t.name));
    const latest: KafkaOffsets = {};
    const lows: KafkaOffsets = {};
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      const offsets = await client.topicOffsets(topic);
      const allowed = sub.kind === "assign" ? new Set(sub.partitions[topic]) : undefined;
      latest[topic] = {};
      lows[topic] = {};
      for (const o of offsets) {
        if (allowed && !allowed.has(o.partition)) continue;
        latest[topic][String(o.partition)] = Number(o.high);
        lows[topic][String(o.partition)] = Number(o.low);
      }
    }
    this.latest = latest;
    this.lows = lows;
  }

  private resolve(spec: string | undefined, fallback: "earliest" | "latest"): KafkaOffsets {
    const out: KafkaOffsets = {};
    const json = spec && spec !== "earliest" && spec !== "latest" ? parseOffsetsJson(spec, "startingOffsets") : undefined;
    const mode = spec === "earliest" || spec === "latest" ? spec : fallback;
    for (const [topic, parts] of Object.entries(this.latest)) {
      out[topic] = {};
      for (const [p, high] of Object.entries(parts)) {
        const low = this.lows[topic][p];
        const given = json?.[topic]?.[p];
        const v = given === undefined ? (json ? low : mode === "earliest" ? low : high) : given === -2 ? low : given === -1 ? high : given;
        out[topic][p] = v;
      }
    }
    return out;
  }

  async initialOffset(): Promise<Offset> {
    await this.refresh();
    return this.resolve(this.p.options.startingoffsets ?? "latest", "latest");
  }

  /** Start the fetcher at `start` once the topics exist. */
  private async ensureConsumer(start: KafkaOffsets): Promise<void> {
    if (this.consumer || this.consumerStarting) return this.consumerStarting;
    const topics = Object.keys(this.latest);
    if (!topics.length) return;
    this.consumerStarting = (async () => {
      const consumer = await this.client!.consumer({ groupId: this.groupId, topics, fromBeginning: true, autoCommit: false, maxBytesPerPartition: 8 * 1024 * 1024 });
      for (const [topic, parts] of Object.entries(this.latest)) {
        for (const p of Object.keys(parts)) {
          const from = start[topic]?.[p] ?? this.lows[topic][p];
          this.buffers.set(`${topic}\u0000${p}`, { records: [], fetched: from, paused: false });
        }
      }
      await consumer.run(async (batch) => this.onFetched(batch.topic, batch.partition, batch.records));
      for (const [topic, parts] of Object.entries(this.latest)) {
        for (const p of Object.keys(parts)) consumer.seek(topic, Number(p), String(this.buffers.get(`${topic}\u0000${p}`)!.fetched));
      }
      this.consumer = consumer;
    })();
    this.consumerStarting.catch((err) => (this.fetchError = err as Error));
    return this.consumerStarting;
  }

  private onFetched(topic: string, partition: number, records: FetchedRecord[]): void {
    const key = `${topic}\u0000${partition}`;
    let buf = this.buffers.get(key);
    if (!buf) {
      // A partition that appeared after the start: read it from its beginning, as Spark does.
      buf = { records: [], fetched: Number(records[0]?.offset ?? 0), paused: false };
      this.buffers.set(key, buf);
    }
    for (const r of records) {
      const off = Number(r.offset);
      if (off < buf.fetched) continue; // re-delivered after a rebalance: already buffered
      buf.records.push(r);
      buf.fetched = off + 1;
    }
    if (buf.records.length > BUFFER_PAUSE && !buf.paused && this.consumer) {
      buf.paused = true;
      this.consumer.pause(topic, [partition]);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async latestOffset(start: Offset, limit: { target?: Offset; uncapped?: boolean }): Promise<Offset> {
    await this.refresh();
    const s = (start ?? {}) as KafkaOffsets;
    if (this.failOnDataLoss) {
      for (const [topic, parts] of Object.entries(s)) {
        for (const [p, off] of Object.entries(parts)) {
          const low = this.lows[topic]?.[p];
          if (low !== undefined && off < low) {
            throw new Error(`data loss: ${topic}-${p} needs offset ${off} but the earliest available is ${low} (deleted by retention?); set option failOnDataLoss=false to skip ahead`);
          }
        }
      }
    }
    await this.ensureConsumer(s);
    let end: KafkaOffsets = {};
    for (const [topic, parts] of Object.entries(this.latest)) {
      end[topic] = {};
      for (const [p, high] of Object.entries(parts)) {
        const from = s[topic]?.[p] ?? this.lows[topic][p];
        const target = (limit.target as KafkaOffsets | undefined)?.[topic]?.[p];
        end[topic][p] = Math.max(from, Math.min(high, target ?? Infinity));
      }
    }
    const ending = this.p.options.endingoffsets;
    if (ending && ending !== "latest") {
      const e = parseOffsetsJson(ending, "endingOffsets");
      for (const [topic, parts] of Object.entries(end)) for (const p of Object.keys(parts)) if (e[topic]?.[p] !== undefined && e[topic][p] >= 0) parts[p] = Math.min(parts[p], e[topic][p]);
    }
    if (this.maxPerTrigger && !limit.uncapped) end = this.capped(s, end, this.maxPerTrigger);
    return end;
  }

  /** maxOffsetsPerTrigger split across partitions in proportion to what each has available. */
  private capped(start: KafkaOffsets, end: KafkaOffsets, max: number): KafkaOffsets {
    let total = 0;
    const avail: [string, string, number, number][] = [];
    for (const [topic, parts] of Object.entries(end)) {
      for (const [p, e] of Object.entries(parts)) {
        const from = start[topic]?.[p] ?? this.lows[topic][p];
        avail.push([topic, p, from, e - from]);
        total += e - from;
      }
    }
    if (total <= max) return end;
    const out: KafkaOffsets = {};
    let given = 0;
    avail.forEach(([topic, p, from, n], i) => {
      out[topic] ??= {};
      let take = Math.floor((n / total) * max);
      if (i === avail.length - 1) take = Math.min(n, Math.max(take, max - given));
      given += take;
      out[topic][p] = from + take;
    });
    return out;
  }

  hasData(start: Offset, end: Offset): boolean {
    const s = (start ?? {}) as KafkaOffsets;
    for (const [topic, parts] of Object.entries((end ?? {}) as KafkaOffsets)) {
      for (const [p, e] of Object.entries(parts)) if (e > (s[topic]?.[p] ?? e)) return true;
    }
    return false;
  }

  isExhausted(end: Offset): boolean {
    const ending = this.p.options.endingoffsets;
    if (!ending) return false;
    const e = ending === "latest" ? this.latest : parseOffsetsJson(ending, "endingOffsets");
    for (const [topic, parts] of Object.entries(e)) {
      for (const [p, off] of Object.entries(parts)) if ((((end ?? {}) as KafkaOffsets)[topic]?.[p] ?? -1) < (off < 0 ? this.latest[topic]?.[p] ?? 0 : off)) return false;
    }
    return true;
  }

  reportLatestOffset(): Offset {
    return this.latest;
  }

  lag(end: Offset): number {
    let lag = 0;
    const e = (end ?? {}) as KafkaOffsets;
    for (const [topic, parts] of Object.entries(this.latest)) for (const [p, high] of Object.entries(parts)) lag += Math.max(0, high - (e[topic]?.[p] ?? high));
    return lag;
  }

  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const s = (start ?? {}) as KafkaOffsets;
    const e = (end ?? {}) as KafkaOffsets;
    // A batch replayed from the checkpoint right after a restart comes before any latestOffset() call.
    if (!Object.keys(this.latest).length) await this.refresh();
    await this.ensureConsumer(s);
    const parts: [string, string, number, number][] = [];
    for (const [topic, ps] of Object.entries(e)) for (const [p, to] of Object.entries(ps)) {
      const from = s[topic]?.[p] ?? this.lows[topic]?.[p] ?? 0;
      if (to > from) parts.push([topic, p, from, to]);
    }
    // Wait until the fetcher has delivered every record below the end offsets.
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (this.fetchError) throw this.fetchError;
      if (this.stopped) throw new Error("source stopped");
      const missing = parts.find(([topic, p, , to]) => (this.buffers.get(`${topic}\u0000${p}`)?.fetched ?? -1) < to && !this.skippable(topic, p, to));
      if (!missing) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${missing[0]}-${missing[1]} up to offset ${missing[3]} from the broker`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const cols: unknown[][] = this.schema.fields.map(() => []);
    const [kc, vc, tc, pc, oc, tsc, ttc, hc] = cols;
    const origins: [string, number][] = [];
    for (const [topic, p, from, to] of parts) {
      const buf = this.buffers.get(`${topic}\u0000${p}`)!;
      const partition = Number(p);
      for (const r of buf.records) {
        const off = Number(r.offset);
        if (off < from) continue;
        if (off >= to) break;
        kc.push(r.key);
        vc.push(r.value);
        tc.push(topic);
        pc.push(partition);
        oc.push(off);
        tsc.push(Number(r.timestamp));
        ttc.push(0);
        if (this.includeHeaders) hc.push(Object.entries(r.headers ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => ({ key: k, value: x === undefined ? null : Buffer.isBuffer(x) ? x : Buffer.from(String(x)) }))));
        origins.push([topic, partition]);
      }
    }
    return {
      numRows: kc.length,
      columns: cols,
      describeRow: (row) => (row < origins.length ? `topic ${tc[row]} partition ${pc[row]} offset ${oc[row]}` : `row ${row}`),
    };
  }

  /** Offsets that will never arrive (compaction, transaction markers): the partition's high watermark is reached. */
  private skippable(topic: string, p: string, to: number): boolean {
    const buf = this.buffers.get(`${topic}\u0000${p}`);
    return !!buf && buf.records.length > 0 && Number(buf.records[buf.records.length - 1].offset) >= to - 1;
  }

  commit(end: Offset): void {
    const e = (end ?? {}) as KafkaOffsets;
    const commits: { topic: string; partition: number; offset: string }[] = [];
    for (const [topic, parts] of Object.entries(e)) {
      for (const [p, to] of Object.entries(parts)) {
        const buf = this.buffers.get(`${topic}\u0000${p}`);
        if (!buf) continue;
        let drop = 0;
        while (drop < buf.records.length && Number(buf.records[drop].offset) < to) drop++;
        if (drop) buf.records = buf.records.slice(drop);
        if (buf.paused && buf.records.length < BUFFER_PAUSE / 2 && this.consumer) {
          buf.paused = false;
          this.consumer.resume(topic, [Number(p)]);
        }
        commits.push({ topic, partition: Number(p), offset: String(to) });
      }
    }
    // Committing makes the group's lag visible (%kafka groups) and lets a rebalance resume near here.
    if (commits.length && this.consumer) this.consumer.commit(commits).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const consumer = this.consumer ?? (await this.consumerStarting?.then(() => this.consumer).catch(() => undefined));
    await consumer?.close().catch(() => undefined);
    await this.client?.close().catch(() => undefined);
  }
}
