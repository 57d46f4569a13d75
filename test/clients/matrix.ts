/**
 * The client matrix: one client's session (admin create/list, produce N keyed records, consume them in a
 * group, commit, committed offsets and group listing read back) run against Apache Kafka and the embedded
 * broker, in one test file per client. Each run must be complete on its own (every record once, committed
 * offsets summing to N, ...) and the two brokers must give the client the same observations. Every run writes
 * test-output/clients/<client>-<version>-<broker>.json, from which test/clients/compat-table.js generates
 * README's compatibility table.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { useKafkaReference, type KafkaReference } from "../support/kafka-reference";
import { tool } from "../support/tools";

const ROOT = path.resolve(__dirname, "..", "..");
export const N = 500;

export interface Security {
  /** Listener label in the report, e.g. "SASL_SSL SCRAM-SHA-512". */
  label: string;
  protocol: "SASL_PLAINTEXT" | "SSL" | "SASL_SSL";
  mechanism?: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
}

export interface Session {
  bootstrap: string;
  topic: string;
  group: string;
  n: number;
  kafka?: KafkaReference;
  security?: Security;
}

/** What a client's session program prints (JSON). */
export interface ClientResult {
  client: string;
  version: string;
  admin: { created: boolean; listed: boolean; partitions: number | null } | null;
  produced: Record<string, number>;
  consumed: number;
  distinct: number;
  committed: Record<string, number>;
  groupListed: boolean;
  groupOffsetsTotal: number;
  [k: string]: unknown;
}

/** Environment variables for a secured session (the programs read KAFKA_*). */
export function securityEnv(s: Session): Record<string, string> {
  if (!s.security || !s.kafka) return {};
  const user = s.security.mechanism === "PLAIN" ? s.kafka.users.plain : s.security.mechanism === "SCRAM-SHA-256" ? s.kafka.users.scram256 : s.kafka.users.scram512;
  return {
    KAFKA_SECURITY_PROTOCOL: s.security.protocol,
    KAFKA_SASL_MECHANISM: s.security.mechanism ?? "",
    KAFKA_USERNAME: s.security.mechanism ? user.username : "",
    KAFKA_PASSWORD: s.security.mechanism ? user.password : "",
    KAFKA_CA_FILE: s.security.protocol.endsWith("SSL") ? s.kafka.caFile : "",
    KAFKA_TRUSTSTORE: s.security.protocol.endsWith("SSL") ? s.kafka.truststore : "",
    KAFKA_TRUSTSTORE_PASSWORD: s.kafka.truststorePassword,
  };
}

/** Runs a session program; its stdout's last line is the JSON result. */
export function runProgram(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 150_000): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !last.startsWith("{")) return reject(new Error(`${path.basename(cmd)} exited ${code}: ${(err || out).trim().split("\n").slice(-6).join(" | ").slice(0, 1500)}`));
      resolve(JSON.parse(last));
    });
  });
}

/** The invariants every session must meet, on any broker. */
function checkComplete(r: ClientResult, n: number): void {
  if (r.admin) expect(r.admin, "admin: topic created, listed, 3 partitions").toEqual({ created: true, listed: true, partitions: 3 });
  expect(Object.values(r.produced).reduce((a, b) => a + b, 0), "records acknowledged").toBe(n);
  expect(r.distinct, "distinct records consumed").toBe(n);
  expect(r.consumed, "records consumed (none twice)").toBe(n);
  expect(Object.values(r.committed).reduce((a, b) => a + Math.max(b, 0), 0), "committed offsets sum to N").toBe(n);
  expect(r.groupListed, "the group is listed").toBe(true);
  expect(r.groupOffsetsTotal, "group offsets read back by the admin API").toBe(n);
}

interface CompatTable {
  readmePath: string;
  rows(entries: Record<string, unknown>[]): Map<string, string>;
  withRows(readme: string, entries: Record<string, unknown>[]): string;
}
const compat = createRequire(__filename)("./compat-table.js") as CompatTable;

/**
 * README's compatibility table, this client's row: written from this run's results, or under CI (where README
 * is what was committed) checked: a row that says something else than the run observed fails the run.
 */
