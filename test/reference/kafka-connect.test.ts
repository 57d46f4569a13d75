/**
 * `%kafka connect` against Apache Kafka's secured listeners, as a notebook uses it: the built CLI
 * (`streamlab run`) executes a notebook that connects with SASL/SCRAM-SHA-512 over TLS (with the test CA),
 * with SASL PLAIN, and with TLS and --ca; lists topics, creates one, produces with %%produce, reads the records
 * back with %tail and with a streaming query on the connected cluster. A second client (kafkajs on Kafka's
 * PLAINTEXT listener) checks that the records really are in Apache Kafka. A wrong password and a TLS connect
 * without the CA fail with one line. Needs `npm run build` first (npm test does it).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { useKafkaReference, type KafkaReference } from "../support/kafka-reference";
import { allText, bin, errorOutputs, readNotebook, runProcess, unexecutedCells, type Notebook } from "../notebooks/support";

interface Mode {
  name: string;
  address: (k: KafkaReference) => string;
  options: (k: KafkaReference) => string;
  password?: (k: KafkaReference) => string;
  /** What %kafka connect says it connected to, after the address. */
  described: string;
}

const MODES: Mode[] = [
  {
    name: "scram512_tls",
    address: (k) => k.saslSsl,
    options: (k) => `--sasl-mechanism scram-sha-512 --username ${k.users.scram512.username} --password-env KREF_PASSWORD --ca ${k.caFile}`,
    password: (k) => k.users.scram512.password,
    described: "external cluster, SASL scram-sha-512 as carol, TLS",
  },
  {
    name: "plain",
    address: (k) => k.saslPlaintext,
    options: (k) => `--sasl-mechanism plain --username ${k.users.plain.username} --password-env KREF_PASSWORD`,
    password: (k) => k.users.plain.password,
    described: "external cluster, SASL plain as alice",
  },
  {
    name: "tls_ca",
    address: (k) => k.ssl,
    options: (k) => `--ca ${k.caFile}`,
    described: "external cluster, TLS",
  },
];

function notebook(sources: string[]): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "streamlab", display_name: "TypeScript (streamlab)", language: "typescript" } },
    cells: sources.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
  return JSON.stringify(nb, null, 1);
}

async function runNotebook(name: string, sources: string[], env: Record<string, string>): Promise<{ code: number; stderr: string; nb: Notebook; text: (cell: number) => string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `streamlab-connect-${name}-`));
  try {
    const input = path.join(dir, `${name}.ipynb`);
    const out = path.join(dir, "out.ipynb");
    fs.writeFileSync(input, notebook(sources));
    // Its own STREAMLAB_HOME: nothing here may start (or find) an embedded broker.
    const r = await runProcess(process.execPath, [bin, "run", input, "--out", out, "--timeout", "90"], {
      env: { ...process.env, STREAMLAB_HOME: path.join(dir, "home"), STREAMLAB_BROKER_PORT: "0", ...env },
      timeout: 240_000,
    });
    if (!fs.existsSync(out)) throw new Error(`streamlab run wrote no notebook (exit ${r.code}): ${r.stderr}`);
    const nb = readNotebook(out);
    return { code: r.code, stderr: r.stderr, nb, text: (cell) => allText({ ...nb, cells: [nb.cells[cell]] }) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(tool("kafka-reference"))("%kafka connect against Apache Kafka's secured listeners", () => {
  const kafka = useKafkaReference({ name: "kafka-connect" });

  async function endOffsets(topic: string): Promise<number> {
    const admin = new Kafka({ brokers: [kafka().bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  for (const mode of MODES) {
    it(`${mode.name}: connects, lists topics, produces and reads back (%%produce, %tail, a streaming query)`, async () => {
      const k = kafka();
      const address = mode.address(k);
      const topic = `connect_${mode.name}`;
      const records = ['{"id": "a", "v": 1}', '{"id": "b", "v": 2}', '{"id": "c", "v": 3}'];
      const r = await runNotebook(
        mode.name,
        [
          `%kafka connect ${address} ${mode.options(k)}`,
          "%kafka",
          `%kafka create ${topic} --partitions 2`,
          `%%produce ${topic} --key id\n${records.join("\n")}`,
          `%tail ${topic} --from beginning`,
          [
            `const q = spark.readStream.format("kafka").option("subscribe", "${topic}").option("startingOffsets", "earliest").load()`,
            `  .selectExpr("CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v")`,
            `  .writeStream.format("memory").queryName("${topic}_rows").trigger({ availableNow: true }).start();`,
            "await q.awaitTermination();",
            `spark.tableRows("${topic}_rows").map((row) => \`\${String(row.k)}=\${String(row.v)}\`).sort().join(" | ")`,
          ].join("\n"),
          "%kafka topics",
        ],
        mode.password ? { KREF_PASSWORD: mode.password(k) } : {},
      );
      expect(errorOutputs(r.nb), r.stderr).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      expect(unexecutedCells(r.nb)).toEqual([]);
      expect(r.text(0)).toContain(`connected to ${address}: ${mode.described}`);
      expect(r.text(1)).toContain(address);
      expect(r.text(2)).toContain(`created topic ${topic} with 2 partitions`);
      expect(r.text(3)).toContain(`sent 3 messages to ${topic}`);
      for (const v of ['"a"', '"b"', '"c"']) expect(r.text(4)).toContain(v);
      // Keys and values as %%produce serialized them (JSON), read back by the Kafka source over the same listener.
      expect(r.text(5)).toContain(`"a"={"id":"a","v":1} | "b"={"id":"b","v":2} | "c"={"id":"c","v":3}`);
      expect(r.text(6)).toContain(topic);
      // Written to Apache Kafka, as another client on another listener sees it.
      expect(await endOffsets(topic)).toBe(3);
    }, 300_000);
  }

  it("a wrong SCRAM password is refused with one line that does not show it", async () => {
    const k = kafka();
    const r = await runNotebook(
      "bad_password",
      [`%kafka connect ${k.saslSsl} --sasl-mechanism scram-sha-512 --username ${k.users.scram512.username} --password-env KREF_PASSWORD --ca ${k.caFile}`],
      { KREF_PASSWORD: "not-the-password" },
    );
    expect(r.code).toBe(1);
    const errors = r.nb.cells[0].outputs!.filter((o) => o.output_type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0].evalue).toMatch(new RegExp(`^%kafka connect: cannot reach ${k.saslSsl.replace(/\./g, "\\.")}: .*(authentication|SASL|credentials)`, "i"));
    expect(errors[0].evalue).not.toContain("\n");
    expect(errors[0].evalue).not.toContain("not-the-password");
  }, 300_000);

  it("TLS without the CA (the server's certificate is not trusted) fails with one line", async () => {
    const k = kafka();
    const r = await runNotebook("no_ca", [`%kafka connect ${k.ssl} --ssl`], {});
    expect(r.code).toBe(1);
    const errors = r.nb.cells[0].outputs!.filter((o) => o.output_type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0].evalue).toMatch(new RegExp(`^%kafka connect: cannot reach ${k.ssl.replace(/\./g, "\\.")}: `));
    expect(errors[0].evalue).not.toContain("\n");
  }, 300_000);
});
