import type { Random } from "./random";

/** One top-level field of a dataset's records, with its Spark SQL type as written in DDL. */
export interface FieldInfo {
  name: string;
  /** Spark DDL type: STRING, INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, STRUCT<a: INT>, ARRAY<STRING>. */
  type: string;
  description?: string;
}

/** A faker instance, typed loosely so this module need not load @faker-js/faker until a dataset uses it. */
// `any` on purpose: custom datasets call `ctx.faker().person.firstName()` without importing faker's types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FakerLike = Record<string, any>;

/** What a dataset's record factory gets when a stream is created. */
export interface GenContext {
  /** This stream's random source (seeded). */
  rng: Random;
  /** The stream's seed as given, for deriving independent sub-streams. */
  seed: string;
  /** Size of the key population (users, sensors, hosts, ...): `--keys`. */
  keys: number;
  /** A faker seeded from the stream's seed; loaded on first use. */
  faker(): FakerLike;
}

/** Builds one record for the given event time (milliseconds since the epoch). */
export type RecordFactory = (eventTime: number) => Record<string, unknown>;

export interface DatasetDefinition {
  name: string;
  description: string;
  fields: FieldInfo[];
  /** The field holding event time (an ISO-8601 string in JSON, TIMESTAMP in the schema). */
  eventTimeField: string;
  /** The field whose value is the Kafka key: one entity, one partition. */
  keyField: string;
  /** Key population when `--keys` is not given. */
  defaultKeys: number;
  /** Foreign keys: this field holds ids of that dataset's key field (orders.user_id -> users.user_id). */
  references?: { field: string; dataset: string }[];
  create(ctx: GenContext): RecordFactory;
}

export interface Dataset extends DatasetDefinition {
  /** `order_id STRING, amount DOUBLE, ts TIMESTAMP`: pass to from_json or `%stream --schema`. */
  schemaDDL: string;
  builtin: boolean;
}
