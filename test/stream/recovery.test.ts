/**
 * kill -9 in the middle of a stream, restart on the same checkpoint: the results must equal an uninterrupted
 * run's (every order counted once). The query runs in a child process (bundled with esbuild from
 * support/recoveryChild.ts) against the embedded broker over TCP.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect } from "../../lib/client";
import { bundleChild } from "../support/child-script";

const ROOT = join(__dirname, "..", "..");
let dir: string;
let script: string;
let broker: RunningBroker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "streamlab-recovery-"));
  script = await bundleChild(join(__dirname, "support", "recoveryChild.ts"), dir);
  broker = await startBroker({ port: 0 });
});
afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, NODE_PATH: join(ROOT, "node_modules") }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  const done = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    if (code) process.stderr.write(`recovery child exited ${code}: ${err}\n`);
    resolve(code);
  }));
  return { child, done };
}

/** Batches as written, the last write of a batch id winning (a replayed batch rewrites its rows). */
function readBatches(file: string): Map<number, { start: number; region: string; revenue: number; orders: number }[]> {
  const out = new Map();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const b = JSON.parse(line);
      out.set(b.batchId, b.rows);
    } catch {
      // A line torn by the kill: its batch was not committed and will be written again.
    }
  }
  return out;
}

function finalState(batches: ReturnType<typeof readBatches>): Map<string, { revenue: number; orders: number }> {
  const state = new Map<string, { revenue: number; orders: number }>();
  for (const id of [...batches.keys()].sort((a, b) => a - b)) {
    for (const r of batches.get(id)!) state.set(`${r.start}|${r.region}`, { revenue: Math.round(r.revenue * 100) / 100, orders: r.orders });
  }
  return state;
}

describe("recovery from a checkpoint after kill -9", () => {
  it("resumes where it stopped: no order lost, none counted twice", async () => {
    const topic = "recovery_orders";
    const client = connect(broker.bootstrap);
    await client.createTopic(topic, 3);
    const regions = ["eu", "us", "ap"];
    const base = Date.UTC(2024, 0, 1);
    const expected = new Map<string, { revenue: number; orders: number }>();
    const records = Array.from({ length: 3000 }, (_, i) => {
      const region = regions[i % 3];
      const ts = base + i * 37;
      const amount = (i % 97) + 0.25;
      const key = `${ts - (ts % 10_000)}|${region}`;
      const cur = expected.get(key) ?? { revenue: 0, orders: 0 };
      cur.revenue = Math.round((cur.revenue + amount) * 100) / 100;
      cur.orders++;
      expected.set(key, cur);
      return { key: region, value: JSON.stringify({ order_id: `o${i}`, region, amount, ts: new Date(ts).toISOString() }), partition: i % 3 };
    });
    await client.produce(topic, records);
    await client.close();

    const checkpoint = join(dir, "checkpoint");
    const output = join(dir, "batches.jsonl");
    const first = run([broker.bootstrap, topic, checkpoint, output]);
    // Kill -9 once a few batches are through, while the stream is still running.
    const deadline = Date.now() + 90_000;
    while (readBatches(output).size < 5) {
      if (Date.now() > deadline) throw new Error("the child query made no progress");
      if (first.child.exitCode !== null) throw new Error("the child query ended before it could be killed");
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill("SIGKILL");
    await first.done;
    const beforeRestart = readBatches(output).size;
    expect(beforeRestart).toBeLessThan(30);
    const linesBefore = readFileSync(output, "utf8").split("\n").filter((l) => l.trim()).length;
    const lastIdBefore = Math.max(...readBatches(output).keys());

    const second = run([broker.bootstrap, topic, checkpoint, output]);
    expect(await second.done).toBe(0);
    const batches = readBatches(output);
    expect(batches.size).toBeGreaterThan(beforeRestart);
    // It resumed: the first batch after the restart is the uncommitted one (replayed) or the next, never batch 0.
    const after = readFileSync(output, "utf8").split("\n").filter((l) => l.trim()).slice(linesBefore).map((l) => JSON.parse(l).batchId as number);
    expect(after[0]).toBeGreaterThanOrEqual(lastIdBefore);
    expect(after[0]).toBeLessThanOrEqual(lastIdBefore + 1);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    const got = finalState(batches);
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });
});
