/** Shared pieces of the broker tests: the canonical keyed messages, polling waits and process runners. */
import { spawn } from "node:child_process";
import { startBroker, type BrokerOptions, type RunningBroker } from "../../lib/broker";

export const MESSAGE_COUNT = 10_000;

export interface TestMessage {
  key: string;
  value: string;
}

/**
 * 10,000 keyed messages: 50 keys, values that carry their index (to check order) plus varied text with
 * non-ASCII characters, so a byte-for-byte comparison means something.
 */
export function canonicalMessages(count = MESSAGE_COUNT, prefix = "m"): TestMessage[] {
  const out: TestMessage[] = [];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const words = ["alpha", "beta", "gamma", "δέλτα", "epsilon", "zêta", "eta", "θ", "iota", "kappa"];
  for (let i = 0; i < count; i++) {
    const n = 1 + (rand() % 12);
    const body: string[] = [];
    for (let j = 0; j < n; j++) body.push(words[rand() % words.length]);
    out.push({ key: `key-${i % 50}`, value: `${prefix}-${i}|${body.join(" ")}` });
  }
  return out;
}

/** Index of a canonical message from its value. */
export function indexOf(value: string): number {
  return Number(value.slice(value.indexOf("-") + 1, value.indexOf("|")));
}

export interface Consumed {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/**
 * Checks that `consumed` holds every produced message once, byte for byte, and that within each partition
 * offsets are contiguous from `firstOffset` and messages are in the order they were produced.
 */
export function checkExactlyOnceInOrder(produced: TestMessage[], consumed: Consumed[]): void {
  const byValue = new Map(produced.map((m) => [m.value, m]));
  const seen = new Set<string>();
  const problems: string[] = [];
  const byPartition = new Map<number, Consumed[]>();
  for (const c of consumed) {
    const p = byValue.get(c.value);
    if (!p) problems.push(`unexpected message ${JSON.stringify(c).slice(0, 120)}`);
    else if (p.key !== c.key) problems.push(`key mismatch for ${c.value.slice(0, 30)}: ${c.key} != ${p.key}`);
    if (seen.has(c.value)) problems.push(`duplicate ${c.value.slice(0, 30)}`);
    seen.add(c.value);
    if (!byPartition.has(c.partition)) byPartition.set(c.partition, []);
    byPartition.get(c.partition)!.push(c);
  }
  if (seen.size !== produced.length) problems.push(`consumed ${seen.size} distinct of ${produced.length}`);
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      if (list[i].offset !== list[i - 1].offset + 1) problems.push(`partition ${partition}: offset gap ${list[i - 1].offset} -> ${list[i].offset}`);
      if (indexOf(list[i].value) <= indexOf(list[i - 1].value)) problems.push(`partition ${partition}: out of order at offset ${list[i].offset}`);
    }
  }
  if (problems.length) throw new Error(`${problems.length} problems, first: ${problems.slice(0, 5).join("; ")}`);
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function withBroker<T>(fn: (b: RunningBroker) => Promise<T>, options: BrokerOptions = {}): Promise<T> {
  const broker = await startBroker({ port: 0, ...options });
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to completion, feeding it stdin; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 110_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** Runs a Python script with the system interpreter (which has confluent_kafka and kafka-python). */
export async function python(script: string, args: string[] = [], input?: string): Promise<string> {
  const r = await run("/usr/bin/python3", ["-c", script, ...args], input);
  if (r.code !== 0) throw new Error(`python exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r.stdout.toString("utf8");
}
