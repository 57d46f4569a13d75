/**
 * A Kafka source rides through a broker outage as Spark's does: while the broker is down the query retries with
 * backoff and says so in its status; when the broker is back (same port, same data dir) it resumes with every
 * row once. Past kafka.reconnect.timeout.ms it fails with a clear message. The broker runs in a child process
 * (bundled with esbuild from support/brokerChild.ts) that the test stops and starts.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../lib/client";
import { spark, type StreamingQuery } from "../../lib/stream";
import { bundleChild } from "../support/child-script";

const ROOT = join(__dirname, "..", "..");
let dir: string;
let script: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "streamlab-outage-"));
  script = await bundleChild(join(__dirname, "support", "brokerChild.ts"), dir, "broker.js");
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startBrokerProcess(port: number, dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [script, String(port), dataDir], { cwd: ROOT, env: { ...process.env, NODE_PATH: join(ROOT, "node_modules") }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  const bound = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += String(d);
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`broker child exited ${code}: ${err}`)));
  });
  return { child, port: bound };
}

async function stopBrokerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function produce(bootstrap: string, topic: string, from: number, to: number): Promise<void> {
  const client = connect({ bootstrap: [bootstrap] });
  try {
    const values = [];
    for (let i = from; i < to; i++) values.push({ key: null, value: String(i) });
    await client.produce(topic, values);
  } finally {
    await client.close();
  }
}

describe("Kafka source during a broker outage", () => {
  it("keeps retrying while the broker is down, says so, and resumes with every row exactly once", async () => {
    const dataDir = join(dir, "data-ride");
    let broker = await startBrokerProcess(0, dataDir);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const admin = connect({ bootstrap: [bootstrap] });
    await admin.createTopic("outage", 2);
    await admin.close();
    await produce(bootstrap, "outage", 0, 100);
    let q: StreamingQuery | undefined;
    try {
      q = spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", "outage")
        .option("startingOffsets", "earliest").option("kafka.reconnect.timeout.ms", "600000").load()
        .selectExpr("CAST(CAST(value AS STRING) AS INT) AS v")
        .writeStream.format("memory").queryName("outage_tbl").trigger({ processingTime: "100 milliseconds" }).start();
      const rows = () => spark.tableRows("outage_tbl").map((r) => r.v as number);
      await until("the first 100 rows", () => rows().length >= 100);

      await stopBrokerProcess(broker.child);
      await until("the status to say the query waits for Kafka", () => /waiting for Kafka at 127\.0\.0\.1:\d+: connection refused/.test(q!.status.message));
      expect(q.isActive).toBe(true);
      expect(q.exception()).toBeNull();

      broker = await startBrokerProcess(broker.port, dataDir);
      await produce(bootstrap, "outage", 100, 200);
      await until("all 200 rows after the outage", () => rows().length >= 200);
      await q.processAllAvailable();
      expect(q.exception()).toBeNull();
      expect(q.isActive).toBe(true);
      expect(q.status.message).not.toMatch(/waiting for Kafka/);
      expect([...rows()].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    } finally {
      await q?.stop();
      await stopBrokerProcess(broker.child);
    }
  }, 300_000);

  it("fails after kafka.reconnect.timeout.ms with a message saying what to do", async () => {
    const dataDir = join(dir, "data-timeout");
    const broker = await startBrokerProcess(0, dataDir);
    const bootstrap = `127.0.0.1:${broker.port}`;
    await produce(bootstrap, "outage_timeout", 0, 10);
    const q = spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", "outage_timeout")
      .option("startingOffsets", "earliest").option("kafka.reconnect.timeout.ms", "1500").load()
      .writeStream.format("memory").queryName("outage_timeout_tbl").trigger({ processingTime: "100 milliseconds" }).start();
    try {
      await until("the first rows", () => spark.tableRows("outage_timeout_tbl").length >= 10);
      await stopBrokerProcess(broker.child);
      await until("the query to fail", () => !q.isActive);
      expect(q.exception()?.message).toMatch(/^Kafka at 127\.0\.0\.1:\d+ unreachable for \d+ s \(connection refused\): giving up after kafka\.reconnect\.timeout\.ms=1500; start the broker and restart the query/);
    } finally {
      await q.stop();
    }
  }, 300_000);

  it("rejects a reconnect timeout that is not a number of milliseconds", () => {
    expect(() => spark.readStream.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9").option("subscribe", "t")
      .option("kafka.reconnect.timeout.ms", "soon").load().writeStream.format("memory").queryName("bad_timeout").start())
      .toThrow(/kafka\.reconnect\.timeout\.ms must be a number of milliseconds >= 0, not 'soon'/);
  });
});
