/**
 * Wire-level behaviour with hand-built requests: CRC32C, ApiVersions fallback, CRC mismatch and old message
 * formats on produce, oversized frames, unknown API keys, and the broker serving others meanwhile.
 */
import { describe, expect, it } from "vitest";
import { crc32c } from "../../lib/broker/log/crc32c";
import { Reader } from "../../lib/protocol/primitives";
import { withBroker } from "./helpers";
import { apiVersionsRequest, exchange, frame, metadataRequest, parseProduceResponse, produceRequest, recordBatch } from "./wire";
import { decodeResponse } from "../../lib/protocol/codec";
import { ApiVersions } from "../../lib/protocol/messages";

describe("broker wire protocol", () => {
  it("computes CRC32C (Castagnoli) check values", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    // Same value whatever the alignment of the slicing-by-8 loop.
    expect(crc32c(Buffer.concat([Buffer.from([1, 2, 3]), big]), 3)).toBe(crc32c(big));
  });

  it("answers an unknown ApiVersions version with the v0 body and UNSUPPORTED_VERSION, as Kafka does", async () => {
    await withBroker(async (b) => {
      const { responses } = await exchange(b.port, [apiVersionsRequest(7, 9), apiVersionsRequest(8, 2)]);
      expect(responses.length).toBe(2);
      const r = new Reader(responses[0]);
      expect(r.int32()).toBe(7);
      expect(r.int16()).toBe(35);
      const apis = r.array((r) => [r.int16(), r.int16(), r.int16()]);
      expect(apis.find((a) => a[0] === 18)).toEqual([18, 0, 4]);
      // Produce is advertised from v0 as Kafka 4.0 does (KAFKA-18659), though only v3+ is served.
      expect(apis.find((a) => a[0] === 0)).toEqual([0, 0, 13]);
      expect(apis.find((a) => a[0] === 1)).toEqual([1, 4, 18]);
      expect(r.remaining()).toBe(0);
      const ok = new Reader(responses[1]);
      expect(ok.int32()).toBe(8);
      expect(ok.int16()).toBe(0);
    });
  });

  it("rejects a CRC mismatch with CORRUPT_MESSAGE and an old message format with INVALID_RECORD (as Kafka 4), then accepts a good batch", async () => {
    await withBroker(async (b) => {
      const good = recordBatch([{ key: Buffer.from("k"), value: Buffer.from("v") }]);
      const bad = Buffer.from(good);
      bad[bad.length - 2] ^= 0xff;
      const old = recordBatch([{ key: null, value: Buffer.from("v") }], Date.now(), 1);
      const { responses } = await exchange(b.port, [metadataRequest(0, ["p"]), produceRequest(1, "p", 0, bad), produceRequest(2, "p", 0, old), produceRequest(3, "p", 0, good), produceRequest(4, "p", 0, good)]);
      expect(responses.slice(1).map(parseProduceResponse)).toEqual([
        { errorCode: 2, baseOffset: -1 },
        { errorCode: 87, baseOffset: -1 },
        { errorCode: 0, baseOffset: 0 },
        { errorCode: 0, baseOffset: 1 },
      ]);
    });
  });

  it("closes a connection that sends an oversized frame or an unknown API key, and keeps serving others", async () => {
    await withBroker(
      async (b) => {
        const huge = Buffer.alloc(8);
        huge.writeInt32BE(10_000_000);
        const oversized = await exchange(b.port, [huge, apiVersionsRequest(1)], { end: false });
        expect(oversized.closedByBroker).toBe(true);
        expect(oversized.responses).toEqual([]);
        const unknown = await exchange(b.port, [frame(999, 0, 5, () => {}), apiVersionsRequest(6)], { end: false });
        expect(unknown.closedByBroker).toBe(true);
        expect(unknown.responses).toEqual([]);
        const truncated = await exchange(b.port, [frame(3, 1, 9, (w) => w.int32(5)), apiVersionsRequest(10)], { end: false });
        expect(truncated.closedByBroker).toBe(true);
        const fine = await exchange(b.port, apiVersionsRequest(11));
        expect(fine.responses.length).toBe(1);
      },
      { maxRequestBytes: 1 << 20 },
    );
  });

  it("advertises Produce from v0 but closes the connection on Produce v0-2 and Fetch v0-3, as Kafka 4 does", async () => {
    await withBroker(async (b) => {
      const batch = recordBatch([{ key: null, value: Buffer.from("old") }]);
      for (const version of [0, 1, 2]) {
        const old = frame(0, version, 3, (w) => w.int16(1).int32(1000).array(["old"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).bytes(batch))));
        const res = await exchange(b.port, [old, apiVersionsRequest(4)], { end: false });
        expect(res.closedByBroker, `Produce v${version}`).toBe(true);
        expect(res.responses).toEqual([]);
      }
      for (const version of [0, 1, 2, 3]) {
        const old = frame(1, version, 5, (w) => w.int32(-1).int32(10).int32(1).array(["old"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(0).int32(1 << 20))));
        const res = await exchange(b.port, [old, apiVersionsRequest(6)], { end: false });
        expect(res.closedByBroker, `Fetch v${version}`).toBe(true);
        expect(res.responses).toEqual([]);
      }
      // Nothing was stored by the refused produce requests.
      const ok = await exchange(b.port, [metadataRequest(8, ["old"]), produceRequest(7, "old", 0, batch)], { end: false, responses: 2 });
      expect(parseProduceResponse(ok.responses[1])).toEqual({ errorCode: 0, baseOffset: 0 });
    });
  });

  it("answers flexible ApiVersions v3 with a v0 response header, the table and the finalized features (transaction.version 2, metadata.version, group.version)", async () => {
    await withBroker(async (b) => {
      // Request header v2: the v1 header then an empty tagged-field section; then the compact body.
      const req = frame(18, 3, 21, (w) => w.uvarint(0).compactNullableString("wire-test").compactNullableString("1.0").uvarint(0));
      const { responses } = await exchange(b.port, req, { end: false, responses: 1 });
      const r = new Reader(responses[0]);
      expect(r.int32()).toBe(21);
      const body = decodeResponse(ApiVersions, 3, r);
      expect(r.remaining()).toBe(0);
      expect(body.errorCode).toBe(0);
      expect(body.apiKeys.find((k) => k.apiKey === 3)).toEqual({ apiKey: 3, minVersion: 0, maxVersion: 12 });
      expect(body.finalizedFeatures).toEqual([
        { name: "transaction.version", maxVersionLevel: 2, minVersionLevel: 2 },
        { name: "metadata.version", maxVersionLevel: 25, minVersionLevel: 25 },
        { name: "group.version", maxVersionLevel: 1, minVersionLevel: 1 },
      ]);
    });
  });

  it("does not create a topic on Produce (only Metadata does), as Kafka", async () => {
    await withBroker(async (b) => {
      const batch = recordBatch([{ key: null, value: Buffer.from("v") }]);
      const first = await exchange(b.port, produceRequest(1, "absent", 0, batch), { end: false, responses: 1 });
      expect(parseProduceResponse(first.responses[0])).toEqual({ errorCode: 3, baseOffset: -1 });
      const after = await exchange(b.port, [metadataRequest(2, ["absent"]), produceRequest(3, "absent", 0, batch)], { end: false, responses: 2 });
      expect(parseProduceResponse(after.responses[1])).toEqual({ errorCode: 0, baseOffset: 0 });
    });
  });
});
