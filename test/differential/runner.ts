/**
 * The differential scenario runner: one scripted client session is played against Apache Kafka (the reference,
 * test/support/kafka-reference.ts) and then against the embedded broker, and what the client observed must be
 * equal. A scenario returns a JSON-able observation (offsets, error codes, assignments, committed offsets,
 * fetched records, metadata shapes, stored batch codecs); it must leave out what differs between any two runs
 * (random member ids, wall-clock times), which `canonical` helps with.
 *
 * Differences by design are listed in lib/broker/README.md under "Differences from Apache Kafka", each as
 * "- **`id`**: reason". A scenario that meets one names it; the runner applies that difference's normaliser
 * here to both observations before comparing. The list in README and the normalisers here must name the same
 * ids (checked by `checkDifferencesDocumented`). Every other difference fails.
 *
 * A scenario the embedded broker fails today is declared with `{ finding: true }`: it runs as `it.fails`, and
 * only when FINDINGS.md (repo root) has a line starting "- [scenario name]" saying what Kafka answers and what
 * the embedded broker answers, so it flips to a failure (to be turned into a plain test) once it is fixed.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import { startBroker, type BrokerOptions, type RunningBroker } from "../../lib/broker";
import { useKafkaReference, type KafkaReference } from "../support/kafka-reference";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const ROOT = path.resolve(__dirname, "..", "..");

export type BrokerName = "kafka" | "embedded";

export interface Target {
  name: BrokerName;
  bootstrap: string;
  /** A kafkajs client for this broker (quiet, a few retries). */
  kafkajs(config?: Partial<KafkaConfig>): Kafka;
}

export type Observation = unknown;

/** Normalisers of the documented differences by design, applied to both observations of a scenario. */
export const DIFFERENCES: Record<string, (o: any) => any> = {
  // Kafka's cluster id is a random UUID, ours a fixed name: clients see an opaque string either way.
  "cluster-id": (o) => mapKeys(o, { clusterId: () => "<cluster id>" }),
  // Each broker advertises the highest versions it implements; what matters is that a client finds a common one.
  "protocol-versions": (o) => mapKeys(o, { maxVersion: () => "<max>" }),
  // Error texts are the broker's own; the error codes are compared.
  "error-messages": (o) => mapKeys(o, { errorMessage: () => "<message>", message: () => "<message>" }),
};

function mapKeys(o: any, fns: Record<string, (v: any) => any>): any {
  if (Array.isArray(o)) return o.map((x) => mapKeys(x, fns));
  if (o && typeof o === "object" && !Buffer.isBuffer(o)) {
    const out: any = {};
    for (const [k, v] of Object.entries(o)) out[k] = k in fns ? fns[k](v) : mapKeys(v, fns);
    return out;
  }
  return o;
}

/** The ids under "## Differences from Apache Kafka" in lib/broker/README.md. */
export function documentedDifferences(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "lib", "broker", "README.md"), "utf8");
  const section = /^## Differences from Apache Kafka\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(readme)?.[1] ?? "";
  return [...section.matchAll(/^- \*\*`([a-z0-9-]+)`\*\*/gm)].map((m) => m[1]);
}

/** Scenario names FINDINGS.md has a line for ("- [name] ..."). */
export function findings(): Set<string> {
  const file = path.join(ROOT, "FINDINGS.md");
  if (!fs.existsSync(file)) return new Set();
  return new Set([...fs.readFileSync(file, "utf8").matchAll(/^- \[([^\]]+)\]/gm)].map((m) => m[1]));
}

export interface ScenarioOptions {
  /** Documented differences (ids in lib/broker/README.md) this scenario meets. */
  differences?: string[];
  /** The embedded broker fails it today; FINDINGS.md must have a line for it. */
  finding?: boolean;
  /** Per-broker time limit for the session, default 60 s (a hang is an observation too). */
  timeoutMs?: number;
}

interface Brokers {
  kafka: KafkaReference;
  embedded: RunningBroker;
}

const results: Record<string, { kafka: Observation; embedded: Observation; equal: boolean }> = {};

/**
 * Sets up both brokers for a test file (one Apache Kafka per file) and returns `scenario`, which registers
 * one differential test.
 */
