/**
 * A partition reader over kafkajs without consumer groups: Spark's Kafka source assigns partitions and reads
 * offset ranges; it never joins a group (no join latency, no rebalances, no committed offsets to fight).
 * kafkajs exposes only group consumers, so this uses its Cluster, Broker and Batch objects directly. kafkajs is
 * pinned at 2.2.4 (it has no newer release), so these internal modules are stable for streamlab. Records are
 * decoded by kafkajs exactly as its consumer decodes them (control records and aborted transactions filtered
 * by its Batch class); nothing here speaks the wire protocol itself.
 *
 * Decoding runs in a worker thread by default, the way librdkafka fetches on its own threads: the query's
 * thread computes batch N while the worker decodes batch N+1. Records cross over as one transferred buffer
 * per range (no copy on arrival); keys and values are Buffer views into it.
 */
import { Worker } from "node:worker_threads";
import type { ClusterConfig } from "./types";

export interface OffsetRange {
  topic: string;
  partition: number;
  /** First offset to read. */
  from: number;
  /** Read up to, not including, this offset. */
  to: number;
}

/** The records of one range, column by column. */
export interface RecordColumns {
  offsets: number[];
  timestamps: number[];
  keys: (Buffer | null)[];
  values: (Buffer | null)[];
  /** Per record, its headers; null when no record of the range has any. */
  headers: (Record<string, Buffer | string | (Buffer | string)[] | undefined> | null)[] | null;
}

interface Packed {
  n: number;
  offsets: Float64Array;
  timestamps: Float64Array;
  /** Per record: key start, key length (-1 null), value start, value length (-1 null). */
  spans: Int32Array;
  data: ArrayBuffer;
  headers: (Record<string, unknown> | null)[] | null;
}

/**
 * The reading loop, self-contained (it runs inline and, as source text, in the worker): long-polls the
 * partition leaders until every range is complete, then packs each range's records into one buffer.
 */
