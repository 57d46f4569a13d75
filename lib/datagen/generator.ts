/**
 * A rate-controlled background producer: a dataset's messages into a topic at N msg/s.
 *
 * Pacing: the number of messages due is rate × elapsed time; each tick generates what is due, so the
 * achieved rate tracks the target whatever the timer jitter. Batching: messages are grouped into batches of
 * up to `batchSize` and at most `maxInFlight` sends are outstanding. Backpressure: the buffer of generated
 * but unsent messages is bounded (`bufferLimit`); when the broker is slow the generator stops generating, and
 * the debt it may catch up afterwards is capped at one second of messages, so memory stays bounded and a
 * stall never turns into an unbounded burst.
 */
import { connect, currentCluster, currentRegistry, type KafkaClient, type ProduceRecord, type ProducerHandle, type Compression } from "../client";
import { DisplayHandle, escapeHtml, onShutdown, type Displayable, type MimeBundle } from "../core";
import { RecordStream, type RecordStreamOptions } from "./stream";
import { registerDatasetSchema, type RegisteredFormat, type RegistryFormat } from "./registered";
import type { Dataset } from "./types";

export type GeneratorStatus = "starting" | "running" | "finished" | "stopped" | "failed";

export interface GeneratorOptions extends RecordStreamOptions {
  topic: string;
  /** Target messages per second; 0 = as fast as the broker takes them. Default 100. */
  rate?: number;
  /** Stop after this many messages. */
  count?: number;
  /** Stop after this many milliseconds. */
  duration?: number;
  /** Registry name (for %stop and %streams); default `datagen-TOPIC`. */
  name?: string;
  /** Create the topic with this many partitions if it does not exist. */
  partitions?: number;
  batchSize?: number;
  maxInFlight?: number;
  /** Most messages buffered (generated, not yet acknowledged). */
  bufferLimit?: number;
  compression?: Compression;
  /** Where to produce; the notebook's current cluster when absent. */
  client?: KafkaClient;
  /** Keep the generator in the registry (default true). */
  register?: boolean;
  /**
   * Registry-framed values (--format avro|protobuf|json-schema --registry [URL]): the schema is registered
   * under TOPIC-value at `url` (default: the notebook's registry, %kafka start's) before the first record.
   */
  valueFormat?: { format: RegistryFormat; url?: string; auth?: string };
}

export interface GeneratorInfo {
  name: string;
  dataset: string;
  topic: string;
  status: GeneratorStatus;
  sent: number;
  /** Achieved msg/s over the last second or so (while running), else the average of the run. */
  rate: number;
  targetRate: number;
  errors: number;
  late: number;
  bad: number;
  startedAt: Date;
  /** Milliseconds since start (frozen when it ends). */
  elapsed: number;
  lastError?: string;
}

const registry = new Map<string, Generator>();
const FINISHED_KEPT = 20;

/** Every generator of this process: running ones first, then the most recent finished ones. */
export function listGenerators(): Generator[] {
  const all = [...registry.values()];
  return [...all.filter((g) => g.running), ...all.filter((g) => !g.running)];
}

export function getGenerator(nameOrTopic: string): Generator | undefined {
  return registry.get(nameOrTopic) ?? [...registry.values()].find((g) => g.running && g.topic === nameOrTopic);
}

/** Stop the named generator (name or topic), or all running ones. Returns those stopped. */
export async function stopGenerators(nameOrTopic?: string): Promise<Generator[]> {
  const targets = [...registry.values()].filter((g) => g.running && (nameOrTopic === undefined || g.name === nameOrTopic || g.topic === nameOrTopic));
  await Promise.all(targets.map((g) => g.stop()));
  return targets;
}

function uniqueName(base: string): string {
  if (!registry.get(base)?.running) return base;
  for (let i = 2; ; i++) if (!registry.get(`${base}-${i}`)?.running) return `${base}-${i}`;
}

export class Generator implements Displayable {
  readonly name: string;
  readonly dataset: Dataset;
  readonly topic: string;
  readonly targetRate: number;
  readonly startedAt = new Date();
  status: GeneratorStatus = "starting";
  sent = 0;
  errors = 0;
  late = 0;
  bad = 0;
  lastError?: string;
  /** With valueFormat: the subject and schema id the records are framed with, once registered. */
  registered?: RegisteredFormat;
  /** Settles when the generator ends (finished, stopped or failed); never rejects. */
  readonly done: Promise<void>;