export function differential(file: string, opts: { embeddedPartitions?: number; kafkaProperties?: Record<string, string | number>; embedded?: BrokerOptions } = {}) {
  const ref = useKafkaReference({ name: `differential-${file}`, properties: opts.kafkaProperties });
  let embedded: RunningBroker | undefined;
  beforeAll(async () => {
    embedded = await startBroker({ port: 0, defaultPartitions: opts.embeddedPartitions ?? 1, ...opts.embedded });
  });
  afterAll(async () => {
    await embedded?.stop();
    const out = path.join(ROOT, "test-output", "differential");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${file}.json`), JSON.stringify(results, replacer, 2));
  });
  const known = findings();
  const documented = new Set(documentedDifferences());

  const target = (name: BrokerName): Target => {
    const bootstrap = name === "kafka" ? ref().bootstrap : embedded!.bootstrap;
    return {
      name,
      bootstrap,
      kafkajs: (config = {}) => new Kafka({ brokers: [bootstrap], clientId: "differential", logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 }, ...config }),
    };
  };

  function scenario(name: string, session: (t: Target) => Promise<Observation>, options: ScenarioOptions = {}): void {
    for (const d of options.differences ?? []) {
      if (!DIFFERENCES[d]) throw new Error(`scenario '${name}': no normaliser for difference '${d}' in test/differential/runner.ts`);
      if (!documented.has(d)) throw new Error(`scenario '${name}': difference '${d}' is not documented in lib/broker/README.md`);
    }
    // STREAMLAB_DIFF_ALL=1 runs findings as plain tests too (to see which ones the embedded broker passes now).
    const all = process.env.STREAMLAB_DIFF_ALL === "1";
    if (options.finding && !all && !known.has(name)) throw new Error(`scenario '${name}' is marked as a finding but FINDINGS.md has no line "- [${name}] ..."`);
    const register = options.finding && !all ? it.fails : it;
    register(name, async () => {
      const play = async (t: Target): Promise<Observation> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          return await Promise.race([
            session(t),
            new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("session timed out")), options.timeoutMs ?? 60_000))),
          ]);
        } catch (e) {
          return { threw: errorName(e) };
        } finally {
          clearTimeout(timer);
        }
      };
      let kafkaObs = await play(target("kafka"));
      let embeddedObs = await play(target("embedded"));
      for (const d of options.differences ?? []) {
        kafkaObs = DIFFERENCES[d](kafkaObs);
        embeddedObs = DIFFERENCES[d](embeddedObs);
      }
      const a = JSON.parse(JSON.stringify(kafkaObs, replacer) ?? "null");
      const b = JSON.parse(JSON.stringify(embeddedObs, replacer) ?? "null");
      const equal = JSON.stringify(a) === JSON.stringify(b);
      results[name] = { kafka: a, embedded: b, equal };
      // The reference must have answered the session (a scenario that fails on Kafka is a broken scenario).
      if (a && typeof a === "object" && "threw" in a) throw new Error(`scenario failed against Apache Kafka: ${(a as { threw: string }).threw}`);
      expect(b, `${name}: embedded broker (received) vs Apache Kafka (expected)`).toEqual(a);
    }, 2 * (options.timeoutMs ?? 60_000) + 30_000);
  }

  return { scenario, kafka: ref, embedded: () => embedded! };
}

function errorName(e: unknown): string {
  const err = e as { type?: string; name?: string; message?: string };
  return err.type ?? (err.name && err.name !== "Error" ? err.name : `Error: ${err.message}`);
}

function replacer(_k: string, v: unknown): unknown {
  if (v && typeof v === "object" && (v as { type?: string }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString("base64");
  if (typeof v === "bigint") return v.toString();
  return v;
}

/**
 * Replaces values that differ between any two runs by stable placeholders, in order of first appearance:
 * `canonical(obs, ["memberId", "leader"])` maps every distinct member id to "member#1", "member#2", ...
 */
export function canonical<T>(o: T, keys: string[], prefix = "id"): T {
  const seen = new Map<string, string>();
  const walk = (x: any): any => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === "object" && !Buffer.isBuffer(x)) {
      const out: any = {};
      for (const [k, v] of Object.entries(x)) {
        const name = (id: string) => {
          if (!seen.has(id)) seen.set(id, `${prefix}#${seen.size + 1}`);
          return seen.get(id);
        };
        if (keys.includes(k) && typeof v === "string" && v !== "") out[k] = name(v);
        else if (keys.includes(k) && Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = v.map((x) => (x === "" ? x : name(x)));
        else out[k] = walk(v);
      }
      return out;
    }
    return x;
  };
  return walk(o);
}

/** Calls `fn`, returning its value or the name of the error it threw (kafkajs errors carry a type). */
export async function outcome<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (e) {
    return { error: errorName(e) };
  }
}

/** Runs a command to completion with optional stdin; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}
