/**
 * `query.state()`: what each stateful operator of a query holds now, read from its state stores as the
 * `statestore` data source reads a checkpoint (state/reader.ts `rowOf` decodes an entry into key and value
 * fields by the store's schema), plus what a notebook wants to see while the query runs: which event-time
 * windows are open and which the next batch's watermark closes, how many rows the next watermark evicts, the
 * state's size (rows, and bytes as the store's files would hold it) and, from the progress reports, the rows
 * updated, evicted and dropped as late in each recent batch. Entries are paged and searchable; only the page
 * shown is decoded, unless a search has to look at every entry. lib/render's `%state` shows it live.
 */
import type { StatefulOperator } from "../exec/operator";
import type { StateStoreBinding } from "../state/checkpoint";
import { rowOf } from "../state/reader";
import { encodeLine } from "../state/files";
import type { StateKey } from "../state/store";
import { schemaString, type StateField } from "../state/schema";
import { valueToExternal } from "../expr/runtime";
import { parseDataType, type DataType } from "../types";
import type { QueryStateView, StateEntryView, StateHistoryView, StateInspectOptions, StateOperatorView, StateWindowView } from "./state-types";

export type { QueryStateView, StateEntryView, StateHistoryView, StateInspectOptions, StateOperatorView, StateStoreView, StateWindowView } from "./state-types";

/** What state() needs of a query. */
export interface StateSource {
  id: string;
  name: string | null;
  /** The stateful operators in checkpoint order (operator ids are their positions). */
  stateful: StatefulOperator[];
  /** Each operator's watermark from the query's (by position; identity when absent): after a time-interval join it is lower. */
  watermarkOf?: ((queryWatermarkMs: number) => number)[];
  watermarkMs: number;
  nextWatermarkMs: number;
  /** The query's recent progress reports (query/types.ts StreamingQueryProgress). */
  progress: readonly ProgressLike[];
}

interface ProgressLike {
  batchId: number;
  eventTime: { watermark?: string };
  stateOperators: { numRowsTotal: number; numRowsUpdated: number; numRowsRemoved: number; numRowsDroppedByWatermark: number }[];
}

const KIND: Record<string, string> = {
  stateStoreSave: "aggregation",
  sessionWindowStateStoreSaveExec: "session window aggregation",
  dedupe: "deduplication",
  symmetricHashJoin: "stream-stream join",
};

const WINDOW_TYPE = "struct<start:timestamp,end:timestamp>";
const SAMPLE = 2000;

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function typeOf(t: string): DataType | null {
  try {
    return parseDataType(t);
  } catch {
    return null;
  }
}

/** Internal values (epoch ms timestamps, {start, end} windows) as a notebook sees them (Dates, structs). */
function external(fields: StateField[], types: (DataType | null)[], values: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    const v = values[i] ?? null;
    const t = types[i];
    out[f.name] = v === null || !t ? v : valueToExternal(v, t);
  });
  return out;
}

function text(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return v.toString();
  if (v !== null && typeof v === "object") {
    if (Buffer.isBuffer(v)) return v.toString("hex");
    return Object.values(v as Record<string, unknown>).map(text).join(" ");
  }
  return String(v);
}

/** One state row before decoding: the entry it is in, which part of it, its window and whether it goes next. */
interface RawRow {
  binding: StateStoreBinding;
  key: StateKey;
  value: unknown;
  /** Index of the row among those the entry decodes to (a session, a buffered join row). */
  part: number;
  window: { start: number; end: number } | null;
  evictsNext: boolean;
}

interface Group {
  k: unknown[];
  et: number | null;
}
interface SessionList {
  k: unknown[];
  list: { start: number; end: number }[];
}
interface JoinEntry {
  r: unknown[];
}