function makeReader(deps: { Cluster: any; Batch: any; createLogger: any; LEVELS: any; socketFactory: any }, config: any, options: any) {
  const { Cluster, Batch, createLogger, LEVELS, socketFactory } = deps;
  const cluster = new Cluster({
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
    socketFactory: socketFactory(),
    brokers: config.bootstrap,
    ssl: config.ssl === true ? true : config.ssl ? { ca: config.ssl.ca ? [config.ssl.ca] : undefined, rejectUnauthorized: config.ssl.rejectUnauthorized } : undefined,
    sasl: config.sasl,
    clientId: config.clientId ?? "streamlab-reader",
    connectionTimeout: config.connectionTimeout ?? 3000,
    retry: { retries: 5, initialRetryTime: 100 },
    allowAutoTopicCreation: false,
    isolationLevel: 1,
  });
  let connected: Promise<void> | undefined;
  const topicsKnown = new Set<string>();
  // Bytes per record seen so far: a fetch asks for about what the range needs, because kafkajs decodes every
  // record a fetch returns, and records past the range's end would be decoded again by the next read.
  let bytesPerRecord = 160;
  const pack = (msgs: any[]): Packed => {
    const n = msgs.length;
    let total = 0;
    for (const m of msgs) total += (m.key ? m.key.length : 0) + (m.value ? m.value.length : 0);
    const data = Buffer.allocUnsafeSlow(total);
    const offsets = new Float64Array(n);
    const timestamps = new Float64Array(n);
    const spans = new Int32Array(n * 4);
    let at = 0;
    let headers: (Record<string, unknown> | null)[] | null = null;
    for (let i = 0; i < n; i++) {
      const m = msgs[i];
      offsets[i] = Number(m.offset);
      timestamps[i] = Number(m.timestamp);
      if (m.key) {
        spans[i * 4] = at;
        spans[i * 4 + 1] = m.key.length;
        m.key.copy(data, at);
        at += m.key.length;
      } else spans[i * 4 + 1] = -1;
      if (m.value) {
        spans[i * 4 + 2] = at;
        spans[i * 4 + 3] = m.value.length;
        m.value.copy(data, at);
        at += m.value.length;
      } else spans[i * 4 + 3] = -1;
      if (m.headers && Object.keys(m.headers).length) {
        headers ??= new Array(n).fill(null);
        headers[i] = m.headers;
      }
    }
    return { n, offsets, timestamps, spans, data: data.buffer, headers };
  };
  return {
    async read(ranges: OffsetRange[], deadlineMs: number): Promise<Packed[]> {
      const collected: any[][] = ranges.map(() => []);
      const next = new Map<number, number>();
      ranges.forEach((r, i) => r.to > r.from && next.set(i, r.from));
      if (next.size) {
        if (!connected) {
          connected = cluster.connect();
          connected!.catch(() => (connected = undefined));
        }
        await connected;
        const fresh = [...new Set(ranges.map((r) => r.topic))].filter((t) => !topicsKnown.has(t));
        if (fresh.length) {
          await cluster.addMultipleTargetTopics([...topicsKnown, ...fresh]);
          fresh.forEach((t) => topicsKnown.add(t));
        }
      }
      const deadline = Date.now() + deadlineMs;
      let refreshed = false;
      while (next.size) {
        if (Date.now() > deadline) {
          const [i, at] = [...next][0];
          throw new Error(`timed out reading ${ranges[i].topic}-${ranges[i].partition} at offset ${at} (wanted up to ${ranges[i].to})`);
        }
        const byLeader = new Map<string, number[]>();
        try {
          for (const i of next.keys()) {
            const leaders = cluster.findLeaderForPartitions(ranges[i].topic, [ranges[i].partition]);
            const nodeId = Object.keys(leaders)[0];
            if (nodeId === undefined) throw new Error(`no leader for ${ranges[i].topic}-${ranges[i].partition}`);
            if (!byLeader.has(nodeId)) byLeader.set(nodeId, []);
            byLeader.get(nodeId)!.push(i);
          }
        } catch (err) {
          if (refreshed) throw err;
          await cluster.refreshMetadata();
          refreshed = true;
          continue;
        }
        await Promise.all(
          [...byLeader].map(async ([nodeId, list]) => {
            const broker = await cluster.findBroker({ nodeId });
            const topics = new Map<string, any[]>();
            for (const i of list) {
              const r = ranges[i];
              if (!topics.has(r.topic)) topics.set(r.topic, []);
              const wantBytes = Math.ceil((r.to - next.get(i)!) * bytesPerRecord * 1.1) + 16 * 1024;
              topics.get(r.topic)!.push({ partition: r.partition, fetchOffset: String(next.get(i)), maxBytes: Math.min(options.maxBytesPerPartition ?? 8 * 1024 * 1024, wantBytes) });
            }
            const { responses } = await broker.fetch({
              maxWaitTime: options.maxWaitTimeMs ?? 200,
              minBytes: 1,
              maxBytes: 64 * 1024 * 1024,
              isolationLevel: 1,
              topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
            });
            for (const t of responses) {
              for (const p of t.partitions) {
                const i = list.find((x) => ranges[x].topic === t.topicName && ranges[x].partition === p.partition);
                if (i === undefined) continue;
                const r = ranges[i];
                const from = next.get(i)!;
                const batch = new Batch(t.topicName, String(from), p);
                let bytes = 0;
                let taken = 0;
                for (const m of batch.messages) {
                  if (Number(m.offset) >= r.to) break;
                  collected[i].push(m);
                  // Payload plus a record's framing overhead, roughly.
                  bytes += (m.key ? m.key.length : 0) + (m.value ? m.value.length : 0) + 20;
                  taken++;
                }
                if (taken > 100) bytesPerRecord = Math.max(16, Math.round(bytes / taken));
                // Advance past everything this fetch covered (control records, compacted gaps); an empty
                // answer means the records are not there yet: poll again.
                const raw = batch.rawMessages;
                if (!raw.length) continue;
                const advanced = Math.max(from, Number(raw[raw.length - 1].offset) + 1);
                if (advanced >= r.to) next.delete(i);
                else next.set(i, advanced);
              }
            }
          }),
        );
      }
      return collected.map(pack);
    },
    close: () => cluster.disconnect().catch(() => undefined),
  };
}

function kafkajsPaths(): Record<string, string> {
  return {
    Cluster: require.resolve("kafkajs/src/cluster"),
    Batch: require.resolve("kafkajs/src/consumer/batch"),
    loggers: require.resolve("kafkajs/src/loggers"),
    socketFactory: require.resolve("kafkajs/src/network/socketFactory"),
  };
}

function loadDeps(paths: Record<string, string>) {
  const loggers = require(paths.loggers);
  return { Cluster: require(paths.Cluster), Batch: require(paths.Batch), createLogger: loggers.createLogger, LEVELS: loggers.LEVELS, socketFactory: require(paths.socketFactory) };
}

