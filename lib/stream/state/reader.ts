/**
 * Reading a checkpoint's state as a static DataFrame, Spark 4's state data sources:
 * `spark.read.format("statestore").load(dir)` (options operatorId = 0, batchId = the last committed batch,
 * storeName = "default"): one row per state entry with columns `key` (struct of the key schema), `value` (struct
 * of the value schema) and `partition_id`; and `spark.read.format("state-metadata").load(dir)`: one row per
 * stateful operator and store (operatorId, operatorName, stateStoreName, numPartitions, minBatchId, maxBatchId).
 * Aggregation values are the aggregates' current results (count, sum...); session-window values are not
 * decoded (null), their keys are.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AnalysisError } from "../expr/bound";
import { functions } from "../expr/functions";
import { parseDataType, type DataType, type StructField, type StructType } from "../types";
import { listVersions } from "./files";
import { MemoryStateStore, type StateKey } from "./store";
import { readOperatorSchema, type OperatorSchemaFile, type StateField, type StoreSchema } from "./schema";
import { PARTITION_ID } from "./checkpoint";

export interface StateTable {
  schema: StructType;
  columns: unknown[][];
  numRows: number;
}

const LONG: DataType = { kind: "long" };
const INT: DataType = { kind: "integer" };
const STRING: DataType = { kind: "string" };

function structOf(fields: StateField[]): StructType {
  return { kind: "struct", fields: fields.map((f): StructField => ({ name: f.name, type: safeType(f.type), nullable: true })) };
}
function safeType(t: string): DataType {
  try {
    return parseDataType(t);
  } catch {
    return STRING;
  }
}

function committedBatches(dir: string): number[] {
  const commits = path.join(dir, "commits");
  if (!fs.existsSync(commits)) return [];
  return fs.readdirSync(commits).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
}

function operators(dir: string): { id: number; schema: OperatorSchemaFile }[] {
  const stateDir = path.join(dir, "state");
  if (!fs.existsSync(stateDir)) return [];
  return fs
    .readdirSync(stateDir)
    .filter((f) => /^\d+$/.test(f))
    .map(Number)
    .sort((a, b) => a - b)
    .flatMap((id) => {
      const schema = readOperatorSchema(path.join(stateDir, String(id)));
      return schema ? [{ id, schema }] : [];
    });
}

function storeDir(dir: string, operatorId: number, storeName: string): string {
  const base = path.join(dir, "state", String(operatorId), String(PARTITION_ID));
  return storeName === "default" ? base : path.join(base, storeName);
}

/** A key (exec/keys.ts keyOf / tupleKey) back to its values, by the key schema's types. */
function keyValues(k: StateKey, fields: StateField[]): unknown[] {
  const objectPart = (part: string, type: string): unknown => {
    if (type === "binary") return Buffer.from(part.slice(1), "latin1");
    try {
      return JSON.parse(part) as unknown;
    } catch {
      return part;
    }
  };
  const complex = (type: string) => type === "binary" || /^(struct|array|map)</.test(type);
  if (fields.length <= 1) return [typeof k === "string" && fields[0] && complex(fields[0].type) ? objectPart(k, fields[0].type) : k];
  return String(k).split("\u0001").map((p, j) => {
    if (p === "\u0000") return null;
    const type = fields[j]?.type ?? "string";
    if (complex(type)) return objectPart(p, type);
    const i = p.indexOf(":");
    const kind = p.slice(0, i);
    const text = p.slice(i + 1);
    if (kind === "number") return Number(text);
    if (kind === "boolean") return text === "true";
    if (kind === "bigint") return BigInt(text);
    return text;
  });
}

function aggregateValue(store: StoreSchema, value: unknown): { key: unknown[]; value: unknown[] } {
  const [saved, , , k] = value as [unknown[], number, number | null, unknown[]];
  let off = 0;
  const out = store.valueSchema.map((f) => {
    const def = functions.aggDef(f.name.replace(/\(distinct\)$/, "") === "count" && f.name.endsWith("(distinct)") ? "count_distinct" : f.name.replace(/\(distinct\)$/, ""));
    if (!def) return null;
    const part = saved.slice(off, off + def.init.length);
    off += def.init.length;
    return def.finalize(def.load ? def.load(part) : part);
  });
  return { key: k, value: out };
}

/**
 * One state entry (as its store's file holds it) as rows of key and value fields, by the store's schema: an
 * aggregation group, a deduplication key, each session of a session list, each buffered row of a join key.
 */
