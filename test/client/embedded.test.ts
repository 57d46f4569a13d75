/**
 * Against the embedded broker over real TCP, started the way a notebook starts it (a detached child process
 * recorded in $STREAMLAB_HOME), with kafkajs through lib/client and kcat as an independent reader.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawnSync, spawn } from "node:child_process";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { tool } from "../support/tools";
import { runShutdownHooks } from "../../lib/core";

const home = mkdtempSync(path.join(tmpdir(), "streamlab-home-"));
process.env.STREAMLAB_HOME = home;
// Never take 9092 in tests: other test files and engineers share this machine.
process.env.STREAMLAB_BROKER_PORT = "0";
process.env.STREAMLAB_REGISTRY_PORT = "0";
delete process.env.STREAMLAB_BOOTSTRAP;

import { runMagic, setDisplayBridge, type DisplayBridge, type MagicContext, type MimeBundle } from "../../lib/core";
import { readBrokerState, processAlive, type EmbeddedBrokerState } from "../../lib/client/embedded";
import { Table, Tail, registerClientMagics, setCurrentCluster } from "../../lib/client";
import { listGenerators, registerDatagenMagics, type Generator } from "../../lib/datagen";

registerClientMagics();
registerDatagenMagics();

const root = path.resolve(__dirname, "../..");
const built = existsSync(path.join(root, "dist/lib/broker/cli.js")) && existsSync(path.join(root, "dist/lib/client/index.js"));

/** Records everything lib/ shows, as a notebook would. */
class Recorder implements DisplayBridge {
  displays = new Map<string, MimeBundle[]>();
  printed: string[] = [];
  display(bundle: MimeBundle, id?: string) {
    this.displays.set(id ?? `anon-${this.displays.size}`, [bundle]);
  }
  update(id: string, bundle: MimeBundle) {
    this.displays.get(id)?.push(bundle);
  }
  print(text: string) {
    this.printed.push(text);
  }
  lastText(): string {
    const all = [...this.displays.values()];
    const last = all[all.length - 1];
    return String(last?.[last.length - 1]?.["text/plain"] ?? "");
  }
}

const recorder = new Recorder();
setDisplayBridge(recorder);

const evaluate = async (code: string) => new Function(`return (${code});`)();

async function magic(line: string, body?: string): Promise<unknown> {
  const m = /^%%?(\w+)\s*(.*)$/s.exec(line.trim());
  if (!m) throw new Error(`not a magic: ${line}`);
  const ctx: Omit<MagicContext, "name" | "args"> = { display: recorder, scope: {}, evaluate, body };
  return runMagic(m[1], m[2], ctx);
}

function textOf(value: unknown): string {
  return String((value as { toMimeBundle(): MimeBundle }).toMimeBundle()["text/plain"]);
}

/** Resolves once `read()` has kept the same value for `quietMs` (bounded by two minutes). */
async function waitForStable(read: () => number, quietMs: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`value never settled (last ${last})`);
    await new Promise((r) => setTimeout(r, 50));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

async function waitFor<T>(what: string, f: () => T | Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kcat(bootstrap: string, topic: string, format = "%p %o\\n"): string[] {
  const out = execFileSync("kcat", ["-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-f", format.replace(/\\n/g, "\n")], { timeout: 60_000, maxBuffer: 64 << 20 }).toString();
  return out.split("\n").filter(Boolean);
}

/** A fresh Node process playing a restarted kernel: loads lib/client from dist and uses the current cluster. */
function freshKernel(script: string): string {
  const code = `
    const client = require(${JSON.stringify(path.join(root, "dist/lib/client/index.js"))});
    require(${JSON.stringify(path.join(root, "dist/lib/datagen/index.js"))});
    (async () => { ${script} })().then(() => process.exit(0), (e) => { console.error("FAILED " + e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["-e", code], { env: { ...process.env, STREAMLAB_HOME: home }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fresh kernel failed (${r.status}): ${r.stderr.toString()} ${r.stdout.toString()}`);
  return r.stdout.toString();
}