/** Every row of an operator's state, cheaply (no decoding), with its window and whether the next watermark evicts it. */
function* rawRows(op: StatefulOperator, nextWm: number): Generator<RawRow> {
  const bindings = op.stateStores();
  for (let s = 0; s < bindings.length; s++) {
    const binding = bindings[s];
    const tk = binding.schema.keySchema.findIndex((f) => f.type === WINDOW_TYPE);
    for (const [key, value] of binding.store.iterator()) {
      switch (op.operatorName) {
        case "stateStoreSave": {
          const g = value as Group;
          const w = tk >= 0 ? asWindow(g.k[tk]) : null;
          yield { binding, key, value, part: 0, window: w, evictsNext: g.et !== null && g.et <= nextWm };
          break;
        }
        case "sessionWindowStateStoreSaveExec": {
          const list = (value as SessionList).list;
          for (let p = 0; p < list.length; p++) {
            const w = { start: list[p].start, end: list[p].end };
            yield { binding, key, value, part: p, window: w, evictsNext: w.end <= nextWm };
          }
          break;
        }
        case "dedupe": {
          const t = value as number | null;
          yield { binding, key, value, part: 0, window: null, evictsNext: t !== null && t <= nextWm };
          break;
        }
        case "symmetricHashJoin": {
          const list = value as JoinEntry[];
          // The join decides itself which buffered rows no future row can match (key time or range condition).
          const join = op as unknown as { expired(side: number, row: unknown[], wm: number): boolean };
          for (let p = 0; p < list.length; p++) {
            const w = tk >= 0 ? asWindow(list[p].r[joinKeyColumn(op, s, tk)]) : null;
            yield { binding, key, value, part: p, window: w, evictsNext: Number.isFinite(nextWm) && join.expired(s, list[p].r, nextWm) };
          }
          break;
        }
        default:
          yield { binding, key, value, part: 0, window: null, evictsNext: false };
      }
    }
  }
}

/** A window value ({start, end} or [start, end] in epoch ms), else null. */
function asWindow(v: unknown): { start: number; end: number } | null {
  if (Array.isArray(v)) return typeof v[0] === "number" && typeof v[1] === "number" ? { start: v[0], end: v[1] } : null;
  if (v && typeof v === "object") {
    const o = v as { start?: unknown; end?: unknown };
    return typeof o.start === "number" && typeof o.end === "number" ? { start: o.start, end: o.end } : null;
  }
  return null;
}

/** The input column of a join side's key number `k`. */
function joinKeyColumn(op: StatefulOperator, side: number, k: number): number {
  const node = (op as unknown as { node: { leftKeys: number[]; rightKeys: number[] } }).node;
  return (side === 0 ? node.leftKeys : node.rightKeys)[k];
}

/** Decode one raw row into key and value fields (the statestore reader's decoding). */
function decode(op: StatefulOperator, raw: RawRow, types: Map<StateStoreBinding, { key: (DataType | null)[]; value: (DataType | null)[] }>): StateEntryView {
  const b = raw.binding;
  const encoded = b.codec ? b.codec.encode(raw.value) : raw.value;
  const rows = rowOf(op.operatorName, b.schema, raw.key, encoded);
  const row = rows[raw.part] ?? rows[0] ?? { key: [], value: [] };
  let t = types.get(b);
  if (!t) {
    t = { key: b.schema.keySchema.map((f) => typeOf(f.type)), value: b.schema.valueSchema.map((f) => typeOf(f.type)) };
    types.set(b, t);
  }
  return { store: b.schema.storeName, key: external(b.schema.keySchema, t.key, row.key), value: external(b.schema.valueSchema, t.value, row.value), evictsNext: raw.evictsNext };
}

function entryBytes(b: StateStoreBinding, key: StateKey, value: unknown): number {
  return Buffer.byteLength(encodeLine(["p", key, b.codec ? b.codec.encode(value) : value])) + 1;
}

/** The state's size in bytes as delta lines: exact for small states, from an even sample of entries otherwise. */
function stateBytes(op: StatefulOperator): { bytes: number; estimated: boolean } {
  let bytes = 0;
  let estimated = false;
  for (const b of op.stateStores()) {
    const size = b.store.size;
    if (size === 0) continue;
    const step = size <= SAMPLE ? 1 : Math.ceil(size / SAMPLE);
    let i = 0;
    let sampled = 0;
    let sum = 0;
    for (const [k, v] of b.store.iterator()) {
      if (i++ % step === 0) {
        sum += entryBytes(b, k, v);
        sampled++;
      }
    }
    if (step > 1) estimated = true;
    bytes += sampled ? Math.round((sum / sampled) * size) : 0;
  }
  return { bytes, estimated };
}

function positive(n: number | undefined, fallback: number, what: string): number {
  if (n === undefined) return fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`streamlab: state() ${what} must be a whole number of at least 1, got ${n}`);
  return n;
}

