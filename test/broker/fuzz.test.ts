/**
 * Throws random and mutated frames at the broker: at least 100,000 of them in `npm test` (FUZZ_FRAMES sets
 * how many; `npm run fuzz` runs a million). Frames go in pipelined bursts on one connection, each burst
 * followed by a valid ApiVersions request: the broker may answer or close that connection (as Kafka does for
 * a malformed request), but it must never hit an unexpected error, it must release what each connection held
 * (long polls, buffers), and afterwards a real client must still produce and consume exactly.
 */
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { waitFor, withBroker } from "./helpers";
import { apiVersionsRequest, frame, produceRequest, recordBatch } from "./wire";
import { WireClient } from "./wire-client";

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const CONCURRENCY = 16;
const BURST = 40;
const SENTINEL = 0x7ead;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function seeds(): Buffer[] {
  const batch = recordBatch([{ key: Buffer.from("key"), value: Buffer.from("value") }, { key: null, value: Buffer.from("second") }]);
  return [
    apiVersionsRequest(1, 2),
    frame(3, 8, 2, (w) => w.array(["fuzz", "other"], (w, t) => w.string(t)).bool(true).bool(false).bool(false)),
    frame(3, 0, 2, (w) => w.int32(0)),
    produceRequest(3, "fuzz", 0, batch),
    produceRequest(3, "fuzz", 0, batch, 0),
    frame(1, 11, 4, (w) => {
      w.int32(-1).int32(50).int32(1).int32(1 << 20).int8(0).int32(0).int32(-1);
      w.array(["fuzz"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int32(-1).int64(0).int64(-1).int32(1 << 20)));
      w.int32(0).string("");
    }),
    frame(2, 5, 5, (w) => w.int32(-1).int8(0).array(["fuzz"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int32(-1).int64(-2)))),
    frame(10, 2, 6, (w) => w.string("g").int8(0)),
    frame(11, 5, 7, (w) => w.string("g").int32(1000).int32(200).string("").nullableString(null).string("consumer").array(["range"], (w, n) => w.string(n).bytes(Buffer.from([0, 1, 0, 0, 0, 0])))),
    frame(14, 3, 8, (w) => w.string("g").int32(1).string("m").nullableString(null).int32(0)),
    frame(12, 3, 9, (w) => w.string("g").int32(1).string("m").nullableString(null)),
    frame(8, 7, 10, (w) => w.string("g").int32(-1).string("").nullableString(null).array(["fuzz"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(1).int32(-1).nullableString(null)))),
    frame(9, 5, 11, (w) => w.string("g").int32(-1)),
    frame(19, 4, 12, (w) => w.array(["made"], (w, t) => w.string(t).int32(2).int16(1).int32(0).array([["retention.ms", "1000"]], (w, c) => w.string(c[0]).nullableString(c[1]))).int32(1000).bool(false)),
    frame(20, 3, 13, (w) => w.array(["made"], (w, t) => w.string(t)).int32(1000)),
    frame(15, 4, 14, (w) => w.array(["g"], (w, g) => w.string(g)).bool(false)),
    frame(16, 2, 15, () => {}),
    frame(32, 3, 16, (w) => w.array([2], (w, t) => w.int8(t).string("fuzz").int32(-1)).bool(false).bool(false)),
    frame(22, 1, 17, (w) => w.nullableString(null).int32(1000)),
    frame(13, 3, 18, (w) => w.string("g").array(["m"], (w, m) => w.string(m).nullableString(null))),
  ];
}

function mutate(seed: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(seed);
  const kind = Math.floor(rand() * 6);
  const body = () => 4 + Math.floor(rand() * Math.max(1, out.length - 4));
  switch (kind) {
    case 0: // flip a few bytes after the size prefix
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) out[body()] = Math.floor(rand() * 256);
      return out;
    case 1: {
      // truncate the body, keeping the size prefix honest
      const cut = out.subarray(0, body());
      cut.writeInt32BE(cut.length - 4, 0);
      return cut;
    }
    case 2: {
      // an int16 or int32 field set to an extreme
      const at = body();
      const v = [0x7fffffff, -1, -2147483648, 0x7fff][Math.floor(rand() * 4)];
      if (at + 4 <= out.length) out.writeInt32BE(v | 0, at);
      return out;
    }
    case 3: {
      // random bytes, honest size
      const n = Math.floor(rand() * 200);
      const r = Buffer.alloc(4 + n);
      r.writeInt32BE(n, 0);
      for (let i = 4; i < r.length; i++) r[i] = Math.floor(rand() * 256);
      return r;
    }
    case 4: // a size prefix that lies
      out.writeInt32BE(Math.floor(rand() * 0x7fffffff) - (rand() < 0.3 ? 0x7fffffff : 0), 0);
      return out;
    default: // a valid request with a random API version
      out.writeInt16BE(Math.floor(rand() * 20) - 2, 6);
      return out;
  }
}


