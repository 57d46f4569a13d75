/**
 * Running one corpus query on both engines over the same topic, and comparing what they emit.
 */
import type { KafkaClient } from "../../lib/client";
import { spark as sl, col, from_json, type DataFrame, type OutputBatch, type StreamingQuery } from "../../lib/stream";
import { typeString } from "../../lib/stream/types";
import type { SparkDriver, SparkSchema } from "../support/spark";
import type { CorpusQuery } from "./corpus";

export interface EngineRun {
  error?: string;
  batches: Record<string, unknown>[][];
  fields: [string, string][];
}

/** Values in one comparable form: Spark's driver answers (ISO strings, {$long}, ...) and streamlab's (Date, Buffer). */
export function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  if (Buffer.isBuffer(v)) return { $binary: v.toString("base64") };
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : { $long: v.toString() };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    if (Number.isInteger(v)) return Math.abs(v) > 2 ** 53 ? { $long: BigInt(v).toString() } : v;
    return Number(v.toPrecision(12));
  }
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("$long" in o || "$binary" in o) return o;
    return Object.fromEntries(Object.keys(o).map((k) => [k, norm(o[k])]));
  }
  return v;
}

const canon = (r: unknown) => JSON.stringify(r);
export const sortRows = (rows: Record<string, unknown>[]) => rows.map(norm).sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0)) as Record<string, unknown>[];

export async function produceBatches(client: KafkaClient, topic: string, q: CorpusQuery): Promise<void> {
  for (const batch of q.batches) {
    await client.produce(topic, batch.map((r, i) => ({ partition: 0, key: `k${i}`, value: typeof r === "string" ? r : JSON.stringify(r) })));
  }
}

export function batchSize(q: CorpusQuery): number {
  const n = q.batches[0].length;
  if (!q.batches.every((b) => b.length === n)) throw new Error(`corpus query '${q.name}': every batch must have ${n} records`);
  return n;
}

/** The streamlab side: the Kafka source on the topic, availableNow with maxOffsetsPerTrigger, foreachBatch. */
export async function runStreamlab(bootstrap: string, topic: string, q: CorpusQuery): Promise<EngineRun> {
  let out: DataFrame;
  const batches: Record<string, unknown>[][] = [];
  let query: StreamingQuery | undefined;
  try {
    const raw = sl.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)
      .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", batchSize(q)).load();
    const df = q.raw ? raw : raw.select(from_json(col("value").cast("string"), q.schema).alias("d")).select("d.*");
    out = q.ts(df);
    const dateCols = out.schema.fields.filter((f) => f.type.kind === "date").map((f) => f.name);
    const asDates = (rows: Record<string, unknown>[]) => {
      // DATE values reach sinks as Date objects at midnight UTC; Spark's driver answers YYYY-MM-DD.
      for (const r of rows) for (const c of dateCols) if (r[c] instanceof Date) r[c] = (r[c] as Date).toISOString().slice(0, 10);
      return rows;
    };
    query = out.writeStream.outputMode(q.mode ?? "append")
      .foreachBatch((b: OutputBatch) => void batches.push(asDates(b.rows().map((r) => ({ ...r })))), { raw: true })
      .trigger({ availableNow: true }).start();
    await query.awaitTermination(120_000);
    const failure = query.exception();
    if (failure) return { error: failure.message.split("\n")[0], batches, fields: [] };
  } catch (err) {
    await query?.stop().catch(() => undefined);
    return { error: (err as Error).message.split("\n")[0], batches, fields: [] };
  }
  return { batches, fields: out.schema.fields.map((f) => [f.name, typeString(f.type)]) };
}

export function sparkCode(q: CorpusQuery): string {
  const parse = q.raw ? "" : `df = df.select(F.from_json(F.col("value").cast("string"), ${JSON.stringify(q.schema)}).alias("d")).select("d.*")\n`;
  return `${parse}out = ${q.py}\n`;
}

export async function runSpark(driver: SparkDriver, bootstrap: string, topic: string, q: CorpusQuery): Promise<EngineRun & { schema?: SparkSchema }> {
  try {
    const r = await driver.query({ bootstrap, topic, code: sparkCode(q), outputMode: q.mode ?? "append", maxOffsetsPerTrigger: batchSize(q) });
    return { batches: r.batches.map((b) => b.rows), fields: r.schema.fields.map((f) => [f.name, f.type]), schema: r.schema };
  } catch (err) {
    return { error: (err as Error).message.split("\n")[0], batches: [], fields: [] };
  }
}

/** Compares two runs; returns undefined when equal, else the first difference in one line. */
export function difference(spark: EngineRun, streamlab: EngineRun): string | undefined {
  if (spark.error || streamlab.error) {
    if (spark.error && streamlab.error) return undefined;
    return spark.error ? `Spark fails (${spark.error.replace(/Query \[id = [^\]]*\] /, "").slice(0, 300)}) but streamlab runs it` : `streamlab fails: ${streamlab.error!.slice(0, 200)}`;
  }
  const ft = (f: [string, string][]) => f.map(([n, t]) => `${n}:${t}`).join(", ");
  if (ft(spark.fields) !== ft(streamlab.fields)) return `schema: Spark [${ft(spark.fields)}] vs streamlab [${ft(streamlab.fields)}]`;
  const nonEmpty = (bs: Record<string, unknown>[][]) => bs.filter((b) => b.length).map(sortRows);
  const a = nonEmpty(spark.batches);
  const b = nonEmpty(streamlab.batches);
  const final = (bs: Record<string, unknown>[][]) => canon(sortRows(bs.flat()));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (canon(a[i]) !== canon(b[i])) {
      const fin = final(spark.batches) === final(streamlab.batches) ? " (same rows overall, in other batches)" : "";
      return `non-empty batch ${i}: Spark ${clip(canon(a[i] ?? "(none)"))} vs streamlab ${clip(canon(b[i] ?? "(none)"))}${fin}`;
    }
  }
  return undefined;
}

function clip(s: string): string {
  return s.length > 400 ? s.slice(0, 400) + "…" : s;
}

/** The corpus query built by streamlab and exported with toPySpark(), writing to a memory table (availableNow). */
export function exportedJob(bootstrap: string, topic: string, q: CorpusQuery, table: string, checkpoint: string): string {
  const raw = sl.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)
    .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", batchSize(q)).load();
  const df = q.raw ? raw : raw.select(from_json(col("value").cast("string"), q.schema).alias("d")).select("d.*");
  return q.ts(df).toPySpark({ format: "memory", queryName: table, outputMode: q.mode ?? "append", trigger: { kind: "availableNow" }, checkpointLocation: checkpoint });
}
