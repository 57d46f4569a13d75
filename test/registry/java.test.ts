/**
 * The Java side, without Confluent's kafka-avro-serializer (it is not on Maven Central, only in Confluent's own
 * repository, which these machines cannot reach): test/registry/java frames values itself (magic byte, 4-byte
 * schema id) and leaves the payloads to Apache Avro's Java library, the transport to Kafka's Java client and
 * the schemas to the registry's REST API. What %datagen writes, Java reads; what Java writes, the engine reads.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import type { RunningBroker } from "../../lib/broker";
import type { KafkaClient } from "../../lib/client";
import { startStack, stopStack, tickingClock } from "./setup";
import type { RunningRegistry } from "../../lib/registry";
import { RecordStream, requireDataset, startGenerator } from "../../lib/datagen";
import { spark, col, from_avro } from "../../lib/stream";
import { tool } from "../support/tools";

const run = promisify(execFile);
const dir = join(__dirname, "java", "target");

let broker: RunningBroker;
let registry: RunningRegistry;
let client: KafkaClient;

beforeAll(async () => {
  ({ broker, registry, client } = await startStack());
});
afterAll(() => stopStack({ broker, registry, client }));

function java(...args: string[]) {
  const cp = [join(dir, "registry-check-1.jar"), readFileSync(join(dir, "classpath.txt"), "utf8").trim()].join(":");
  return run("java", ["-cp", cp, "dev.streamlab.registry.AvroCheck", ...args], { timeout: 120_000 });
}

describe.runIf(tool("registry-java"))("registry-framed Avro with Apache Avro's Java library and Kafka's Java client", () => {
  it("Java reads what %datagen --format avro --registry wrote, record for record", async () => {
    const ds = requireDataset("orders");
    const topic = `java_read_${Date.now().toString(36)}`;
    const gen = startGenerator(ds, { topic, count: 40, rate: 0, seed: "java", partitions: 1, client, clock: tickingClock(), valueFormat: { format: "avro", url: registry.url }, register: false });
    await gen.done;
    expect(gen.status).toBe("finished");
    const { stdout } = await java("read", broker.bootstrap, registry.url, topic, "40");
    const got = stdout.trim().split("\n").map((l) => JSON.parse(l) as { offset: number; schema_id: number; value: Record<string, unknown> });
    const expected = new RecordStream(ds, { seed: "java", clock: tickingClock() });
    expect(got).toHaveLength(40);
    for (const g of got) {
      expect(g.schema_id).toBe(gen.registered!.schemaId);
      const want = JSON.parse(expected.next().value as string) as Record<string, unknown>;
      const normalized = Object.fromEntries(ds.fields.map((f) => [f.name, f.type === "TIMESTAMP" && want[f.name] != null ? Date.parse(String(want[f.name])) : (want[f.name] ?? null)]));
      expect(g.value, `offset ${g.offset}`).toEqual(normalized);
    }
  });

  it("the engine reads what Java wrote (from_avro through the registry)", async () => {
    const topic = `java_write_${Date.now().toString(36)}`;
    await client.createTopic(topic, 1);
    const { stdout } = await java("write", broker.bootstrap, registry.url, topic, "20");
    const { schema_id } = JSON.parse(stdout.trim()) as { schema_id: number };
    expect(schema_id).toBeGreaterThan(0);
    const df = spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribe", topic).option("startingOffsets", "earliest").load()
      .select(from_avro(col("value"), { subject: `${topic}-value`, schemaRegistryAddress: registry.url }).alias("r"))
      .select("r.*");
    const q = df.writeStream.format("memory").queryName("java_written").trigger({ availableNow: true }).start();
    await q.awaitTermination();
    expect(spark.tableRows("java_written")).toEqual(Array.from({ length: 20 }, (_, i) => ({ id: `j-${i}`, n: i, price: i * 1.25, ts: new Date(1_700_000_000_000 + i * 1000) })));
  });
});
