/**
 * The Kafka source, with Spark's row schema and options. Reads through lib/client's own protocol code
 * (Metadata, ListOffsets, Fetch, records decoded straight into columns), never a broker shortcut. Like Spark's, it assigns partitions instead of joining a consumer group: a micro-batch reads
 * exactly the offset ranges between two offset maps from the partition leaders (lib/client/reader.ts), so a
 * batch replayed after a restart reads the same records. While a batch computes, the next one's records are
 * fetched. Offsets are Spark's JSON: {"topic": {"0": nextOffset}}.
 */
import * as net from "node:net";
import type { StreamSource, SourceBatch, SourceProvider, Offset } from "./types";
import type { StructType, StructField } from "../types";
import { AnalysisError } from "../expr/bound";
import { currentCluster, parseBootstrap, type ClusterConfig } from "../../client";
import { PartitionReader, type OffsetRange, type RecordColumns } from "../../client/reader";

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

/** Topic list and partition metadata older than this are read again (new topics and partitions appear within it). */
const METADATA_MAX_AGE_MS = 1000;

/** How long a query keeps retrying while its brokers are unreachable, unless `kafka.reconnect.timeout.ms` says. */
const DEFAULT_RECONNECT_TIMEOUT_MS = 5 * 60_000;

/**
 * Is this error the broker being unreachable for now (stopped, restarting, leader moving), as opposed to a
 * mistake that retrying cannot fix? Looks through kafkajs' wrappers (originalError, cause).
 */
