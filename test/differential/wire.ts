/**
 * A small, independent Kafka wire client for the differential tests: request framing, the primitive types of
 * the non-flexible versions, a connection that matches responses by correlation id, and RecordBatch v2
 * building/parsing (with gzip compression from node:zlib). Written apart from lib/broker/protocol so that the
 * tests do not share the broker's own codec (a bug there would otherwise cancel out).
 */
import * as net from "node:net";
import * as zlib from "node:zlib";

export class W {
  private parts: Buffer[] = [];
  int8(v: number): this { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this; }
  int16(v: number): this { const b = Buffer.alloc(2); b.writeInt16BE(v); this.parts.push(b); return this; }
  int32(v: number): this { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
  uint32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); this.parts.push(b); return this; }
  int64(v: number | bigint): this { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); this.parts.push(b); return this; }
  bool(v: boolean): this { return this.int8(v ? 1 : 0); }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const s = Buffer.from(v, "utf8");
    return this.int16(s.length).raw(s);
  }
  bytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.int32(v.length).raw(v);
  }
  array<T>(items: T[] | null, each: (w: W, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
  varint(n: number): this {
    let z = n >= 0 ? BigInt(n) * 2n : BigInt(-n) * 2n - 1n;
    const out: number[] = [];
    while (z >= 0x80n) {
      out.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    out.push(Number(z));
    return this.raw(Buffer.from(out));
  }
  raw(b: Buffer): this { this.parts.push(b); return this; }
  buffer(): Buffer { return Buffer.concat(this.parts); }
}

export class R {
  constructor(readonly buf: Buffer, public pos = 0) {}
  int8(): number { return this.buf.readInt8((this.pos += 1) - 1); }
  int16(): number { return this.buf.readInt16BE((this.pos += 2) - 2); }
  int32(): number { return this.buf.readInt32BE((this.pos += 4) - 4); }
  uint32(): number { return this.buf.readUInt32BE((this.pos += 4) - 4); }
  int64(): number { return Number(this.buf.readBigInt64BE((this.pos += 8) - 8)); }
  bool(): boolean { return this.int8() !== 0; }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.buf.toString("utf8", this.pos, (this.pos += n));
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.buf.subarray(this.pos, (this.pos += n));
  }
  array<T>(each: (r: R) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  varint(): number {
    let shift = 0n;
    let z = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      z |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    return Number((z >> 1n) ^ -(z & 1n));
  }
  get remaining(): number { return this.buf.length - this.pos; }
}

/** The outcome of one request: a response body (after the correlation id) or the connection closed instead. */
export type Answer = { body: Buffer } | { closed: true };

/** One TCP connection that sends v-numbered requests and matches responses by correlation id. */
export class RawConnection {
  private socket!: net.Socket;
  private pending = new Map<number, (a: Answer) => void>();
  private nextId = 1;
  private buf = Buffer.alloc(0);
  closed = false;

  static async open(bootstrap: string, clientId = "differential"): Promise<RawConnection> {
    const c = new RawConnection(clientId);
    const [host, port] = bootstrap.split(":");
    await new Promise<void>((resolve, reject) => {
      c.socket = net.connect(Number(port), host, () => resolve());
      c.socket.once("error", reject);
    });
    c.socket.on("error", () => {});
    c.socket.on("data", (d) => c.onData(d));
    c.socket.on("close", () => {
      c.closed = true;
      for (const p of c.pending.values()) p({ closed: true });
      c.pending.clear();
    });
    return c;
  }

  private constructor(private readonly clientId: string) {}

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
      const n = this.buf.readInt32BE(0);
      const frame = this.buf.subarray(4, 4 + n);
      this.buf = this.buf.subarray(4 + n);
      const id = frame.readInt32BE(0);
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.({ body: Buffer.from(frame.subarray(4)) });
    }
  }

  /** Sends a request (non-flexible header v1) and waits for its answer, or the connection's close. */
  request(apiKey: number, version: number, body: (w: W) => void, timeoutMs = 30_000): Promise<Answer> {
    if (this.closed) return Promise.resolve({ closed: true });
    const id = this.nextId++;
    const w = new W().int16(apiKey).int16(version).int32(id).string(this.clientId);
    body(w);
    const payload = w.buffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to api ${apiKey} v${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.socket.write(Buffer.concat([size, payload]));
    });
  }

  /** Like request, but a closed connection is an error; returns a reader over the response body. */
  async call(apiKey: number, version: number, body: (w: W) => void): Promise<R> {
    const a = await this.request(apiKey, version, body);
    if ("closed" in a) throw new Error(`broker closed the connection on api ${apiKey} v${version}`);
    return new R(a.body);
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---- CRC32C, for RecordBatch v2 ----
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  timestampDelta?: number;
}

