/**
 * `%datagen --format avro|protobuf|json-schema --registry`: the generator registers the dataset's schema under
 * TOPIC-value at a registry and produces Confluent-framed values to the embedded broker over TCP; clients
 * nobody here wrote read them back: confluent-kafka's AvroDeserializer, JSONDeserializer and
 * ProtobufDeserializer (Python; the Protobuf message class built by Google's protobuf from the registered
 * .proto). The records they decode are compared with the same seeded records as JSON. (The npm client
 * @kafkajs/confluent-schema-registry cannot read a .proto importing google/protobuf/timestamp.proto without a
 * reference, which Confluent's registry does not need either, so it is not used here.)
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import * as protobuf from "protobufjs";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const descriptor = require("protobufjs/ext/descriptor") as { FileDescriptorProto: protobuf.Type };
import type { RunningBroker } from "../../lib/broker";
import type { KafkaClient } from "../../lib/client";
import { startStack, stopStack, tickingClock } from "./setup";
import { RegistryClient, type RunningRegistry } from "../../lib/registry";
import { RecordStream, requireDataset, startGenerator, registerDataset, type Dataset } from "../../lib/datagen";
import { datasetSchema, parseFieldType } from "../../lib/datagen/registered";
import { generatorOptions } from "../../lib/datagen/options";
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

/** What the generator produced, as JSON records: the same seed and clock, JSON format. */
function expectedRecords(ds: Dataset, seed: string, n: number): Record<string, unknown>[] {
  const stream = new RecordStream(ds, { seed, clock: tickingClock() });
  return Array.from({ length: n }, () => JSON.parse(stream.next().value as string) as Record<string, unknown>);
}

/** A JSON record with its TIMESTAMP fields as epoch ms and absent fields as null (how the decoders give them). */
function normalized(ds: Dataset, rec: Record<string, unknown>, timestamps: "ms" | "iso"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ds.fields) {
    const v = rec[f.name] ?? null;
    out[f.name] = f.type === "TIMESTAMP" && v !== null ? (timestamps === "ms" ? Date.parse(String(v)) : new Date(Date.parse(String(v))).toISOString()) : v;
  }
  return out;
}

async function generate(ds: Dataset, topic: string, format: "avro" | "protobuf" | "json-schema", count: number, seed: string, extra: { bad?: number } = {}) {
  const gen = startGenerator(ds, { topic, count, rate: 0, seed, partitions: 1, client, clock: tickingClock(), valueFormat: { format, url: registry.url }, ...extra, register: false });
  await gen.done;
  return gen;
}

describe("dataset schemas in the three formats", () => {
  it("parses the datasets' field types, nested ones too", () => {
    expect(parseFieldType("STRUCT<lat: DOUBLE, tags: ARRAY<STRING>, m: MAP<STRING, BIGINT>>")).toEqual({
      kind: "struct",
      fields: [
        { name: "lat", type: { kind: "double" } },
        { name: "tags", type: { kind: "array", element: { kind: "string" } } },
        { name: "m", type: { kind: "map", value: { kind: "long" } } },
      ],
    });
    expect(() => parseFieldType("STRUCT<a: INT")).toThrow(/unclosed STRUCT/);
    expect(() => parseFieldType("INTERVAL")).toThrow(/INTERVAL has no Avro\/Protobuf\/JSON Schema counterpart/);
  });

  it("every built-in dataset's schema is accepted by the registry in each format", async () => {
    const sr = new RegistryClient(registry.url);
    for (const name of ["users", "products", "orders", "pageviews", "clickstream", "iot", "trades", "payments", "rides", "logs", "ratings"]) {
      const ds = requireDataset(name);
      for (const format of ["avro", "protobuf", "json-schema"] as const) {
        const { schemaType, schema } = datasetSchema(ds, format);
        const { id } = await sr.register(`schemas-${name}-${format}-value`, schema, schemaType);
        expect(id).toBeGreaterThan(0);
      }
    }
  });

  it("--registry goes only with a registry-framed format; --format avro alone uses the notebook's registry", () => {
    const ds = requireDataset("orders");
    expect(() => generatorOptions(ds, { format: "json", registry: "http://x:8081" })).toThrow(/--registry goes with --format avro, protobuf or json-schema/);
    expect(generatorOptions(ds, { format: "avro", registry: "" }).valueFormat).toEqual({ format: "avro", url: undefined });
    expect(generatorOptions(ds, { format: "protobuf", registry: "http://h:1" }).valueFormat).toEqual({ format: "protobuf", url: "http://h:1" });
  });
});

