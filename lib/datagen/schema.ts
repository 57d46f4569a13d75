/**
 * Custom datasets from a schema written in TypeScript or JSON.
 *
 * ```ts
 * defineDataset({
 *   name: "signups", key: "user", eventTime: "ts",
 *   fields: {
 *     user: { gen: "key", prefix: "user-" },
 *     ts: "timestamp",
 *     name: "faker:person.fullName",
 *     plan: { gen: "choice", values: ["free", "pro"], weights: [9, 1] },
 *     age: { gen: "normal", mean: 35, stddev: 10, min: 16, max: 90, decimals: 0 },
 *     referrer: { gen: "faker", path: "internet.url", nullRate: 0.3 },
 *     address: { gen: "object", fields: { city: "faker:location.city", zip: "faker:location.zipCode" } },
 *     tags: { gen: "array", of: { gen: "choice", values: ["a", "b", "c"] }, min: 0, max: 3 },
 *   },
 * });
 * ```
 */
import { Random, round, clamp, isoTime } from "./random";
import type { DatasetDefinition, FieldInfo, GenContext } from "./types";

interface Common {
  /** Share of records where this field is null (0..1). */
  nullRate?: number;
  /** Spark DDL type, when the inferred one is not what you want. */
  type?: string;
}

export type FieldSpec =
  | string
  | (Common & { gen: "faker"; path: string; args?: unknown[] })
  | (Common & { gen: "int"; min: number; max: number })
  | (Common & { gen: "float"; min: number; max: number; decimals?: number })
  | (Common & { gen: "normal"; mean: number; stddev: number; min?: number; max?: number; decimals?: number })
  | (Common & { gen: "lognormal"; median: number; sigma: number; min?: number; max?: number; decimals?: number })
  | (Common & { gen: "exponential"; mean: number; decimals?: number })
  | (Common & { gen: "zipf"; n: number; prefix?: string; pad?: number })
  | (Common & { gen: "choice"; values: unknown[]; weights?: number[] })
  | (Common & { gen: "bool"; p?: number })
  | (Common & { gen: "sequence"; start?: number; step?: number; prefix?: string; pad?: number })
  | (Common & { gen: "key"; prefix?: string; pad?: number; distribution?: "uniform" | "zipf" })
  | (Common & { gen: "timestamp"; offsetMs?: number; format?: "iso" | "epoch_ms" })
  | (Common & { gen: "uuid" })
  | (Common & { gen: "const"; value: unknown })
  | (Common & { gen: "object"; fields: Record<string, FieldSpec> })
  | (Common & { gen: "array"; of: FieldSpec; min?: number; max?: number });

export interface SchemaSpec {
  name: string;
  description?: string;
  /** Field holding the Kafka key. Default: the first field with gen "key", else none (null keys). */
  key?: string;
  /** Field holding event time. Default: the first field with gen "timestamp". */
  eventTime?: string;
  /** Key population when `--keys` is not given (for gen "key"). Default 100. */
  keys?: number;
  fields: Record<string, FieldSpec>;
}

const GENS = ["faker", "int", "float", "normal", "lognormal", "exponential", "zipf", "choice", "bool", "sequence", "key", "timestamp", "uuid", "const", "object", "array"];

/** Shorthands: "timestamp", "uuid", "bool", "key", "faker:person.fullName", or a bare faker path "person.fullName". */
function normalize(spec: FieldSpec, where: string): Exclude<FieldSpec, string> {
  if (typeof spec === "string") {
    if (spec === "timestamp" || spec === "uuid" || spec === "bool" || spec === "key") return { gen: spec };
    const path = spec.startsWith("faker:") ? spec.slice(6) : spec;
    if (/^[a-zA-Z]+\.[a-zA-Z]+$/.test(path)) return { gen: "faker", path };
    throw new Error(`${where}: '${spec}' is not a field generator: write "timestamp", "uuid", "bool", "key", "faker:person.fullName" or an object like {gen: "int", min: 1, max: 10}`);
  }
  if (typeof spec !== "object" || spec === null || typeof (spec as { gen?: unknown }).gen !== "string") {
    throw new Error(`${where}: a field generator needs a "gen" property, one of ${GENS.join(", ")}`);
  }
  if (!GENS.includes(spec.gen)) throw new Error(`${where}: unknown gen '${spec.gen}': use one of ${GENS.join(", ")}`);
  return spec;
}

function scalarType(value: unknown): string {
  if (typeof value === "boolean") return "BOOLEAN";
  if (typeof value === "number") return Number.isInteger(value) ? "BIGINT" : "DOUBLE";
  if (Array.isArray(value)) return `ARRAY<${value.length ? scalarType(value[0]) : "STRING"}>`;
  if (value && typeof value === "object") return `STRUCT<${Object.entries(value).map(([k, v]) => `${quoteName(k)}: ${scalarType(v)}`).join(", ")}>`;
  return "STRING";
}