/** The state of a query's stateful operators (see the module comment). */
export function inspectState(src: StateSource, options: StateInspectOptions = {}): QueryStateView {
  const stateful = src.stateful;
  const page = positive(options.page, 1, "page");
  const pageSize = positive(options.pageSize, 20, "pageSize");
  const search = options.search?.trim() ? options.search.trim().toLowerCase() : null;
  if (options.op !== undefined && (!Number.isInteger(options.op) || options.op < 0 || options.op >= stateful.length)) {
    const list = stateful.map((o, i) => `${i} (${KIND[o.operatorName] ?? o.operatorName})`).join(", ");
    throw new Error(`streamlab: query ${src.name ?? src.id} has no stateful operator ${options.op}; ` + (stateful.length ? `its operators: ${list}` : "it has no stateful operator (aggregation, dropDuplicates, stream-stream join)"));
  }
  const last = src.progress.length ? src.progress[src.progress.length - 1] : undefined;
  const operators: StateOperatorView[] = [];
  stateful.forEach((op, operatorId) => {
    if (options.op !== undefined && options.op !== operatorId) return;
    const types = new Map<StateStoreBinding, { key: (DataType | null)[]; value: (DataType | null)[] }>();
    const windows = new Map<string, StateWindowView>();
    const hasWindow = op.operatorName === "sessionWindowStateStoreSaveExec" || op.stateStores().some((b) => b.schema.keySchema.some((f) => f.type === WINDOW_TYPE));
    let total = 0;
    let evictsNext = 0;
    let matching = 0;
    const from = (page - 1) * pageSize;
    const entries: StateEntryView[] = [];
    const own = src.watermarkOf?.[operatorId] ?? ((wm: number) => wm);
    const watermarkMs = own(src.watermarkMs);
    const nextWatermarkMs = own(src.nextWatermarkMs);
    for (const raw of rawRows(op, nextWatermarkMs)) {
      total++;
      if (raw.evictsNext) evictsNext++;
      if (raw.window) {
        const wk = `${raw.window.start}/${raw.window.end}`;
        const w = windows.get(wk);
        if (w) w.rows++;
        else windows.set(wk, { start: new Date(raw.window.start), end: new Date(raw.window.end), rows: 1, closesNext: raw.window.end <= nextWatermarkMs });
      }
      if (search) {
        const e = decode(op, raw, types);
        if (!`${text(e.key)} ${text(e.value)}`.toLowerCase().includes(search)) continue;
        if (matching >= from && matching < from + pageSize) entries.push(e);
      } else if (matching >= from && matching < from + pageSize) entries.push(decode(op, raw, types));
      matching++;
    }
    const size = stateBytes(op);
    const history: StateHistoryView[] = src.progress.flatMap((p) => {
      const s = p.stateOperators[operatorId];
      return s ? [{ batchId: p.batchId, watermark: p.eventTime.watermark ?? null, numRowsTotal: s.numRowsTotal, numRowsUpdated: s.numRowsUpdated, numRowsRemoved: s.numRowsRemoved, numRowsDroppedByWatermark: s.numRowsDroppedByWatermark }] : [];
    });
    operators.push({
      operatorId,
      operatorName: op.operatorName,
      kind: op.operatorName === "stateStoreSave" && hasWindow ? "window aggregation" : (KIND[op.operatorName] ?? op.operatorName),
      stores: op.stateStores().map((b) => ({ storeName: b.schema.storeName, keySchema: schemaString(b.schema.keySchema), valueSchema: schemaString(b.schema.valueSchema), entries: b.store.size, version: b.store.version })),
      numRowsTotal: total,
      bytes: size.bytes,
      bytesEstimated: size.estimated,
      watermark: iso(watermarkMs),
      nextWatermark: iso(nextWatermarkMs),
      evictsNext,
      windows: hasWindow ? [...windows.values()].sort((a, b) => a.start.getTime() - b.start.getTime() || a.end.getTime() - b.end.getTime()) : null,
      entries,
      matching,
      page,
      pageSize,
      pageCount: Math.max(1, Math.ceil(matching / pageSize)),
      search: options.search?.trim() || null,
      history,
    });
  });
  return { id: src.id, name: src.name, batchId: last?.batchId ?? -1, operators };
}
