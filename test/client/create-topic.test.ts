/**
 * client.createTopic checks its arguments before it asks the broker: an object where the partition count goes
 * used to create a one-partition topic that a query then never read. The options form works; wrong arguments
 * fail with one line saying what to pass. Embedded broker over TCP.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type KafkaClient } from "../../lib/client";
import { startBroker, type RunningBroker } from "../../lib/broker";

let broker: RunningBroker;
let client: KafkaClient;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  client = connect(broker.bootstrap);
});
afterAll(async () => {
  await client?.close();
  await broker?.stop();
});

describe("createTopic arguments", () => {
  it("takes { partitions } as well as a number, and creates what was asked", async () => {
    await client.createTopic("ct_object", { partitions: 3 });
    await client.createTopic("ct_number", 2);
    expect((await client.topicOffsets("ct_object")).length).toBe(3);
    expect((await client.topicOffsets("ct_number")).length).toBe(2);
  });

  it("refuses wrong arguments with one line, creating nothing", async () => {
    const bad: [string, unknown, RegExp][] = [
      ["ct_bad1", { partitions: 0 }, /partitions must be a whole number of at least 1, got 0/],
      ["ct_bad2", "3", /partitions must be a whole number of at least 1, got "3"/],
      ["ct_bad3", { partitons: 3 }, /unknown option partitons; options are partitions, replicationFactor and configs/],
      ["bad name!", 1, /topic name must be 1 to 249 letters/],
    ];
    for (const [name, arg, message] of bad) {
      await expect(client.createTopic(name, arg as number)).rejects.toThrow(message);
    }
    const names = (await client.listTopics()).map((t) => t.name);
    expect(names.filter((n) => n.startsWith("ct_bad"))).toEqual([]);
  });
});