export function isBrokerUnavailable(err: unknown): boolean {
  for (let e = err as { name?: string; message?: string; code?: string; originalError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; depth++) {
    const text = `${e.name ?? ""} ${e.code ?? ""} ${e.message ?? ""}`;
    if (/ENOTFOUND|SASL|authentication|authoriz/i.test(text)) return false;
    if (/ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|KafkaJSConnectionError|KafkaJSConnectionClosedError|KafkaJSRequestTimeoutError|KafkaJSBrokerNotFound|Connection error|Closed connection|connection (was )?closed|socket hang up|LEADER_NOT_AVAILABLE|NOT_LEADER|leader is not available|no leader|not the leader|There is no leader/i.test(text)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * Why none of the bootstrap servers accepts a TCP connection ("connection refused"), or null when one does.
 * Asked after an error that does not look like an outage: a client can fail in odd ways while its broker dies.
 */
function probeUnreachable(bootstrap: string[]): Promise<string | null> {
  const one = (hostPort: string) =>
    new Promise<string | null>((resolve) => {
      const i = hostPort.lastIndexOf(":");
      const socket = net.connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) });
      socket.setTimeout(5000);
      socket.once("connect", () => (socket.destroy(), resolve(null)));
      socket.once("timeout", () => (socket.destroy(), resolve("timed out")));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED" ? "connection refused" : err.code ?? err.message));
    });
  return Promise.all(bootstrap.map(one)).then((reasons) => (reasons.some((r) => r === null) ? null : reasons[0] ?? "no bootstrap server"));
}

/** "connection refused" out of ECONNREFUSED and the like, for the status line. */
function shortReason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  for (let e = err as { message?: string; originalError?: unknown; cause?: unknown } | undefined, d = 0; e && d < 6; d++) {
    const m = String(e.message ?? "");
    if (/ECONNREFUSED/.test(m)) return "connection refused";
    if (/ECONNRESET|Closed connection|connection (was )?closed|socket hang up/i.test(m)) return "connection closed";
    if (/ETIMEDOUT|timed out/i.test(m)) return "timed out";
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return text.split("\n")[0].slice(0, 120);
}

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
  private reader?: PartitionReader;
  /**
   * The next batch's records, fetched while the current batch computes (or, speculatively, while latestOffset
   * asks for the offsets): per range its records and the offset its read reached (a speculative read may stop
   * short of what the batch needs; getBatch reads the rest).
   */
  private prefetch?: { ranges: OffsetRange[]; records: Promise<{ columns: RecordColumns[]; reached: number[] } | null>; speculative?: boolean };
  private latest: KafkaOffsets = {};
  private lows: KafkaOffsets = {};
  /** Subscribed topics that do not exist yet (looked for again at every trigger, as Spark does). */
  private missing: string[] = [];
  /** The existing topics this source reads, as of the last topic listing (listedAt, by reader listedBy). */
  private present: string[] = [];
  private listedAt?: number;
  private listedBy?: PartitionReader;
  private readonly maxPerTrigger?: number;
  private readonly failOnDataLoss: boolean;
  private readonly includeHeaders: boolean;
  /** kafka.check.crcs (default true): verify each record batch's CRC-32C, as Kafka's consumer does. */
  private readonly checkCrcs: boolean;
  private stopped = false;
  private cluster?: ClusterConfig;
  private readonly reconnectTimeoutMs: number;
  private wakeFromBackoff?: () => void;
  /** Set by the query: a status line while the source waits for its brokers, null when it is reading again. */
  onWaiting?: (message: string | null) => void;

  constructor(private readonly p: KafkaSourceProvider) {
    this.schema = p.schema;
    this.maxPerTrigger = p.options.maxoffsetspertrigger ? Number(p.options.maxoffsetspertrigger) : undefined;
    this.failOnDataLoss = (p.options.failondataloss ?? "true") !== "false";
    this.includeHeaders = p.options.includeheaders === "true";
    const crcs = p.options["kafka.check.crcs"] ?? "true";
    if (crcs !== "true" && crcs !== "false") throw new AnalysisError(`option kafka.check.crcs must be true or false, not '${crcs}'`);
    this.checkCrcs = crcs === "true";
    const timeout = p.options["kafka.reconnect.timeout.ms"];
    this.reconnectTimeoutMs = timeout === undefined ? DEFAULT_RECONNECT_TIMEOUT_MS : Number(timeout);
    if (!Number.isFinite(this.reconnectTimeoutMs) || this.reconnectTimeoutMs < 0) {
      throw new AnalysisError(`option kafka.reconnect.timeout.ms must be a number of milliseconds >= 0, not '${timeout}'`);
    }
  }

  description(): string {
    return this.p.name;
  }

  async start(): Promise<void> {
    this.cluster = await clusterFor(this.p.options);
    this.reader = new PartitionReader(this.cluster);
  }

  /**
   * Runs one broker operation; while the brokers are unreachable, retries it with backoff (as Spark's Kafka
   * source does) until kafka.reconnect.timeout.ms. The operation is given the same offsets each time, so a
   * batch read again after the outage has exactly its rows: none lost, none twice.
   */
  private async reconnecting<T>(op: () => Promise<T>): Promise<T> {
    let since: number | undefined;
    let backoffMs = 250;
    for (;;) {
      try {
        const out = await op();
        if (since !== undefined) this.onWaiting?.(null);
        return out;
      } catch (err) {
        if (this.stopped) throw err;
        const reason = isBrokerUnavailable(err) ? shortReason(err) : this.cluster ? await probeUnreachable(this.cluster.bootstrap) : null;
        if (reason === null) throw err;
        since ??= Date.now();
        const where = this.cluster?.bootstrap.join(",") ?? "the Kafka cluster";
        const waited = Date.now() - since;
        if (waited >= this.reconnectTimeoutMs) {
          throw new Error(`Kafka at ${where} unreachable for ${Math.round(waited / 1000)} s (${reason}): giving up after kafka.reconnect.timeout.ms=${this.reconnectTimeoutMs}; start the broker and restart the query (its checkpoint resumes it), or raise the option`);
        }
        this.onWaiting?.(`waiting for Kafka at ${where}: ${reason} (retrying for up to ${Math.round((this.reconnectTimeoutMs - waited) / 1000)} s more)`);
        await this.backoff(Math.min(backoffMs, this.reconnectTimeoutMs - waited));
        backoffMs = Math.min(backoffMs * 2, 5000);
        if (this.stopped) throw err;
        // Fresh connections: the old ones may hold sockets to the broker that went away.
        this.prefetch?.records.catch(() => undefined);
        this.prefetch = undefined;
        const oldReader = this.reader;
        this.reader = new PartitionReader(this.cluster!);
        void oldReader?.close().catch(() => undefined);
      }
    }
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeFromBackoff = done;
    });
  }

  /**
   * Topics and partitions this source reads now, with their low and high offsets. A trigger costs one
   * ListOffsets round trip per leader: the topic list and partition metadata are read again only when older
   * than METADATA_MAX_AGE_MS (or a subscribed topic is still missing, or a pattern is subscribed), so new
   * topics and partitions appear within that time, as a Kafka consumer's metadata refresh finds them.
   */
  private async refresh(): Promise<void> {
    try {
      await this.refreshOnce(false);
    } catch {
      // Cached metadata may be stale (a topic deleted, a leader moved): once more with everything read again.
      await this.refreshOnce(true);
    }
  }

  private async refreshOnce(force: boolean): Promise<void> {
    const client = this.reader!;
    const sub = this.p.subscription;
    const now = Date.now();
    const listAgain = force || this.listedAt === undefined || now - this.listedAt >= METADATA_MAX_AGE_MS || this.missing.length > 0 || client !== this.listedBy;
    let topics: string[];
    if (listAgain) {
      const listed = (await client.listTopics()).map((t) => t.name);
      this.listedAt = now;
      this.listedBy = client;
      const existing = new Set(listed);
      const wanted = sub.kind === "subscribe" ? sub.topics : sub.kind === "assign" ? Object.keys(sub.partitions) : listed.filter((t) => sub.regex.test(t) && !t.startsWith("__"));
      this.missing = wanted.filter((t) => !existing.has(t));
      topics = wanted.filter((t) => existing.has(t));
      this.present = topics;
    } else topics = this.present;
    const latest: KafkaOffsets = {};
    const lows: KafkaOffsets = {};
    const all = await Promise.all(topics.map((topic) => client.topicOffsets(topic, force ? 0 : METADATA_MAX_AGE_MS)));
    topics.forEach((topic, i) => {
      const allowed = sub.kind === "assign" ? new Set(sub.partitions[topic]) : undefined;
      latest[topic] = {};
      lows[topic] = {};
      for (const o of all[i]) {
        if (allowed && !allowed.has(o.partition)) continue;
        latest[topic][String(o.partition)] = Number(o.high);
        lows[topic][String(o.partition)] = Number(o.low);
      }
    });
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
    await this.reconnecting(() => this.refresh());
    return this.resolve(this.p.options.startingoffsets ?? "latest", "latest");
  }

  async latestOffset(start: Offset, limit: { target?: Offset; uncapped?: boolean }): Promise<Offset> {
    const s = (start ?? {}) as KafkaOffsets;
    this.speculate(s, limit);
    await this.reconnecting(() => this.refresh());
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
      // A partition the start offsets do not name was discovered since (a topic created after the query
      // started, or new partitions): Spark reads it from its earliest offset.
      for (const [p, e] of Object.entries(parts)) if (e > (s[topic]?.[p] ?? this.lows[topic]?.[p] ?? 0)) return true;
    }
    return false;
  }

  idleReason(): string | null {
    const sub = this.p.subscription;
    if (this.missing.length) return `Waiting for topic${this.missing.length > 1 ? "s" : ""} ${this.missing.join(", ")} to be created`;
    if (sub.kind === "pattern" && !Object.keys(this.latest).length) return `Waiting for a topic matching ${this.p.options.subscribepattern} to be created`;
    return null;
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

  private ranges(start: KafkaOffsets, end: KafkaOffsets): OffsetRange[] {
    const out: OffsetRange[] = [];
    for (const [topic, ps] of Object.entries(end)) {
      for (const [p, to] of Object.entries(ps)) {
        const from = start[topic]?.[p] ?? this.lows[topic]?.[p] ?? 0;
        if (to > from) out.push({ topic, partition: Number(p), from, to });
      }
    }
    return out;
  }

  getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    return this.reconnecting(() => this.getBatchOnce(start, end));
  }

  private async getBatchOnce(start: Offset, end: Offset): Promise<SourceBatch> {
    const s = (start ?? {}) as KafkaOffsets;
    const e = (end ?? {}) as KafkaOffsets;
    // A batch replayed from the checkpoint right after a restart comes before any latestOffset() call.
    if (!Object.keys(this.latest).length) await this.refresh();
    const ranges = this.ranges(s, e);
    let fetched: RecordColumns[];
    const pre = this.prefetch;
    this.prefetch = undefined;
    // Use the prefetched records when they start where this batch starts; read what they lack.
    const index = pre ? ranges.map((r) => pre.ranges.findIndex((x) => x.topic === r.topic && x.partition === r.partition && x.from === r.from)) : [];
    const got = pre && index.every((i) => i >= 0) ? await pre.records : null;
    if (got) {
      const rest: OffsetRange[] = [];
      const restOf: number[] = [];
      fetched = ranges.map((r, k) => {
        const c = got.columns[index[k]];
        const reached = got.reached[index[k]];
        if (reached < r.to) {
          rest.push({ topic: r.topic, partition: r.partition, from: reached, to: r.to });
          restOf.push(k);
          return c;
        }
        let n = c.offsets.length;
        while (n > 0 && c.offsets[n - 1] >= r.to) n--;
        return n === c.offsets.length ? c : { offsets: c.offsets.slice(0, n), timestamps: c.timestamps.slice(0, n), keys: c.keys.slice(0, n), values: c.values.slice(0, n), headers: c.headers?.slice(0, n) ?? null };
      });
      if (rest.length) {
        const more = await this.reader!.read(rest, undefined, { headers: this.includeHeaders, checkCrcs: this.checkCrcs });
        restOf.forEach((k, j) => (fetched[k] = concatColumns(fetched[k], more[j])));
      }
    } else {
      pre?.records.catch(() => undefined);
      fetched = await this.reader!.read(ranges, undefined, { headers: this.includeHeaders, checkCrcs: this.checkCrcs });
    }
    this.startPrefetch(e);
    const one = fetched.length === 1;
    const cols: unknown[][] = this.schema.fields.map(() => []);
    let [kc, vc, tc, pc, oc, tsc, ttc] = cols;
    const hc = cols[7];
    if (one) {
      // One range: its columns are the batch's columns, no copy.
      const c = fetched[0];
      kc = c.keys;
      vc = c.values;
      oc = c.offsets;
      tsc = c.timestamps;
      tc = new Array(c.offsets.length).fill(ranges[0].topic);
      pc = new Array(c.offsets.length).fill(ranges[0].partition);
      ttc = new Array(c.offsets.length).fill(0);
    }
    if (!one) {
      // Several ranges: columns sized once and filled by index (no growing arrays), topic and partition by range.
      let total = 0;
      for (const c of fetched) total += c.offsets.length;
      [kc, vc, tc, pc, oc, tsc, ttc] = cols.slice(0, 7).map(() => new Array<unknown>(total));
      ttc.fill(0);
      let at = 0;
      ranges.forEach((r, i) => {
        const c = fetched[i];
        const n = c.offsets.length;
        const { keys, values, offsets, timestamps } = c;
        for (let j = 0; j < n; j++) {
          kc[at + j] = keys[j];
          vc[at + j] = values[j];
          oc[at + j] = offsets[j];
          tsc[at + j] = timestamps[j];
        }
        tc.fill(r.topic, at, at + n);
        pc.fill(r.partition, at, at + n);
        at += n;
      });
    }
    if (this.includeHeaders) {
      fetched.forEach((c) => {
        const n = c.offsets.length;
        for (let j = 0; j < n; j++) hc.push(Object.entries(c.headers?.[j] ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => ({ key: k, value: x === undefined ? null : Buffer.isBuffer(x) ? x : Buffer.from(String(x)) }))));
      });
    }
    [cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6]] = [kc, vc, tc, pc, oc, tsc, ttc];
    return {
      numRows: kc.length,
      columns: cols,
      describeRow: (row) => (row < kc.length ? `topic ${String(tc[row])} partition ${String(pc[row])} offset ${String(oc[row])}` : `row ${row}`),
    };
  }

  /**
   * While ListOffsets asks for the latest offsets, a Fetch without waiting reads what is there from `start`
   * on the same connections: the next batch usually finds its records read already, so a trigger costs about
   * one round trip to the leaders instead of two (issue 18's latency). Not with maxOffsetsPerTrigger or an
   * availableNow target (the batch ends before what such a read would bring), nor when the previous batch's prefetch is pending.
   */
  private speculate(start: KafkaOffsets, limit: { target?: Offset; uncapped?: boolean }): void {
    if (this.stopped || !this.reader || (this.prefetch && !this.prefetch.speculative) || this.maxPerTrigger || limit.target !== undefined) return;
    const ranges: OffsetRange[] = [];
    for (const [topic, parts] of Object.entries(start)) for (const [p, from] of Object.entries(parts)) ranges.push({ topic, partition: Number(p), from, to: Number.MAX_SAFE_INTEGER });
    if (!ranges.length) return;
    // Errors are the real read's to report (it runs when this one brought nothing).
    // A speculative read left by a trigger that found no data is replaced (its records are older). It is sent
    // on the next turn of the event loop, after the ListOffsets requests: a broker answers one connection's
    // requests in order, so the Fetch is not in the way of the offsets and reads at least up to them.
    const reader = this.reader;
    const records = new Promise<{ columns: RecordColumns[]; reached: number[] } | null>((resolve) =>
      setImmediate(() => (this.stopped ? resolve(null) : resolve(reader.readAvailable(ranges, { headers: this.includeHeaders, checkCrcs: this.checkCrcs }).catch(() => null)))),
    );
    this.prefetch = { ranges, records, speculative: true };
  }

  /** Start reading what the next batch will most likely ask for: from `end`, what is available now, capped. */
  private startPrefetch(end: KafkaOffsets): void {
    if (this.stopped) return;
    let next: KafkaOffsets = {};
    for (const [topic, parts] of Object.entries(this.latest)) {
      next[topic] = {};
      for (const [p, high] of Object.entries(parts)) next[topic][p] = Math.max(end[topic]?.[p] ?? high, high);
    }
    if (this.maxPerTrigger) next = this.capped(end, next, this.maxPerTrigger);
    const ranges = this.ranges(end, next).filter((r) => end[r.topic]?.[String(r.partition)] !== undefined);
    if (!ranges.length) return;
    const records = this.reader!.read(ranges, 30_000, { headers: this.includeHeaders, checkCrcs: this.checkCrcs }).then(
      (columns) => ({ columns, reached: ranges.map((r) => r.to) }),
      () => null,
    );
    this.prefetch = { ranges, records };
  }
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeFromBackoff?.();
    this.prefetch?.records.catch(() => undefined);
    await this.reader?.close();
  }
}

/** The records of `a` followed by those of `b` (two reads of one range). */
function concatColumns(a: RecordColumns, b: RecordColumns): RecordColumns {
  if (!a.offsets.length) return b;
  if (!b.offsets.length) return a;
  const headers = a.headers || b.headers ? [...(a.headers ?? a.offsets.map(() => null)), ...(b.headers ?? b.offsets.map(() => null))] : null;
  return { offsets: a.offsets.concat(b.offsets), timestamps: a.timestamps.concat(b.timestamps), keys: a.keys.concat(b.keys), values: a.values.concat(b.values), headers };
}
