/** %stream, the sink registry's display delegation, the console sink, the rate source, spark.streams. */
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { runMagic, MagicError, setDisplayBridge, type DisplayBridge, type MimeBundle } from "../../lib";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect } from "../../lib/client";
import { getDataset } from "../../lib/datagen";
import { spark, registerSinkFormat, parseDDL, type DataFrame, type OutputBatch, type StreamingQuery } from "../../lib/stream";

let broker: RunningBroker;
const queries: StreamingQuery[] = [];
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
});
afterEach(async () => {
  await Promise.all(queries.splice(0).map((q) => q.stop()));
});
afterAll(async () => {
  await broker?.stop();
});

function capture(): { bridge: DisplayBridge; printed: string[]; restore(): void } {
  const printed: string[] = [];
  const bridge: DisplayBridge = { display: () => undefined, update: () => undefined, print: (t) => void printed.push(t) };
  const previous = setDisplayBridge(bridge);
  return { bridge, printed, restore: () => setDisplayBridge(previous) };
}

describe("%stream", () => {
  it("defines a parsed streaming DataFrame in the notebook scope", async () => {
    const client = connect(broker.bootstrap);
    await client.produce("magic_orders", [{ value: JSON.stringify({ id: "a", amount: 2.5 }) }, { value: JSON.stringify({ id: "b", amount: 4 }) }]);
    await client.close();
    const scope: Record<string, unknown> = {};
    const out = capture();
    try {
      await runMagic("stream", `orders = magic_orders --schema "id STRING, amount DOUBLE" --bootstrap ${broker.bootstrap}`, { display: out.bridge, scope, evaluate: async () => undefined });
    } finally {
      out.restore();
    }
    const df = scope.orders as DataFrame;
    expect(df.isStreaming).toBe(true);
    expect(df.columns).toEqual(["id", "amount", "_corrupt_record"]);
    expect(out.printed.join("")).toMatch(/orders: streaming DataFrame from topic 'magic_orders'/);
    const q = df.writeStream.format("memory").queryName("magic_orders_tbl").trigger({ processingTime: "50 ms" }).start();
    queries.push(q);
    await q.processAllAvailable();
    expect(spark.tableRows("magic_orders_tbl")).toEqual([{ id: "a", amount: 2.5, _corrupt_record: null }, { id: "b", amount: 4, _corrupt_record: null }]);
  });

  it("takes a datagen dataset's schema by name, and rejects bad input with one line", async () => {
    const ds = getDataset("orders")!;
    expect(ds).toBeDefined();
    const scope: Record<string, unknown> = {};
    const ctx = { display: capture().bridge, scope, evaluate: async () => undefined };
    await runMagic("stream", `o = orders --schema orders --bootstrap ${broker.bootstrap}`, ctx);
    expect((scope.o as DataFrame).columns).toEqual([...parseDDL(ds.schemaDDL).fields.map((f) => f.name), "_corrupt_record"]);
    await expect(runMagic("stream", "o orders", ctx)).rejects.toThrow(MagicError);
    await expect(runMagic("stream", "o = orders --schema nosuchdataset", ctx)).rejects.toThrow(/no such dataset/);
    await expect(runMagic("stream", 'o = orders --schema "a STRNG"', ctx)).rejects.toThrow(/unknown type 'strng'/);
    await expect(runMagic("stream", "o = orders --starting middle", ctx)).rejects.toThrow(/not one of earliest, latest/);
  });
});