export function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "`" + name.replace(/`/g, "``") + "`";
}

/** The Spark DDL type a generator's values have. */
export function inferType(spec: FieldSpec, where = "field"): string {
  const s = normalize(spec, where);
  if (s.type) return s.type;
  switch (s.gen) {
    case "int": return Math.max(Math.abs(s.min), Math.abs(s.max)) > 2_147_483_647 ? "BIGINT" : "INT";
    case "float": case "normal": case "lognormal": case "exponential":
      return (s as { decimals?: number }).decimals === 0 ? "BIGINT" : "DOUBLE";
    case "zipf": return s.prefix !== undefined ? "STRING" : "INT";
    case "sequence": return s.prefix !== undefined ? "STRING" : "BIGINT";
    case "choice": {
      const types = new Set(s.values.filter((v) => v !== null).map(scalarType));
      if (types.size === 1) return [...types][0];
      if ([...types].every((t) => t === "BIGINT" || t === "DOUBLE")) return "DOUBLE";
      return "STRING";
    }
    case "bool": return "BOOLEAN";
    case "timestamp": return s.format === "epoch_ms" ? "BIGINT" : "TIMESTAMP";
    case "const": return scalarType(s.value);
    case "object": return `STRUCT<${Object.entries(s.fields).map(([k, v]) => `${quoteName(k)}: ${inferType(v, `${where}.${k}`)}`).join(", ")}>`;
    case "array": return `ARRAY<${inferType(s.of, `${where}[]`)}>`;
    default: return "STRING";
  }
}

type ValueGen = (t: number) => unknown;

function resolveFaker(ctx: GenContext, path: string, where: string): (...args: unknown[]) => unknown {
  const faker = ctx.faker() as Record<string, Record<string, unknown> | undefined>;
  const [ns, fn] = path.split(".");
  const namespace = faker[ns];
  const target = namespace?.[fn];
  if (typeof target !== "function") {
    const namespaces = Object.keys(faker).filter((k) => typeof faker[k] === "object" && faker[k] && !k.startsWith("_"));
    throw new Error(`${where}: faker has no ${path}${namespace ? `; ${ns} has ${Object.keys(namespace).filter((k) => !k.startsWith("_")).slice(0, 12).join(", ")}` : `; namespaces are ${namespaces.slice(0, 20).join(", ")}`}`);
  }
  const call = target as (...args: unknown[]) => unknown;
  return (...args) => call.apply(namespace, args);
}

function numeric(value: number, s: { min?: number; max?: number; decimals?: number }): number {
  const v = clamp(value, s.min ?? -Infinity, s.max ?? Infinity);
  return s.decimals === undefined ? v : round(v, s.decimals);
}

function compile(spec: FieldSpec, ctx: GenContext, where: string): ValueGen {
  const s = normalize(spec, where);
  const rng = ctx.rng;
  let gen: ValueGen;
  switch (s.gen) {
    case "faker": {
      const fn = resolveFaker(ctx, s.path, where);
      const args = s.args ?? [];
      gen = () => fn(...args);
      break;
    }
    case "int": gen = () => rng.int(s.min, s.max); break;
    case "float": gen = () => round(rng.float(s.min, s.max), s.decimals ?? 2); break;
    case "normal": gen = () => numeric(rng.normal(s.mean, s.stddev), s); break;
    case "lognormal": gen = () => numeric(rng.lognormal(Math.log(s.median), s.sigma), s); break;
    case "exponential": gen = () => numeric(rng.exponential(s.mean), s); break;
    case "zipf": gen = () => { const k = rng.zipf(s.n); return s.prefix !== undefined ? s.prefix + String(k).padStart(s.pad ?? 0, "0") : k; }; break;
    case "choice": {
      if (!Array.isArray(s.values) || s.values.length === 0) throw new Error(`${where}: choice needs a non-empty "values" array`);
      if (s.weights && s.weights.length !== s.values.length) throw new Error(`${where}: "weights" has ${s.weights.length} entries for ${s.values.length} values`);
      gen = s.weights ? () => rng.weighted(s.values, s.weights!) : () => rng.pick(s.values);
      break;
    }
    case "bool": gen = () => rng.chance(s.p ?? 0.5); break;
    case "sequence": {
      let n = s.start ?? 1;
      const step = s.step ?? 1;
      gen = () => { const v = n; n += step; return s.prefix !== undefined ? s.prefix + String(v).padStart(s.pad ?? 0, "0") : v; };
      break;
    }
    case "key": {
      const zipf = s.distribution === "zipf";
      gen = () => { const k = zipf ? rng.zipf(ctx.keys) : rng.int(1, ctx.keys); return (s.prefix ?? "k") + String(k).padStart(s.pad ?? String(ctx.keys).length, "0"); };
      break;
    }
    case "timestamp": {
      const offset = s.offsetMs ?? 0;
      gen = s.format === "epoch_ms" ? (t) => t + offset : (t) => isoTime(t + offset);
      break;
    }
    case "uuid": gen = () => rng.uuid(); break;
    case "const": gen = () => s.value; break;
    case "object": {
      const parts = Object.entries(s.fields).map(([k, v]) => [k, compile(v, ctx, `${where}.${k}`)] as const);
      gen = (t) => { const o: Record<string, unknown> = {}; for (const [k, g] of parts) o[k] = g(t); return o; };
      break;
    }
    case "array": {
      const item = compile(s.of, ctx, `${where}[]`);
      const min = s.min ?? 0;
      const max = s.max ?? Math.max(min, 3);
      gen = (t) => { const n = rng.int(min, max); const a: unknown[] = []; for (let i = 0; i < n; i++) a.push(item(t)); return a; };
      break;
    }
  }
  const nullRate = s.nullRate ?? 0;
  if (nullRate > 0) {
    const inner = gen;
    gen = (t) => (rng.chance(nullRate) ? null : inner(t));
  }
  return gen;
}

