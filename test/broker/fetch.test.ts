/**
 * Fetch semantics with hand-built requests: a long poll woken by a produce, min_bytes, partition and response
 * byte limits (with KIP-74's first-batch exception), and out-of-range offsets.
 */
import { describe, expect, it } from "vitest";
import { Reader } from "../../lib/protocol/primitives";
import { withBroker } from "./helpers";
import { exchange, frame, metadataRequest, parseProduceResponse, produceRequest, recordBatch } from "./wire";

interface FetchedPartition {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer;
}

function fetchRequest(correlationId: number, topic: string, offset: number, o: { maxWaitMs: number; minBytes: number; maxBytes: number; partitionMaxBytes: number }): Buffer {
  return frame(1, 11, correlationId, (w) => {
    w.int32(-1).int32(o.maxWaitMs).int32(o.minBytes).int32(o.maxBytes).int8(0).int32(0).int32(-1);
    w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int32(-1).int64(offset).int64(-1).int32(o.partitionMaxBytes)));
    w.int32(0).string("");
  });
}

function parseFetch(body: Buffer): FetchedPartition {
  const r = new Reader(body);
  r.int32(); // correlation id
  r.int32();
  expect(r.int16()).toBe(0);
  r.int32();
  const topics = r.array((r) => {
    r.string();
    return r.array((r) => {
      r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      r.int64();
      const logStartOffset = r.int64();
      r.array((r) => [r.int64(), r.int64()]);
      r.int32();
      return { errorCode, highWatermark, logStartOffset, records: Buffer.from(r.bytes()) };
    });
  });
  return topics[0][0];
}

const batch = (n: number, fill: string) => recordBatch(Array.from({ length: n }, () => ({ key: null, value: Buffer.from(fill.repeat(50)) })));

describe("fetch", () => {
  it("long-polls: a waiting fetch is answered by the next produce, not by its (very long) max wait", async () => {
    await withBroker(async (b) => {
      await exchange(b.port, [metadataRequest(0, ["lp"]), produceRequest(1, "lp", 0, batch(1, "a"))]);
      // Waits far longer than this test may run: only the produce below can complete it in time.
      const waiting = exchange(b.port, fetchRequest(2, "lp", 1, { maxWaitMs: 600_000, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }), { end: false, responses: 1, timeoutMs: 100_000 });
      await new Promise((r) => setTimeout(r, 200));
      const produced = await exchange(b.port, produceRequest(3, "lp", 0, batch(2, "b")));
      expect(parseProduceResponse(produced.responses[0]).baseOffset).toBe(1);
      const res = await waiting;
      expect(res.responses.length).toBe(1);
      const p = parseFetch(res.responses[0]);
      expect(p.highWatermark).toBe(3);
      expect(p.records.readBigInt64BE(0)).toBe(1n); // the new batch, at its assigned base offset
    });
  });

  it("waits out max_wait when min_bytes is not reached, then returns what there is", async () => {
    await withBroker(async (b) => {
      const stored = batch(1, "c");
      await exchange(b.port, [metadataRequest(0, ["mb"]), produceRequest(1, "mb", 0, stored)]);
      const res = await exchange(b.port, fetchRequest(2, "mb", 0, { maxWaitMs: 300, minBytes: 1 << 20, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }), { end: false, responses: 1 });
      const p = parseFetch(res.responses[0]);
      expect(p.records.length).toBe(stored.length);
      // Served byte for byte as stored (only the base offset, here 0, is the broker's).
      expect(p.records.subarray(12)).toEqual(stored.subarray(12));
    });
  });

  it("honours partition and response byte limits but always sends a first batch that is too big", async () => {
    await withBroker(async (b) => {
      const one = batch(5, "d");
      await exchange(b.port, metadataRequest(0, ["lim"]));
      for (let i = 0; i < 3; i++) await exchange(b.port, produceRequest(i + 1, "lim", 0, one));
      const tiny = parseFetch((await exchange(b.port, fetchRequest(9, "lim", 0, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, partitionMaxBytes: 10 }), { end: false, responses: 1 })).responses[0]);
      expect(tiny.records.length).toBe(one.length);
      const two = parseFetch((await exchange(b.port, fetchRequest(9, "lim", 0, { maxWaitMs: 0, minBytes: 0, maxBytes: 2 * one.length + 1, partitionMaxBytes: 1 << 20 }), { end: false, responses: 1 })).responses[0]);
      expect(two.records.length).toBe(2 * one.length);
      const middle = parseFetch((await exchange(b.port, fetchRequest(9, "lim", 7, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }), { end: false, responses: 1 })).responses[0]);
      expect(middle.records.readBigInt64BE(0)).toBe(5n); // the batch holding offset 7
      expect(middle.records.length).toBe(2 * one.length);
      const beyond = parseFetch((await exchange(b.port, fetchRequest(9, "lim", 16, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }), { end: false, responses: 1 })).responses[0]);
      expect(beyond.errorCode).toBe(1); // OFFSET_OUT_OF_RANGE
      expect(beyond.highWatermark).toBe(15);
    });
  });
});
