/**
 * The Kafka sink: each row's `value` (string or binary) and optional `key`, `topic`, `partition`, `headers`
 * columns become a record, produced through lib/client. The topic comes from the `topic` option or column.
 * At-least-once, as Spark's: a batch replayed after a crash is produced again.
 */
import { registerSinkFormat, type OutputBatch } from "./registry";
import { AnalysisError } from "../expr/bound";
import { valueText } from "../expr/runtime";
import { connect, currentCluster, parseBootstrap, type ProducerHandle, type ProduceRecord, type KafkaClient } from "../../client";
import type { StructType } from "../types";

function toBytes(v: unknown): Buffer | string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || typeof v === "string") return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  return valueText(v);
}

registerSinkFormat("kafka", (ctx) => {
  const schema = (ctx.query as unknown as { schema?: StructType }).schema;
  const names = schema?.fields.map((f) => f.name.toLowerCase()) ?? [];
  const topicOption = ctx.options.topic;
  if (schema) {
    const value = schema.fields.find((f) => f.name.toLowerCase() === "value");
    if (!value) throw new AnalysisError(`Required attribute 'value' not found: the kafka sink writes a 'value' column (string or binary); columns: ${schema.fields.map((f) => f.name).join(", ")}. Try selectExpr("to_json(struct(*)) AS value")`);
    if (value.type.kind !== "string" && value.type.kind !== "binary") throw new AnalysisError(`the kafka sink's 'value' column must be string or binary, not ${value.type.kind}: use to_json(...) or CAST(value AS STRING)`);
    if (!topicOption && !names.includes("topic")) throw new AnalysisError('the kafka sink needs a topic: .option("topic", "name") or a \'topic\' column');
  }
  const servers = ctx.options["kafka.bootstrap.servers"];
  if (servers) parseBootstrap(servers);
  let client: KafkaClient | undefined;
  let producer: ProducerHandle | undefined;
  return {
    async addBatch(batch: OutputBatch) {
      if (batch.numRows === 0) return;
      if (!producer) {
        client = connect(servers ? { bootstrap: parseBootstrap(servers) } : await currentCluster());
        producer = await client.producer();
      }
      const idx = (n: string) => batch.schema.findIndex((f) => f.name.toLowerCase() === n);
      const [vi, ki, ti, pi, hi] = ["value", "key", "topic", "partition", "headers"].map(idx);
      const byTopic = new Map<string, ProduceRecord[]>();
      for (let r = 0; r < batch.numRows; r++) {
        const topic = topicOption ?? (ti >= 0 ? String((batch.columns[ti][r] as string | null) ?? "") : "");
        if (!topic) throw new Error(`row ${r} of batch ${batch.batchId} has no topic: set .option("topic", ...) or fill the topic column`);
        const rec: ProduceRecord = { value: toBytes(batch.columns[vi][r]) };
        if (ki >= 0) rec.key = toBytes(batch.columns[ki][r]);
        if (pi >= 0 && batch.columns[pi][r] != null) rec.partition = Number(batch.columns[pi][r]);
        if (hi >= 0 && Array.isArray(batch.columns[hi][r])) {
          rec.headers = {};
          for (const h of batch.columns[hi][r] as { key: string; value: unknown }[]) rec.headers[h.key] = (toBytes(h.value) ?? "");
        }
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(rec);
      }
      for (const [topic, records] of byTopic) {
        for (let i = 0; i < records.length; i += 10_000) await producer.send(topic, records.slice(i, i + 10_000));
      }
    },
    async stop() {
      await producer?.close().catch(() => undefined);
      await client?.close().catch(() => undefined);
    },
  };
});