/** Turn a TS/JSON schema into a dataset definition (register it with `registerDataset`). */
export function defineDataset(spec: SchemaSpec): DatasetDefinition {
  if (!spec || typeof spec !== "object") throw new Error("a dataset schema is an object: {name, fields: {...}}");
  if (typeof spec.name !== "string" || !/^[A-Za-z][\w-]*$/.test(spec.name)) throw new Error(`a dataset schema needs a "name" of letters, digits, _ or -, got ${JSON.stringify(spec.name)}`);
  if (!spec.fields || typeof spec.fields !== "object" || Object.keys(spec.fields).length === 0) throw new Error(`dataset '${spec.name}': "fields" must be an object with at least one field`);
  const fields: FieldInfo[] = Object.entries(spec.fields).map(([name, f]) => ({ name, type: inferType(f, `${spec.name}.${name}`) }));
  const entries = Object.entries(spec.fields).map(([k, f]) => [k, normalize(f, `${spec.name}.${k}`)] as const);
  const eventTimeField = spec.eventTime ?? entries.find(([, f]) => f.gen === "timestamp")?.[0];
  if (!eventTimeField || !(eventTimeField in spec.fields)) throw new Error(`dataset '${spec.name}': add a field {gen: "timestamp"} (or name one with "eventTime") for event time`);
  const keyField = spec.key ?? entries.find(([, f]) => f.gen === "key")?.[0] ?? "";
  if (keyField && !(keyField in spec.fields)) throw new Error(`dataset '${spec.name}': key field '${keyField}' is not among its fields (${Object.keys(spec.fields).join(", ")})`);
  return {
    name: spec.name,
    description: spec.description ?? `custom dataset with fields ${Object.keys(spec.fields).join(", ")}`,
    fields,
    eventTimeField,
    keyField,
    defaultKeys: spec.keys ?? 100,
    create(ctx) {
      const gens = Object.entries(spec.fields).map(([k, f]) => [k, compile(f, ctx, `${spec.name}.${k}`)] as const);
      return (t) => {
        const rec: Record<string, unknown> = {};
        for (const [k, g] of gens) rec[k] = k === eventTimeField ? isoTime(t) : g(t);
        return rec;
      };
    },
  };
}

/** `a STRING, b DOUBLE` from field infos. */
export function toDDL(fields: FieldInfo[]): string {
  return fields.map((f) => `${quoteName(f.name)} ${f.type}`).join(", ");
}

/**
 * Does a parsed JSON value match a dataset's fields (top level, nulls allowed)? Returns the first problem, or
 * undefined when it fits. Tests and notebooks use it to tell good records from `--bad` ones.
 */
export function checkRecord(fields: FieldInfo[], value: unknown): string | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
  const rec = value as Record<string, unknown>;
  for (const f of fields) {
    if (!(f.name in rec)) return `missing field ${f.name}`;
    const v = rec[f.name];
    if (v === null) continue;
    const t = f.type.toUpperCase();
    const bad = `${f.name} should be ${f.type}, got ${JSON.stringify(v)}`;
    if (t === "STRING") { if (typeof v !== "string") return bad; }
    else if (t === "BOOLEAN") { if (typeof v !== "boolean") return bad; }
    else if (t === "TIMESTAMP" || t === "DATE") { if (typeof v !== "string" || Number.isNaN(Date.parse(v))) return bad; }
    else if (/^(INT|INTEGER|BIGINT|LONG|SMALLINT|TINYINT)$/.test(t)) { if (typeof v !== "number" || !Number.isInteger(v)) return bad; }
    else if (/^(DOUBLE|FLOAT|DECIMAL)/.test(t)) { if (typeof v !== "number") return bad; }
    else if (t.startsWith("STRUCT")) { if (typeof v !== "object" || Array.isArray(v)) return bad; }
    else if (t.startsWith("ARRAY")) { if (!Array.isArray(v)) return bad; }
  }
  return undefined;
}

export { Random };
