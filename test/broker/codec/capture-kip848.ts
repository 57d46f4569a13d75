/**
 * Records the KIP-848 request frames of the Java client and confluent-kafka (group.protocol=consumer):
 * ConsumerGroupHeartbeat, ConsumerGroupDescribe, OffsetCommit and OffsetFetch at the versions they send, into
 * fixtures/requests.json (entries of the same client, API and version are replaced; the others kept). Not a
 * test: run it by hand after `bash test/setup/install.sh`, then check the diff of the fixtures file.
 *
 *   npx vite-node test/broker/codec/capture-kip848.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { startBroker } from "../../../lib/broker";
import { Connection } from "../../../lib/broker/server";
import { venvPython } from "../../support/venv";

interface Captured {
  client: string;
  apiKey: number;
  version: number;
  frame: string;
}

const KEYS = new Set([8, 9, 68, 69]);

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), 180_000);
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
  const proto = Connection.prototype as unknown as { handle(frame: Buffer): Promise<void> };
  const handle = proto.handle;
  proto.handle = function (frame: Buffer) {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const key = `${client}/${apiKey}/${version}`;
    if (KEYS.has(apiKey) && !seen.has(key) && frame.length < 4096) {
      seen.add(key);
      captured.push({ client, apiKey, version, frame: frame.toString("hex") });
    }
    return handle.call(this, frame);
  };
  const java = path.join(__dirname, "..", "..", "clients", "java", "target");
  client = "java";
  const cp = [path.join(java, "client-check-1.jar"), fs.readFileSync(path.join(java, "classpath.txt"), "utf8").trim()].join(":");
  await run("java", ["-cp", cp, "dev.streamlab.clients.ConsumerGroupCheck", broker.bootstrap, "cap-java", "20"]);
  client = "confluent-kafka";
  await run(venvPython() ?? "python3", [path.join(__dirname, "..", "..", "differential", "kip848_confluent.py"), broker.bootstrap, "cap-py", "20"]);
  await broker.stop();
  const out = path.join(__dirname, "fixtures", "requests.json");
  const existing = JSON.parse(fs.readFileSync(out, "utf8")) as Captured[];
  const replaced = new Set(captured.map((c) => `${c.client}/${c.apiKey}/${c.version}`));
  const merged = [...existing.filter((c) => !replaced.has(`${c.client}/${c.apiKey}/${c.version}`)), ...captured];
  fs.writeFileSync(out, JSON.stringify(merged, null, 1) + "\n");
  console.log(`captured ${captured.length} frames: ${captured.map((c) => `${c.client} ${c.apiKey} v${c.version}`).join(", ")}`);
}

void main();
