/**
 * Throws thousands of random and mutated frames at the broker. Each goes on its own connection followed by
 * a valid ApiVersions request; the broker may answer or close that connection, but it must never hit an
 * unexpected error, and afterwards a real client must still produce and consume normally.
 */
import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { withBroker } from "./helpers";
import { apiVersionsRequest, exchange, frame, produceRequest, recordBatch } from "./wire";

const ITERATIONS = 3000;
const CONCURRENCY = 16;

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

describe("broker fuzzing", () => {
  it(`survives ${ITERATIONS} random and mutated frames and keeps serving real clients`, async () => {
    const unexpected: string[] = [];
    await withBroker(
      async (b) => {
        const rand = rng(0xc0ffee);
        const base = seeds();
        let answered = 0;
        let closed = 0;
        let next = 0;
        const worker = async () => {
          while (next < ITERATIONS) {
            const i = next++;
            const input = mutate(base[i % base.length], rand);
            const res = await exchange(b.port, [input, apiVersionsRequest(424242)], { timeoutMs: 20_000 });
            if (res.responses.some((r) => r.readInt32BE(0) === 424242)) answered++;
            if (res.closedByBroker) closed++;
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        expect(answered + closed).toBeGreaterThanOrEqual(ITERATIONS);
        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        expect(answered).toBeGreaterThan(ITERATIONS / 20);

        const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: "after-fuzz", messages: [{ key: "k", value: "still here" }] });
        await producer.disconnect();
        const admin = kafka.admin();
        await admin.connect();
        const offsets = await admin.fetchTopicOffsets("after-fuzz");
        await admin.disconnect();
        expect(offsets[0].high).toBe("1");
      },
      { maxRequestBytes: 1 << 20, log: (line) => (/error handling/.test(line) ? unexpected.push(line) : undefined) },
    );
    expect(unexpected.slice(0, 3)).toEqual([]);
  });
});
