"use strict";
// The issue pipeline's input and query, shared by the compute benchmarks (kafka-path, compute-cpu, stream,
// registry): the same seeded JSON orders, the same Kafka-shaped batches served from memory, and the same query
// (CAST(value AS STRING) -> from_json -> o.* -> withWatermark(ts, 30 s) -> groupBy(window(ts, 10 s), region) ->
// sum(amount), count(*)). `stream` is passed in because a benchmark may load another build's dist/ (DIST=...).

const SCHEMA = "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP";
const REGIONS = ["eu", "us", "ap", "la", "af"];
const BASE = Date.UTC(2024, 0, 1);
const KAFKA_COLUMNS = "key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT, timestamp TIMESTAMP, timestampType INT";

/** A small linear congruential generator: the same orders on every run and every machine. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** n orders as objects (ts in epoch milliseconds, up to 2 s out of order). */
function orderObjects(n) {
  const r = rng(42);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { order_id: `o${i}`, region: REGIONS[Math.floor(r() * 5)], amount: Math.round(r() * 10000) / 100, ts: BASE + i * 10 + Math.floor((r() - 0.5) * 4000) };
  return out;
}

/** n orders as JSON values (ts as ISO text), one Buffer each, as a Kafka consumer gets them. */
function makeOrders(n) {
  const r = rng(42);
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    const ts = BASE + i * 10 + Math.floor((r() - 0.5) * 4000);
    values[i] = Buffer.from(JSON.stringify({ order_id: `o${i}`, region: REGIONS[Math.floor(r() * 5)], amount: Math.round(r() * 10000) / 100, ts: new Date(ts).toISOString() }));
  }
  return values;
}

/** A streaming source serving `values` in Kafka's columns, `batch` rows per micro-batch. */
function prebuiltKafkaSource(stream, values, batch) {
  const schema = stream.parseDDL(KAFKA_COLUMNS);
  return {
    schema,
    name: "prebuilt",
    create: () => ({
      schema,
      description: () => "prebuilt",
      initialOffset: async () => 0,
      latestOffset: async (start) => Math.min(values.length, start + batch),
      reportLatestOffset: () => values.length,
      hasData: (s, e) => e > s,
      async getBatch(s, e) {
        const n = e - s;
        const off = new Array(n);
        for (let i = 0; i < n; i++) off[i] = s + i;
        return { numRows: n, columns: [new Array(n).fill(null), values.slice(s, e), new Array(n).fill("orders"), new Array(n).fill(0), off, new Array(n).fill(BASE), new Array(n).fill(0)] };
      },
      stop: async () => undefined,
    }),
  };
}

/** A streaming DataFrame over prebuiltKafkaSource. */
function prebuiltKafkaFrame(stream, values, batch) {
  const provider = prebuiltKafkaSource(stream, values, batch);
  return new stream.DataFrame({ op: "source", schema: provider.schema, streaming: true, provider });
}

/** The issue pipeline over a Kafka-shaped DataFrame. */
function issuePipeline(stream, df) {
  const { col, from_json, window, sum, count } = stream;
  return df
    .selectExpr("CAST(value AS STRING) AS json")
    .select(from_json(col("json"), SCHEMA).alias("o"))
    .select("o.*")
    .withWatermark("ts", "30 seconds")
    .groupBy(window(col("ts"), "10 seconds"), col("region"))
    .agg(sum("amount").alias("revenue"), count("*").alias("orders"));
}

module.exports = { SCHEMA, REGIONS, BASE, rng, orderObjects, makeOrders, prebuiltKafkaSource, prebuiltKafkaFrame, issuePipeline };
