/**
 * lib/registry: an embedded Confluent-compatible Schema Registry (REST API, state in the `_schemas` topic),
 * the wire format of registry-framed values, and a client for any registry.
 */
import { KafkaLog, MemoryLog, type SchemaLog } from "./log";
import { serveRegistry, type RunningRegistry } from "./server";
import { SchemaStore } from "./store";

export { RegistryError } from "./errors";
export { compatibilityProblems, readProblems, type CompatibilityLevel, type SchemaType, type SchemaReference, type ResolvedSchema } from "./formats";
export { KafkaLog, MemoryLog, SCHEMAS_TOPIC, type SchemaLog, type LogRecord } from "./log";
export { SchemaStore, type SchemaRequest, type VersionView } from "./store";
export { serveRegistry, handle, CONTENT_TYPE, type RunningRegistry } from "./server";
export { Codec, RegistryClient, frame, unframe, MAGIC_BYTE, type Framed } from "./wire";
export { codecByIdSync, latestSync, forgetLatest } from "./sync";

export interface RegistryOptions {
  /** Kafka bootstrap servers for the `_schemas` topic; without them the state lives in memory only. */
  bootstrap?: string[];
  host?: string;
  port?: number;
  /** The topic that holds the state (Confluent's `kafkastore.topic`), `_schemas` by default. */
  topic?: string;
  /** "user:password": require HTTP basic auth (Confluent's authentication.method=BASIC). */
  basicAuth?: string;
}

/** Starts a registry: state replayed from `_schemas` on the given cluster (or memory), served over HTTP. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const log: SchemaLog = options.bootstrap?.length ? new KafkaLog(options.bootstrap, options.topic) : new MemoryLog();
  const store = await SchemaStore.open(log);
  try {
    return await serveRegistry(store, { host: options.host, port: options.port, basicAuth: options.basicAuth });
  } catch (err) {
    await store.close();
    throw err;
  }
}
