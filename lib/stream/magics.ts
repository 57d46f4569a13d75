/** %stream NAME = TOPIC [--schema DDL|DATASET] [--starting earliest|latest]: a parsed streaming DataFrame. */
import { registerMagic, MagicError } from "../core";
import { spark } from "./session";
import { col, from_avro, from_json, from_protobuf } from "./functions";
import { peekRegistry } from "../client";
import { RegistryClient, latestSync, type SchemaType } from "../registry";
import { parseDDL } from "./types";
import type { DataFrame } from "./plan/dataframe";
import { getDataset } from "../datagen/registry";

interface DatasetInfo {
  name: string;
  schemaDDL: string;
  eventTimeField?: string;
}

function lookupDataset(name: string): DatasetInfo | undefined {
  return typeof getDataset === "function" ? getDataset(name) : undefined;
}

/** A topic's registered value subject (TopicNameStrategy: TOPIC-value), as %stream decodes it. */
export interface RegisteredSubject {
  url: string;
  auth?: string;
  subject: string;
  schemaType: SchemaType;
}

/**
 * The subject TOPIC-value at the notebook's registry (connect's, or the embedded one), if it exists. JSON
 * Schema subjects are left to --schema: a JSON value behind a binary frame has no from_json form in Spark.
 * With basic auth (%kafka connect --registry-auth-env), the credentials go to from_avro/from_protobuf.
 */
export async function registeredSubject(topic: string): Promise<RegisteredSubject | undefined> {
  const target = await peekRegistry();
  if (!target) return undefined;
  const subject = `${topic}-value`;
  const client = new RegistryClient(target.url, target.auth);
  let latest: { schemaType?: SchemaType };
  try {
    latest = await client.latest(subject);
  } catch (err) {
    if ((err as { errorCode?: number }).errorCode === 40401) return undefined;
    throw err;
  }
  return { url: target.url, auth: target.auth, subject, schemaType: latest.schemaType ?? "AVRO" };
}

/** The DataFrame %stream defines: Kafka records, JSON values parsed with the schema, fields at top level. */
export function streamFromTopic(topic: string, options: { schema?: string; starting?: string; bootstrap?: string; registered?: RegisteredSubject }): DataFrame {
  let reader = spark.readStream.format("kafka").option("subscribe", topic).option("startingOffsets", options.starting ?? "earliest");
  if (options.bootstrap) reader = reader.option("kafka.bootstrap.servers", options.bootstrap);
  const raw = reader.load();
  const reg = options.registered;
  // The registry's credentials reach the engine as Databricks' from_avro option.
  const auth: Record<string, string> = reg?.auth ? { "confluent.schema.registry.basic.auth.user.info": reg.auth } : {};
  // Registry-framed values: each decoded with the schema its id names, read as the subject's latest; a value
  // that does not decode (unknown id, truncated) is a row of nulls, as from_json's PERMISSIVE default makes it.
  if (!options.schema && reg && reg.schemaType === "AVRO") {
    return raw.select(from_avro(col("value"), { subject: reg.subject, schemaRegistryAddress: reg.url }, { mode: "PERMISSIVE", ...auth }).alias("data")).select("data.*");
  }
  if (!options.schema && reg && reg.schemaType === "PROTOBUF") {
    const message = latestSync(reg.url, reg.subject, reg.auth).codec.messageType([0]).fullName.replace(/^\./, "");
    return raw.select(from_protobuf(col("value"), message, { "schema.registry.subject": reg.subject, "schema.registry.address": reg.url, mode: "PERMISSIVE", ...auth }).alias("data")).select("data.*");
  }
  if (!options.schema) return raw.selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value", "topic", "partition", "offset", "timestamp");
  let ddl = options.schema;
  if (/^[A-Za-z][\w-]*$/.test(ddl.trim())) {
    const ds = lookupDataset(ddl.trim());
    if (!ds) throw new MagicError(`--schema ${ddl}: no such dataset (and not a DDL schema); write a schema like "id STRING, amount DOUBLE, ts TIMESTAMP" or a %datagen dataset name`);
    ddl = ds.schemaDDL;
  }
  let fields: string[];
  try {
    fields = parseDDL(ddl).fields.map((f) => f.name);
  } catch (err) {
    throw new MagicError(`--schema: ${(err as Error).message}`);
  }
  // A malformed record keeps its raw text: the schema gets Spark's corrupt-record field (from_json fills it only
  // when the schema names it).
  if (!fields.includes("_corrupt_record")) ddl = `${ddl}, _corrupt_record STRING`;
  return raw.select(from_json(col("value").cast("string"), ddl).alias("data")).select("data.*");
}

registerMagic({
  name: "stream",
  kind: "line",
  summary: "define a streaming DataFrame reading a Kafka topic, parsed with a schema",
  usage: "%stream NAME = TOPIC [--schema DDL|DATASET] [--starting earliest|latest] [--bootstrap HOST:PORT]",
  help: 'Defines NAME in the notebook as spark.readStream.format("kafka")...select(from_json(value, schema).alias("data")).select("data.*"),\nthe schema with a _corrupt_record STRING field added (a malformed record\'s raw text, null for good ones).\nWithout --schema: if the topic\'s subject TOPIC-value exists at the notebook\'s schema registry (Avro or Protobuf), the values are decoded with it (from_avro / from_protobuf); otherwise NAME has the raw Kafka columns with key and value as strings.\nExample: %stream orders = orders --schema orders',
  options: [
    { name: "schema", type: "string", help: "DDL schema of the JSON values, or a %datagen dataset name" },
    { name: "starting", type: "string", help: "where to start reading", choices: ["earliest", "latest"], default: "earliest" },
    { name: "bootstrap", type: "string", help: "HOST:PORT of the cluster (default: the current cluster, %kafka)" },
  ],
  positional: { min: 1, max: 3, names: ["NAME", "=", "TOPIC"] },
  async run(ctx) {
    const words = ctx.args.positional.join(" ").replace(/\s*=\s*/, " = ").trim().split(/\s+/);
    if (words.length !== 3 || words[1] !== "=") throw new MagicError("usage: %stream NAME = TOPIC [--schema DDL|DATASET] [--starting earliest|latest]");
    const [name, , topic] = words;
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new MagicError(`%stream: '${name}' is not a valid variable name`);
    let df: DataFrame;
    let registered: RegisteredSubject | undefined;
    try {
      const schema = ctx.args.options.schema as string | undefined;
      const bootstrap = ctx.args.options.bootstrap as string | undefined;
      if (!schema && !bootstrap) registered = await registeredSubject(topic);
      df = streamFromTopic(topic, { schema, starting: ctx.args.options.starting as string, bootstrap, registered });
    } catch (err) {
      if (err instanceof MagicError) throw err;
      throw new MagicError(`%stream: ${(err as Error).message}`);
    }
    ctx.scope[name] = df;
    // NAME is also a view: %%sql SELECT ... FROM NAME
    df.createOrReplaceTempView(name);
    const decoded = registered && (registered.schemaType === "AVRO" || registered.schemaType === "PROTOBUF") ? ` (${registered.schemaType === "AVRO" ? "Avro" : "Protobuf"} values, schema from subject ${registered.subject} at ${registered.url})` : "";
    ctx.display.print(`${name}: streaming DataFrame from topic '${topic}'${decoded} [${df.columns.join(", ")}]`);
    return undefined;
  },
});