export const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type Codec = (typeof CODECS)[number];

/** A RecordBatch v2; `codec` gzip compresses the records section, `maxTimestamp` overrides the header field. */
export function buildBatch(records: RawRecord[], opts: { baseTimestamp?: number; maxTimestamp?: number; gzip?: boolean; producerId?: number; producerEpoch?: number; baseSequence?: number; corruptCrc?: boolean; transactional?: boolean } = {}): Buffer {
  const base = opts.baseTimestamp ?? 1_700_000_000_000;
  const recs = records.map((r, i) => {
    const w = new W().int8(0).varint(r.timestampDelta ?? 0).varint(i);
    if (r.key === null) w.varint(-1);
    else w.varint(r.key.length).raw(r.key);
    if (r.value === null) w.varint(-1);
    else w.varint(r.value.length).raw(r.value);
    const hs = r.headers ?? [];
    w.varint(hs.length);
    for (const h of hs) {
      const k = Buffer.from(h.key);
      w.varint(k.length).raw(k);
      if (h.value === null) w.varint(-1);
      else w.varint(h.value.length).raw(h.value);
    }
    const body = w.buffer();
    return new W().varint(body.length).raw(body).buffer();
  });
  let payload = Buffer.concat(recs);
  let attributes = 0;
  if (opts.gzip) {
    payload = zlib.gzipSync(payload);
    attributes |= 1;
  }
  if (opts.transactional) attributes |= 0x10;
  const maxDelta = Math.max(0, ...records.map((r) => r.timestampDelta ?? 0));
  const afterCrc = new W()
    .int16(attributes)
    .int32(records.length - 1)
    .int64(base)
    .int64(opts.maxTimestamp ?? base + maxDelta)
    .int64(opts.producerId ?? -1)
    .int16(opts.producerEpoch ?? -1)
    .int32(opts.baseSequence ?? -1)
    .int32(records.length)
    .raw(payload)
    .buffer();
  const crc = crc32c(afterCrc) ^ (opts.corruptCrc ? 1 : 0);
  return new W().int64(0).int32(4 + 1 + 4 + afterCrc.length).int32(0).int8(2).uint32(crc).raw(afterCrc).buffer();
}

export interface StoredBatch {
  baseOffset: number;
  codec: Codec;
  timestampType: "create" | "log-append";
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  producerId: number;
  records: number;
}

/** The batch headers of a Fetch response's records (what the broker actually stored). */
export function parseBatches(records: Buffer | null): StoredBatch[] {
  const out: StoredBatch[] = [];
  if (!records) return out;
  const r = new R(records);
  while (r.remaining >= 61) {
    const start = r.pos;
    const baseOffset = r.int64();
    const length = r.int32();
    if (start + 12 + length > records.length) break; // a partial batch at the end of a fetch
    r.int32(); // partition leader epoch
    const magic = r.int8();
    r.uint32();
    const attributes = r.int16();
    const lastOffsetDelta = r.int32();
    r.int64();
    r.int64();
    const producerId = r.int64();
    r.int16();
    r.int32();
    const count = r.int32();
    if (magic === 2)
      out.push({
        baseOffset,
        codec: CODECS[attributes & 7] ?? ("unknown" as Codec),
        timestampType: attributes & 8 ? "log-append" : "create",
        transactional: (attributes & 0x10) !== 0,
        control: (attributes & 0x20) !== 0,
        lastOffsetDelta,
        producerId,
        records: count,
      });
    r.pos = start + 12 + length;
  }
  return out;
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

/** Decodes the records of every complete uncompressed or gzip batch (keys, values, headers as base64 when binary). */
export function parseRecords(records: Buffer | null): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  if (!records) return out;
  const r = new R(records);
  const text = (b: Buffer | null) => (b === null ? null : /^[\x20-\x7e]*$/.test(b.toString("latin1")) ? b.toString("latin1") : "base64:" + b.toString("base64"));
  while (r.remaining >= 61) {
    const start = r.pos;
    const baseOffset = r.int64();
    const length = r.int32();
    if (start + 12 + length > records.length) break;
    r.int32();
    r.int8();
    r.uint32();
    const attributes = r.int16();
    r.int32();
    const baseTimestamp = r.int64();
    r.int64();
    r.int64();
    r.int16();
    r.int32();
    const count = r.int32();
    const end = start + 12 + length;
    const codec = attributes & 7;
    if ((attributes & 0x20) === 0 && (codec === 0 || codec === 1)) {
      const payload = codec === 1 ? zlib.gunzipSync(records.subarray(r.pos, end)) : records.subarray(r.pos, end);
      const pr = new R(payload);
      for (let i = 0; i < count; i++) {
        pr.varint(); // length
        pr.int8();
        const tsDelta = pr.varint();
        const offDelta = pr.varint();
        const kl = pr.varint();
        const key = kl < 0 ? null : pr.buf.subarray(pr.pos, (pr.pos += kl));
        const vl = pr.varint();
        const value = vl < 0 ? null : pr.buf.subarray(pr.pos, (pr.pos += vl));
        const hn = pr.varint();
        const headers: [string, string | null][] = [];
        for (let h = 0; h < hn; h++) {
          const hkl = pr.varint();
          const hk = pr.buf.toString("utf8", pr.pos, (pr.pos += hkl));
          const hvl = pr.varint();
          headers.push([hk, hvl < 0 ? null : text(pr.buf.subarray(pr.pos, (pr.pos += hvl)))]);
        }
        out.push({ offset: baseOffset + offDelta, timestamp: baseTimestamp + tsDelta, key: text(key), value: text(value), headers });
      }
    }
    r.pos = end;
  }
  return out;
}