/** Like freshKernel, but without blocking, so that several can start at the same moment. */
function freshKernelAsync(script: string): Promise<string> {
  const code = `
    const client = require(${JSON.stringify(path.join(root, "dist/lib/client/index.js"))});
    (async () => { ${script} })().then(() => process.exit(0), (e) => { console.error("FAILED " + e.message); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", code], { env: { ...process.env, STREAMLAB_HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (status) => (status === 0 ? resolve(out) : reject(new Error(`fresh kernel failed (${status}): ${err}`))));
  });
}

describe.runIf(built && tool("kcat"))("embedded broker over TCP", () => {
  let state: EmbeddedBrokerState;

  beforeAll(async () => {
    const result = await magic("%kafka start --port 0");
    expect(textOf(result)).toMatch(/started the embedded Kafka broker at 127\.0\.0\.1:\d+/);
    state = readBrokerState()!;
    expect(state).toBeDefined();
    expect(processAlive(state.pid)).toBe(true);
  });

  afterAll(async () => {
    // As the kernel does on shutdown: stops live displays, tails and generators of this process.
    await runShutdownHooks();
    setCurrentCluster(undefined);
    if (readBrokerState()) await magic("%kafka stop");
    rmSync(home, { recursive: true, force: true });
  });

  it("a %datagen run of 10,000 messages arrives complete, and kcat reads the same count", async () => {
    await magic("%datagen orders --topic orders-10k --count 10000 --rate 0 --partitions 3 --seed 1");
    const gen = await waitFor("the generator to finish", () => listGenerators().find((g: Generator) => g.topic === "orders-10k" && !g.running));
    expect(gen.status).toBe("finished");
    expect(gen.sent).toBe(10_000);
    expect(gen.errors).toBe(0);
    // The live display ended on the final state.
    await waitFor("the final display update", () => /finished\s+sent 10,000/.test(recorder.lastText()));
    const lines = kcat(state.bootstrap, "orders-10k");
    expect(lines.length).toBe(10_000);
    expect(new Set(lines.map((l) => l.split(" ")[0]))).toEqual(new Set(["0", "1", "2"]));
    // One entity, one partition: every user's orders sit in a single partition.
    const byUser = new Map<string, Set<string>>();
    for (const l of kcat(state.bootstrap, "orders-10k", "%p %k\\n")) {
      const [p, k] = l.split(" ");
      byUser.set(k, (byUser.get(k) ?? new Set()).add(p));
    }
    expect([...byUser.values()].every((s) => s.size === 1)).toBe(true);
    const topics = (await magic("%kafka topics")) as Table;
    const row = topics.records().find((r) => r.topic === "orders-10k");
    expect(row).toMatchObject({ partitions: 3, messages: 10_000 });
    // The embedded broker's log files on disk: at least the JSON values themselves.
    expect(row!.bytes).toBeGreaterThan(10_000 * 150);
  });

  it("the CLI produces the same way: streamlab datagen DATASET --topic T --bootstrap HOST:PORT", () => {
    const r = spawnSync(process.execPath, [path.join(root, "dist/lib/datagen/cli.js"), "iot", "--topic", "iot-cli", "--bootstrap", state.bootstrap, "--count", "2000", "--rate", "0", "--late", "0.1", "--bad", "0.02", "-q"], { timeout: 120_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/finished\s+sent 2,000/);
    const values = kcat(state.bootstrap, "iot-cli", "%s\\n");
    expect(values.length).toBe(2000);
    const unparseable = values.filter((v) => { try { JSON.parse(v); return false; } catch { return true; } });
    expect(unparseable.length).toBeGreaterThan(0);
    expect(unparseable.length).toBeLessThan(200);
  });

  it("%%produce sends JSON lines with keys, prints partitions and offsets; %tail shows them", async () => {
    await magic("%kafka create produced --partitions 2");
    const body = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `k${i % 3}`, n: i })).join("\n");
    const sent = (await magic("%%produce produced --key id", body)) as Table;
    expect(sent.options.title).toBe("sent 6 messages to produced");
    expect(sent.records().reduce((s, r) => s + Number(r.messages), 0)).toBe(6);
    const read = kcat(state.bootstrap, "produced", "%p|%o|%k|%s\\n").map((l) => l.split("|"));
    expect(read.length).toBe(6);
    for (const [p, , k, v] of read) {
      expect(k).toBe(JSON.stringify(JSON.parse(v).id));
      const row = sent.records().find((r) => String(r.partition) === p)!;
      expect(row).toBeDefined();
    }
    // Each key sits in one partition, the one librdkafka (kcat) would also choose for it.
    const keyPartitions = new Map<string, Set<string>>();
    for (const [p, , k] of read) keyPartitions.set(k, (keyPartitions.get(k) ?? new Set()).add(p));
    expect([...keyPartitions.values()].every((s) => s.size === 1)).toBe(true);

    const expr = (await magic("%%produce produced --partition 1", "Array.from({length: 4}, (_, i) => ({id: 'e' + i, n: 100 + i}))")) as Table;
    expect(expr.records()).toEqual([expect.objectContaining({ partition: 1, messages: 4 })]);

    const tail = (await magic("%tail produced --limit 3")) as Tail;
    expect(tail.rows.length).toBe(3);
    const allTs = kcat(state.bootstrap, "produced", "%T\\n").map(Number).sort((a, b) => a - b);
    const newest = tail.rows.map((r) => Date.parse(r.timestamp));
    expect(Math.min(...newest)).toBeGreaterThanOrEqual(allTs[allTs.length - 3]);
    expect(textOf(tail)).toMatch(/produced: \d+ read, newest 3 shown/);

    const first = (await magic("%tail produced --from beginning --limit 2")) as Tail;
    expect(first.rows.length).toBe(2);
    expect(first.rows.every((r) => r.offset === "0" || r.offset === "1")).toBe(true);

    // --from OFFSET (per partition) and --from TIMESTAMP (the first message at or after it).
    const fromOffset = (await magic("%tail produced --from 2 --limit 50")) as Tail;
    expect(fromOffset.rows.every((r) => Number(r.offset) >= 2)).toBe(true);
    expect(fromOffset.rows.length).toBe(kcat(state.bootstrap, "produced", "%o\\n").filter((o) => Number(o) >= 2).length);
    const cut = allTs[allTs.length - 4];
    const fromTime = (await magic(`%tail produced --from ${new Date(cut).toISOString()} --limit 50`)) as Tail;
    expect(fromTime.rows.length).toBe(allTs.filter((t) => t >= cut).length);
    const empty = (await magic("%tail produced --from latest")) as Tail;
    expect(empty.rows.length).toBe(0);
  });

  it("%tail --group reads as a consumer group and commits, so %kafka groups shows no lag", async () => {
    const tail = (await magic("%tail produced --group readers --limit 50")) as Tail;
    expect(tail.read).toBe(10);
    const groups = (await magic("%kafka groups")) as Table;
    const row = groups.records().find((r) => r.group === "readers");
    expect(row).toMatchObject({ topic: "produced", lag: 0 });
    await magic("%%produce produced", '{"late": true}');
    const after = ((await magic("%kafka groups")) as Table).records().find((r) => r.group === "readers");
    expect(after).toMatchObject({ lag: 1 });
  });

  it("%tail --follow updates its table in place as messages arrive, until %tail stop", async () => {
    await magic("%tail produced --follow --from latest --limit 5");
    const id = [...recorder.displays.keys()].pop()!;
    await waitFor("the follow to start", () => /following/.test(String(recorder.displays.get(id)!.at(-1)!["text/plain"])));
    await magic("%%produce produced", '{"marker": "first-live"}\n{"marker": "second-live"}');
    await waitFor("the live rows", () => String(recorder.displays.get(id)!.at(-1)!["text/plain"]).includes("second-live"));
    const stopped = await magic("%tail stop produced");
    expect(textOf(stopped)).toMatch(/stopped following produced/);
    const final = String(recorder.displays.get(id)!.at(-1)!["text/plain"]);
    expect(final).toMatch(/2 read/);
    expect(final).toMatch(/stopped/);
  });

  it("%kafka topics --follow refreshes the table in place", async () => {
    const before = new Set(recorder.displays.keys());
    await magic("%kafka topics --follow --duration 20s");
    // The live display appears once the first table is read.
    const id = await waitFor("the live display", () => [...recorder.displays.keys()].find((k) => !before.has(k)));
    await waitFor("a refresh", () => recorder.displays.get(id)!.length >= 2);
    await magic('%%produce follow-topics', '{"x": 1}');
    await waitFor("the new topic in the live table", () => String(recorder.displays.get(id)!.at(-1)!["text/plain"]).includes("follow-topics"));
  });

  it("%kafka create, delete and a clear error for a missing topic", async () => {
    expect(textOf(await magic("%kafka create scratch --partitions 4"))).toBe("created topic scratch with 4 partitions");
    expect(((await magic("%kafka topics")) as Table).records().find((r) => r.topic === "scratch")).toMatchObject({ partitions: 4, messages: 0 });
    expect(textOf(await magic("%kafka delete scratch"))).toBe("deleted topic scratch");
    await waitFor("the topic to disappear", async () => !((await magic("%kafka topics")) as Table).records().some((r) => r.topic === "scratch"));
    await expect(magic("%kafka delete scratch")).rejects.toThrow(/there is no topic 'scratch'/);
    await expect(magic("%tail no-such-topic")).rejects.toThrow(/does not exist|cannot read topic/);
    await expect(magic("%kafka frobnicate")).rejects.toThrow(/unknown subcommand 'frobnicate'/);
  });

  it("%datagen lists running generators and stops them; bad input gets one clear line", async () => {
    await magic("%datagen trades --topic slow-trades --rate 20 --name ticker");
    const gen = await waitFor("the generator to send", () => listGenerators().find((g) => g.name === "ticker" && g.sent > 0));
    const listing = (await magic("%datagen")) as Table;
    expect(listing.records().find((r) => r.name === "ticker")).toMatchObject({ dataset: "trades", topic: "slow-trades", status: "running" });
    expect(textOf(await magic("%datagen stop slow-trades"))).toMatch(/^stopped ticker \(\d+ sent\)$/);
    expect(gen.status).toBe("stopped");
    expect(textOf(await magic("%datagen stop slow-trades"))).toMatch(/no running generator/);
    await expect(magic("%datagen oders --topic x")).rejects.toThrow(/unknown dataset 'oders' \(did you mean 'orders'\?\)/);
    await expect(magic("%datagen orders --late 2")).rejects.toThrow(/--late is a share between 0 and 1/);
    await expect(magic("%datagen orders --format xml")).rejects.toThrow(/'xml' is not one of json, csv/);
    expect(((await magic("%datagen schema rides")) as Table).options.note).toContain("pickup STRUCT<lat: DOUBLE, lon: DOUBLE>");
  });

  it("backpressure: when the broker stalls, the generator's buffer stays bounded and it recovers without errors", async () => {
    const { startGenerator, getDataset } = await import("../../lib/datagen");
    const gen = startGenerator(getDataset("pageviews")!, { topic: "stall", rate: 20_000, duration: 6000, register: false });
    let maxBuffered = 0;
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, gen.buffered)), 5);
    try {
      await waitFor("the generator to be sending", () => gen.sent > 5000);
      const sentAtStop = gen.sent;
      process.kill(state.pid, "SIGSTOP");
      try {
        await waitFor("the buffer to fill while the broker is stopped", () => gen.buffered >= gen.bufferLimit - gen.batchSize);
        // Acks the broker wrote just before it froze may still be read after this point (on a loaded machine,
        // well after), but no more than the sends that were in flight at the freeze.
        await waitForStable(() => gen.sent, 1000);
        const sentWhileStalled = gen.sent;
        expect(sentWhileStalled).toBeLessThanOrEqual(sentAtStop + gen.maxInFlight * gen.batchSize);
        await new Promise((r) => setTimeout(r, 500));
        expect(gen.buffered).toBeLessThanOrEqual(gen.bufferLimit);
        expect(gen.sent).toBe(sentWhileStalled);
      } finally {
        process.kill(state.pid, "SIGCONT");
      }
      await gen.done;
    } finally {
      clearInterval(sampler);
    }
    expect(maxBuffered).toBeLessThanOrEqual(gen.bufferLimit);
    expect(gen.status).toBe("finished");
    expect(gen.errors).toBe(0);
    expect(kcat(state.bootstrap, "stall").length).toBe(gen.sent);
  });

  it("%kafka connect uses a cluster by address; SASL secrets come from the environment and are never shown", async () => {
    await magic("%kafka create connect-check");
    const connected = textOf(await magic(`%kafka connect ${state.bootstrap}`));
    expect(connected).toBe(`connected to ${state.bootstrap}: external cluster`);
    const overview = (await magic("%kafka")) as Table;
    expect(overview.options.title).toBe(`${state.bootstrap}: external cluster`);
    expect(overview.records().some((r) => r.topic === "connect-check")).toBe(true);
    await expect(magic(`%kafka connect ${state.bootstrap} --sasl-mechanism plain --username alice`)).rejects.toThrow(/--password-env VAR/);
    await expect(magic(`%kafka connect ${state.bootstrap} --sasl-mechanism plain --username alice --password-env STREAMLAB_TEST_UNSET_VAR`)).rejects.toThrow(/STREAMLAB_TEST_UNSET_VAR is not set/);
    await expect(magic("%kafka connect localhost")).rejects.toThrow(/'localhost' is not HOST:PORT/);
    process.env.STREAMLAB_TEST_SECRET = "s3cr3t-Pa55word";
    // The embedded broker does not speak SASL, so this fails; the error must not carry the password.
    const err = await magic(`%kafka connect ${state.bootstrap} --sasl-mechanism scram-sha-256 --username alice --password-env STREAMLAB_TEST_SECRET`).then(
      (v) => textOf(v),
      (e: Error) => e.message,
    );
    expect(err).not.toContain("s3cr3t-Pa55word");
    expect(JSON.stringify([...recorder.displays.values()]) + recorder.printed.join("\n")).not.toContain("s3cr3t-Pa55word");
    // Back to the embedded broker: %kafka start finds the running one and uses it.
    expect(textOf(await magic("%kafka start"))).toMatch(new RegExp(`already running at ${state.bootstrap.replace(/\./g, "\\.")}`));
  });

  it("kernel restarts keep the broker and its topics: fresh processes find and reuse it", () => {
    // First "kernel": produces to a new topic through the current cluster, then exits.
    const a = freshKernel(`
      const c = await client.currentCluster();
      const k = client.connect(c);
      await k.produce("restart-topic", Array.from({ length: 100 }, (_, i) => ({ key: "k" + (i % 7), value: JSON.stringify({ i }) })));
      await k.close();`);
    expect(a).toMatch(new RegExp(`using the embedded Kafka broker already running at ${state.bootstrap.replace(/\./g, "\\.")} \\(pid ${state.pid}\\)`));
    for (let restart = 1; restart <= 2; restart++) {
      const out = freshKernel(`
        const c = await client.currentCluster();
        const k = client.connect(c);
        const t = await client.topicsTable(k);
        console.log(JSON.stringify(t.records()));
        await k.close();`);
      const rows = JSON.parse(out.trim().split("\n").pop()!);
      expect(rows.find((r: { topic: string }) => r.topic === "restart-topic")).toMatchObject({ messages: 100 });
      expect(rows.find((r: { topic: string }) => r.topic === "orders-10k")).toMatchObject({ messages: 10_000 });
      expect(readBrokerState()?.pid).toBe(state.pid);
    }
  });

  it("a kernel that finds no broker starts one itself, detached, and says so in one line", async () => {
    expect(textOf(await magic("%kafka stop"))).toMatch(/stopped the embedded broker/);
    await waitFor("the old broker to exit", () => !processAlive(state.pid));
    const out = freshKernel(`
      const c = await client.currentCluster();
      const k = client.connect(c);
      console.log(JSON.stringify((await client.topicsTable(k)).records()));
      await k.close();`);
    expect(out).toMatch(/^streamlab: started the embedded Kafka broker at 127\.0\.0\.1:\d+ \(data in .*\); %kafka stop stops it$/m);
    const next = readBrokerState()!;
    expect(next.pid).not.toBe(state.pid);
    // The kernel process exited; the broker lives on, with the topics from its data directory.
    expect(processAlive(next.pid)).toBe(true);
    const rows = JSON.parse(out.trim().split("\n").pop()!);
    expect(rows.find((r: { topic: string }) => r.topic === "restart-topic")).toMatchObject({ messages: 100 });
  });

  it("two kernels starting at the same moment share one broker", async () => {
    const stoppedMsg = textOf(await magic("%kafka stop"));
    expect(stoppedMsg).toMatch(/stopped the embedded broker/);
    const script = `const c = await client.currentCluster(); console.log("BOOTSTRAP " + c.bootstrap.join(","));`;
    const outs = await Promise.all([freshKernelAsync(script), freshKernelAsync(script)]);
    const addresses = outs.map((o) => /BOOTSTRAP (\S+)/.exec(o)?.[1]);
    expect(addresses[0]).toBeDefined();
    expect(addresses[1]).toBe(addresses[0]);
    expect(outs.filter((o) => /started the embedded Kafka broker/.test(o)).length, outs.join("\n---\n")).toBe(1);
    expect(outs.filter((o) => /using the embedded Kafka broker already running/.test(o)).length, outs.join("\n---\n")).toBe(1);
    expect(readBrokerState()?.bootstrap).toBe(addresses[0]);
  });
});
