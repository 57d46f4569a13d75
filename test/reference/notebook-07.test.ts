/**
 * notebooks/07-real-kafka.ipynb against Apache Kafka: the notebook as shipped, run by `streamlab run` with
 * KAFKA_BOOTSTRAP_SERVERS set to the reference broker's PLAINTEXT listener, checked with the same content
 * checks as under the separate embedded broker (test/notebooks/run.test.ts). Then another client (kafkajs)
 * checks what the notebook left in Apache Kafka. Needs `npm run build` first (npm test does it).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { useKafkaReference } from "../support/kafka-reference";
import { checkContent } from "../notebooks/checks";
import { bin, errorOutputs, notebooksDir, outputRoot, readNotebook, runProcess, stopBrokerIn, unexecutedCells } from "../notebooks/support";

describe.runIf(tool("kafka-reference"))("notebook 07 against Apache Kafka", () => {
  const kafka = useKafkaReference({ name: "notebook-07" });

  it("runs top to bottom on Apache Kafka, with what its markdown promises", async () => {
    const k = kafka();
    const outDir = path.join(outputRoot, "apache-kafka");
    fs.mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, "07-real-kafka.ipynb");
    fs.rmSync(out, { force: true });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb07-kafka-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, STREAMLAB_HOME: home, STREAMLAB_BROKER_PORT: "0", KAFKA_BOOTSTRAP_SERVERS: k.bootstrap };
      delete env.STREAMLAB_BOOTSTRAP;
      const r = await runProcess(process.execPath, [bin, "run", path.join(notebooksDir, "07-real-kafka.ipynb"), "--out", out, "--timeout", "120"], { env, timeout: 300_000 });
      expect(fs.existsSync(out), `streamlab run wrote ${out}: ${r.stderr}`).toBe(true);
      const nb = readNotebook(out);
      expect(errorOutputs(nb)).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      expect(unexecutedCells(nb)).toEqual([]);
      checkContent("07-real-kafka.ipynb", nb, { externalBootstrap: k.bootstrap });
      // No embedded broker was started for it.
      expect(fs.existsSync(path.join(home, "broker.json"))).toBe(false);
    } finally {
      await stopBrokerIn(home);
      fs.rmSync(home, { recursive: true, force: true });
    }
    // What the notebook wrote is in Apache Kafka: 200 orders over 3 partitions, 2 greetings, the group's commit.
    const admin = new Kafka({ brokers: [k.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const total = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      expect((await admin.fetchTopicOffsets("real_orders")).length).toBe(3);
      expect(await total("real_orders")).toBe(200);
      expect(await total("real_greetings")).toBe(2);
      const committed = await admin.fetchOffsets({ groupId: "real-readers", topics: ["real_greetings"] });
      expect(committed[0].partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(2);
    } finally {
      await admin.disconnect();
    }
  }, 320_000);
});
