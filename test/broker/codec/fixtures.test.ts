/**
 * Request frames captured from real clients (kafkajs, @platformatic/kafka, kcat/librdkafka, kafka-python; see
 * capture.ts) decode completely and re-encode to the same bytes; and sent to the broker, each gets a response
 * that decodes completely at the version asked for (response header v1 for flexible versions, v0 for ApiVersions).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { API_REGISTRY } from "../../../lib/broker/handlers";
import { decodeRequest, decodeResponse, encodeRequest, isFlexible, skipTaggedFields } from "../../../lib/protocol/codec";
import { Reader } from "../../../lib/protocol/primitives";
import { withBroker } from "../helpers";
import { exchange } from "../wire";

interface Captured {
  client: string;
  apiKey: number;
  version: number;
  frame: string;
}

const fixtures: Captured[] = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "requests.json"), "utf8"));

function split(frame: Buffer): { apiKey: number; version: number; body: Buffer; flexible: boolean } {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const version = r.int16();
  r.int32();
  r.nullableString();
  const api = API_REGISTRY.get(apiKey)!;
  const flexible = isFlexible(api.spec, version);
  if (flexible) skipTaggedFields(r);
  return { apiKey, version, body: frame.subarray(r.offset), flexible };
}

describe("captured client frames", () => {
  it("cover four clients and both encodings", () => {
    expect(new Set(fixtures.map((f) => f.client)).size).toBeGreaterThanOrEqual(4);
    expect(fixtures.some((f) => isFlexible(API_REGISTRY.get(f.apiKey)!.spec, f.version))).toBe(true);
    expect(fixtures.some((f) => !isFlexible(API_REGISTRY.get(f.apiKey)!.spec, f.version))).toBe(true);
  });

  for (const f of fixtures) {
    const api = API_REGISTRY.get(f.apiKey);
    it(`${f.client} ${api?.name ?? f.apiKey} v${f.version} decodes whole and re-encodes byte for byte`, () => {
      expect(api).toBeDefined();
      const { body, version } = split(Buffer.from(f.frame, "hex"));
      const r = new Reader(body);
      const req = decodeRequest(api!.spec, version, r);
      expect(r.remaining()).toBe(0);
      expect(encodeRequest(api!.spec, version, req).toBuffer().toString("hex")).toBe(body.toString("hex"));
    });
  }

  it("every captured request gets a response that decodes whole", async () => {
    await withBroker(async (b) => {
      // Replayed in capture order per client, so topics and groups exist as they did.
      for (const f of fixtures) {
        const frame = Buffer.from(f.frame, "hex");
        const { apiKey, version, flexible, body } = split(frame);
        const api = API_REGISTRY.get(apiKey)!;
        const request = decodeRequest(api.spec, version, new Reader(body)) as { acks?: number };
        if (apiKey === 0 && request.acks === 0) continue; // no response by design
        const size = Buffer.alloc(4);
        size.writeInt32BE(frame.length);
        const { responses } = await exchange(b.port, Buffer.concat([size, frame]), { end: false, timeoutMs: 15_000, responses: 1 });
        expect(responses.length, `${f.client} ${api.name} v${version}: no response`).toBe(1);
        const r = new Reader(responses[0]);
        r.int32(); // correlation id
        if (flexible && apiKey !== 18) skipTaggedFields(r);
        decodeResponse(api.spec, version, r);
        expect(r.remaining(), `${f.client} ${api.name} v${version}: bytes left in the response`).toBe(0);
      }
    });
  }, 120_000);
});
