/**
 * Fetch sessions (KIP-227) and topic ids over the wire, with requests built by the broker's own codec (the same
 * declarations a client of this package would use): a session opens at epoch 0 and answers every partition;
 * incremental fetches answer only partitions that changed; a wrong epoch or an unknown session id gets Kafka's
 * errors; forgotten partitions leave the session; Fetch v13+ names topics by the id Metadata v12 gives.
 */
import { describe, expect, it } from "vitest";
import { decodeResponse, encodeRequest, type Out } from "../../lib/protocol/codec";
import { Fetch, Metadata } from "../../lib/protocol/messages";
import { Reader, Writer } from "../../lib/protocol/primitives";
import { withBroker } from "./helpers";
import { exchange, metadataRequest, produceRequest, recordBatch } from "./wire";

/** A request frame (header v2: flexible versions) from a message spec. */
function request(apiKey: number, version: number, correlationId: number, build: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int16(apiKey).int16(version).int32(correlationId).nullableString("session-test").uvarint(0);
  build(w);
  const body = w.toBuffer();
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function call<T>(port: number, frame: Buffer, decode: (r: Reader) => T): Promise<T> {
  const { responses } = await exchange(port, frame, { end: false, responses: 1, timeoutMs: 10_000 });
  const r = new Reader(responses[0]);
  r.int32();
  r.uvarint(); // response header v1 tags
  const out = decode(r);
  expect(r.remaining()).toBe(0);
  return out;
}

type FetchReq = Out<(typeof Fetch)["request"]>;

describe("fetch sessions and topic ids", () => {
  it("opens a session, answers only changed partitions incrementally, and refuses a wrong epoch or an unknown session", async () => {
    await withBroker(
      async (b) => {
        const batch = recordBatch([{ key: null, value: Buffer.from("x") }]);
        await exchange(b.port, [metadataRequest(1, ["s"]), produceRequest(2, "s", 0, batch), produceRequest(3, "s", 1, batch)], { end: false, responses: 3 });
        const fetch = (corr: number, body: FetchReq) => call(b.port, request(1, 12, corr, (w) => encodeRequest(Fetch, 12, body, w)), (r) => decodeResponse(Fetch, 12, r));
        const partitions = [0, 1].map((p) => ({ partition: p, fetchOffset: 1, partitionMaxBytes: 1 << 20 }));

        const opened = await fetch(10, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: 0, topics: [{ topic: "s", partitions }] });
        expect(opened.errorCode).toBe(0);
        expect(opened.sessionId).toBeGreaterThan(0);
        expect(opened.responses[0].partitions.map((p) => [p.partitionIndex, p.highWatermark])).toEqual([
          [0, 1],
          [1, 1],
        ]);

        // Nothing changed: the incremental answer is empty.
        const quiet = await fetch(11, { maxWaitMs: 0, minBytes: 0, sessionId: opened.sessionId, sessionEpoch: 1, topics: [] });
        expect(quiet).toMatchObject({ errorCode: 0, sessionId: opened.sessionId, responses: [] });

        // New data on partition 1 only: only partition 1 comes back, with its records.
        await exchange(b.port, produceRequest(4, "s", 1, batch), { end: false, responses: 1 });
        const changed = await fetch(12, { maxWaitMs: 0, minBytes: 0, sessionId: opened.sessionId, sessionEpoch: 2, topics: [] });
        expect(changed.responses.map((t) => t.partitions.map((p) => p.partitionIndex))).toEqual([[1]]);
        expect(changed.responses[0].partitions[0].highWatermark).toBe(2);
        expect(changed.responses[0].partitions[0].records?.length).toBe(batch.length);

        // Forget partition 1; new data there is no longer reported.
        const forgot = await fetch(13, { maxWaitMs: 0, minBytes: 0, sessionId: opened.sessionId, sessionEpoch: 3, topics: [], forgottenTopicsData: [{ topic: "s", partitions: [1] }] });
        expect(forgot.responses).toEqual([]);
        await exchange(b.port, produceRequest(5, "s", 1, batch), { end: false, responses: 1 });
        expect((await fetch(14, { maxWaitMs: 0, minBytes: 0, sessionId: opened.sessionId, sessionEpoch: 4, topics: [] })).responses).toEqual([]);

        expect((await fetch(15, { maxWaitMs: 0, minBytes: 0, sessionId: opened.sessionId, sessionEpoch: 9, topics: [] })).errorCode).toBe(71); // INVALID_FETCH_SESSION_EPOCH
        expect((await fetch(16, { maxWaitMs: 0, minBytes: 0, sessionId: 12345, sessionEpoch: 1, topics: [] })).errorCode).toBe(70); // FETCH_SESSION_ID_NOT_FOUND
        // A sessionless fetch (epoch -1) answers everything asked, with session id 0.
        const full = await fetch(17, { maxWaitMs: 0, minBytes: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "s", partitions }] });
        expect(full.sessionId).toBe(0);
        expect(full.responses[0].partitions.length).toBe(2);
      },
      { defaultPartitions: 2 },
    );
  });

  it("names topics by id in Metadata v12 and Fetch v13+, and answers UNKNOWN_TOPIC_ID for an id it does not know", async () => {
    await withBroker(async (b) => {
      await exchange(b.port, [metadataRequest(1, ["ids"]), produceRequest(2, "ids", 0, recordBatch([{ key: null, value: Buffer.from("v") }]))], { end: false, responses: 2 });
      const meta = await call(b.port, request(3, 12, 3, (w) => encodeRequest(Metadata, 12, { topics: [{ name: "ids" }], allowAutoTopicCreation: false }, w)), (r) => decodeResponse(Metadata, 12, r));
      const id = meta.topics[0].topicId;
      expect(id).not.toBe("00000000-0000-0000-0000-000000000000");
      const fetch = (topicId: string) =>
        call(
          b.port,
          request(1, 17, 4, (w) => encodeRequest(Fetch, 17, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionEpoch: -1, topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }, w)),
          (r) => decodeResponse(Fetch, 17, r),
        );
      const ok = await fetch(id);
      expect(ok.responses[0].topicId).toBe(id);
      expect(ok.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 1 });
      const unknown = await fetch("0123abcd-0000-4000-8000-000000000000");
      expect(unknown.responses[0].partitions[0].errorCode).toBe(100); // UNKNOWN_TOPIC_ID
      // By id in Metadata too.
      const byId = await call(b.port, request(3, 12, 5, (w) => encodeRequest(Metadata, 12, { topics: [{ topicId: id, name: null }] }, w)), (r) => decodeResponse(Metadata, 12, r));
      expect(byId.topics[0]).toMatchObject({ errorCode: 0, name: "ids", topicId: id });
    });
  });
});
