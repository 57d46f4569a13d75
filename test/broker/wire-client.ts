/**
 * A raw Kafka client on one connection, for the fault, limit and fuzz tests: sends frames built with wire.ts,
 * matches answers by correlation id, and reads back records from Fetch answers (uncompressed batches).
 */
import * as net from "node:net";
import { Reader } from "../../lib/protocol/primitives";
import { frame } from "./wire";

export class WireClient {
  private buf = Buffer.alloc(0);
  private pending = new Map<number, (body: Buffer) => void>();
  private nextId = 1;
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0);
        const body = this.buf.subarray(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        const id = body.readInt32BE(0);
        const cb = this.pending.get(id);
        this.pending.delete(id);
        cb?.(body);
      }
    });
    const onClose = () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    };
    socket.on("close", onClose);
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(new WireClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends a request built by body(w) and resolves with the response body (after the correlation id). */
  request(apiKey: number, version: number, body: Parameters<typeof frame>[3], timeoutMs = 30_000): Promise<Reader> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error("connection closed by the broker"));
      const timer = setTimeout(() => reject(new Error(`no answer to API ${apiKey} v${version} in ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        reject(new Error(`connection closed by the broker before answering API ${apiKey} v${version}`));
      });
      this.pending.set(id, (b) => {
        clearTimeout(timer);
        resolve(new Reader(b, 4));
      });
      this.socket.write(frame(apiKey, version, id, body));
    });
  }

  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** CreateTopics v4 of one topic: [errorCode, message]. */
  async createTopic(name: string, partitions = 1, configs: [string, string][] = []): Promise<{ errorCode: number; message: string | null }> {
    const r = await this.request(19, 4, (w) =>
      w
        .array([name], (w, t) => w.string(t).int32(partitions).int16(1).int32(0).array(configs, (w, [k, v]) => w.string(k).nullableString(v)))
        .int32(30_000)
        .bool(false),
    );
    r.int32();
    r.int32();
    r.string();
    return { errorCode: r.int16(), message: r.nullableString() };
  }

  /** Produce v7 of one batch to one partition: [errorCode, baseOffset]. */
  async produce(topic: string, partition: number, batch: Buffer, acks = -1): Promise<{ errorCode: number; baseOffset: number }> {
    const r = await this.request(0, 7, (w) => {
      w.nullableString(null).int16(acks).int32(5000);
      w.array([topic], (w, t) => w.string(t).array([partition], (w, p) => w.int32(p).bytes(batch)));
    });
    r.int32();
    r.string();
    r.int32();
    r.int32();
    return { errorCode: r.int16(), baseOffset: r.int64() };
  }

  /** ListOffsets v5 for one partition: [errorCode, timestamp, offset]. */
  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; timestamp: number; offset: number }> {
    const r = await this.request(2, 5, (w) => w.int32(-1).int8(0).array([topic], (w, t) => w.string(t).array([partition], (w, p) => w.int32(p).int32(-1).int64(timestamp))));
    r.int32();
    r.int32();
    r.string();
    r.int32();
    r.int32();
    const errorCode = r.int16();
    return { errorCode, timestamp: r.int64(), offset: r.int64() };
  }

  /** Fetch v11 of one partition from an offset: error, high watermark and the records' offsets and values. */
  async fetch(topic: string, partition: number, offset: number, maxBytes = 1 << 20, maxWaitMs = 0): Promise<{ errorCode: number; highWatermark: number; records: FetchedRecord[] }> {
    const r = await this.request(1, 11, (w) => {
      w.int32(-1).int32(maxWaitMs).int32(maxWaitMs > 0 ? 1 : 0).int32(maxBytes).int8(0).int32(0).int32(-1);
      w.array([topic], (w, t) => w.string(t).array([partition], (w, p) => w.int32(p).int32(-1).int64(offset).int64(-1).int32(maxBytes)));
      w.int32(0).string("");
    });
    r.int32(); // throttle
    r.int16();
    r.int32();
    r.int32(); // topics
    r.string();
    r.int32(); // partitions
    r.int32();
    const errorCode = r.int16();
    const highWatermark = r.int64();
    r.int64();
    r.int64();
    const aborted = r.int32();
    for (let i = 0; i < aborted; i++) {
      r.int64();
      r.int64();
    }
    r.int32();
    const records = r.nullableBytes();
    return { errorCode, highWatermark, records: records ? parseBatches(records) : [] };
  }

  /** Every record of a partition from `from` to the high watermark. */
  async readAll(topic: string, partition: number, from = 0): Promise<FetchedRecord[]> {
    const out: FetchedRecord[] = [];
    let offset = from;
    for (;;) {
      const res = await this.fetch(topic, partition, offset);
      if (res.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${offset}: error ${res.errorCode}`);
      const fresh = res.records.filter((r) => r.offset >= offset);
      out.push(...fresh);
      if (fresh.length === 0) {
        if (offset >= res.highWatermark) return out;
        throw new Error(`fetch ${topic}-${partition}@${offset} returned nothing below the high watermark ${res.highWatermark}`);
      }
      offset = fresh[fresh.length - 1].offset + 1;
    }
  }
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function varlong(buf: Buffer, pos: { p: number }): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos.p++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/** Records of uncompressed RecordBatch v2 batches; a partial batch at the end is ignored, as clients do. */
export function parseBatches(buf: Buffer): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  let pos = 0;
  while (pos + 61 <= buf.length) {
    const len = 12 + buf.readInt32BE(pos + 8);
    if (pos + len > buf.length) break;
    const base = Number(buf.readBigInt64BE(pos));
    const baseTs = Number(buf.readBigInt64BE(pos + 27));
    const count = buf.readInt32BE(pos + 57);
    if ((buf.readInt16BE(pos + 21) & 7) !== 0) throw new Error("parseBatches reads uncompressed batches only");
    const c = { p: pos + 61 };
    for (let i = 0; i < count; i++) {
      const rl = varlong(buf, c);
      const end = c.p + rl;
      c.p += 1;
      const tsDelta = varlong(buf, c);
      const offDelta = varlong(buf, c);
      const kl = varlong(buf, c);
      const key = kl >= 0 ? buf.subarray(c.p, c.p + kl) : null;
      if (kl > 0) c.p += kl;
      const vl = varlong(buf, c);
      const value = vl >= 0 ? buf.subarray(c.p, c.p + vl) : null;
      out.push({ offset: base + offDelta, timestamp: baseTs + tsDelta, key, value });
      c.p = end;
    }
    pos += len;
  }
  return out;
}
