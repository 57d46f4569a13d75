/**
 * SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS on the embedded broker, with kafkajs and
 * @platformatic/kafka as clients: authenticated sessions produce and consume, a wrong password is refused with
 * SASL_AUTHENTICATION_FAILED, and a request before authentication closes the connection, as in Kafka.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { run, withBroker } from "./helpers";
import { parseBrokerArgs } from "../../lib/broker/cli";
import { apiVersionsRequest, exchange, metadataRequest } from "./wire";

const USERS = { alice: "alice-secret", bob: "b0b=,pässword" };

async function roundTrip(bootstrap: string, sasl: SASLOptions, ssl?: { ca: string }): Promise<string[]> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: "sasl-test", sasl, ssl: ssl ? { ca: [ssl.ca], servername: "localhost" } : undefined, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const topic = `t-${sasl.mechanism}-${Math.random().toString(36).slice(2, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: "k1", value: "v1" }, { key: "k2", value: "v2" }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => void (got.push(String(message.value)), got.length === 2 && resolve()) }).catch(reject);
  });
  await consumer.disconnect();
  return got;
}

describe("SASL and TLS on the embedded broker", () => {
  it.each([["plain"], ["scram-sha-256"], ["scram-sha-512"]] as const)("kafkajs authenticates with %s and produces and consumes", async (mechanism) => {
    await withBroker(
      async (b) => {
        for (const [username, password] of Object.entries(USERS)) {
          expect(await roundTrip(b.bootstrap, { mechanism, username, password } as SASLOptions)).toEqual(["v1", "v2"]);
        }
        await expect(roundTrip(b.bootstrap, { mechanism, username: "alice", password: "wrong" } as SASLOptions)).rejects.toThrow(/SASL|authentication/i);
        await expect(roundTrip(b.bootstrap, { mechanism, username: "nobody", password: "x" } as SASLOptions)).rejects.toThrow(/SASL|authentication/i);
      },
      { users: USERS },
    );
  });

  it("kcat (librdkafka) authenticates with SCRAM-SHA-256 and PLAIN, and fails with a wrong password", async () => {
    await withBroker(
      async (b) => {
        const base = ["-L", "-b", b.bootstrap, "-t", "kcat-sasl", "-m", "10", "-X", "security.protocol=SASL_PLAINTEXT"];
        for (const mechanism of ["SCRAM-SHA-256", "PLAIN"]) {
          const good = await run("kcat", [...base, "-X", `sasl.mechanisms=${mechanism}`, "-X", "sasl.username=alice", "-X", `sasl.password=${USERS.alice}`]);
          expect(good.code, String(good.stderr)).toBe(0);
          expect(String(good.stdout)).toContain("kcat-sasl");
        }
        const bad = await run("kcat", [...base, "-m", "3", "-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=alice", "-X", "sasl.password=nope"]);
        expect(bad.code).not.toBe(0);
        expect(String(bad.stderr)).toMatch(/Authentication failed|SASL/i);
      },
      { users: USERS },
    );
  });

  it("closes a connection that sends a request before authenticating, but answers ApiVersions", async () => {
    await withBroker(
      async (b) => {
        const versions = await exchange(b.port, apiVersionsRequest(1, 2), { end: false, responses: 1 });
        expect(versions.responses.length).toBe(1);
        const early = await exchange(b.port, metadataRequest(2, ["x"]), { end: false });
        expect(early.closedByBroker).toBe(true);
        expect(early.responses).toEqual([]);
      },
      { users: USERS },
    );
  });

  it("serves SASL_SSL: TLS with a certificate made here, then SCRAM-SHA-512", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-tls-"));
    try {
      const key = path.join(dir, "key.pem");
      const cert = path.join(dir, "cert.pem");
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
      const pem = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
      await withBroker(
        async (b) => {
          expect(await roundTrip(b.bootstrap, { mechanism: "scram-sha-512", username: "alice", password: USERS.alice }, { ca: pem.cert.toString() })).toEqual(["v1", "v2"]);
        },
        { users: USERS, tls: pem },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses --listener, --users and --tls-* with one-line errors for what is missing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cli-"));
    try {
      const users = path.join(dir, "users");
      fs.writeFileSync(users, "# name:password\nalice:alice-secret\n\nbob:b:o:b\n");
      fs.writeFileSync(path.join(dir, "c.pem"), "CERT");
      fs.writeFileSync(path.join(dir, "k.pem"), "KEY");
      const opts = parseBrokerArgs(["--listener", "SASL_SSL://0.0.0.0:9093", "--users", users, "--tls-cert", path.join(dir, "c.pem"), "--tls-key", path.join(dir, "k.pem")]);
      expect(opts).toMatchObject({ listener: "SASL_SSL", host: "0.0.0.0", port: 9093, users: { alice: "alice-secret", bob: "b:o:b" } });
      expect(String(opts.tls?.cert)).toBe("CERT");
      expect(parseBrokerArgs(["--listener", "SASL_PLAINTEXT://127.0.0.1:0", "--users", users])).toMatchObject({ listener: "SASL_PLAINTEXT", port: 0 });
      expect(() => parseBrokerArgs(["--listener", "SASL_PLAINTEXT://127.0.0.1:9093"])).toThrow("a SASL_PLAINTEXT listener needs --users FILE (one name:password per line)");
      expect(() => parseBrokerArgs(["--listener", "SSL://127.0.0.1:9093"])).toThrow("a SSL listener needs --tls-cert and --tls-key (PEM files)");
      expect(() => parseBrokerArgs(["--users", users])).toThrow(/--users needs a SASL listener/);
      expect(() => parseBrokerArgs(["--listener", "KERBEROS://h:1"])).toThrow(/--listener must be PROTOCOL:\/\/HOST:PORT/);
      expect(() => parseBrokerArgs(["--listener", "SASL_PLAINTEXT://h:1", "--users", path.join(dir, "none")])).toThrow(/cannot read the users file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