// ---- the requests the scenarios send ----

export const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16, ApiVersions: 18, CreateTopics: 19, DeleteTopics: 20, InitProducerId: 22, DescribeConfigs: 32 } as const;

/** Produce v3..v8 for one partition; returns [errorCode, baseOffset] or "closed". */
export async function produce(c: RawConnection, topic: string, partition: number, batch: Buffer, opts: { acks?: number; version?: number; transactionalId?: string | null } = {}): Promise<{ error: number; baseOffset: number } | "closed"> {
  const v = opts.version ?? 7;
  const a = await c.request(API.Produce, v, (w) => {
    if (v >= 3) w.string(opts.transactionalId ?? null);
    w.int16(opts.acks ?? -1).int32(10_000);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => w.int32(p).bytes(batch));
    });
  });
  if ("closed" in a) return "closed";
  const r = new R(a.body);
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  return { error: r.int16(), baseOffset: r.int64() };
}

export interface FetchedPartition {
  error: number;
  highWatermark: number;
  lastStableOffset: number;
  abortedTransactions: number;
  batches: StoredBatch[];
  /** Records of uncompressed and gzip batches (control batches left out). */
  records: FetchedRecord[];
}

/** Fetch v4 (isolation level given) of one partition from an offset. */
export async function fetchPartition(c: RawConnection, topic: string, partition: number, offset: number, opts: { isolation?: 0 | 1; version?: number; maxBytes?: number } = {}): Promise<FetchedPartition | "closed"> {
  const v = opts.version ?? 4;
  const a = await c.request(API.Fetch, v, (w) => {
    w.int32(-1).int32(100).int32(1);
    if (v >= 3) w.int32(opts.maxBytes ?? 50 << 20);
    if (v >= 4) w.int8(opts.isolation ?? 0);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => w.int32(p).int64(offset).int32(opts.maxBytes ?? 50 << 20));
    });
  });
  if ("closed" in a) return "closed";
  const r = new R(a.body);
  if (v >= 1) r.int32();
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const error = r.int16();
  const highWatermark = r.int64();
  const lastStableOffset = v >= 4 ? r.int64() : -1;
  const aborted = v >= 4 ? r.array((r) => [r.int64(), r.int64()]) : [];
  const records = r.bytes();
  return { error, highWatermark, lastStableOffset, abortedTransactions: aborted?.length ?? 0, batches: parseBatches(records), records: parseRecords(records) };
}

