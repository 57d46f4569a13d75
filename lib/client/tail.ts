/**
 * `%tail`: the newest messages of a topic as a table, once or live (`--follow`).
 *
 * Without a group it reads like `kcat -C`: a private consumer group that never commits, positioned per
 * partition by `--from`. With `--group G` it reads as a member of G from G's committed offsets and commits
 * what it showed, the way a consumer application would.
 */
import { randomBytes } from "node:crypto";
import { DisplayHandle, errorMessage, onShutdown, type Displayable, type MimeBundle } from "../core";
import { tableBundle } from "./html";
import type { KafkaClient } from "./kafkajs";
import type { ConsumerHandle, FetchedRecord } from "./types";
import { RegistryClient } from "../registry";
import type { RegistryTarget } from "./registry";

export type TailFrom = { kind: "beginning" } | { kind: "latest" } | { kind: "offset"; offset: number } | { kind: "timestamp"; ms: number };

/** `beginning`, `earliest`, `latest`, `end`, an offset (`1500`), or a time (`2026-01-01T10:00:00Z`, epoch ms). */
export function parseTailFrom(text: string): TailFrom {
  const t = text.trim().toLowerCase();
  if (t === "beginning" || t === "earliest" || t === "start") return { kind: "beginning" };
  if (t === "latest" || t === "end" || t === "now") return { kind: "latest" };
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    // Epoch milliseconds are 13 digits today; no topic has 10^11 messages in one partition.
    return n >= 1e11 ? { kind: "timestamp", ms: n } : { kind: "offset", offset: n };
  }
  const ms = Date.parse(text);
  if (!Number.isNaN(ms) && /\d{4}-\d{2}-\d{2}/.test(text)) return { kind: "timestamp", ms };
  throw new Error(`--from '${text}' is not beginning, latest, an offset or a timestamp like 2026-01-01T10:00:00Z`);
}

export interface TailOptions {
  from?: TailFrom;
  group?: string;
  /** Rows kept (newest). Default 20. */
  limit?: number;
  follow?: boolean;
  /** With follow: stop after this many ms. */
  duration?: number;
  /** Without follow, with a group: give up waiting after this many ms without messages. Default 5 s. */
  idleMs?: number;
  /** Decode registry-framed values (magic byte 0, schema id) with the schemas of this registry. */
  registry?: RegistryTarget;
}

export interface TailRow {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string;
  /** For a registry-framed value: the schema id in its frame. */
  schemaId?: number;
}

/** A registry-framed value: magic byte 0 then a 4-byte schema id (no JSON or text value starts with byte 0). */
export function isFramed(b: Buffer | null): b is Buffer {
  return b !== null && b.length >= 5 && b[0] === 0;
}

const asJson = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === "bigint" ? x.toString() : x && typeof x === "object" && (x as { type?: unknown }).type === "Buffer" && Array.isArray((x as { data?: unknown }).data) ? Buffer.from((x as { data: number[] }).data).toString("base64") : x));

/** Decodes the framed values of a batch with the registry (schemas fetched once per id); errors become the shown value. */
async function decodeFramed(records: FetchedRecord[], registry: RegistryClient | undefined): Promise<Map<FetchedRecord, { schemaId: number; text: string }>> {
  const out = new Map<FetchedRecord, { schemaId: number; text: string }>();
  for (const r of records) {
    if (!isFramed(r.value)) continue;
    const schemaId = r.value.readInt32BE(1);
    if (!registry) {
      out.set(r, { schemaId, text: `(registry-framed: schema id ${schemaId}, ${r.value.length} bytes; no schema registry known: %kafka connect ... --registry URL, or %kafka start)` });
      continue;
    }
    try {
      out.set(r, { schemaId, text: asJson((await registry.decode(r.value)).value) });
    } catch (err) {
      out.set(r, { schemaId, text: `(cannot decode: ${(err as Error).message.split("\n")[0]})` });
    }
  }
  return out;
}

function decode(b: Buffer | null): string | null {
  if (b === null) return null;
  return b.toString("utf8");
}

/** Pretty-print JSON values; leave anything else as text. */
export function prettyValue(text: string | null): string {
  if (text === null) return "null";
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2);
    } catch {
      // malformed JSON: show it as it is
    }
  }
  return text;
}

const tails = new Set<Tail>();

export function listTails(): Tail[] {
  return [...tails];
}

