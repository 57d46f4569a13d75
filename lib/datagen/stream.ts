/**
 * Turns a dataset into serialized Kafka messages, with the `--late` and `--bad` shares applied.
 *
 * Everything random here comes from the seed, and time comes from a clock the caller may replace, so
 * `new RecordStream(ds, {seed: 7, clock: fixedClock})` yields the same messages on every run.
 */
import { Random } from "./random";
import { toText as textOf } from "../core";
import type { Dataset, FakerLike, GenContext } from "./types";

export type DataFormat = "json" | "csv";

export interface RecordStreamOptions {
  seed?: string | number;
  /** Key population (users, sensors, ...); the dataset's default when absent. */
  keys?: number;
  /** Share (0..1) of records whose event time lies in the past, out of order. */
  late?: number;
  /** How far in the past a late record's event time may lie, in ms. Default 30 s. */
  maxLateness?: number;
  /** Share (0..1) of malformed records: broken JSON/CSV, wrong types. */
  bad?: number;
  format?: DataFormat;
  /** Milliseconds since the epoch; Date.now by default. */
  clock?: () => number;
}

export interface GeneratedMessage {
  key: string | null;
  /** JSON or CSV text; registry-framed bytes with an encoder (--format avro|protobuf|json-schema). */
  value: string | Buffer;
  /** Kafka message timestamp: the time it was produced (the clock), not the event time. */
  timestamp: number;
  /** Event time written into the record (for late records, earlier than the clock). */
  eventTime: number;
  late: boolean;
  bad: boolean;
}

let fakerModule: { Faker: new (opts: { locale: unknown[] }) => FakerLike; en: unknown; base: unknown } | undefined;

