/**
 * Clients nobody here wrote, against the embedded Schema Registry and the embedded broker: Confluent's
 * confluent-kafka 2.x (its SchemaRegistryClient, AvroSerializer/Deserializer and JSONSerializer) and the npm
 * client @kafkajs/confluent-schema-registry. Values cross both ways: what their serializers frame, streamlab's
 * RegistryClient decodes, and what streamlab frames, their deserializers read.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import type { RunningBroker } from "../../lib/broker";
import type { KafkaClient } from "../../lib/client";
import { startStack, stopStack } from "./setup";
import { startRegistry, RegistryClient, frame, type RunningRegistry } from "../../lib/registry";
import { venvPython } from "../support/venv";
import { tool } from "../support/tools";

const run = promisify(execFile);
const SCRIPT = join(__dirname, "python", "confluent_client.py");

let broker: RunningBroker;
let registry: RunningRegistry;
let client: KafkaClient;

beforeAll(async () => {
  ({ broker, registry, client } = await startStack());
});
afterAll(() => stopStack({ broker, registry, client }));

async function readValues(topic: string, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const consumer = await client.consumer({ groupId: `read-${topic}-${Date.now()}`, topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${n} records arrived on ${topic}`)), 30_000);
    void consumer.run(async ({ records }) => {
      for (const r of records) out.push(r.value as Buffer);
      if (out.length >= n) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await consumer.close();
  return out;
}

describe.runIf(tool("registry-python"))("confluent-kafka 2.x against the embedded registry", () => {
  const py = () => venvPython()!;

  it("SchemaRegistryClient: register, lookup, compatibility, refusal, delete", async () => {
    const { stdout } = await run(py(), [SCRIPT, registry.url, broker.bootstrap, "unused", "admin"], { timeout: 60_000 });
    const r = JSON.parse(stdout.trim());
    expect(r.again).toBe(r.id);
    expect(r.version).toBe(1);
    expect(r.level).toBe("FULL");
    expect(r.compatible).toBe(false);
    expect(r.refused).toEqual({ http: 409, code: 409 });
    expect(r.versions).toEqual([1]);
    expect(r.deleted).toEqual([1]);
    expect(r.subjects).not.toContain("py-admin-value");
  });

  it("AvroSerializer and JSONSerializer frames decode in streamlab, and streamlab's frames decode in AvroDeserializer", async () => {
    const topic = `sr_py_${Date.now().toString(36)}`;
    const { stdout } = await run(py(), [SCRIPT, registry.url, broker.bootstrap, topic, "produce"], { timeout: 60_000 });
    const ids = JSON.parse(stdout.trim());
    const reader = new RegistryClient(registry.url);
    const values = await readValues(topic, 3);
    const decoded = await Promise.all(values.map((v) => reader.decode(v)));
    expect(decoded.map((d) => d.schemaId)).toEqual([ids.latest, ids.latest, ids.latest]);
    expect(decoded.map((d) => ({ ...(d.value as object) }))).toEqual([
      { id: "o0", amount: 0, qty: 0 },
      { id: "o1", amount: 1.5, qty: 1 },
      { id: "o2", amount: 3, qty: 2 },
    ]);
    const json = await Promise.all((await readValues(`${topic}-json`, 3)).map((v) => reader.decode(v)));
    expect(json.map((d) => [d.schemaId, d.value])).toEqual([0, 1, 2].map((i) => [ids.json, { name: `e${i}`, n: i }]));

    // The other way: streamlab frames, Confluent's deserializer reads.
    const back = `${topic}_back`;
    const codec = await reader.codec(ids.latest);
    await client.produce(back, [4, 5, 6].map((i) => ({ value: frame(ids.latest, codec.encode({ id: `s${i}`, amount: i / 2, qty: i })) })));
    const out = await run(py(), [SCRIPT, registry.url, broker.bootstrap, back, "consume"], { timeout: 60_000 });
    expect(out.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([4, 5, 6].map((i) => ({ id: `s${i}`, amount: i / 2, qty: i })));
  });
});

describe("@kafkajs/confluent-schema-registry against the embedded registry", () => {
  it("registers, encodes and decodes Avro and JSON Schema; its frames and streamlab's are the same bytes", async () => {
    const npm = new SchemaRegistry({ host: registry.url });
    const schema = JSON.stringify({ type: "record", name: "Click", namespace: "web", fields: [{ name: "page", type: "string" }, { name: "ms", type: "long" }] });
    const { id } = await npm.register({ type: SchemaType.AVRO, schema }, { subject: "clicks-value" });
    expect(await npm.getLatestSchemaId("clicks-value")).toBe(id);
    const theirs = await npm.encode(id, { page: "/home", ms: 42 });
    const ours = new RegistryClient(registry.url);
    expect(await ours.decode(theirs)).toEqual({ schemaId: id, value: expect.objectContaining({ page: "/home", ms: 42 }) });
    const codec = await ours.codec(id);
    const mine = frame(id, codec.encode({ page: "/home", ms: 42 }));
    expect(mine.equals(theirs)).toBe(true);
    expect(await npm.decode(mine)).toEqual({ page: "/home", ms: 42 });

    const js = JSON.stringify({ type: "object", properties: { a: { type: "string" } }, required: ["a"] });
    const j = await npm.register({ type: SchemaType.JSON, schema: js }, { subject: "things-value" });
    const enc = await npm.encode(j.id, { a: "x" });
    expect(await ours.decode(enc)).toEqual({ schemaId: j.id, value: { a: "x" } });
    await expect(ours.decode(Buffer.from([0, 0x7f, 0x7f, 0x7f, 0x7f, 1, 2]))).rejects.toThrow(/schema registry at .*Schema 2139062143 not found/);
    await expect(ours.decode(Buffer.from("plain json"))).rejects.toThrow(/not a schema-registry framed value/);
  });
});

describe("the registry's state lives in the _schemas topic", () => {
  it("survives a registry restart on the same broker, written as Confluent's _schemas records", async () => {
    const s = "persist-value";
    const schema = JSON.stringify({ type: "record", name: "P", fields: [{ name: "x", type: "int" }] });
    const first = new RegistryClient(registry.url);
    const { id } = await first.register(s, schema);
    await first.request("PUT", `/config/${s}`, { compatibility: "FULL" });
    const other = await startRegistry({ bootstrap: [broker.bootstrap] });
    try {
      const second = new RegistryClient(other.url);
      expect(await second.latest(s)).toMatchObject({ id, version: 1, schema });
      expect(await second.request("GET", `/config/${s}`)).toEqual({ compatibilityLevel: "FULL" });
      // A schema registered on the restarted registry gets the next id, never a used one.
      const next = await second.register("persist2-value", JSON.stringify({ type: "record", name: "Q", fields: [{ name: "y", type: "int" }] }));
      expect(next.id).toBeGreaterThan(id);
    } finally {
      await other.stop();
    }
    const keys = (await readValuesWithKeys("_schemas")).map((k) => JSON.parse(k));
    expect(keys).toContainEqual({ keytype: "SCHEMA", subject: s, version: 1, magic: 1 });
    expect(keys).toContainEqual({ keytype: "CONFIG", subject: s, magic: 0 });
    // _schemas is a compacted topic, as Confluent's registry makes it (no fallback to an uncompacted one).
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "_schemas", configNames: ["cleanup.policy"] }] });
    await admin.disconnect();
    expect(described.resources[0].configEntries[0].configValue).toBe("compact");
  });
});

async function readValuesWithKeys(topic: string): Promise<string[]> {
  const [p] = await client.topicOffsets(topic);
  const n = Number(p.high);
  const keys: string[] = [];
  const consumer = await client.consumer({ groupId: `keys-${Date.now()}`, topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${keys.length} of ${n} records of ${topic}`)), 30_000);
    void consumer.run(async ({ records }) => {
      for (const r of records) keys.push(String(r.key));
      if (keys.length >= n) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await consumer.close();
  return keys;
}
