/**
 * Limits that protect the broker from its clients, each answered with Kafka's error code or a closed
 * connection where Kafka closes one, and the broker still serving a well-behaved client afterwards: partition
 * counts against file descriptors, segment.bytes, record batch headers and timestamps, committed offsets and
 * metadata, clients that never read, half-sent frames, idle connections, abandoned long polls, and a stop
 * (SIGTERM, SIGINT, `streamlab broker` Ctrl-C) while a long poll waits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Reader, Writer } from "../../lib/protocol/primitives";
import { crc32c } from "../../lib/broker/log/crc32c";
import { waitFor, withBroker } from "./helpers";
import { frame, recordBatch } from "./wire";
import { WireClient } from "./wire-client";

const CLI = path.resolve(__dirname, "../../dist/lib/broker/cli.js");
const BIN = path.resolve(__dirname, "../../bin/streamlab.js");
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function createTopic(c: WireClient, name: string, partitions: number, configs: [string, string][] = []) {
  return c.createTopic(name, partitions, configs);
}

/** OffsetCommit v2 outside group management of one partition: the partition's error code. */
async function commit(c: WireClient, group: string, topic: string, offset: bigint, metadata: string | null): Promise<number> {
  const r = await c.request(8, 2, (w: Writer) => {
    w.string(group).int32(-1).string("").int64(-1);
    w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(offset).nullableString(metadata)));
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return r.int16();
}

/** OffsetFetch v1 of one partition: [offset, errorCode]. */
async function fetchCommitted(c: WireClient, group: string, topic: string): Promise<{ offset: number; errorCode: number }> {
  const r: Reader = await c.request(9, 1, (w: Writer) => w.string(group).array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p))));
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const offset = r.int64();
  r.nullableString();
  return { offset, errorCode: r.int16() };
}

/** Produce v7 of one batch to partition 0, acks=1. */
function produceFrame(id: number, topic: string, batch: Buffer): Buffer {
  return frame(0, 7, id, (w) => {
    w.nullableString(null).int16(1).int32(5000);
    w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).bytes(batch)));
  });
}

function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/** A batch with its header's record count, last offset delta or timestamps set as given (CRC made valid). */
function forgedBatch(opts: { count?: number; lastOffsetDelta?: number; baseTimestamp?: bigint; records?: number }): Buffer {
  const b = recordBatch(Array.from({ length: opts.records ?? 1 }, (_, i) => ({ key: null, value: Buffer.from(`forged-${i}`) })));
  if (opts.count !== undefined) b.writeInt32BE(opts.count, 57);
  if (opts.lastOffsetDelta !== undefined) b.writeInt32BE(opts.lastOffsetDelta, 23);
  if (opts.baseTimestamp !== undefined) {
    b.writeBigInt64BE(opts.baseTimestamp, 27);
    b.writeBigInt64BE(opts.baseTimestamp, 35);
  }
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

async function spawnCli(args: string[], cmd = CLI, prefix: string[] = []): Promise<{ child: ChildProcess; port: number; err: () => string }> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  await waitFor("the broker to listen", () => {
    if (child.exitCode !== null) throw new Error(`broker exited ${child.exitCode}: ${err}`);
    return /listening on \S+:(\d+)\n/.test(out);
  });
  return { child, port: Number(/listening on \S+:(\d+)/.exec(out)![1]), err: () => err };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));
}