/** ListOffsets v1 for one partition at a timestamp (-1 latest, -2 earliest). */
export async function listOffset(c: RawConnection, topic: string, partition: number, timestamp: number, version = 1): Promise<{ error: number; timestamp: number; offset: number }> {
  const r = await c.call(API.ListOffsets, version, (w) => {
    w.int32(-1);
    if (version >= 2) w.int8(0);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => {
        w.int32(p);
        if (version >= 4) w.int32(-1);
        w.int64(timestamp);
      });
    });
  });
  if (version >= 2) r.int32();
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const error = r.int16();
  const timestamp2 = r.int64();
  const offset = r.int64();
  return { error, timestamp: timestamp2, offset };
}

/** Metadata v4: the topic errors and partition counts for the given names (null: all topics). */
export async function metadata(c: RawConnection, topics: string[] | null, allowAutoCreate = true): Promise<{ brokers: { nodeId: number; host: string; rack: string | null }[]; controllerId: number; topics: { error: number; name: string; internal: boolean; partitions: { error: number; id: number; leader: number; replicas: number[]; isr: number[] }[] }[] }> {
  const r = await c.call(API.Metadata, 4, (w) => {
    w.array(topics, (w, t) => w.string(t));
    w.bool(allowAutoCreate);
  });
  r.int32();
  const brokers = r.array((r) => ({ nodeId: r.int32(), host: r.string()!, port: r.int32(), rack: r.string() }))!.map(({ nodeId, host, rack }) => ({ nodeId, host, rack }));
  r.string(); // cluster id
  const controllerId = r.int32();
  const ts = r.array((r) => ({
    error: r.int16(),
    name: r.string()!,
    internal: r.bool(),
    partitions: r.array((r) => {
      const error = r.int16();
      const id = r.int32();
      const leader = r.int32();
      const replicas = r.array((r) => r.int32())!;
      const isr = r.array((r) => r.int32())!;
      // (offline replicas only from v5)
      return { error, id, leader, replicas, isr };
    })!,
  }))!;
  return { brokers, controllerId, topics: ts };
}

/** CreateTopics v2 of one topic: [errorCode, errorMessage present]. */
export async function createTopic(c: RawConnection, name: string, partitions: number, replication: number, configs: Record<string, string> = {}, validateOnly = false): Promise<number> {
  const r = await c.call(API.CreateTopics, 2, (w) => {
    w.array([name], (w, n) => {
      w.string(n).int32(partitions).int16(replication);
      w.array([], () => {});
      w.array(Object.entries(configs), (w, [k, v]) => w.string(k).string(v));
    });
    w.int32(10_000).bool(validateOnly);
  });
  r.int32();
  const res = r.array((r) => ({ name: r.string(), error: r.int16(), message: r.string() }))!;
  return res[0].error;
}

export async function deleteTopic(c: RawConnection, name: string): Promise<number> {
  const r = await c.call(API.DeleteTopics, 1, (w) => {
    w.array([name], (w, n) => w.string(n));
    w.int32(10_000);
  });
  r.int32();
  return r.array((r) => ({ name: r.string(), error: r.int16() }))![0].error;
}

