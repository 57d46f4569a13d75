/**
 * from_avro / to_avro / from_protobuf / to_protobuf in streaming queries over the embedded broker and registry:
 * schema evolution (two versions of a subject read by one query), plain Avro as spark-avro reads it, Protobuf
 * through the registry, and bad records (unknown schema id, truncated payload) as FAILFAST errors naming the
 * offset and schema id, or nulls in PERMISSIVE mode.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect, type KafkaClient } from "../../lib/client";
import { startRegistry, RegistryClient, frame, type RunningRegistry } from "../../lib/registry";
import { spark, col, struct, from_avro, to_avro, from_protobuf, to_protobuf, type StreamingQuery } from "../../lib/stream";

let broker: RunningBroker;
let registry: RunningRegistry;
let client: KafkaClient;
let sr: RegistryClient;
const queries: StreamingQuery[] = [];

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  registry = await startRegistry();
  client = connect(broker.bootstrap);
  sr = new RegistryClient(registry.url);
});
afterAll(async () => {
  await Promise.all(queries.map((q) => q.stop()));
  await client?.close();
  await registry?.stop();
  await broker?.stop();
});

const kafka = (topic: string) => spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "earliest").load();
async function runToTable(df: ReturnType<typeof kafka>, name: string) {
  const q = df.writeStream.format("memory").queryName(name).trigger({ availableNow: true }).start();
  queries.push(q);
  await q.awaitTermination();
  return q;
}

describe("Avro through the schema registry", () => {
  it("one query reads two versions of a subject (a field added with a default)", async () => {
    const topic = `avro_evo_${Date.now().toString(36)}`;
    const v1 = JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }, { name: "ts", type: { type: "long", logicalType: "timestamp-millis" } }] });
    const v2 = JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }, { name: "ts", type: { type: "long", logicalType: "timestamp-millis" } }, { name: "region", type: "string", default: "unknown" }] });
    const id1 = (await sr.register(`${topic}-value`, v1)).id;
    const c1 = await sr.codec(id1);
    await client.produce(topic, [{ value: frame(id1, c1.encode({ id: "a", amount: 1.5, ts: 1_700_000_000_000 })) }]);
    const id2 = (await sr.register(`${topic}-value`, v2)).id;
    const c2 = await sr.codec(id2);
    await client.produce(topic, [{ value: frame(id2, c2.encode({ id: "b", amount: 2, ts: 1_700_000_001_000, region: "eu" })) }]);
    // An incompatible third version is refused by the registry with its message.
    const v3 = JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields: [{ name: "id", type: "int" }] });
    await expect(sr.register(`${topic}-value`, v3)).rejects.toThrow(/incompatible with an earlier schema/);

    const df = kafka(topic).select(from_avro(col("value"), { subject: `${topic}-value`, schemaRegistryAddress: registry.url }).alias("o")).select("o.*");
    expect(df.schema.fields.map((f) => `${f.name}:${f.type.kind}`)).toEqual(["id:string", "amount:double", "ts:timestamp", "region:string"]);
    await runToTable(df, "avro_evo");
    expect(spark.tableRows("avro_evo")).toEqual([
      { id: "a", amount: 1.5, ts: new Date(1_700_000_000_000), region: "unknown" },
      { id: "b", amount: 2, ts: new Date(1_700_000_001_000), region: "eu" },
    ]);
  });

  it("an unknown schema id or a truncated payload fails FAILFAST naming offset and schema id, and is null in PERMISSIVE", async () => {
    const topic = `avro_bad_${Date.now().toString(36)}`;
    const schema = JSON.stringify({ type: "record", name: "R", fields: [{ name: "n", type: "long" }, { name: "s", type: "string" }] });
    const id = (await sr.register(`${topic}-value`, schema)).id;
    const codec = await sr.codec(id);
    const good = frame(id, codec.encode({ n: 7, s: "seven" }));
    await client.produce(topic, [{ partition: 0, value: good }, { partition: 0, value: frame(9999, Buffer.from([2, 2])) }, { partition: 0, value: good.subarray(0, good.length - 3) }]);
    const reg = { subject: `${topic}-value`, schemaRegistryAddress: registry.url };

    const failfast = kafka(topic).select(from_avro(col("value"), reg).alias("r"));
    const q = failfast.writeStream.format("memory").queryName("avro_failfast").trigger({ availableNow: true }).start();
    queries.push(q);
    await expect(q.awaitTermination()).rejects.toThrow(/malformed Avro record with schema id 9999 .*Schema 9999 not found.*offset 1/);

    const permissive = kafka(topic).select(from_avro(col("value"), reg, { mode: "PERMISSIVE" }).alias("r"), col("offset"));
    await runToTable(permissive, "avro_permissive");
    expect(spark.tableRows("avro_permissive")).toEqual([
      { r: { n: 7, s: "seven" }, offset: 0 },
      { r: null, offset: 1 },
      { r: null, offset: 2 },
    ]);
  });

  it("plain Avro as spark-avro writes and reads it: to_avro then from_avro with the derived schema", async () => {
    const topic = `avro_plain_${Date.now().toString(36)}`;
    await client.produce(topic, [{ value: JSON.stringify({ k: "x", n: 1 }) }, { value: JSON.stringify({ k: "y", n: 2 }) }]);
    const parsed = kafka(topic).selectExpr("from_json(CAST(value AS STRING), 'k STRING, n INT') AS j").selectExpr("j.k AS k", "j.n AS n");
    const encoded = parsed.select(to_avro(struct(col("k"), col("n"))).alias("bytes"));
    const derived = JSON.stringify({ type: "record", name: "topLevelRecord", fields: [{ name: "k", type: ["string", "null"] }, { name: "n", type: ["int", "null"] }] });
    const decoded = encoded.select(from_avro(col("bytes"), derived).alias("back")).select("back.*");
    await runToTable(decoded, "avro_plain");
    expect(spark.tableRows("avro_plain")).toEqual([{ k: "x", n: 1 }, { k: "y", n: 2 }]);
  });
});

describe("Protobuf through the schema registry", () => {
  it("writes with to_protobuf framed for the registry and reads back with from_protobuf", async () => {
    const topic = `pb_${Date.now().toString(36)}`;
    const proto = 'syntax = "proto3";\npackage shop;\nmessage Payment { string id = 1; int64 cents = 2; repeated string tags = 3; }\n';
    await sr.register(`${topic}-value`, proto, "PROTOBUF");
    await client.produce(topic, [{ value: JSON.stringify({ id: "p1", cents: 250, tags: ["a", "b"] }) }]);
    const opts = { "schema.registry.subject": `${topic}-value`, "schema.registry.address": registry.url };
    const out = `${topic}_out`;
    const writer = kafka(topic)
      .selectExpr("from_json(CAST(value AS STRING), 'id STRING, cents LONG, tags ARRAY<STRING>') AS p")
      .select(to_protobuf(col("p"), "shop.Payment", opts).alias("value"))
      .writeStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("topic", out).option("checkpointLocation", `/tmp/streamlab-pb-${topic}`).trigger({ availableNow: true }).start();
    queries.push(writer);
    await writer.awaitTermination();
    const raw = kafka(out).select(col("value"));
    await runToTable(raw, "pb_raw");
    const bytes = spark.tableRows("pb_raw")[0].value as Buffer;
    expect(bytes[0]).toBe(0);
    expect(await sr.decode(bytes)).toMatchObject({ value: { id: "p1", cents: 250, tags: ["a", "b"] } });
    await runToTable(kafka(out).select(from_protobuf(col("value"), "shop.Payment", opts).alias("p")).select("p.*"), "pb_back");
    expect(spark.tableRows("pb_back")).toEqual([{ id: "p1", cents: 250, tags: ["a", "b"] }]);
  });
});

describe("a registry in another process (streamlab registry)", () => {
  it("serves the CLI's registry to from_avro, whose look-ups then go over HTTP", async () => {
    const { spawn } = await import("node:child_process");
    const { join } = await import("node:path");
    const child = spawn(process.execPath, [join(__dirname, "..", "..", "bin", "streamlab.js"), "registry", "--port", "0", "--bootstrap", broker.bootstrap], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once("exit", (code) => reject(new Error(`streamlab registry exited with ${code}: ${out}`)));
      });
      const remote = new RegistryClient(url);
      const topic = `avro_remote_${Date.now().toString(36)}`;
      const { id } = await remote.register(`${topic}-value`, JSON.stringify({ type: "record", name: "X", fields: [{ name: "x", type: "int" }] }));
      await client.produce(topic, [{ value: frame(id, (await remote.codec(id)).encode({ x: 41 })) }]);
      await runToTable(kafka(topic).select(from_avro(col("value"), { subject: `${topic}-value`, schemaRegistryAddress: url }).alias("r")), "avro_remote");
      expect(spark.tableRows("avro_remote")).toEqual([{ r: { x: 41 } }]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });
});