describe("broker limits", () => {
  it("segment.bytes above 1 GiB is INVALID_CONFIG, and partition counts past the limits are INVALID_PARTITIONS / POLICY_VIOLATION", async () => {
    await withBroker(
      async (b) => {
        const c = await WireClient.connect(b.port);
        try {
          const big = await createTopic(c, "huge-segments", 1, [["segment.bytes", "4000000000"]]);
          expect(big.errorCode).toBe(40);
          expect(big.message).toMatch(/segment.bytes/);
          expect((await createTopic(c, "ok-segments", 1, [["segment.bytes", String(1 << 30)]])).errorCode).toBe(0);
          expect((await createTopic(c, "too-wide", 10_001)).errorCode).toBe(37);
          expect((await createTopic(c, "first", 40)).errorCode).toBe(0);
          const over = await createTopic(c, "second", 40);
          expect(over.errorCode).toBe(44);
          expect(over.message).toMatch(/maxPartitions/);
          expect(b.stats().partitions).toBe(41);
          expect((await c.produce("first", 39, recordBatch([{ key: null, value: Buffer.from("fine") }]))).errorCode).toBe(0);
        } finally {
          c.close();
        }
      },
      { maxPartitions: 60 },
    );
  });

  it("8,000 partitions with a descriptor limit of 1024: no EMFILE, at creation, writing or restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-fds-"));
    temps.push(dataDir);
    const prefix = ["prlimit", "--nofile=1024:1024", "--"];
    let b = await spawnCli(["--port", "0", "--data-dir", dataDir], CLI, prefix);
    let c = await WireClient.connect(b.port);
    try {
      expect((await createTopic(c, "wide-a", 4000)).errorCode).toBe(0);
      expect((await createTopic(c, "wide-b", 4000)).errorCode).toBe(0);
      for (let p = 0; p < 4000; p += 13) expect((await c.produce(p % 2 ? "wide-a" : "wide-b", p, recordBatch([{ key: null, value: Buffer.from(`p${p}`) }]))).errorCode).toBe(0);
    } finally {
      c.close();
      b.child.kill("SIGTERM");
      expect(await exited(b.child)).toBe(0);
    }
    b = await spawnCli(["--port", "0", "--data-dir", dataDir], CLI, prefix);
    c = await WireClient.connect(b.port);
    try {
      for (let p = 0; p < 4000; p += 13) {
        const recs = await c.readAll(p % 2 ? "wide-a" : "wide-b", p);
        expect(recs.map((r) => r.value!.toString())).toEqual([`p${p}`]);
      }
      expect(b.err()).not.toMatch(/EMFILE/);
    } finally {
      c.close();
      b.child.kill("SIGTERM");
      await exited(b.child);
    }
  });

  it("rejects record batches whose header disagrees with their records, and timestamps out of Kafka's bounds", async () => {
    await withBroker(async (b) => {
      const c = await WireClient.connect(b.port);
      try {
        expect((await c.createTopic("v")).errorCode).toBe(0);
        expect((await c.produce("v", 0, recordBatch([{ key: null, value: Buffer.from("good") }]))).errorCode).toBe(0);
        // One record, but a header claiming 2^31-1 offsets: offsets would run far past 2^53.
        expect((await c.produce("v", 0, forgedBatch({ lastOffsetDelta: 0x7fffffff }))).errorCode).toBe(87);
        expect((await c.produce("v", 0, forgedBatch({ count: 5, lastOffsetDelta: 4 }))).errorCode).toBe(87);
        expect((await c.produce("v", 0, forgedBatch({ records: 3, count: 2, lastOffsetDelta: 1 }))).errorCode).toBe(87);
        // A timestamp of 2^63-1 (and anything more than message.timestamp.after.max.ms = 1 h ahead).
        expect((await c.produce("v", 0, forgedBatch({ baseTimestamp: 2n ** 63n - 1n }))).errorCode).toBe(32);
        expect((await c.produce("v", 0, forgedBatch({ baseTimestamp: BigInt(Date.now() + 2 * 3_600_000) }))).errorCode).toBe(32);
        expect((await c.produce("v", 0, recordBatch([{ key: null, value: Buffer.from("still good") }]))).baseOffset).toBe(1);
        expect((await c.listOffset("v", 0, -1)).offset).toBe(2);
        expect((await c.listOffset("v", 0, 0)).offset).toBe(0);
        expect((await c.readAll("v", 0)).map((r) => r.value!.toString())).toEqual(["good", "still good"]);
      } finally {
        c.close();
      }
    });
  });

  it("committed offsets and metadata within Kafka's limits, and the group still lists and fetches afterwards", async () => {
    await withBroker(async (b) => {
      const c = await WireClient.connect(b.port);
      try {
        expect((await c.createTopic("committed")).errorCode).toBe(0);
        expect((await c.produce("committed", 0, recordBatch([{ key: null, value: Buffer.from("x") }]))).errorCode).toBe(0);
        expect(await commit(c, "g", "committed", 2n ** 63n - 1n, null)).toBe(28);
        expect(await commit(c, "g", "committed", 1n, "m".repeat(4097))).toBe(12);
        expect(await commit(c, "g", "committed", 1n, "m".repeat(4096))).toBe(0);
        expect(await fetchCommitted(c, "g", "committed")).toEqual({ offset: 1, errorCode: 0 });
        const r = await c.request(16, 1, () => {}); // ListGroups v1
        r.int32();
        expect(r.int16()).toBe(0);
      } finally {
        c.close();
      }
    });
  });

  it("stops reading from a client that never reads its responses, and serves it again once it does", async () => {
    await withBroker(
      async (b) => {
        const c = await WireClient.connect(b.port);
        const value = Buffer.alloc(200_000, 7);
        expect((await c.createTopic("big")).errorCode).toBe(0);
        for (let i = 0; i < 5; i++) expect((await c.produce("big", 0, recordBatch([{ key: null, value }]))).errorCode).toBe(0);
        c.close();
        // 100 pipelined fetches of ~1 MB each; the socket is paused so nothing is read.
        const sock = net.connect(b.port, "127.0.0.1");
        await new Promise((r) => sock.once("connect", r));
        sock.pause();
        const N = 100;
        for (let i = 0; i < N; i++)
          sock.write(
            frame(1, 11, i + 1, (w) => {
              w.int32(-1).int32(0).int32(0).int32(1 << 20).int8(0).int32(0).int32(-1);
              w.array(["big"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int32(-1).int64(0).int64(-1).int32(1 << 20)));
              w.int32(0).string("");
            }),
          );
        await new Promise((r) => setTimeout(r, 1500));
        // Without backpressure the broker would buffer N × 1 MB; it stops at its limit (4 MiB here) plus one answer.
        expect(b.stats().bufferedResponseBytes).toBeLessThan(8 << 20);
        // A well-behaved client is served meanwhile.
        const other = await WireClient.connect(b.port);
        expect((await other.produce("big", 0, recordBatch([{ key: null, value: Buffer.from("small") }]))).errorCode).toBe(0);
        other.close();
        // Reading again, the slow client gets every answer.
        let got = 0;
        let pending = Buffer.alloc(0);
        await new Promise<void>((resolve, reject) => {
          sock.on("data", (d) => {
            pending = Buffer.concat([pending, d]);
            while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
              pending = pending.subarray(4 + pending.readInt32BE(0));
              if (++got === N) resolve();
            }
          });
          sock.on("close", () => reject(new Error(`closed after ${got} answers`)));
          sock.resume();
        });
        sock.destroy();
        expect(got).toBe(N);
      },
      { maxBufferedResponseBytes: 4 << 20 },
    );
  });

  it("closes connections that hold a half-sent frame or stay idle, never one in a long poll", async () => {
    await withBroker(
      async (b) => {
        // 4 bytes announcing 60 MB, then a little of it, then nothing.
        const partial = net.connect(b.port, "127.0.0.1");
        const partialClosed = new Promise((r) => partial.once("close", r));
        partial.on("error", () => {});
        const head = Buffer.alloc(4);
        head.writeInt32BE(60_000_000);
        partial.write(Buffer.concat([head, Buffer.alloc(1000)]));
        const idle = await WireClient.connect(b.port);
        const polling = await WireClient.connect(b.port);
        expect((await polling.createTopic("quiet")).errorCode).toBe(0);
        expect((await polling.produce("quiet", 0, recordBatch([{ key: null, value: Buffer.from("x") }]))).errorCode).toBe(0);
        const poll = polling.fetch("quiet", 0, 1, 1 << 20, 3000).catch((e) => e);
        await partialClosed;
        expect(await idle.waitClosed(10_000)).toBe(true);
        const answer = await poll;
        expect(answer).not.toBeInstanceOf(Error);
        expect(polling.closed).toBe(false);
        polling.close();
        // A producer streaming without pause always has part of its next request in flight: every frame arrives
        // within the time-out, so the connection stays open however long the stream lasts.
        const stream = net.connect(b.port, "127.0.0.1");
        await new Promise((r) => stream.once("connect", r));
        let answers = 0;
        stream.on("data", (d) => (answers += d.length > 0 ? 1 : 0));
        const streamClosed = new Promise((r) => stream.once("close", () => r("closed")));
        const frames = Array.from({ length: 16 }, (_, i) => produceFrame(i + 1, "quiet", recordBatch([{ key: null, value: Buffer.from(`s${i}`) }])));
        const bytes = Buffer.concat(frames);
        const step = Math.ceil(bytes.length / 16);
        for (let off = 0; off < bytes.length; off += step) {
          stream.write(bytes.subarray(off, off + step));
          await new Promise((r) => setTimeout(r, 150));
        }
        expect(await Promise.race([streamClosed, new Promise((r) => setTimeout(() => r("open"), 300))])).toBe("open");
        stream.destroy();
        expect(answers).toBeGreaterThan(0);
      },
      { partialRequestTimeoutMs: 500, idleTimeoutMs: 1000, maxRequestBytes: 100 << 20 },
    );
  });

  it("bounds waiting long polls and releases them when their clients disconnect", async () => {
    await withBroker(
      async (b) => {
        const clients = await Promise.all(Array.from({ length: 60 }, () => WireClient.connect(b.port)));
        expect((await clients[0].createTopic("empty")).errorCode).toBe(0);
        expect((await clients[0].produce("empty", 0, recordBatch([{ key: null, value: Buffer.from("x") }]))).errorCode).toBe(0);
        const polls = clients.map((c) => c.fetch("empty", 0, 1, 1024, 3_600_000).catch(() => undefined));
        await waitFor("50 waiting fetches", () => b.stats().waitingFetches === 50);
        // Past the bound a fetch answers at once instead of waiting.
        const answered = await Promise.race([Promise.all(polls.slice(50)), new Promise((r) => setTimeout(() => r("waiting"), 5000))]);
        expect(answered).not.toBe("waiting");
        for (const c of clients) c.close();
        await waitFor("the waiters released", () => b.stats().waitingFetches === 0, 10_000);
        const c = await WireClient.connect(b.port);
        expect((await c.produce("empty", 0, recordBatch([{ key: null, value: Buffer.from("x") }]))).errorCode).toBe(0);
        c.close();
      },
      { maxWaitingFetches: 50 },
    );
  });

  it.each([
    ["SIGTERM", CLI, []],
    ["SIGINT", CLI, []],
    ["SIGINT", BIN, ["broker"]],
  ] as const)("%s stops %s within seconds while a week-long poll waits", async (signal, cmd, pre) => {
    const b = await spawnCli([...pre, "--port", "0"], cmd);
    const c = await WireClient.connect(b.port);
    expect((await c.createTopic("t")).errorCode).toBe(0);
    expect((await c.produce("t", 0, recordBatch([{ key: null, value: Buffer.from("x") }]))).errorCode).toBe(0);
    void c.fetch("t", 0, 1, 1024, 7 * 24 * 3600 * 1000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    b.child.kill(signal);
    const code = await Promise.race([exited(b.child), new Promise((r) => setTimeout(() => r("still running"), 8000))]);
    c.close();
    if (code === "still running") b.child.kill("SIGKILL");
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