export async function stopTails(topic?: string): Promise<Tail[]> {
  const targets = [...tails].filter((t) => topic === undefined || t.topic === topic);
  await Promise.all(targets.map((t) => t.stop()));
  return targets;
}

export class Tail implements Displayable {
  readonly topic: string;
  readonly limit: number;
  rows: TailRow[] = [];
  read = 0;
  status: "starting" | "reading" | "following" | "done" | "stopped" | "failed" = "starting";
  error?: string;
  readonly done: Promise<void>;
  private consumer?: ConsumerHandle;
  private stopping = false;
  private finish!: () => void;
  private handle?: DisplayHandle;
  private lastUpdate = 0;
  private updateTimer?: NodeJS.Timeout;

  constructor(private readonly client: KafkaClient, topic: string, private readonly options: TailOptions = {}) {
    this.topic = topic;
    this.limit = options.limit ?? 20;
    if (options.registry) this.registry = new RegistryClient(options.registry.url, options.registry.auth);
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new Error(`--limit must be a whole number of at least 1, got ${options.limit}`);
    this.done = new Promise<void>((resolve) => (this.finish = resolve)).then(() => undefined);
    void this.run();
  }

  /** Show a live display that follows this tail (used with --follow). */
  display(): DisplayHandle {
    this.handle = new DisplayHandle(this.toMimeBundle());
    return this.handle;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.end("stopped");
    await this.done;
  }

  private refresh(force = false): void {
    if (!this.handle) return;
    const now = Date.now();
    if (!force && now - this.lastUpdate < 250) {
      // Coalesce: at most 4 updates a second, and the last state always shown.
      if (!this.updateTimer) this.updateTimer = setTimeout(() => { this.updateTimer = undefined; this.refresh(true); }, 250 - (now - this.lastUpdate));
      return;
    }
    this.lastUpdate = now;
    this.handle.update(this.toMimeBundle());
  }

  private ended = false;