describe.runIf(tool("registry-python"))("datagen's framed values read by confluent-kafka 2.x", () => {
  const py = () => venvPython()!;

  it("Avro: registered as TOPIC-value, every record decoded by AvroDeserializer equal to the seeded record", async () => {
    const ds = requireDataset("orders");
    const topic = `dg_avro_${Date.now().toString(36)}`;
    const gen = await generate(ds, topic, "avro", 60, "avro-seed");
    expect(gen.status).toBe("finished");
    expect(gen.sent).toBe(60);
    const latest = await new RegistryClient(registry.url).latest(`${topic}-value`);
    expect(gen.registered).toMatchObject({ subject: `${topic}-value`, schemaId: latest.id, format: "avro" });
    expect(JSON.parse(latest.schema)).toMatchObject({ type: "record", name: "Orders", namespace: "streamlab.datagen" });

    const { stdout } = await run(py(), [SCRIPT, registry.url, broker.bootstrap, topic, "read", "avro", "60"], { timeout: 120_000 });
    const got = stdout.trim().split("\n").map((l) => JSON.parse(l) as { key: string; schema_id: number; value: Record<string, unknown> });
    const want = expectedRecords(ds, "avro-seed", 60);
    expect(got).toHaveLength(60);
    expect(got.map((g) => g.schema_id)).toEqual(Array(60).fill(latest.id));
    expect(got.map((g) => g.value)).toEqual(want.map((w) => normalized(ds, w, "ms")));
    expect(got.map((g) => g.key)).toEqual(want.map((w) => w.user_id));
  });

  it("JSON Schema: JSONDeserializer validates and decodes every record, timestamps as date-time text", async () => {
    const ds = requireDataset("iot");
    const topic = `dg_json_${Date.now().toString(36)}`;
    const gen = await generate(ds, topic, "json-schema", 40, "json-seed");
    expect(gen.status).toBe("finished");
    const { stdout } = await run(py(), [SCRIPT, registry.url, broker.bootstrap, topic, "read", "json", "40"], { timeout: 120_000 });
    const got = stdout.trim().split("\n").map((l) => JSON.parse(l) as { value: Record<string, unknown> });
    expect(got.map((g) => g.value)).toEqual(expectedRecords(ds, "json-seed", 40).map((w) => normalized(ds, w, "iso")));
  });
});