/** FindCoordinator v1 until the coordinator is available; returns its node id. */
export async function findCoordinator(c: RawConnection, key: string, keyType = 0): Promise<{ error: number; nodeId: number }> {
  for (let i = 0; ; i++) {
    const r = await c.call(API.FindCoordinator, 1, (w) => w.string(key).int8(keyType));
    r.int32();
    const error = r.int16();
    r.string();
    const nodeId = r.int32();
    if (error !== 15 || i > 100) return { error, nodeId };
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function joinGroup(c: RawConnection, group: string, memberId: string, opts: { sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; protocols?: { name: string; metadata: Buffer }[]; protocolType?: string; version?: number } = {}): Promise<{ error: number; generation: number; protocol: string | null; leader: string; memberId: string; members: string[] }> {
  const v = opts.version ?? 4;
  const r = await c.call(API.JoinGroup, v, (w) => {
    w.string(group).int32(opts.sessionTimeoutMs ?? 10_000);
    if (v >= 1) w.int32(opts.rebalanceTimeoutMs ?? 10_000);
    w.string(memberId).string(opts.protocolType ?? "consumer");
    w.array(opts.protocols ?? [{ name: "range", metadata: consumerSubscription(["t"]) }], (w, p) => w.string(p.name).bytes(p.metadata));
  });
  if (v >= 2) r.int32();
  const error = r.int16();
  const generation = r.int32();
  const protocol = r.string();
  const leader = r.string()!;
  const mid = r.string()!;
  const members = r.array((r) => {
    const id = r.string()!;
    r.bytes();
    return id;
  })!;
  return { error, generation, protocol, leader, memberId: mid, members };
}

export async function syncGroup(c: RawConnection, group: string, generation: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ error: number; assignment: Buffer | null }> {
  const r = await c.call(API.SyncGroup, 1, (w) => {
    w.string(group).int32(generation).string(memberId);
    w.array(assignments, (w, a) => w.string(a.memberId).bytes(a.assignment));
  });
  r.int32();
  return { error: r.int16(), assignment: r.bytes() };
}

export async function heartbeat(c: RawConnection, group: string, generation: number, memberId: string): Promise<number> {
  const r = await c.call(API.Heartbeat, 1, (w) => w.string(group).int32(generation).string(memberId));
  r.int32();
  return r.int16();
}

export async function leaveGroup(c: RawConnection, group: string, memberId: string): Promise<number> {
  const r = await c.call(API.LeaveGroup, 1, (w) => w.string(group).string(memberId));
  r.int32();
  return r.int16();
}

/** OffsetCommit v2..v7 of one partition; returns its error code. */
export async function commitOffset(c: RawConnection, group: string, generation: number, memberId: string, topic: string, partition: number, offset: number, version = 2): Promise<number> {
  const r = await c.call(API.OffsetCommit, version, (w) => {
    w.string(group).int32(generation).string(memberId);
    if (version >= 7) w.string(null);
    if (version >= 2 && version <= 4) w.int64(-1);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => {
        w.int32(p).int64(offset);
        if (version >= 6) w.int32(-1);
        w.string("");
      });
    });
  });
  if (version >= 3) r.int32();
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return r.int16();
}

/** OffsetFetch v3 of one partition: [offset, error]. */
export async function fetchOffset(c: RawConnection, group: string, topic: string, partition: number): Promise<{ offset: number; metadata: string | null; error: number; topError: number }> {
  const r = await c.call(API.OffsetFetch, 3, (w) => {
    w.string(group);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => w.int32(p));
    });
  });
  r.int32();
  const ts = r.array((r) => ({ name: r.string(), parts: r.array((r) => ({ p: r.int32(), offset: r.int64(), metadata: r.string(), error: r.int16() }))! }))!;
  const topError = r.int16();
  const p = ts[0]?.parts[0];
  return { offset: p?.offset ?? -1, metadata: p?.metadata ?? null, error: p?.error ?? -1, topError };
}

export async function describeGroup(c: RawConnection, group: string): Promise<{ error: number; state: string; protocolType: string; protocol: string; members: number }> {
  const r = await c.call(API.DescribeGroups, 1, (w) => w.array([group], (w, g) => w.string(g)));
  r.int32();
  const gs = r.array((r) => ({
    error: r.int16(),
    id: r.string(),
    state: r.string()!,
    protocolType: r.string()!,
    protocol: r.string()!,
    members: r.array((r) => {
      r.string();
      r.string();
      r.string();
      r.bytes();
      r.bytes();
      return 1;
    })!.length,
  }))!;
  const { error, state, protocolType, protocol, members } = gs[0];
  return { error, state, protocolType, protocol, members };
}

/** The ConsumerProtocol subscription (v0) a "consumer" group member sends. */
export function consumerSubscription(topics: string[]): Buffer {
  return new W().int16(0).array(topics, (w, t) => w.string(t)).bytes(null).buffer();
}

/** A ConsumerProtocol assignment (v0). */
export function consumerAssignment(parts: Record<string, number[]>): Buffer {
  return new W()
    .int16(0)
    .array(Object.entries(parts), (w, [t, ps]) => w.string(t).array(ps, (w, p) => w.int32(p)))
    .bytes(null)
    .buffer();
}

/** The ApiVersions v0 answer: error code and the advertised [min, max] per key. */
export async function apiVersions(c: RawConnection, version = 0): Promise<{ error: number; versions: Map<number, [number, number]> }> {
  const r = await c.call(API.ApiVersions, version, () => {});
  const error = r.int16();
  const versions = new Map<number, [number, number]>();
  r.array((r) => versions.set(r.int16(), [r.int16(), r.int16()]));
  return { error, versions };
}

// ---- transactions (non-flexible versions: InitProducerId v1, AddPartitionsToTxn/AddOffsetsToTxn/EndTxn v2, TxnOffsetCommit v2) ----

export const TXN_API = { InitProducerId: 22, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28 } as const;