  private end(status: "done" | "stopped" | "failed", error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.status !== "failed") this.status = status;
    if (error) this.error = error;
    void (async () => {
      if (this.updateTimer) clearTimeout(this.updateTimer);
      const c = this.consumer;
      this.consumer = undefined;
      await c?.close().catch(() => undefined);
      tails.delete(this);
      this.refresh(true);
      this.handle?.close();
      this.finish();
    })();
  }

  private readonly registry?: RegistryClient;
  private framed = false;

  private async add(records: FetchedRecord[]): Promise<void> {
    const decoded = await decodeFramed(records, this.registry);
    if (decoded.size) this.framed = true;
    for (const r of records) {
      const d = decoded.get(r);
      this.rows.push({ partition: r.partition, offset: r.offset, timestamp: new Date(Number(r.timestamp)).toISOString(), key: decode(r.key), value: d ? d.text : (decode(r.value) ?? "null"), ...(d ? { schemaId: d.schemaId } : {}) });
    }
    this.read += records.length;
    {
      this.rows.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.partition - b.partition || Number(a.offset) - Number(b.offset)));
      if (this.rows.length > this.limit) this.rows = this.rows.slice(this.rows.length - this.limit);
    }
    this.refresh();
  }

  private async run(): Promise<void> {
    try {
      const { from, group, follow } = this.options;
      const offsets = await this.client.topicOffsets(this.topic).catch((err: Error) => {
        throw new Error(`cannot read topic '${this.topic}': ${err.message}; %kafka topics lists the topics`);
      });
      if (offsets.length === 0) throw new Error(`topic '${this.topic}' does not exist; %kafka topics lists the topics`);
      const end = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      const start = new Map<number, bigint>();
      const explicitFrom = from !== undefined;
      if (!group || explicitFrom) {
        const stamps = from?.kind === "timestamp" ? new Map((await this.client.offsetsForTimestamp(this.topic, from.ms)).map((o) => [o.partition, BigInt(o.offset)])) : undefined;
        for (const o of offsets) {
          const low = BigInt(o.low);
          const high = BigInt(o.high);
          let s: bigint;
          if (!from) s = high - BigInt(this.limit) > low ? high - BigInt(this.limit) : low;
          else if (from.kind === "beginning") s = low;
          else if (from.kind === "latest") s = high;
          else if (from.kind === "offset") s = BigInt(from.offset) < low ? low : BigInt(from.offset) > high ? high : BigInt(from.offset);
          else s = stamps?.get(o.partition) ?? high;
          if (s < 0n) s = high;
          start.set(o.partition, s);
        }
      }
      const positions = new Map(start);
      // Empty partitions have nothing to read: they count as read to the end.
      for (const o of offsets) if (o.low === o.high && !positions.has(o.partition)) positions.set(o.partition, BigInt(o.high));
      const reachedEnd = () => [...end].every(([p, e]) => (positions.get(p) ?? -1n) >= e);
      // Reading "the first N from X" stops at N rows; the default (the last N) reads to the end.
      const firstN = explicitFrom && !follow;
      if (!follow && !group && reachedEnd()) {
        this.end("done");
        return;
      }
      tails.add(this);
      const unregister = onShutdown(() => this.stop(), `%tail ${this.topic}`);
      void this.done.then(unregister);
      this.status = follow ? "following" : "reading";
      this.refresh(true);
      const groupId = group ?? `streamlab-tail-${randomBytes(6).toString("hex")}`;
      const consumer = await this.client.consumer({ groupId, topics: [this.topic], fromBeginning: group ? from?.kind !== "latest" : true, autoCommit: !!group });
      if (this.stopping) {
        await consumer.close().catch(() => undefined);
        return;
      }
      this.consumer = consumer;
      let lastActivity = Date.now();
      const committed = new Map<number, bigint>();
      await consumer.run(async (batch) => {
        if (this.ended) return;
        const from = start.get(batch.partition);
        // A fetch that started before our seek took effect can return earlier records: skip them.
        const records = from === undefined ? batch.records : batch.records.filter((r) => BigInt(r.offset) >= from);
        if (batch.records.length) {
          const next = BigInt(batch.records[batch.records.length - 1].offset) + 1n;
          if ((positions.get(batch.partition) ?? -1n) < next) positions.set(batch.partition, next);
          committed.set(batch.partition, next);
        }
        lastActivity = Date.now();
        let take = records;
        if (firstN) take = records.slice(0, Math.max(0, this.limit - this.read));
        if (take.length) await this.add(take);
        if (!follow && ((firstN && this.read >= this.limit) || reachedEnd())) {
          if (group && committed.size) await consumer.commit([...committed].map(([partition, offset]) => ({ topic: this.topic, partition, offset: offset.toString() }))).catch(() => undefined);
          this.end("done");
        }
      });
      // kafkajs restarts a consumer whose first join failed (on a fresh Apache Kafka the first group waits for
      // __consumer_offsets to be created) and cannot seek meanwhile: retry the seek until it has restarted.
      for (const [p, s] of start) {
        for (let waited = 0; ; waited += 100) {
          try {
            consumer.seek(this.topic, p, s.toString());
            break;
          } catch (err) {
            if (this.ended || waited >= 60_000 || !/not initialized/i.test(errorMessage(err))) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      const deadline = follow && this.options.duration ? Date.now() + this.options.duration : undefined;
      const idleMs = this.options.idleMs ?? 5000;
      // Watchdog: ends --duration follows, and a group read that has nothing (more) to give.
      while (!this.ended) {
        await new Promise((r) => setTimeout(r, 100));
        if (deadline && Date.now() > deadline) this.end("done");
        else if (!follow && group && Date.now() - lastActivity > idleMs) this.end("done");
      }
    } catch (err) {
      this.status = "failed";
      this.end("failed", (err as Error).message);
    }
  }

  toMimeBundle(): MimeBundle {
    const state = this.status === "following" ? "following (updates live; %tail stop to end)" : this.status;
    const note = `${this.topic}: ${this.read.toLocaleString("en-US")} read, newest ${this.rows.length} shown (limit ${this.limit}), ${state}${this.error ? `: ${this.error}` : ""}`;
    if (this.framed) {
      // Registry-framed values: the schema id of each beside its decoded value.
      const rows = [...this.rows].reverse().map((r) => [r.partition, r.offset, r.timestamp, r.key ?? "null", r.schemaId ?? "", prettyValue(r.value)]);
      return tableBundle(["partition", "offset", "timestamp", "key", "schema id", "value"], rows, { note, preColumns: ["value"], numericColumns: ["partition", "offset", "schema id"] });
    }
    const rows = [...this.rows].reverse().map((r) => [r.partition, r.offset, r.timestamp, r.key ?? "null", prettyValue(r.value)]);
    return tableBundle(["partition", "offset", "timestamp", "key", "value"], rows, { note, preColumns: ["value"], numericColumns: ["partition", "offset"] });
  }
}
