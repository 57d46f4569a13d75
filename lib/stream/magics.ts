/** %stream NAME = TOPIC [--schema DDL|DATASET] [--starting earliest|latest]: a parsed streaming DataFrame. */
import { registerMagic, MagicError } from "../core";
import { spark } from "./session";
import { col, from_json } from "./functions";
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

/** The DataFrame %stream defines: Kafka records, JSON values parsed with the schema, fields at top level. */
export function streamFromTopic(topic: string, options: { schema?: string; starting?: string; bootstrap?: string }): DataFrame {
  let reader = spark.readStream.format("kafka").option("subscribe", topic).option("startingOffsets", options.starting ?? "earliest");
  if (options.bootstrap) reader = reader.option("kafka.bootstrap.servers", options.bootstrap);
  const raw = reader.load();
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
  help: 'Defines NAME in the notebook as spark.readStream.format("kafka")...select(from_json(value, schema).alias("data")).select("data.*"),\nthe schema with a _corrupt_record STRING field added (a malformed record\'s raw text, null for good ones).\nWithout --schema, NAME has the raw Kafka columns with key and value as strings.\nExample: %stream orders = orders --schema orders',
  options: [
    { name: "schema", type: "string", help: "DDL schema of the JSON values, or a %datagen dataset name" },
    { name: "starting", type: "string", help: "where to start reading", choices: ["earliest", "latest"], default: "earliest" },
    { name: "bootstrap", type: "string", help: "HOST:PORT of the cluster (default: the current cluster, %kafka)" },
  ],
  positional: { min: 1, max: 3, names: ["NAME", "=", "TOPIC"] },
  run(ctx) {
    const words = ctx.args.positional.join(" ").replace(/\s*=\s*/, " = ").trim().split(/\s+/);
    if (words.length !== 3 || words[1] !== "=") throw new MagicError("usage: %stream NAME = TOPIC [--schema DDL|DATASET] [--starting earliest|latest]");
    const [name, , topic] = words;
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new MagicError(`%stream: '${name}' is not a valid variable name`);
    let df: DataFrame;
    try {
      df = streamFromTopic(topic, { schema: ctx.args.options.schema as string | undefined, starting: ctx.args.options.starting as string, bootstrap: ctx.args.options.bootstrap as string | undefined });
    } catch (err) {
      if (err instanceof MagicError) throw err;
      throw new MagicError(`%stream: ${(err as Error).message}`);
    }
    ctx.scope[name] = df;
    // NAME is also a view: %%sql SELECT ... FROM NAME
    df.createOrReplaceTempView(name);
    ctx.display.print(`${name}: streaming DataFrame from topic '${topic}' [${df.columns.join(", ")}]`);
    return undefined;
  },
});
