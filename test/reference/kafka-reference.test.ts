/**
 * The reference broker itself: Apache Kafka starts from the Maven classpath and every listener the launcher
 * promises answers a real client (kafkajs): PLAINTEXT, SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512, SSL against the generated CA, and SASL_SSL; a wrong password is refused.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import { tool } from "../support/tools";
import { useKafkaReference } from "../support/kafka-reference";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

describe.runIf(tool("kafka-reference"))("Apache Kafka reference broker", () => {
  const kafka = useKafkaReference({ name: "reference" });

  async function roundTrip(config: Omit<KafkaConfig, "logLevel">, topic: string): Promise<string[]> {
    const client = new Kafka({ ...config, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "k", value: `hello ${topic}` }] });
    await producer.disconnect();
    const consumer = client.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)); resolve(); } }).catch(reject);
    });
    await consumer.disconnect();
    return seen;
  }

  it("is Apache Kafka 4.x", () => {
    expect(kafka().version).toMatch(/^4\./);
  });

  it("PLAINTEXT", async () => {
    expect(await roundTrip({ brokers: [kafka().bootstrap] }, "plaintext")).toEqual(["hello plaintext"]);
  });

  for (const [user, mech] of [["plain", "plain"], ["scram256", "scram-sha-256"], ["scram512", "scram-sha-512"]] as const) {
    it(`SASL_PLAINTEXT ${mech}`, async () => {
      const u = kafka().users[user];
      const topic = `sasl-${user}`;
      expect(await roundTrip({ brokers: [kafka().saslPlaintext], sasl: { mechanism: mech, username: u.username, password: u.password } as never }, topic)).toEqual([`hello ${topic}`]);
    });
  }

  it("SSL with the generated CA", async () => {
    const ca = fs.readFileSync(kafka().caFile, "utf8");
    expect(await roundTrip({ brokers: [kafka().ssl], ssl: { ca: [ca] } }, "ssl")).toEqual(["hello ssl"]);
  });

  it("SASL_SSL with SCRAM-SHA-512", async () => {
    const ca = fs.readFileSync(kafka().caFile, "utf8");
    const u = kafka().users.scram512;
    expect(await roundTrip({ brokers: [kafka().saslSsl], ssl: { ca: [ca] }, sasl: { mechanism: "scram-sha-512", username: u.username, password: u.password } }, "sasl-ssl")).toEqual(["hello sasl-ssl"]);
  });

  it("refuses a wrong SCRAM password", async () => {
    const client = new Kafka({ brokers: [kafka().saslPlaintext], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: "scram-sha-256", username: "bob", password: "wrong" } });
    const admin = client.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|authentication/i);
    await admin.disconnect();
  });
});