function unpack(p: Packed): RecordColumns {
  const data = Buffer.from(p.data);
  const keys = new Array<Buffer | null>(p.n);
  const values = new Array<Buffer | null>(p.n);
  const s = p.spans;
  for (let i = 0; i < p.n; i++) {
    keys[i] = s[i * 4 + 1] < 0 ? null : data.subarray(s[i * 4], s[i * 4] + s[i * 4 + 1]);
    values[i] = s[i * 4 + 3] < 0 ? null : data.subarray(s[i * 4 + 2], s[i * 4 + 2] + s[i * 4 + 3]);
  }
  const headers = p.headers
    ? p.headers.map((h) => {
        if (!h) return null;
        // Buffers arrive as Uint8Arrays after structured cloning.
        const out: Record<string, Buffer | string | (Buffer | string)[] | undefined> = {};
        const one = (x: unknown): Buffer | string => (x instanceof Uint8Array ? Buffer.from(x) : typeof x === "string" ? x : JSON.stringify(x));
        for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.map(one) : v === undefined ? undefined : one(v);
        return out;
      })
    : null;
  return { offsets: Array.from(p.offsets), timestamps: Array.from(p.timestamps), keys, values, headers };
}

const WORKER_SOURCE = (makeReaderSource: string, loadDepsSource: string) => `
const { parentPort, workerData } = require("node:worker_threads");
const makeReader = ${makeReaderSource};
const loadDeps = ${loadDepsSource};
const reader = makeReader(loadDeps(workerData.paths), workerData.config, workerData.options);
parentPort.on("message", async (msg) => {
  if (msg.type === "close") {
    await reader.close();
    parentPort.postMessage({ id: msg.id, ok: true });
    return;
  }
  try {
    const packed = await reader.read(msg.ranges, msg.deadlineMs);
    parentPort.postMessage({ id: msg.id, ok: true, packed }, packed.map((p) => p.data));
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String(err && err.message || err) });
  }
});
`;

/** One decoding thread: a worker running makeReader, answering read requests by id. */
class ReaderThread {
  private readonly worker: Worker;
  private pending = new Map<number, { resolve: (p: Packed[]) => void; reject: (e: Error) => void }>();
  private counter = 0;

  constructor(config: ClusterConfig, options: { maxBytesPerPartition?: number; maxWaitTimeMs?: number }) {
    this.worker = new Worker(WORKER_SOURCE(makeReader.toString(), loadDeps.toString()), {
      eval: true,
      workerData: { paths: kafkajsPaths(), config: JSON.parse(JSON.stringify(config)), options },
    });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; ok: boolean; packed?: Packed[]; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.packed ?? []);
      else p.reject(new Error(m.message));
    });
    this.worker.on("error", (err) => this.failAll(err));
    this.worker.on("exit", () => this.failAll(new Error("the Kafka reader thread exited")));
  }

  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  call(msg: Record<string, unknown>): Promise<Packed[]> {
    const id = ++this.counter;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  async close(): Promise<void> {
    // Reads in flight end with an error now rather than at their deadline.
    this.failAll(new Error("the Kafka reader was closed"));
    await Promise.race([this.call({ type: "close" }).catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.worker.terminate();
  }
}

export class PartitionReader {
  private threads: ReaderThread[] = [];
  private inline?: ReturnType<typeof makeReader>;

  /**
   * `threads`: decoding threads (default 2; partitions are spread over them). 0 decodes on the caller's
   * thread.
   */
  constructor(config: ClusterConfig, options: { maxBytesPerPartition?: number; maxWaitTimeMs?: number; threads?: number } = {}) {
    const count = options.threads ?? 2;
    const readerOptions = { maxBytesPerPartition: options.maxBytesPerPartition, maxWaitTimeMs: options.maxWaitTimeMs };
    try {
      for (let i = 0; i < count; i++) this.threads.push(new ReaderThread(config, readerOptions));
    } catch {
      for (const t of this.threads) void t.close();
      this.threads = [];
    }
    if (!this.threads.length) this.inline = makeReader(loadDeps(kafkajsPaths()), config, readerOptions);
  }

  /**
   * Every record in the given ranges, per range in offset order. Waits (long-polling the leaders) until each
   * range is complete; a range whose end is beyond the partition's high watermark waits for those records.
   */
  async read(ranges: OffsetRange[], deadlineMs = 120_000): Promise<RecordColumns[]> {
    const plain = ranges.map((r) => ({ topic: r.topic, partition: r.partition, from: r.from, to: r.to }));
    if (this.inline) return (await this.inline.read(plain, deadlineMs)).map(unpack);
    if (!this.threads.length) throw new Error("the Kafka reader was closed");
    // Spread the ranges over the threads; each decodes its share in parallel.
    const shares = this.threads.map(() => [] as number[]);
    plain.forEach((_, i) => shares[i % shares.length].push(i));
    const results = await Promise.all(shares.map((idx, t) => (idx.length ? this.threads[t].call({ type: "read", ranges: idx.map((i) => plain[i]), deadlineMs }) : Promise.resolve([] as Packed[]))));
    const out: RecordColumns[] = new Array(plain.length);
    shares.forEach((idx, t) => idx.forEach((i, k) => (out[i] = unpack(results[t][k]))));
    return out;
  }

  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((t) => t.close()));
    await this.inline?.close();
  }
}
