/**
 * `%%produce` bodies: JSON lines, a JSON array, or a TypeScript expression yielding values, turned into
 * records serialized as a Kafka producer with JSON serializers would (key and value are JSON text).
 */
import { errorMessage } from "../core";
import type { ProduceRecord } from "./types";

export class ProduceBodyError extends Error {}

function describe(err: unknown): string {
  return errorMessage(err).split("\n")[0];
}

async function collect(value: unknown): Promise<unknown[]> {
  if (value === undefined) throw new ProduceBodyError("the expression yielded undefined: end the cell with the values to send, e.g. [{...}, {...}]");
  if (Array.isArray(value)) return value as unknown[];
  if (value !== null && typeof value === "object") {
    if (Symbol.asyncIterator in value) {
      const out: unknown[] = [];
      for await (const v of value as AsyncIterable<unknown>) out.push(v);
      return out;
    }
    if (Symbol.iterator in value && !(value instanceof Map) && !Buffer.isBuffer(value)) return Array.from(value as Iterable<unknown>);
  }
  return [value];
}

/**
 * The values a `%%produce` body stands for. JSON is tried first (whole body, then line by line); anything
 * else is evaluated as TypeScript in the notebook's scope, when `evaluate` is given.
 */
export async function parseProduceBody(body: string, evaluate?: (code: string) => Promise<unknown>): Promise<unknown[]> {
  const text = body.trim();
  if (!text) throw new ProduceBodyError("the cell body is empty: write JSON lines, a JSON array, or a TypeScript expression below %%produce TOPIC");
  try {
    const whole = JSON.parse(text) as unknown;
    return Array.isArray(whole) ? (whole as unknown[]) : [whole];
  } catch {
    // not one JSON document: try JSON lines
  }
  const lines = text.split(/\r?\n/).map((l, i) => ({ line: l.trim(), number: i + 1 })).filter((l) => l.line && !l.line.startsWith("//"));
  const values: unknown[] = [];
  let firstBad: { number: number; error: string } | undefined;
  for (const { line, number } of lines) {
    try {
      values.push(JSON.parse(line.replace(/,$/, "")));
    } catch (err) {
      firstBad = { number, error: describe(err) };
      break;
    }
  }
  if (!firstBad) return values;
  if (!evaluate) throw new ProduceBodyError(`line ${firstBad.number} is not JSON (${firstBad.error}): write one JSON value per line or a JSON array`);
  let result: unknown;
  try {
    result = await evaluate(body);
  } catch (err) {
    const jsonish = values.length > 0 || /^[[{"]/.test(text);
    throw new ProduceBodyError(
      jsonish
        ? `line ${firstBad.number} is not JSON (${firstBad.error}); fix that line, or write a TypeScript expression`
        : `the body is neither JSON nor a TypeScript expression that runs: ${describe(err)}`,
    );
  }
  return collect(result);
}

/** Kafka's murmur2 (as in the Java client), so keyed records go where every Kafka producer would put them. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = (data[i] & 0xff) | ((data[i + 1] & 0xff) << 8) | ((data[i + 2] & 0xff) << 16) | ((data[i + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  switch (length % 4) {
    case 3:
      h ^= (data[length4 + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[length4 + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[length4] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The default partitioner's choice for a key: toPositive(murmur2(key)) % partitions. */
export function partitionForKey(key: Buffer | string, partitions: number): number {
  return (murmur2(typeof key === "string" ? Buffer.from(key) : key) & 0x7fffffff) % partitions;
}

export interface ProduceRecordOptions {
  /** Field of each value whose content becomes the key (JSON-serialized). */
  keyField?: string;
  /** Send everything to this partition. */
  partition?: number;
  /** Partition count of the topic: keyed records are placed by murmur2, unkeyed round-robin. */
  partitions?: number;
}

/** Values -> records: value and key as JSON text, partitions assigned so the caller can report them. */
export function toProduceRecords(values: unknown[], options: ProduceRecordOptions = {}): ProduceRecord[] {
  const { keyField, partition, partitions } = options;
  if (partition !== undefined && partitions !== undefined && (partition < 0 || partition >= partitions)) {
    throw new ProduceBodyError(`--partition ${partition} does not exist: the topic has partitions 0..${partitions - 1}`);
  }
  return values.map((v, i) => {
    if (v === undefined) throw new ProduceBodyError(`value ${i + 1} is undefined: JSON has no undefined; use null`);
    let key: string | null = null;
    if (keyField) {
      if (v === null || typeof v !== "object" || !(keyField in (v))) {
        throw new ProduceBodyError(`value ${i + 1} has no field '${keyField}' for --key: ${JSON.stringify(v)?.slice(0, 80)}`);
      }
      key = JSON.stringify((v as Record<string, unknown>)[keyField]);
    }
    const value = JSON.stringify(v);
    let p = partition;
    if (p === undefined && partitions) p = key !== null ? partitionForKey(key, partitions) : i % partitions;
    return { key, value, partition: p };
  });
}
