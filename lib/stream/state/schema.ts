/**
 * The state's schema in the checkpoint, as Spark's StateSchemaCompatibilityChecker: each stateful operator
 * writes its stores' key and value schema to `state/<operatorId>/_metadata/schema` when it first runs, and a
 * restarted query compares its own with it before reading any state. A changed grouping or aggregation fails
 * with Spark's STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE / STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE message, so
 * state of another shape is never read as if it were this query's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeAtomic } from "./files";

export interface StateField {
  name: string;
  /** Spark's simple type string: `string`, `bigint`, `struct<start:timestamp,end:timestamp>`. */
  type: string;
}

export interface StoreSchema {
  storeName: string;
  keySchema: StateField[];
  valueSchema: StateField[];
}

export interface OperatorSchemaFile {
  version: 1;
  operatorName: string;
  stores: StoreSchema[];
  /** Operator settings a restart must keep (transformWithState: timeMode, outputMode). */
  properties?: Record<string, string>;
}

export class StateSchemaError extends Error {
  constructor(readonly errorClass: string, message: string) {
    super(message);
    this.name = "SparkUnsupportedOperationException";
  }
}

export function schemaString(fields: StateField[]): string {
  return `struct<${fields.map((f) => `${f.name}:${f.type}`).join(",")}>`;
}

const sameTypes = (a: StateField[], b: StateField[]) => a.length === b.length && a.every((f, i) => f.type === b[i].type);
/** Values also compare names: a changed aggregate function over the same type is state of another meaning. */
const sameFields = (a: StateField[], b: StateField[]) => sameTypes(a, b) && a.every((f, i) => f.name === b[i].name);

const HINT =
  "If you want to force running the query without schema validation, please set spark.sql.streaming.stateStore.stateSchemaCheck to false. " +
  "However, please note that running the query with incompatible schema could cause non-deterministic behavior.";

/** Spark's error for a stored schema that differs from the query's; null when they agree. */
export function compareSchemas(stored: StoreSchema, provided: StoreSchema): StateSchemaError | null {
  if (!sameTypes(stored.keySchema, provided.keySchema)) {
    return new StateSchemaError(
      "STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE",
      `[STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema does not match existing state key schema. Please check number and type of fields. ` +
        `Existing key_schema=${schemaString(stored.keySchema)} and new key_schema=${schemaString(provided.keySchema)}. ${HINT} SQLSTATE: XXKST`,
    );
  }
  if (!sameFields(stored.valueSchema, provided.valueSchema)) {
    return new StateSchemaError(
      "STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE",
      `[STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE] Provided value schema does not match existing state value schema. Please check number and type of fields. ` +
        `Existing value_schema=${schemaString(stored.valueSchema)} and new value_schema=${schemaString(provided.valueSchema)}. ${HINT} SQLSTATE: XXKST`,
    );
  }
  return null;
}

export function schemaFile(operatorDir: string): string {
  return path.join(operatorDir, "_metadata", "schema");
}

export function readOperatorSchema(operatorDir: string): OperatorSchemaFile | undefined {
  const file = schemaFile(operatorDir);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as OperatorSchemaFile;
  } catch {
    throw new Error(`streamlab: the state schema ${file} is corrupt; the checkpoint is damaged, delete it to start over`);
  }
}

/**
 * Check (or, the first time, record) an operator's state schema. A different stateful operator at this position
 * (an aggregation where a deduplication was) is Spark's STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA.
 */
export function checkOperatorSchema(operatorDir: string, provided: OperatorSchemaFile, check: boolean): void {
  const stored = readOperatorSchema(operatorDir);
  if (!stored) {
    fs.mkdirSync(path.dirname(schemaFile(operatorDir)), { recursive: true });
    writeAtomic(schemaFile(operatorDir), JSON.stringify(provided));
    return;
  }
  if (!check) return;
  if (stored.operatorName !== provided.operatorName) {
    throw new StateSchemaError(
      "STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA",
      `[STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA] Streaming stateful operator name does not match with the operator in state metadata. ` +
        `This likely to happen when user adds/removes/changes stateful operator of existing streaming query. ` +
        `Stateful operators in the metadata: [(${path.basename(operatorDir)}, ${stored.operatorName})]; Stateful operators in current batch: [(${path.basename(operatorDir)}, ${provided.operatorName})]. SQLSTATE: 42K03`,
    );
  }
  for (const [name, was] of Object.entries(stored.properties ?? {})) {
    const now = provided.properties?.[name];
    if (now !== undefined && now !== was) {
      throw new StateSchemaError(
        "STATE_STORE_INVALID_CONFIG_AFTER_RESTART",
        `[STATE_STORE_INVALID_CONFIG_AFTER_RESTART] Cannot change ${name} from ${was} to ${now} between restarts. Please set ${name} to ${was}, or restart with a new checkpoint directory. SQLSTATE: 42K06`,
      );
    }
  }
  for (const p of provided.stores) {
    const s = stored.stores.find((x) => x.storeName === p.storeName);
    if (!s) continue;
    // transformWithState's state variables name their kind in the value schema (exec/transform-with-state.ts).
    const kinds = ["ValueState", "ListState", "MapState"];
    const [was, now] = [s.valueSchema[0]?.name, p.valueSchema[0]?.name];
    if (was !== now && kinds.includes(was) && kinds.includes(now)) {
      throw new StateSchemaError(
        "STATE_STORE_INVALID_VARIABLE_TYPE_CHANGE",
        `[STATE_STORE_INVALID_VARIABLE_TYPE_CHANGE] Cannot change ${p.storeName} to ${now} between query restarts. Please set ${p.storeName} to ${was}, or restart with a new checkpoint directory. SQLSTATE: 42K06`,
      );
    }
    const err = compareSchemas(s, p);
    if (err) throw err;
  }
}
