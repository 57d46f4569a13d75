/** The options `%datagen` and `streamlab datagen` share, declared once. */
import { readFileSync } from "node:fs";
import { toText, type MagicOption } from "../core";
import { getDataset, registerDataset, requireDataset } from "./registry";
import type { SchemaSpec } from "./schema";
import type { GeneratorOptions } from "./generator";
import { REGISTRY_FORMATS, type RegistryFormat } from "./registered";
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
  { name: "format", alias: "f", type: "string", help: "value format (avro, protobuf and json-schema are registry-framed: the schema is registered under TOPIC-value)", choices: ["json", "csv", "avro", "protobuf", "json-schema"], default: "json" },
  { name: "registry", type: "string", bare: "", help: "with --format avro|protobuf|json-schema: the schema registry URL (alone: the notebook's, %kafka start's or %kafka connect --registry's)" },
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
  const framed = REGISTRY_FORMATS.includes(o.format as RegistryFormat);
  if (o.registry !== undefined && !framed) throw new Error(`--registry goes with --format avro, protobuf or json-schema (the values are framed with the registered schema's id); got --format ${toText(o.format ?? "json")}`);
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
    format: framed ? "json" : ((o.format as "json" | "csv" | undefined) ?? "json"),
    valueFormat: framed ? { format: o.format as RegistryFormat, url: (o.registry as string) || undefined } : undefined,
    partitions: whole(o.partitions, "partitions"),
    name: o.name as string | undefined,
    compression: (o.compression as "none" | "gzip" | undefined) ?? "none",
  };
}