/** Sends a burst of frames and a sentinel on one connection; how many frames the broker read, and how it ended. */
function burst(port: number, frames: Buffer[], timeoutMs: number): Promise<{ read: number; answeredSentinel: boolean; closedByBroker: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    let answers = 0;
    let done = false;
    const finish = (answeredSentinel: boolean, closedByBroker: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      // In order: a sentinel answer means every frame before it was read; a close means the frames answered so
      // far plus the one that closed it (a frame with acks=0 has no answer, so this undercounts, never over).
      resolve({ read: answeredSentinel ? frames.length : Math.min(frames.length, answers + (closedByBroker ? 1 : 0)), answeredSentinel, closedByBroker });
    };
    // A client that goes away with a long poll pending: the broker must let it go.
    const timer = setTimeout(() => finish(false, false), timeoutMs);
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 4 + buf.readInt32BE(0)) {
        const id = buf.readInt32BE(4);
        buf = buf.subarray(4 + buf.readInt32BE(0));
        if (id === SENTINEL) return finish(true, false);
        answers++;
      }
    });
    socket.on("error", () => finish(false, true));
    socket.on("close", () => finish(false, true));
    socket.on("connect", () => {
      socket.write(Buffer.concat([...frames, apiVersionsRequest(SENTINEL)]));
    });
  });
}

describe("broker fuzzing", () => {
  it(`survives ${FRAMES.toLocaleString("en")} random and mutated frames and keeps serving real clients exactly`, async () => {
    const unexpected: string[] = [];
    await withBroker(
      async (b) => {
        // A topic with known content, checked after the storm.
        const c = await WireClient.connect(b.port);
        expect((await c.createTopic("fuzz", 2)).errorCode).toBe(0);
        const known = Array.from({ length: 50 }, (_, i) => `known-${i}`);
        for (const v of known) expect((await c.produce("fuzz", 1, recordBatch([{ key: null, value: Buffer.from(v) }]))).errorCode).toBe(0);
        c.close();

        const rand = rng(0xc0ffee);
        const base = seeds();
        let read = 0;
        let sent = 0;
        let sentinels = 0;
        let closed = 0;
        const worker = async () => {
          // Until the broker has read FRAMES frames (frames after the one that closes a connection are not read).
          while (read < FRAMES && sent < 5 * FRAMES) {
            const n = 1 + Math.floor(rand() * BURST);
            sent += n;
            const frames = Array.from({ length: n }, () => {
              const seed = base[Math.floor(rand() * base.length)];
              // Most frames are real requests, so bursts get deep into a connection's life before a bad one.
              return rand() < 0.94 ? seed : mutate(seed, rand);
            });
            const res = await burst(b.port, frames, 1000);
            read += res.read;
            if (res.answeredSentinel) sentinels++;
            if (res.closedByBroker) closed++;
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        console.log(`fuzz: ${sent} frames sent, at least ${read} read by the broker; ${sentinels} bursts answered whole, ${closed} connections closed by the broker`);
        expect(read).toBeGreaterThanOrEqual(FRAMES);
        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        expect(sentinels).toBeGreaterThan(0);
        expect(closed).toBeGreaterThan(0);

        // Everything the connections held is released.
        await waitFor("connections and long polls released", () => b.stats().connections === 0 && b.stats().waitingFetches === 0, 30_000);
        const check = await WireClient.connect(b.port);
        expect((await check.readAll("fuzz", 1)).slice(0, known.length).map((r) => r.value!.toString())).toEqual(known);
        check.close();

        const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "after-fuzz", numPartitions: 1 }] });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: "after-fuzz", messages: [{ key: "k", value: "still here" }] });
        await producer.disconnect();
        const offsets = await admin.fetchTopicOffsets("after-fuzz");
        await admin.disconnect();
        expect(offsets[0].high).toBe("1");
      },
      { maxRequestBytes: 1 << 20, partialRequestTimeoutMs: 2000, log: (line) => (/error handling/.test(line) ? unexpected.push(line) : undefined) },
    );
    expect(unexpected.slice(0, 3)).toEqual([]);
  }, Math.max(300_000, FRAMES * 10));
});