export function rowOf(operatorName: string, store: StoreSchema, key: StateKey, value: unknown): { key: unknown[]; value: unknown[] }[] {
  if (operatorName === "stateStoreSave") return [aggregateValue(store, value)];
  if (operatorName === "symmetricHashJoin") {
    const k = keyValues(key, store.keySchema);
    return (value as { r: unknown[]; m: boolean }[]).map((e) => ({ key: k, value: [...e.r, e.m] }));
  }
  if (operatorName === "dedupe") return [{ key: keyValues(key, store.keySchema), value: store.valueSchema.length ? [value] : [] }];
  if (operatorName === "sessionWindowStateStoreSaveExec") {
    const e = value as { k: unknown[]; list: { start: number; end: number }[] };
    const tk = store.keySchema.findIndex((f) => f.type.startsWith("struct<start:timestamp"));
    return e.list.map((s) => {
      const key = [...e.k];
      key.splice(tk < 0 ? key.length : tk, 0, { start: s.start, end: s.end });
      return { key, value: store.valueSchema.map(() => null) };
    });
  }
  return [{ key: [key], value: [value] }];
}

const toStruct = (fields: StateField[], values: unknown[]) => Object.fromEntries(fields.map((f, i) => [f.name, values[i] ?? null]));

/** `spark.read.format("statestore").load(dir)`. */
export function readStateStore(dir: string, options: Record<string, string>): StateTable {
  const opId = Number(options.operatorid ?? options.operatorId ?? 0);
  const storeName = options.storename ?? options.storeName ?? "default";
  const ops = operators(dir);
  const op = ops.find((o) => o.id === opId);
  if (!op) {
    throw new AnalysisError(`[STDS_NO_PARTITION_DISCOVERED_IN_STATE_STORE] The state does not have any partition. Please double check that the query points to the valid state. options: path=${dir}, operatorId=${opId}${ops.length ? ` (operators: ${ops.map((o) => `${o.id} ${o.schema.operatorName}`).join(", ")})` : ""}`);
  }
  const store = op.schema.stores.find((s) => s.storeName === storeName);
  if (!store) throw new AnalysisError(`operator ${opId} has no state store '${storeName}'; its stores: ${op.schema.stores.map((s) => s.storeName).join(", ")}`);
  const batches = committedBatches(dir);
  const raw = options.batchid ?? options.batchId;
  const batchId = raw !== undefined ? Number(raw) : batches[batches.length - 1];
  if (batchId === undefined || !Number.isInteger(batchId) || batchId < 0) {
    throw new AnalysisError(`[STDS_COMMITTED_BATCH_UNAVAILABLE] No committed batch found, checkpoint location: ${dir}. Ensure that the query has run and committed any microbatch before stopping.`);
  }
  const s = new MemoryStateStore<unknown>(op.schema.operatorName, storeName);
  s.attach(storeDir(dir, opId, storeName));
  s.loadVersion(batchId + 1);
  const keys: unknown[] = [];
  const values: unknown[] = [];
  for (const [k, v] of s.iterator()) {
    for (const r of rowOf(op.schema.operatorName, store, k, v)) {
      keys.push(toStruct(store.keySchema, r.key));
      values.push(toStruct(store.valueSchema, r.value));
    }
  }
  const schema: StructType = {
    kind: "struct",
    fields: [
      { name: "key", type: structOf(store.keySchema), nullable: true },
      { name: "value", type: structOf(store.valueSchema), nullable: true },
      { name: "partition_id", type: INT, nullable: true },
    ],
  };
  return { schema, columns: [keys, values, keys.map(() => PARTITION_ID)], numRows: keys.length };
}

/** `spark.read.format("state-metadata").load(dir)`. */
export function readStateMetadata(dir: string): StateTable {
  const batches = committedBatches(dir);
  const rows: unknown[][] = [];
  for (const op of operators(dir)) {
    for (const store of op.schema.stores) {
      const sdir = storeDir(dir, op.id, store.storeName);
      // The earliest version that can be loaded: from delta 1, or from the oldest snapshot kept.
      const deltas = listVersions(sdir, "delta");
      const earliest = deltas[0] === 1 ? 1 : (listVersions(sdir, "snapshot")[0] ?? 1);
      const max = batches[batches.length - 1] ?? -1;
      rows.push([op.id, op.schema.operatorName, store.storeName, 1, earliest - 1, max]);
    }
  }
  const names: [string, DataType][] = [["operatorId", LONG], ["operatorName", STRING], ["stateStoreName", STRING], ["numPartitions", INT], ["minBatchId", LONG], ["maxBatchId", LONG]];
  return {
    schema: { kind: "struct", fields: names.map(([name, type]) => ({ name, type, nullable: true })) },
    columns: names.map((_, c) => rows.map((r) => r[c])),
    numRows: rows.length,
  };
}
