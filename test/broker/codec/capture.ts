/**
 * Records request frames from real clients for the codec fixtures (fixtures/requests.json). Not a test: run it by
 * hand when adding a client or a version, then check the diff of the fixtures file.
 *
 *   npx vite-node test/broker/codec/capture.ts
 *
 * It starts the embedded broker with its request handling wrapped to record frames, runs a short session with each client (metadata,
 * admin, produce, a consumer group, offsets), and keeps the first frame of every (client, api, version).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { Kafka, logLevel } from "kafkajs";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { startBroker } from "../../../lib/broker";
import { Connection } from "../../../lib/broker/server";

interface Captured {
  client: string;
  apiKey: number;
  version: number;
  frame: string;
}

/** Runs a client process (asynchronously: the broker runs in this process). */
function run(cmd: string, args: string[], opts: { input?: string; timeout?: number } = {}): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeout ?? 30_000);
    child.stdin.end(opts.input ?? "");
    child.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const broker = await startBroker({ port: 0, defaultPartitions: 2 });
  const captured: Captured[] = [];
  const seen = new Set<string>();
  let client = "";
  // Every frame the broker's connections handle goes through Connection.handle: record it there.
  const proto = Connection.prototype as unknown as { handle(frame: Buffer): Promise<void> };
  const handle = proto.handle;
  proto.handle = function (frame: Buffer) {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const key = `${client}/${apiKey}/${version}`;
    if (!seen.has(key) && frame.length < 4096) {
      seen.add(key);
      captured.push({ client, apiKey, version, frame: frame.toString("hex") });
    }
    return handle.call(this, frame);
  };
  const bootstrap = broker.bootstrap;

  client = "kafkajs";
  {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: "capture", logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "cap-kafkajs", numPartitions: 2 }] });
    await admin.fetchTopicMetadata({ topics: ["cap-kafkajs"] });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: "cap-kafkajs", messages: [{ key: "k", value: "v", headers: { h: "1" } }] });
    const consumer = kafka.consumer({ groupId: "cap-kafkajs" });
    await consumer.connect();
    await consumer.subscribe({ topic: "cap-kafkajs", fromBeginning: true });
    let got = 0;
    await consumer.run({ eachMessage: async () => void got++ });
    while (got < 1) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    await admin.fetchOffsets({ groupId: "cap-kafkajs", topics: ["cap-kafkajs"] });
    await admin.describeGroups(["cap-kafkajs"]);
    await admin.listGroups();
    await admin.describeConfigs({ resources: [{ type: 2, name: "cap-kafkajs" }], includeSynonyms: false });
    await admin.fetchTopicOffsetsByTimestamp("cap-kafkajs", Date.now() - 60_000);
    await admin.deleteTopics({ topics: ["cap-kafkajs"] });
    await producer.disconnect();
    await admin.disconnect();
  }

  client = "platformatic";
  {
    const admin = new Admin({ clientId: "capture", bootstrapBrokers: [bootstrap] });
    const producer = new Producer({ clientId: "capture", bootstrapBrokers: [bootstrap], serializers: stringSerializers });
    const consumer = new Consumer({ clientId: "capture", groupId: "cap-pk", bootstrapBrokers: [bootstrap], deserializers: stringDeserializers });
    await admin.createTopics({ topics: ["cap-pk"], partitions: 2, replicas: 1 });
    await producer.send({ messages: [{ topic: "cap-pk", key: "k", value: "v", headers: { h: "1" } }] });
    const stream = await consumer.consume({ topics: ["cap-pk"], mode: "earliest", autocommit: true, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await new Promise<void>((r) => stream.once("data", () => r()));
    await stream.close();
    await consumer.close(true);
    await admin.listGroups();
    await admin.describeGroups({ groups: ["cap-pk"] });
    await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: "cap-pk" }] });
    await admin.deleteTopics({ topics: ["cap-pk"] });
    await producer.close();
    await admin.close();
  }

  client = "kcat";
  await run("kcat", ["-L", "-b", bootstrap, "-t", "cap-kcat"]);
  await run("kcat", ["-P", "-b", bootstrap, "-t", "cap-kcat", "-z", "gzip", "-K", ":"], { input: "k:v\nk2:v2\n" });
  await run("kcat", ["-C", "-b", bootstrap, "-t", "cap-kcat", "-o", "beginning", "-e", "-q"]);
  await run("kcat", ["-C", "-b", bootstrap, "-G", "cap-kcat", "-o", "beginning", "-e", "-q", "cap-kcat"], { timeout: 15_000 });

  client = "kafka-python";
  await run(
    "/usr/bin/python3",
    [
      "-c",
      `
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient
import sys
b = sys.argv[1]
p = KafkaProducer(bootstrap_servers=b); p.send("cap-py", key=b"k", value=b"v"); p.flush(); p.close()
c = KafkaConsumer("cap-py", bootstrap_servers=b, group_id="cap-py", auto_offset_reset="earliest", consumer_timeout_ms=3000)
for m in c: pass
c.commit(); c.close()
a = KafkaAdminClient(bootstrap_servers=b); a.list_consumer_groups(); a.describe_consumer_groups(["cap-py"]); a.close()
`,
      bootstrap,
    ],
    { timeout: 60_000 },
  );

  await broker.stop();
  captured.sort((a, b) => a.client.localeCompare(b.client) || a.apiKey - b.apiKey || a.version - b.version);
  const out = path.join(__dirname, "fixtures", "requests.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(captured, null, 1) + "\n");
  console.log(`${captured.length} frames from ${new Set(captured.map((c) => c.client)).size} clients -> ${out}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