/** InitProducerId v1, retried while the coordinator loads or an earlier transaction is still being ended (51). */
export async function initProducerId(c: RawConnection, transactionalId: string | null, timeoutMs = 60_000): Promise<{ error: number; producerId: number; epoch: number }> {
  for (let i = 0; ; i++) {
    const r = await c.call(TXN_API.InitProducerId, 1, (w) => w.string(transactionalId).int32(timeoutMs));
    r.int32();
    const res = { error: r.int16(), producerId: r.int64(), epoch: r.int16() };
    if (![14, 15, 16, 51].includes(res.error) || i > 100) return res;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** AddPartitionsToTxn v2 for partitions of one topic (retried on CONCURRENT_TRANSACTIONS); the partition error codes. */
export async function addPartitionsToTxn(c: RawConnection, transactionalId: string, producerId: number, epoch: number, topic: string, partitions: number[]): Promise<number[]> {
  for (let i = 0; ; i++) {
    const r = await c.call(TXN_API.AddPartitionsToTxn, 2, (w) => {
      w.string(transactionalId).int64(producerId).int16(epoch);
      w.array([topic], (w, t) => {
        w.string(t);
        w.array(partitions, (w, p) => w.int32(p));
      });
    });
    r.int32();
    // In partition order (Kafka answers from a map, in no particular order).
    const errors = r.array((r) => (r.string(), r.array((r) => [r.int32(), r.int16()] as const)!))!.flat().sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    if (!errors.includes(51) || i > 100) return errors;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** AddOffsetsToTxn v2 (retried on CONCURRENT_TRANSACTIONS, as while the last transaction's markers are written): the error code. */
export async function addOffsetsToTxn(c: RawConnection, transactionalId: string, producerId: number, epoch: number, group: string): Promise<number> {
  for (let i = 0; ; i++) {
    const r = await c.call(TXN_API.AddOffsetsToTxn, 2, (w) => w.string(transactionalId).int64(producerId).int16(epoch).string(group));
    r.int32();
    const error = r.int16();
    if (error !== 51 || i > 100) return error;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** TxnOffsetCommit v2 of one partition: its error code. */
export async function txnOffsetCommit(c: RawConnection, transactionalId: string, group: string, producerId: number, epoch: number, topic: string, partition: number, offset: number): Promise<number> {
  // Retried while the group coordinator loads (14, 15, 16) or the transaction is being completed (51), as clients do.
  for (let i = 0; ; i++) {
    const r = await c.call(TXN_API.TxnOffsetCommit, 2, (w) => {
      w.string(transactionalId).string(group).int64(producerId).int16(epoch);
      w.array([topic], (w, t) => {
        w.string(t);
        w.array([partition], (w, p) => w.int32(p).int64(offset).int32(-1).string(null));
      });
    });
    r.int32();
    const ts = r.array((r) => (r.string(), r.array((r) => (r.int32(), r.int16()))!))!;
    const error = ts[0][0];
    if (![14, 15, 16, 51].includes(error) || i > 100) return error;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** EndTxn v2 (retried on CONCURRENT_TRANSACTIONS): the error code. */
export async function endTxn(c: RawConnection, transactionalId: string, producerId: number, epoch: number, commit: boolean): Promise<number> {
  for (let i = 0; ; i++) {
    const r = await c.call(TXN_API.EndTxn, 2, (w) => w.string(transactionalId).int64(producerId).int16(epoch).bool(commit));
    r.int32();
    const error = r.int16();
    if (error !== 51 || i > 100) return error;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Runs `fn` on a fresh connection to the target's bootstrap address, closed afterwards. */
export async function withConn<T>(t: { bootstrap: string }, fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await RawConnection.open(t.bootstrap);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Creates a topic (an existing one is fine) and waits until every partition answers ListOffsets. */
export async function createReady(c: RawConnection, name: string, partitions = 1): Promise<void> {
  const err = await createTopic(c, name, partitions, 1);
  if (err !== 0 && err !== 36) throw new Error(`CreateTopics ${name}: error ${err}`);
  for (let i = 0; i < 100; i++) {
    const md = await metadata(c, [name], false);
    if (md.topics[0].error === 0 && md.topics[0].partitions.length === partitions) {
      const ready = await Promise.all(md.topics[0].partitions.map((p) => listOffset(c, name, p.id, -1)));
      if (ready.every((r) => r.error === 0)) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} not ready`);
}