function updateCompatRow(client: string, entries: Record<string, unknown>[]): void {
  const lockFile = path.join(ROOT, "test-output", "clients", ".readme.lock");
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  // The client files run in parallel: one read-modify-write of README at a time.
  const deadline = Date.now() + 30_000;
  let lock: number | undefined;
  while (lock === undefined) {
    try {
      lock = fs.openSync(lockFile, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (Date.now() > deadline) fs.rmSync(lockFile, { force: true }); // left behind by a killed run
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    const readme = fs.readFileSync(compat.readmePath, "utf8");
    const next = compat.withRows(readme, entries);
    if (next === readme) return;
    if (process.env.CI === "true") {
      const row = compat.rows(entries).get(client);
      const current = readme.split("\n").find((l) => row !== undefined && l.startsWith(row.slice(0, row.indexOf(" |", 2) + 2)));
      throw new Error(`README.md's compatibility table is stale for ${client}: it says\n  ${current ?? "(no row)"}\nthis run observed\n  ${row}\nrun npx vitest run test/clients/ (or this client's file) and commit README.md`);
    }
    fs.writeFileSync(compat.readmePath, next);
  } finally {
    fs.closeSync(lock);
    fs.rmSync(lockFile, { force: true });
  }
}

function report(entry: Record<string, unknown>): void {
  const dir = path.join(ROOT, "test-output", "clients");
  fs.mkdirSync(dir, { recursive: true });
  const name = `${entry.client}-${entry.broker}${entry.listener ? "-" + String(entry.listener).replace(/[^A-Za-z0-9]+/g, "_") : ""}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(entry, null, 2));
}

export interface MatrixOptions {
  /** Client name in the report ("kafkajs", "java", ...). */
  client: string;
  /** Its version, known before running (for the report when a run fails early). */
  version: () => string;
  /** tool() names the client needs besides the reference broker. */
  tools?: string[];
  /** Plays the session; throws when the client fails. */
  session: (s: Session) => Promise<ClientResult>;
  /** Extra runs against Apache Kafka's secured listeners. */
  secured?: Security[];
  /** A note for the compatibility table. */
  note?: string;
}

/** Registers the client's tests: one per broker, one comparison, and the secured listeners. */
export function clientMatrix(o: MatrixOptions): void {
  const available = tool("kafka-reference") && (o.tools ?? []).every((t) => tool(t));
  describe.runIf(available)(`${o.client} against Apache Kafka and the embedded broker`, () => {
    const kafka = useKafkaReference({ name: `client-${o.client}` });
    let embedded: RunningBroker | undefined;
    beforeAll(async () => {
      embedded = await startBroker({ port: 0 });
    });
    afterAll(async () => {
      await embedded?.stop();
    });
    const results: Partial<Record<"kafka" | "embedded", ClientResult>> = {};
    const entries: Record<string, unknown>[] = [];
    const record = (entry: Record<string, unknown>) => {
      entries.push(entry);
      report(entry);
    };
    for (const broker of ["kafka", "embedded"] as const) {
      it(`${o.client}: admin, produce ${N}, consume in a group, commit (${broker === "kafka" ? "Apache Kafka" : "embedded broker"})`, async () => {
        const bootstrap = broker === "kafka" ? kafka().bootstrap : embedded!.bootstrap;
        const entry: Record<string, unknown> = { client: o.client, version: o.version(), broker, ok: false, note: o.note ?? null, kafkaVersion: kafka().version };
        try {
          const r = await o.session({ bootstrap, topic: `matrix-${o.client}`, group: `matrix-${o.client}-g`, n: N, kafka: kafka() });
          entry.version = r.version || entry.version;
          entry.result = r;
          checkComplete(r, N);
          results[broker] = r;
          entry.ok = true;
        } catch (e) {
          entry.error = String((e as Error).message ?? e).slice(0, 2000);
          throw e;
        } finally {
          record(entry);
        }
      });
    }
    it(`${o.client}: the same observations on both brokers`, () => {
      if (!results.kafka || !results.embedded) throw new Error("a broker's run failed; nothing to compare");
      expect(results.embedded, "embedded broker (received) vs Apache Kafka (expected)").toEqual(results.kafka);
    });
    for (const sec of o.secured ?? []) {
      it(`${o.client}: the same session over ${sec.label} (Apache Kafka)`, async () => {
        const k = kafka();
        const bootstrap = sec.protocol === "SASL_PLAINTEXT" ? k.saslPlaintext : sec.protocol === "SSL" ? k.ssl : k.saslSsl;
        const entry: Record<string, unknown> = { client: o.client, version: o.version(), broker: "kafka", listener: sec.label, ok: false, kafkaVersion: k.version };
        try {
          const tag = sec.label.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase();
          const r = await o.session({ bootstrap, topic: `matrix-${o.client}-${tag}`, group: `matrix-${o.client}-${tag}-g`, n: N, kafka: k, security: sec });
          entry.version = r.version || entry.version;
          entry.result = r;
          checkComplete(r, N);
          entry.ok = true;
        } catch (e) {
          entry.error = String((e as Error).message ?? e).slice(0, 2000);
          throw e;
        } finally {
          record(entry);
        }
      });
    }
    it(`${o.client}: README's compatibility table says what this run observed`, () => {
      // Runs last in the file (tests of a file run in order): after every session above.
      if (entries.length === 0) throw new Error("no session ran; nothing to write");
      updateCompatRow(o.client, entries);
    });
  });
}
