/**
 * `%kafka start` with the security options of `streamlab broker` (a SASL_SSL listener, a users file, a TLS
 * certificate made here by openssl, ACLs with a super user), through the magic runner as a notebook runs it:
 * the notebook connects as the super user over TLS; a client without TLS, one with a wrong password and a user
 * without ACLs are refused; a restarted kernel finds the secured broker and reconnects from the recorded state;
 * a bad combination of options is one line naming what to do.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

const home = fs.mkdtempSync(path.join(tmpdir(), "streamlab-home-sec-"));
process.env.STREAMLAB_HOME = home;
// Never take 9092 in tests: other test files and engineers share this machine.
process.env.STREAMLAB_BROKER_PORT = "0";
delete process.env.STREAMLAB_BOOTSTRAP;

import { Kafka, logLevel } from "kafkajs";
import { runMagic, runShutdownHooks, setDisplayBridge, type DisplayBridge, type MagicContext, type MimeBundle } from "../../lib/core";
import { readBrokerState, processAlive } from "../../lib/client/embedded";
import { registerClientMagics, setCurrentCluster } from "../../lib/client";

registerClientMagics();

const root = path.resolve(__dirname, "../..");
const built = fs.existsSync(path.join(root, "dist/lib/broker/cli.js")) && fs.existsSync(path.join(root, "dist/lib/client/index.js"));

const bridge: DisplayBridge = { display() {}, update() {}, print() {} };
setDisplayBridge(bridge);

async function magic(line: string): Promise<string> {
  const m = /^%(\w+)\s*(.*)$/s.exec(line.trim());
  if (!m) throw new Error(`not a magic: ${line}`);
  const ctx: Omit<MagicContext, "name" | "args"> = { display: bridge, scope: {}, evaluate: async (code: string) => new Function(`return (${code});`)() };
  const out = await runMagic(m[1], m[2], ctx);
  return String((out as { toMimeBundle(): MimeBundle }).toMimeBundle()["text/plain"]);
}

/** The error a magic fails with (its one-line message), or "ok". */
async function failure(line: string): Promise<string> {
  try {
    await magic(line);
    return "ok";
  } catch (e) {
    return (e as Error).message;
  }
}

const dir = path.join(home, "sec");
const usersFile = path.join(dir, "users.txt");
const cert = path.join(dir, "cert.pem");
const key = path.join(dir, "key.pem");

describe.runIf(built)("%kafka start with a SASL_SSL listener, users, TLS and ACLs", () => {
  let bootstrap = "";

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(usersFile, "# the notebook's users\nadmin:admin-secret\nbob:bob-secret\n");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
    const text = await magic(`%kafka start --listener SASL_SSL://127.0.0.1:0 --users ${usersFile} --tls-cert ${cert} --tls-key ${key} --super-users User:admin`);
    expect(text).toMatch(/started the embedded Kafka broker at 127\.0\.0\.1:\d+ over SASL_SSL as admin/);
    bootstrap = /at (127\.0\.0\.1:\d+)/.exec(text)![1];
  }, 120_000);

  afterAll(async () => {
    await runShutdownHooks();
    setCurrentCluster(undefined);
    if (readBrokerState()) await magic("%kafka stop");
    fs.rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it("the notebook works as the super user over TLS, and the state file keeps no password", async () => {
    expect(await magic("%kafka create secured --partitions 2")).toBe("created topic secured with 2 partitions");
    expect(await magic("%kafka topics")).toMatch(/secured/);
    expect(await magic("%kafka")).toMatch(/SASL scram-sha-256 as admin, TLS/);
    const state = readBrokerState()!;
    expect(processAlive(state.pid)).toBe(true);
    expect(state.security).toEqual({ protocol: "SASL_SSL", username: "admin", usersFile, caFile: cert });
    expect(fs.readFileSync(path.join(home, "broker.json"), "utf8")).not.toMatch(/secret/);
  });

  it("refuses a client without TLS, a wrong password, and a user without ACLs", async () => {
    // Plaintext bytes on the TLS port: the broker never answers an ApiVersions request in the clear.
    const [host, port] = bootstrap.split(":");
    const answered = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(port), host, () => {
        s.write(Buffer.from("0000000a0012000000000001ffff", "hex")); // ApiVersions v0, correlation id 1
      });
      s.once("data", (d) => {
        s.destroy();
        resolve(d.length >= 8 && d.readInt32BE(4) === 1);
      });
      s.once("close", () => resolve(false));
      s.once("error", () => resolve(false));
      setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 5000);
    });
    expect(answered).toBe(false);
    const kafka = (username: string, password: string) =>
      new Kafka({ brokers: [bootstrap], ssl: { ca: [fs.readFileSync(cert, "utf8")] }, sasl: { mechanism: "scram-sha-256", username, password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const wrong = kafka("admin", "not-the-password").admin();
    const wrongError = await wrong.connect().then(
      () => "connected",
      (e: Error) => e.name,
    );
    await wrong.disconnect().catch(() => undefined);
    expect(wrongError).toBe("KafkaJSSASLAuthenticationError");
    const bob = kafka("bob", "bob-secret").admin();
    await bob.connect();
    try {
      // bob authenticates, but has no ACLs: the topic the notebook made is not his to see or create.
      expect((await bob.fetchTopicMetadata({ topics: [] })).topics.map((t) => t.name)).not.toContain("secured");
      const created = await bob.createTopics({ topics: [{ topic: "bobs" }] }).then(
        () => "created",
        (e: { type?: string; errors?: { type?: string }[]; name: string }) => e.errors?.[0]?.type ?? e.type ?? e.name,
      );
      expect(created).toBe("TOPIC_AUTHORIZATION_FAILED");
    } finally {
      await bob.disconnect();
    }
  });

  it("a restarted kernel reconnects to the secured broker from the recorded state", () => {
    const code = `
      const client = require(${JSON.stringify(path.join(root, "dist/lib/client/index.js"))});
      (async () => {
        const c = await client.currentClient();
        const names = (await c.listTopics()).map((t) => t.name);
        console.log(JSON.stringify(names));
        await c.close();
      })().then(() => process.exit(0), (e) => { console.error("FAILED " + e.message); process.exit(1); });`;
    const r = spawnSync(process.execPath, ["-e", code], { env: { ...process.env, STREAMLAB_HOME: home }, timeout: 120_000 });
    expect(r.stderr.toString()).not.toMatch(/FAILED/);
    expect(JSON.parse(r.stdout.toString().trim().split("\n").pop()!)).toContain("secured");
  }, 130_000);

  it("a wrong combination of options is refused in one line saying what to do", async () => {
    const e1 = await failure("%kafka start --listener SASL_PLAINTEXT");
    expect(e1).toMatch(/a SASL_PLAINTEXT listener needs --users FILE/);
    const e2 = await failure(`%kafka start --listener SASL_SSL --users ${usersFile}`);
    expect(e2).toMatch(/needs --tls-cert and --tls-key/);
    const e3 = await failure("%kafka start --listener HTTP://127.0.0.1:1");
    expect(e3).toMatch(/--listener must be PROTOCOL or PROTOCOL:\/\/HOST:PORT/);
    for (const e of [e1, e2, e3]) expect(e.split("\n")).toHaveLength(1);
  });
});