  private readonly stream: RecordStream;
  private readonly options: GeneratorOptions;
  private generated = 0;
  private stopping = false;
  private endedAt?: number;
  private startMs = Date.now();
  private ready: ProduceRecord[][] = [];
  private pending: ProduceRecord[] = [];
  private bufferedCount = 0;
  private inFlight = 0;
  private wake?: () => void;
  private samples: { t: number; sent: number }[] = [];
  private ticker?: NodeJS.Timeout;
  private listeners = new Set<() => void>();
  readonly batchSize: number;
  readonly maxInFlight: number;
  /** Most messages held at once (generated but not yet acknowledged by the broker). */
  readonly bufferLimit: number;

  constructor(dataset: Dataset, options: GeneratorOptions) {
    if (!options.topic || typeof options.topic !== "string") throw new Error("a generator needs a topic: --topic NAME");
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(options.topic)) throw new Error(`'${options.topic}' is not a valid topic name: use letters, digits, '.', '_' and '-'`);
    const rate = options.rate ?? 100;
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new Error(`--rate must be a number of messages per second (0 for as fast as possible), got ${options.rate}`);
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) throw new Error(`--count must be a whole number, got ${options.count}`);
    if (options.duration !== undefined && !(options.duration > 0)) throw new Error(`--duration must be positive, e.g. 30s`);
    this.dataset = dataset;
    this.topic = options.topic;
    this.targetRate = rate;
    this.options = options;
    this.stream = new RecordStream(dataset, options);
    // Measured on the embedded broker (bench/datagen.bench.js): many mid-sized requests in flight beat a few
    // large ones, because kafkajs encodes and the broker appends in parallel.
    this.batchSize = options.batchSize ?? (rate === 0 ? 1000 : Math.max(50, Math.min(2000, Math.ceil(rate / 50))));
    this.maxInFlight = options.maxInFlight ?? 8;
    this.bufferLimit = options.bufferLimit ?? Math.max(this.batchSize * (this.maxInFlight + 2), rate === 0 ? 20_000 : Math.min(100_000, Math.ceil(rate)));
    this.name = uniqueName(options.name ?? `datagen-${options.topic}`);
    if (options.register !== false) {
      registry.set(this.name, this);
      const finished = [...registry.values()].filter((g) => !g.running);
      for (const g of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) registry.delete(g.name);
    }
    this.done = this.run();
  }

  /** Messages generated and not yet acknowledged (never more than bufferLimit). */
  get buffered(): number {
    return this.bufferedCount;
  }

  get running(): boolean {
    return this.status === "starting" || this.status === "running";
  }

  get elapsed(): number {
    return (this.endedAt ?? Date.now()) - this.startMs;
  }

  /** Recent achieved rate while running; the run's average once it ended. */
  get rate(): number {
    if (!this.running) return this.elapsed > 0 ? (this.sent * 1000) / this.elapsed : 0;
    const now = Date.now();
    const old = this.samples.find((s) => now - s.t <= 1500) ?? this.samples[0];
    if (!old || now - old.t < 200) return this.elapsed > 0 ? (this.sent * 1000) / this.elapsed : 0;
    return ((this.sent - old.sent) * 1000) / (now - old.t);
  }

  /** Achieved average over the whole run so far. */
  get averageRate(): number {
    return this.elapsed > 0 ? (this.sent * 1000) / this.elapsed : 0;
  }

  info(): GeneratorInfo {
    return {
      name: this.name, dataset: this.dataset.name, topic: this.topic, status: this.status, sent: this.sent, rate: this.rate,
      targetRate: this.targetRate, errors: this.errors, late: this.late, bad: this.bad, startedAt: this.startedAt,
      elapsed: this.elapsed, lastError: this.lastError,
    };
  }

  /** Called (at most ~4 times a second) while running, and once at the end. */
  onProgress(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop producing; messages already handed to the broker are kept. */
  async stop(): Promise<void> {
    if (this.running) {
      this.stopping = true;
      this.wake?.();
    }
    await this.done;
  }

  private async run(): Promise<void> {
    let producer: ProducerHandle | undefined;
    let client: KafkaClient | undefined;
    let ownClient = false;
    this.ticker = setInterval(() => this.tick(), 250);
    this.ticker.unref?.();
    // Kernel shutdown or restart stops generators (the broker they feed lives on).
    const unregister = onShutdown(() => this.stop(), `generator ${this.name}`);
    try {
      client = this.options.client;
      if (!client) {
        client = connect(await currentCluster());
        ownClient = true;
      }
      if (this.options.partitions) {
        const topics = await client.listTopics();
        if (!topics.some((t) => t.name === this.topic)) await client.createTopic(this.topic, this.options.partitions);
      }
      if (this.options.valueFormat) {
        const { format, url, auth } = this.options.valueFormat;
        const target = url ? { url, auth } : await currentRegistry();
        if (!target) throw new Error("no schema registry: give --registry URL, or %kafka connect ... --registry URL (%kafka start starts one beside the embedded broker)");
        this.registered = await registerDatasetSchema(this.dataset, format, this.topic, target.url, target.auth);
        this.stream.encoder = this.registered.encode;
      }
      producer = await client.producer();
      if (this.stopping) throw new StopSignal();
      this.status = "running";
      this.startMs = Date.now();
      this.startedAt.setTime(this.startMs);
      await this.loop(producer);
      this.status = this.stopping ? "stopped" : "finished";
    } catch (err) {
      if (err instanceof StopSignal) this.status = "stopped";
      else {
        this.status = "failed";
        this.lastError = (err as Error).message;
      }
    } finally {
      this.endedAt = Date.now();
      clearInterval(this.ticker);
      unregister();
      await producer?.close().catch(() => undefined);
      if (ownClient) await client?.close().catch(() => undefined);
      this.notify();
    }
  }

  private tick(): void {
    const now = Date.now();
    this.samples.push({ t: now, sent: this.sent });
    while (this.samples.length > 12) this.samples.shift();
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A broken display must not stop the producer.
      }
    }
  }

  /** How many messages should exist by now (rate × elapsed, capped by --count and --duration). */
  private due(now: number): number {
    const { count, duration } = this.options;
    let due = this.targetRate > 0 ? Math.floor((this.targetRate * (now - this.startMs)) / 1000) : Number.MAX_SAFE_INTEGER;
    if (duration !== undefined && now - this.startMs >= duration) due = Math.min(due, this.generated);
    if (count !== undefined) due = Math.min(due, count);
    return due;
  }

  private generationDone(now: number): boolean {
    const { count, duration } = this.options;
    if (this.stopping) return true;
    if (count !== undefined && this.generated >= count) return true;
    if (duration !== undefined && now - this.startMs >= duration) return true;
    return false;
  }

  private async loop(producer: ProducerHandle): Promise<void> {
    const failures: unknown[] = [];
    const send = (batch: ProduceRecord[]) => {
      const size = batch.length;
      this.inFlight++;
      // The producer encodes the records into a record batch before its first await: only the bytes are held
      // while the request is in flight, so the records die young (cheap garbage).
      producer
        .send(this.topic, batch, { compression: this.options.compression })
        .then(
          () => {
            this.sent += size;
          },
          (err: Error) => {
            this.errors += size;
            this.lastError = err.message;
            failures.push(err);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.bufferedCount -= size;
          this.wake?.();
        });
    };
    for (;;) {
      const now = Date.now();
      let want = this.due(now) - this.generated;
      if (this.targetRate > 0 && want > Math.max(this.bufferLimit, this.targetRate)) {
        // Far behind (the broker stalled): forgive the debt beyond one second, rather than burst forever.
        const forgiven = want - Math.max(this.bufferLimit, this.targetRate);
        this.startMs += (forgiven * 1000) / this.targetRate;
        want -= forgiven;
      }
      const room = this.bufferLimit - this.bufferedCount;
      let n = this.stopping ? 0 : Math.max(0, Math.min(want, room));
      // Unthrottled: generate only what the free send slots (and one batch more) take, so records go out as
      // soon as they are made instead of waiting in the buffer (where they would outlive young-generation GCs).
      if (this.targetRate === 0) n = Math.min(n, Math.max(0, (this.maxInFlight - this.inFlight + 1 - this.ready.length) * this.batchSize - this.pending.length));
      for (let i = 0; i < n; i++) {
        const m = this.stream.next();
        if (m.late) this.late++;
        if (m.bad) this.bad++;
        // No explicit timestamp: the producer stamps the send time (within the buffer's second of the
        // generation time).
        this.pending.push({ key: m.key, value: m.value });
        if (this.pending.length >= this.batchSize) {
          // A full batch goes out at once when a send slot is free, else it waits its turn.
          if (this.inFlight < this.maxInFlight && !this.ready.length) send(this.pending);
          else this.ready.push(this.pending);
          this.pending = [];
        }
      }
      this.generated += n;
      this.bufferedCount += n;
      if (this.stopping) {
        // Drop what was never handed to the broker; wait for what was.
        this.bufferedCount -= this.pending.length + this.ready.reduce((s, b) => s + b.length, 0);
        this.pending = [];
        this.ready = [];
      }
      while (this.inFlight < this.maxInFlight && (this.ready.length || (this.pending.length && this.inFlight === 0))) {
        // A partial batch goes out only when the pipe is idle: low rates get low latency, high rates full batches.
        const batch = this.ready.length ? this.ready.shift()! : this.pending.splice(0);
        send(batch);
      }
      const finishedGenerating = this.generationDone(now);
      if (finishedGenerating && this.bufferedCount === 0 && this.inFlight === 0) break;
      // Sleep until the next message is due (bounded), or until a send completes.
      const gap = this.targetRate > 0 ? Math.min(20, Math.max(2, 1000 / this.targetRate)) : 20;
      const waitMs = finishedGenerating || room <= 0 || this.targetRate === 0 ? (this.inFlight ? 200 : gap) : gap;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    if (failures.length && this.sent === 0) throw failures[0];
  }

  // ---- display ----

  summary(): string {
    const rate = this.rate;
    return `${this.name}: ${this.dataset.name} → ${this.topic}  ${this.status}  sent ${this.sent.toLocaleString("en-US")}  ${rate.toFixed(rate < 10 ? 1 : 0)} msg/s${this.targetRate ? ` (target ${this.targetRate.toLocaleString("en-US")})` : ""}  errors ${this.errors}  elapsed ${(this.elapsed / 1000).toFixed(1)} s${this.registered ? `  ${this.registered.format} ${this.registered.subject} id ${this.registered.schemaId}` : ""}${this.late ? `  late ${this.late}` : ""}${this.bad ? `  bad ${this.bad}` : ""}${this.lastError ? `  last error: ${this.lastError}` : ""}`;
  }

  toMimeBundle(): MimeBundle {
    const color = { starting: "#888", running: "#1a7f37", finished: "#0969da", stopped: "#9a6700", failed: "#cf222e" }[this.status];
    const total = this.options.count;
    const progress = total ? Math.min(1, this.sent / Math.max(1, total)) : this.options.duration ? Math.min(1, this.elapsed / this.options.duration) : undefined;
    const rate = this.rate;
    const cells: [string, string][] = [
      ["sent", this.sent.toLocaleString("en-US") + (total ? ` / ${total.toLocaleString("en-US")}` : "")],
      ["rate", `${rate.toFixed(rate < 10 ? 1 : 0)} msg/s${this.targetRate ? ` (target ${this.targetRate.toLocaleString("en-US")})` : ""}`],
      ["errors", String(this.errors)],
      ["elapsed", `${(this.elapsed / 1000).toFixed(1)} s`],
    ];
    if (this.late) cells.push(["late", this.late.toLocaleString("en-US")]);
    if (this.bad) cells.push(["bad", this.bad.toLocaleString("en-US")]);
    if (this.registered) cells.push([this.registered.format, `${this.registered.subject} id ${this.registered.schemaId}`]);
    const bar = progress !== undefined ? `<div style="width:240px;height:6px;background:#eee;margin:4px 0"><div style="width:${(progress * 100).toFixed(1)}%;height:6px;background:${color}"></div></div>` : "";
    const html =
      `<div class="streamlab-generator" style="font-family:monospace;font-size:13px">` +
      `<div><b>${escapeHtml(this.name)}</b>: ${escapeHtml(this.dataset.name)} → ${escapeHtml(this.topic)} <span style="color:${color}">● ${this.status}</span></div>${bar}` +
      `<div>${cells.map(([k, v]) => `<span style="margin-right:14px">${k} <b>${escapeHtml(v)}</b></span>`).join("")}</div>` +
      (this.lastError ? `<div style="color:#cf222e">last error: ${escapeHtml(this.lastError)}</div>` : "") +
      `</div>`;
    return { "text/html": html, "text/plain": this.summary() };
  }

  /** Show a live progress display, updated at most 4 times a second until the generator ends. */
  display(): DisplayHandle {
    const handle = new DisplayHandle(this.toMimeBundle());
    let last = 0;
    const off = this.onProgress(() => {
      const now = Date.now();
      if (this.running && now - last < 240) return;
      last = now;
      handle.update(this.toMimeBundle());
      if (!this.running) {
        off();
        handle.close();
      }
    });
    return handle;
  }
}

class StopSignal extends Error {}

/** Start a generator of a dataset into a topic. */
export function startGenerator(dataset: Dataset, options: GeneratorOptions): Generator {
  return new Generator(dataset, options);
}