function loadFaker() {
  // Loaded on first use: @faker-js/faker takes ~0.2 s to load, and most built-in datasets do not need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!fakerModule) fakerModule = require("@faker-js/faker") as typeof fakerModule;
  return fakerModule!;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : textOf(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsvLine(fields: string[], rec: Record<string, unknown>): string {
  return fields.map((f) => csvCell(rec[f])).join(",");
}

export class RecordStream {
  readonly dataset: Dataset;
  readonly format: DataFormat;
  private readonly factory: (t: number) => Record<string, unknown>;
  /** Separate random streams, so changing --late or --bad does not change the records themselves. */
  private readonly lateRng: Random;
  private readonly badRng: Random;
  private readonly late: number;
  private readonly bad: number;
  private readonly maxLateness: number;
  private readonly clock: () => number;
  private readonly fieldNames: string[];
  count = 0;
  /** Set for --format avro|protobuf|json-schema: a record to its registry-framed value (lib/datagen/registered.ts). */
  encoder?: (rec: Record<string, unknown>) => Buffer;

  constructor(dataset: Dataset, options: RecordStreamOptions = {}) {
    const seed = String(options.seed ?? Math.floor(Math.random() * 2 ** 31));
    this.dataset = dataset;
    this.format = options.format ?? "json";
    this.late = checkShare(options.late ?? 0, "late");
    this.bad = checkShare(options.bad ?? 0, "bad");
    this.maxLateness = options.maxLateness ?? 30_000;
    if (!(this.maxLateness > 0)) throw new Error(`max lateness must be a positive duration, got ${options.maxLateness}`);
    this.clock = options.clock ?? Date.now;
    const keys = options.keys ?? dataset.defaultKeys;
    if (!Number.isInteger(keys) || keys < 1) throw new Error(`--keys must be a whole number of at least 1, got ${keys}`);
    let faker: FakerLike | undefined;
    const ctx: GenContext = {
      rng: Random.derive(seed, "records", dataset.name),
      seed,
      keys,
      faker: () => {
        if (!faker) {
          const m = loadFaker();
          faker = new m.Faker({ locale: [m.en, m.base] });
          (faker as { seed(n: number): void }).seed(Random.derive(seed, "faker").nextUint32());
        }
        return faker;
      },
    };
    this.factory = dataset.create(ctx);
    this.lateRng = Random.derive(seed, "late");
    this.badRng = Random.derive(seed, "bad");
    this.fieldNames = dataset.fields.map((f) => f.name);
  }

  next(): GeneratedMessage {
    const now = this.clock();
    const late = this.late > 0 && this.lateRng.chance(this.late);
    // Late records land between 10% and 100% of the maximum lateness behind: clearly out of order.
    const eventTime = late ? now - Math.round(this.maxLateness * (0.1 + 0.9 * this.lateRng.next())) : now;
    const rec = this.factory(eventTime);
    const keyValue = this.dataset.keyField ? rec[this.dataset.keyField] : null;
    const key = keyValue === null || keyValue === undefined ? null : textOf(keyValue);
    const bad = this.bad > 0 && this.badRng.chance(this.bad);
    const value = this.encoder ? (bad ? this.malformedFramed(rec, this.encoder) : this.encoder(rec)) : bad ? this.malformed(rec) : this.serialize(rec);
    this.count++;
    return { key, value, timestamp: now, eventTime, late, bad };
  }

  serialize(rec: Record<string, unknown>): string {
    return this.format === "csv" ? toCsvLine(this.fieldNames, rec) : JSON.stringify(rec);
  }

  /** The CSV header line (field names), for documentation and readers that want one. */
  csvHeader(): string {
    return this.fieldNames.join(",");
  }

  /**
   * A malformed registry-framed value: a truncated payload, a schema id the registry does not know, or text
   * from another producer that has no magic byte.
   */
  private malformedFramed(rec: Record<string, unknown>, encode: (rec: Record<string, unknown>) => Buffer): Buffer {
    const rng = this.badRng;
    const kind = rng.weighted(["truncated", "unknown-id", "garbage"], [40, 45, 15]);
    const framed = encode(rec);
    if (kind === "truncated") return framed.subarray(0, 5 + Math.floor((framed.length - 5) * (0.2 + 0.5 * rng.next())));
    if (kind === "unknown-id") {
      const copy = Buffer.from(framed);
      copy.writeInt32BE(copy.readInt32BE(1) + 1_000_000, 1);
      return copy;
    }
    return Buffer.from(rng.pick(["ERROR: record lost", '{"not":"framed"}', "<html><body>502 Bad Gateway</body></html>"]));
  }

  /** A malformed version of a record: the kinds of garbage real pipelines meet. */
  private malformed(rec: Record<string, unknown>): string {
    const rng = this.badRng;
    const kind = rng.weighted(["truncated", "wrong-type", "garbage"], [40, 45, 15]);
    if (kind === "wrong-type") {
      // Put a string where a number, boolean or timestamp belongs; every dataset has at least its event time.
      const candidates = this.dataset.fields.filter((f) => f.type !== "STRING" && !f.type.startsWith("STRUCT") && !f.type.startsWith("ARRAY"));
      const f = candidates.length ? rng.pick(candidates) : this.dataset.fields[0];
      const copy = { ...rec, [f.name]: f.type === "STRING" ? { unexpected: true } : rng.pick(["N/A", "??", "not-a-number", "null ", "1O.5"]) };
      return this.serialize(copy);
    }
    const text = this.serialize(rec);
    if (kind === "truncated") {
      if (this.format === "csv") return this.fieldNames.length > 1 ? text.split(",").slice(0, Math.max(1, Math.floor(this.fieldNames.length / 2))).join(",") : `"${text}`;
      return text.slice(0, Math.max(1, Math.floor(text.length * (0.2 + 0.6 * rng.next()))));
    }
    // Text that real topics end up holding: an error page or payload from another system, bytes of another
    // encoding, a log line. Not JavaScript's "undefined": that is a bug in a producer, not data.
    return rng.pick(["<html><body>502 Bad Gateway</body></html>", "\u0000\u0001\u0002binary", "ERROR: record lost", "{{{", '<?xml version="1.0"?><error>upstream timeout</error>', "NaN"]);
  }
}

function checkShare(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new Error(`--${name} is a share between 0 and 1 (e.g. 0.05 for 5%), got ${value}`);
  return value;
}