describe("sink registry", () => {
  it("a query shows its sink's live display, and the sink sees every batch", async () => {
    const seen: OutputBatch[] = [];
    let stopped = false;
    registerSinkFormat("test-display", (ctx) => ({
      addBatch: (b) => void seen.push(b),
      stop: () => void (stopped = true),
      toMimeBundle: (): MimeBundle => ({ "text/plain": `display of ${ctx.query.name} (${ctx.outputMode}, rows=${seen.reduce((n, b) => n + b.numRows, 0)})` }),
    }));
    const ms = spark.memoryStream("v INT, ts TIMESTAMP");
    const q = ms.toDF().writeStream.format("test-display").queryName("shown").trigger({ processingTime: "10 ms" }).start();
    queries.push(q);
    const progress: number[] = [];
    const off = q.onProgress((p) => progress.push(p.batchId));
    let terminated = false;
    q.onTerminated(() => void (terminated = true));
    ms.addData([{ v: 1, ts: new Date(0) }, { v: 2, ts: new Date(1000) }]);
    await q.processAllAvailable();
    expect(q.toMimeBundle()).toEqual({ "text/plain": "display of shown (append, rows=2)" });
    expect(seen[0].schema).toEqual([{ name: "v", type: "int" }, { name: "ts", type: "timestamp" }]);
    expect(seen[0].columns).toEqual([[1, 2], [new Date(0), new Date(1000)]]);
    expect(seen[0].rows()).toEqual([{ v: 1, ts: new Date(0) }, { v: 2, ts: new Date(1000) }]);
    expect(progress).toEqual([0]);
    off();
    await q.stop();
    expect(stopped).toBe(true);
    expect(terminated).toBe(true);
    expect(spark.streams.get(q.id)).toBeUndefined();
  });

  it("the console sink prints Spark's batch header and table", async () => {
    const out = capture();
    try {
      const ms = spark.memoryStream("name STRING, n BIGINT");
      const q = ms.toDF().writeStream.format("console").trigger({ processingTime: "10 ms" }).start();
      queries.push(q);
      ms.addData([{ name: "ann", n: 3 }, { name: null, n: 12345 }]);
      await q.processAllAvailable();
    } finally {
      out.restore();
    }
    expect(out.printed.join("")).toBe(
      [
        "-------------------------------------------",
        "Batch: 0",
        "-------------------------------------------",
        "+----+-----+",
        "|name|    n|",
        "+----+-----+",
        "| ann|    3|",
        "|NULL|12345|",
        "+----+-----+",
        "",
      ].join("\n"),
    );
  });
});

describe("rate source", () => {
  it("produces (timestamp, value) rows with consecutive values", async () => {
    const df = spark.readStream.format("rate").option("rowsPerSecond", 200).load();
    expect(df.columns).toEqual(["timestamp", "value"]);
    const q = df.writeStream.format("memory").queryName("rate_tbl").trigger({ processingTime: "50 ms" }).start();
    queries.push(q);
    const deadline = Date.now() + 60_000;
    while (spark.tableRows("rate_tbl").length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const values = spark.tableRows("rate_tbl").map((r) => r.value as number);
    expect(values.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe("danfojs at the edges", () => {
  it("joins a stream with a static danfojs DataFrame and hands foreachBatch a danfojs DataFrame", async () => {
    const dfd = await import("danfojs-node");
    const regions = new dfd.DataFrame({ region: ["eu", "us"], manager: ["Eva", "Sam"] });
    const staticDf = spark.createDataFrame(regions);
    expect(staticDf.dtypes).toEqual([["region", "string"], ["manager", "string"]]);
    const ms = spark.memoryStream("id INT, region STRING");
    const seen: { columns: string[]; values: unknown[][]; id: number }[] = [];
    const q = ms.toDF().join(staticDf, "region").writeStream.foreachBatch((batch: { columns: string[]; values: unknown[][] }, batchId: number) => {
      seen.push({ columns: batch.columns, values: batch.values, id: batchId });
    }).trigger({ processingTime: "10 ms" }).start();
    queries.push(q);
    ms.addData([{ id: 1, region: "us" }, { id: 2, region: "xx" }, { id: 3, region: "eu" }]);
    await q.processAllAvailable();
    expect(seen).toEqual([{ columns: ["region", "id", "manager"], values: [["us", 1, "Sam"], ["eu", 3, "Eva"]], id: 0 }]);
  });
});

describe("more Kafka source options", () => {
  it("subscribePattern and per-partition JSON startingOffsets", async () => {
    const client = connect(broker.bootstrap);
    await client.createTopic("pat_a", 2);
    await client.createTopic("pat_b", 1);
    await client.createTopic("other_c", 1);
    await client.produce("pat_a", [{ partition: 0, value: "a0" }, { partition: 0, value: "a1" }, { partition: 1, value: "a2" }]);
    await client.produce("pat_b", [{ value: "b0" }]);
    await client.produce("other_c", [{ value: "c0" }]);
    await client.close();
    const q = spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("subscribePattern", "pat_.*")
      // pat_a partition 0 from offset 1, partition 1 from the end (-1); pat_b absent from the JSON: from its start.
      .option("startingOffsets", JSON.stringify({ pat_a: { "0": 1, "1": -1 } }))
      .load().selectExpr("topic", "CAST(value AS STRING) AS v").writeStream.format("memory").queryName("pattern_tbl").trigger({ processingTime: "50 ms" }).start();
    queries.push(q);
    await q.processAllAvailable();
    expect(spark.tableRows("pattern_tbl").map((r) => r.v).sort()).toEqual(["a1", "b0"]);
  });
});
