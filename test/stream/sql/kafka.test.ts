/** SQL over real topics on the embedded broker (TCP): a topic as a view, %%sql --to, the late rows' dead-letter topic. */
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { connect, type KafkaClient } from "../../../lib/client";
import { startBroker } from "../../../lib/broker";
import { spark, type StreamingQuery } from "../../../lib";
import { runMagic, consoleBridge } from "../../../lib/core";
import { clearViews } from "../../../lib/stream/sql";

let broker: { bootstrap: string; stop(): Promise<void> };
let client: KafkaClient;
const queries: StreamingQuery[] = [];
let n = 0;
const newTopic = async () => {
  const t = `sql${++n}_${Date.now().toString(36)}`;
  await client.createTopic(t, 1);
  return t;
};
const click = (k: string, s: number) => JSON.stringify({ k, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString() });

/** Every value of a topic, read back by a streaming query into a memory table. */
async function readBack(topic: string): Promise<string[]> {
  const q = spark.sql(`SELECT CAST(value AS STRING) AS v FROM back_${topic}`).writeStream.format("memory").queryName(`mem_${topic}`).trigger({ processingTime: "50 ms" }).start();
  queries.push(q);
  await q.processAllAvailable();
  return spark.tableRows(`mem_${topic}`).map((r) => String(r.v));
}

beforeAll(async () => {
  broker = await startBroker({ port: 0, defaultPartitions: 1 });
  client = connect(broker.bootstrap);
});
afterEach(async () => {
  await Promise.all(queries.splice(0).map((q) => q.stop()));
  await Promise.all(spark.streams.active.map((q) => q.stop()));
  clearViews();
});
afterAll(async () => {
  await client?.close();
  await broker?.stop();
});

describe("SQL over Kafka topics", () => {
  it("CREATE TEMPORARY VIEW ... USING kafka, %%sql --to TOPIC writes the result as JSON", async () => {
    const input = await newTopic();
    const output = await newTopic();
    await client.produce(input, [{ partition: 0, value: click("a", 1) }, { partition: 0, value: click("b", 2) }, { partition: 0, value: click("a", 3) }]);
    spark.sql(`CREATE TEMPORARY VIEW clicks (k STRING, ts TIMESTAMP) USING kafka OPTIONS (subscribe '${input}', startingOffsets 'earliest', kafka.bootstrap.servers '${broker.bootstrap}')`);
    spark.sql(`CREATE TEMPORARY VIEW back_${output} USING kafka OPTIONS (subscribe '${output}', startingOffsets 'earliest', kafka.bootstrap.servers '${broker.bootstrap}')`);
    const printed: string[] = [];
    await runMagic("sql", `--to ${output} --bootstrap ${broker.bootstrap} --name to_topic --trigger 50ms`, {
      body: "SELECT k, ts FROM clicks WHERE k = 'a'",
      display: { ...consoleBridge, print: (t: string) => printed.push(t) },
      scope: {},
      evaluate: () => Promise.resolve(undefined),
    });
    expect(printed).toEqual([`writing to_topic to topic '${output}'`]);
    const q = spark.streams.active.find((x) => x.name === "to_topic")!;
    await q.processAllAvailable();
    const values = await readBack(output);
    expect(values.map((v) => JSON.parse(v) as unknown)).toEqual([{ k: "a", ts: "2024-01-01T00:00:01.000Z" }, { k: "a", ts: "2024-01-01T00:00:03.000Z" }]);
  });

  it(".option('lateRowsTopic', T) writes the rows the watermark dropped to a dead-letter topic", async () => {
    const input = await newTopic();
    const dead = await newTopic();
    spark.sql(`CREATE TEMPORARY VIEW clicks (k STRING, ts TIMESTAMP) USING kafka OPTIONS (subscribe '${input}', startingOffsets 'earliest', kafka.bootstrap.servers '${broker.bootstrap}')`);
    spark.sql(`CREATE TEMPORARY VIEW back_${dead} USING kafka OPTIONS (subscribe '${dead}', startingOffsets 'earliest', kafka.bootstrap.servers '${broker.bootstrap}')`);
    const counts = spark.sql("SELECT window, k, count(*) AS n FROM clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS GROUP BY window(ts, '10 seconds'), k");
    const q = counts.writeStream.format("memory").queryName(`late_${input}`).outputMode("update").option("lateRowsTopic", dead).option("kafka.bootstrap.servers", broker.bootstrap).trigger({ processingTime: "50 ms" }).start();
    queries.push(q);
    await client.produce(input, [{ partition: 0, value: click("a", 30) }]);
    await q.processAllAvailable();
    await client.produce(input, [{ partition: 0, value: click("late", 4) }, { partition: 0, value: click("b", 29) }]);
    await q.processAllAvailable();
    expect(q.lateRows().map((r) => r.row.k)).toEqual(["late"]);
    expect(q.lateRows()[0].source).toMatch(new RegExp(`${input}.*offset 1|partition 0.*offset 1`));
    const values = (await readBack(dead)).map((v) => JSON.parse(v) as Record<string, unknown>);
    expect(values).toEqual([{ k: "late", ts: "2024-01-01T00:00:04.000Z", _eventTime: "2024-01-01T00:00:04.000Z", _watermark: "2024-01-01T00:00:25.000Z", _source: q.lateRows()[0].source, _batchId: q.lateRows()[0].batchId }]);
  });
});
