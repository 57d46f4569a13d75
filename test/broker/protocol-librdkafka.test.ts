/**
 * librdkafka decides whether a broker supports compression from the Produce versions it advertises: Kafka 4.0
 * removed Produce v0-2 and librdkafka then sent gzip, snappy and lz4 batches uncompressed ("Broker does not
 * support compression type"), so Kafka advertises Produce from v0 again (KAFKA-18659). The embedded broker does
 * the same; this checks the codec kcat actually used, in the stored batch's attributes, not only the round trip.
 */
import { describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { run, withBroker } from "./helpers";
import { exchange, frame } from "./wire";
import { Reader } from "../../lib/protocol/primitives";

const CODECS = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** Fetch v4 of partition 0 from offset 0: the first stored batch's attributes. */
async function firstBatchAttributes(port: number, topic: string): Promise<number> {
  const req = frame(1, 4, 1, (w) => {
    w.int32(-1).int32(0).int32(0).int32(1 << 20).int8(0);
    w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(0).int32(1 << 20)));
  });
  const { responses } = await exchange(port, req, { end: false, responses: 1 });
  const r = new Reader(responses[0]);
  r.int32(); // correlation id
  r.int32(); // throttle
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  expect(r.int16()).toBe(0);
  r.int64();
  r.int64();
  r.int32(); // aborted transactions: null or empty
  const records = r.bytes();
  return records.readInt16BE(21);
}

describe.runIf(tool("kcat"))("librdkafka compression against the embedded broker", () => {
  it.each(Object.entries(CODECS))("kcat -z %s stores batches with that codec (attributes id %s)", async (codec, id) => {
    await withBroker(async (b) => {
      const topic = `z-${codec}`;
      const input = Array.from({ length: 200 }, (_, i) => `key-${i % 7}\t${"value ".repeat(20)}${i}\n`).join("");
      const produced = await run("kcat", ["-P", "-b", b.bootstrap, "-t", topic, "-K", "\t", "-z", codec, "-X", "debug=protocol", "-p", "0"], input);
      expect(produced.code).toBe(0);
      expect(produced.stderr).not.toMatch(/does not support compression/i);
      expect((await firstBatchAttributes(b.port, topic)) & 0x7).toBe(id);
    });
  });
});