describe.runIf(tool("registry-python"))("datagen's Protobuf read by confluent-kafka's ProtobufDeserializer", () => {
  it("a nested message with google.protobuf.Timestamp: frames (id, message indexes) and payloads decoded by Confluent's and Google's code", async () => {
    const ds = requireDataset("rides");
    const topic = `dg_proto_${Date.now().toString(36)}`;
    const gen = await generate(ds, topic, "protobuf", 30, "proto-seed");
    expect(gen.status).toBe("finished");
    const latest = await new RegistryClient(registry.url).latest(`${topic}-value`);
    expect(latest.schemaType).toBe("PROTOBUF");
    expect(latest.schema).toMatch(/import "google\/protobuf\/timestamp.proto";/);
    // The registered .proto as a FileDescriptorProto (protobufjs's descriptor extension), for Python's protobuf
    // to build the message class that confluent-kafka's deserializer needs.
    const root = new protobuf.Root();
    protobuf.parse(latest.schema, root, { keepCase: true });
    root.addJSON(protobuf.common.get("google/protobuf/timestamp.proto")!.nested!);
    root.resolveAll();
    const files = (root as unknown as { toDescriptor(syntax: string): { file: { package?: string; name?: string; dependency?: string[] }[] } }).toDescriptor("proto3").file;
    const file = files.find((f) => f.package === "streamlab.datagen")!;
    file.name = "rides.proto";
    file.dependency = ["google/protobuf/timestamp.proto"];
    const bytes = descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.fromObject(file)).finish();

    const { stdout } = await run(venvPython()!, [SCRIPT, registry.url, broker.bootstrap, topic, "read", "protobuf", "30", Buffer.from(bytes).toString("base64"), "streamlab.datagen.Rides"], { timeout: 120_000 });
    const got = stdout.trim().split("\n").map((l) => JSON.parse(l) as { schema_id: number; value: Record<string, unknown> });
    expect(got).toHaveLength(30);
    expect(got.map((g) => g.schema_id)).toEqual(Array(30).fill(latest.id));
    const want = expectedRecords(ds, "proto-seed", 30);
    for (let i = 0; i < 30; i++) {
      const w = normalized(ds, want[i], "iso");
      for (const f of ds.fields) {
        const v = got[i].value[f.name] ?? null;
        // MessageToDict: RFC 3339 timestamps without zero millis, 64-bit integers as text, unset fields absent.
        if (f.type === "TIMESTAMP") expect(v, `${f.name} of record ${i}`).toBe(w[f.name] === null ? null : String(w[f.name]).replace(".000Z", "Z"));
        else if (f.type === "BIGINT") expect(v === null ? null : Number(v), f.name).toBe(w[f.name]);
        else expect(v, `${f.name} of record ${i}`).toEqual(w[f.name]);
      }
    }
  });
});

describe("datagen's framed values and the registry", () => {
  it("an incompatible schema for the same topic is refused: the generator fails with the registry's message", async () => {
    const topic = `dg_evolve_${Date.now().toString(36)}`;
    const v1 = registerDataset({ name: "dg_evolve_v1", fields: { id: { gen: "key" }, n: { gen: "int", min: 1, max: 9 }, ts: "timestamp" } });
    const first = await generate(v1, topic, "avro", 5, "s");
    expect(first.status).toBe("finished");
    // Same topic, same schema: the same id, no new version.
    const again = await generate(v1, topic, "avro", 5, "s");
    expect(again.registered?.schemaId).toBe(first.registered?.schemaId);
    // n becomes a string without a default: BACKWARD (the default level) refuses it.
    const v2 = registerDataset({ name: "dg_evolve_v2", fields: { id: { gen: "key" }, n: { gen: "choice", values: ["a"] }, ts: "timestamp" } });
    const refused = await generate(v2, topic, "avro", 5, "s");
    expect(refused.status).toBe("failed");
    expect(refused.lastError).toMatch(/incompatible with an earlier schema/);
    expect(refused.sent).toBe(0);
  });

  it("--bad: truncated payloads, unknown schema ids and unframed text, in the seeded share", async () => {
    const ds = requireDataset("orders");
    const topic = `dg_bad_${Date.now().toString(36)}`;
    const gen = await generate(ds, topic, "avro", 200, "bad-seed", { bad: 0.2 });
    expect(gen.status).toBe("finished");
    expect(gen.bad).toBeGreaterThan(10);
    const sr = new RegistryClient(registry.url);
    const consumer = await client.consumer({ groupId: `read-${topic}`, topics: [topic], fromBeginning: true });
    const values: Buffer[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run(async ({ records }) => {
        for (const r of records) values.push(r.value!);
        if (values.length >= 200) resolve();
      });
    });
    await consumer.close();
    let ok = 0;
    const failures: string[] = [];
    for (const v of values) {
      try {
        await sr.decode(v);
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    expect(ok).toBe(200 - gen.bad);
    expect(failures.some((m) => /truncated Avro payload/.test(m))).toBe(true);
    expect(failures.some((m) => /Schema \d+ not found/.test(m))).toBe(true);
    expect(failures.some((m) => /not a schema-registry framed value/.test(m))).toBe(true);
  });
});
