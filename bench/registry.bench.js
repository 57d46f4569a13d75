#!/usr/bin/env node
"use strict";
// Avro through the schema registry vs JSON, same data, same run: the issue pipeline (parse -> watermark ->
// 10 s windows by region -> sum, count) over Kafka-shaped batches already in memory, once with the values as
// JSON text read by from_json, once as Confluent-framed Avro read by from_avro(value, {subject, registry}).
// The runs alternate (JSON, Avro, JSON, Avro, ...) and the best of each is reported with the ratio.
// Run: npm run bench -- registry   (ROWS=100000 for a quick run)
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist", "lib");
const stream = require(path.join(dist, "stream"));
const registryLib = require(path.join(dist, "registry"));
const { orderObjects, prebuiltKafkaSource } = require("./support/orders");
const ROWS = Number(process.env.ROWS ?? 500_000);
const BATCH = Number(process.env.BATCH ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);
const OUT = process.env.STREAMLAB_BENCH_OUT ?? path.join(__dirname, "results", "registry.md");
const AVRO = JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields: [
  { name: "order_id", type: "string" }, { name: "region", type: "string" }, { name: "amount", type: "double" },
  { name: "ts", type: { type: "long", logicalType: "timestamp-millis" } }] });

async function run(values, parse) {
  const { col, window, sum, count } = stream;
  const p = prebuiltKafkaSource(stream, values, BATCH);
  const df = new stream.DataFrame({ op: "source", schema: p.schema, streaming: true, provider: p });
  const t0 = process.hrtime.bigint();
  const q = parse(df).withWatermark("ts", "30 seconds").groupBy(window(col("ts"), "10 seconds"), col("region")).agg(sum("amount").alias("revenue"), count("*").alias("orders"))
    .writeStream.outputMode("update").foreachBatch(() => undefined, { raw: true }).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return ROWS / s;
}

(async () => {
  const registry = await registryLib.startRegistry();
  const { id } = await new registryLib.RegistryClient(registry.url).register("orders-value", AVRO);
  const codec = await new registryLib.RegistryClient(registry.url).codec(id);
  const data = orderObjects(ROWS);
  const json = data.map((o) => Buffer.from(JSON.stringify({ ...o, ts: new Date(o.ts).toISOString() })));
  const avro = data.map((o) => registryLib.frame(id, codec.encode(o)));
  const bytes = (vs) => vs.reduce((a, v) => a + v.length, 0);
  const viaJson = (df) => df.selectExpr("CAST(value AS STRING) AS json").select(stream.from_json(stream.col("json"), "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP").alias("o")).select("o.*");
  const viaAvro = (df) => df.select(stream.from_avro(stream.col("value"), { subject: "orders-value", schemaRegistryAddress: registry.url }).alias("o")).select("o.*");
  const rates = { json: [], avro: [] };
  for (let i = 0; i < RUNS; i++) {
    rates.json.push(await run(json, viaJson));
    rates.avro.push(await run(avro, viaAvro));
  }
  await registry.stop();
  const best = (xs) => Math.max(...xs);
  const fmt = (x) => `${Math.round(x).toLocaleString("en-US")}`;
  const lines = [
    "## Avro through the schema registry vs JSON (bench/registry.bench.js)",
    "",
    `Command: \`npm run bench -- registry\` (ROWS=${ROWS}, BATCH=${BATCH}); the issue pipeline over in-memory Kafka-shaped batches, ${RUNS} alternating runs of each, best reported.`,
    "",
    "| values | bytes per value | rows/s (best) | runs |",
    "|---|---|---|---|",
    `| JSON text, from_json | ${(bytes(json) / ROWS).toFixed(1)} | ${fmt(best(rates.json))} | ${rates.json.map(fmt).join(", ")} |`,
    `| Confluent-framed Avro, from_avro with registry | ${(bytes(avro) / ROWS).toFixed(1)} | ${fmt(best(rates.avro))} | ${rates.avro.map(fmt).join(", ")} |`,
    "",
    `Avro / JSON: ${(best(rates.avro) / best(rates.json)).toFixed(2)}x. Avro decodes record by record with avsc (a JS object per record, then columns); from_json's byte scanner extracts only the fields the query reads.`,
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n") + "\n");
  console.log(lines.join("\n"));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
