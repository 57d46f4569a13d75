/** The options `%datagen` and `streamlab datagen` share, declared once. */
import { readFileSync } from "node:fs";
import { toText, type MagicOption } from "../core";
import { getDataset, registerDataset, requireDataset } from "./registry";
import type { SchemaSpec } from "./schema";
import type { GeneratorOptions } from "./generator";
import type { Dataset } from "./types";

export const DATAGEN_OPTIONS: MagicOption[] = [
  { name: "topic", alias: "t", type: "string", help: "topic to produce to (default: the dataset's name)" },
  { name: "rate", alias: "r", type: "number", help: "target messages per second; 0 = as fast as possible", default: 100 },
  { name: "count", alias: "n", type: "number", help: "stop after N messages" },
  { name: "duration", alias: "d", type: "duration", help: "stop after this long, e.g. 30s, 5m" },
  { name: "keys", alias: "k", type: "number", help: "size of the key population (users, sensors, hosts...)" },
  { name: "seed", type: "string", help: "seed: the same seed gives the same records" },
  { name: "late", type: "number", help: "share of records with event time in the past (out of order), e.g. 0.05" },
  { name: "max-lateness", type: "duration", help: "how far in the past late records may be", default: 30_000 },
  { name: "bad", type: "number", help: "share of malformed records (broken JSON/CSV, wrong types), e.g. 0.01" },
  { name: "format", alias: "f", type: "string", help: "value format", choices: ["json", "csv"], default: "json" },
  { name: "partitions", alias: "p", type: "number", help: "create the topic with N partitions if it does not exist" },
  { name: "schema", type: "string", help: "JSON file with a custom dataset schema (then DATASET names it)" },
  { name: "name", type: "string", help: "generator name for %datagen stop / %stop (default datagen-TOPIC)" },
  { name: "compression", type: "string", help: "batch compression", choices: ["none", "gzip"], default: "none" },
];

/** Resolve DATASET (built-in, registered, a schema file, or a schema object found in `scope`). */
export function resolveDataset(name: string, schemaFile?: string, scope?: Record<string, unknown>): Dataset {
  if (schemaFile) {
    let spec: SchemaSpec;
    try {
      spec = JSON.parse(readFileSync(schemaFile, "utf8")) as SchemaSpec;
    } catch (err) {
      throw new Error(`cannot read schema file ${schemaFile}: ${(err as Error).message}`);
    }
    if (!spec.name) spec.name = name;
    return registerDataset(spec);
  }
  const known = getDataset(name);
  if (known) return known;
  const candidate = scope?.[name] as SchemaSpec | undefined;
  if (candidate && typeof candidate === "object" && candidate.fields) {
    return registerDataset({ ...candidate, name: typeof candidate.name === "string" ? candidate.name : name });
  }
  return requireDataset(name);
}

/** Parsed option values (as parseMagicArgs produces them) -> generator options. */
export function generatorOptions(dataset: Dataset, o: Record<string, unknown>): GeneratorOptions {
  const share = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new Error(`--${name} is a share between 0 and 1 (e.g. 0.05 for 5%), got ${toText(v)}`);
    return n;
  };
  const whole = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, got ${toText(v)}`);
    return n;
  };
  return {
    topic: (o.topic as string | undefined) ?? dataset.name,
    rate: o.rate === undefined ? 100 : Number(o.rate),
    count: whole(o.count, "count"),
    duration: o.duration as number | undefined,
    keys: whole(o.keys, "keys"),
    seed: o.seed as string | undefined,
    late: share(o.late, "late"),
    maxLateness: o["max-lateness"] as number | undefined,
    bad: share(o.bad, "bad"),
    format: (o.format as "json" | "csv" | undefined) ?? "json",
    partitions: whole(o.partitions, "partitions"),
    name: o.name as string | undefined,
    compression: (o.compression as "none" | "gzip" | undefined) ?? "none",
  };
}
