/**
 * Streaming aggregation with event-time windows and watermarks. One generated function per query folds a
 * batch into the state (a Map from group key to accumulators): keys and aggregate arguments are computed
 * columnar first, then a single loop hashes, expands sliding windows, drops rows behind the watermark and
 * updates accumulators inline. Output follows the mode: complete = every group, update = groups changed in
 * this batch, append = groups whose window closed (end <= watermark), which are then evicted.
 */
import type { PlanNode } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { columnUses, compileProjection, type ProjectFn } from "../expr/codegen";
import { compileGenerated } from "../expr/gen";
import type { BExpr } from "../expr/bound";
import type { StatefulOperator } from "./operator";
import { groupKeyCode, keyHelpers, tupleKey } from "./keys";
import { MemoryStateStore, type StateValueCodec } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";
import { typeString } from "../types";

type AggNode = Extract<PlanNode, { op: "aggregate" }>;

interface Group {
  /** Key values (a window key as {start, end}). */
  k: unknown[];
  /** Accumulator slots (those of typed slots are stale: see `d` and `accumulators`). */
  a: unknown[];
  /** Typed slots' accumulators (double sum and avg): two doubles each, no number allocated per row. */
  d?: Float64Array;
  /** Last batch that updated it. */
  t: number;
  /** Event-time bound for eviction: window end or the event-time key; null without a watermark. */
  et: number | null;
}

interface Session {
  start: number;
  end: number;
  /** Events: [ts, arg0, arg1, ...]; folded into accumulators when output. */
  events: unknown[][];
  t: number;
}

/**
 * Generated code setting `g` to the group of the current row. With two or more keys, all primitive, groups seen
 * in this batch are found in `L`, a batch-local tree of Maps keyed by the key values themselves (Map's
 * SameValueZero matches the encoded key's equality: `typeof` kept, -0 and 0 one key, NaN one key, null for
 * undefined), so the encoded key string is built and the state store read once per distinct group and batch,
 * not per row. A row with an object among its keys (never for these types) takes the store directly.
 */
function groupLookup(parts: { code: string; primitive: boolean }[], fresh: string): string {
  const hk = groupKeyCode(parts);
  const fromStore = `const hk = ${hk}; g = groups.get(hk); if (g === undefined) g = ${fresh}; if (g.t !== batchId) { g.t = batchId; m.updated++; groups.put(hk, g); }`;
  if (parts.length < 2 || parts.some((p) => !p.primitive)) return `let g; ${fromStore}`;
  const lk = parts.map((p) => (p.code === "ws" ? "ws" : `(${p.code} ?? null)`));
  const objects = parts.filter((p) => p.code !== "ws").map((p) => `(typeof ${p.code} === "object" && ${p.code} !== null)`);
  const lines: string[] = [`let g;`, `if (${objects.join(" || ") || "false"}) { ${fromStore} } else {`, `let m0 = L;`];
  for (let j = 0; j < parts.length - 1; j++) {
    const get = `m${j + 1} = m${j}.get(${lk[j]}); if (m${j + 1} === undefined) { m${j + 1} = new Map(); m${j}.set(${lk[j]}, m${j + 1}); }`;
    // The first key (a window start) is usually the previous row's: its inner Map is kept (LK, LM) across rows.
    if (j === 0) lines.push(`let m1; if (LM !== undefined && LK === ${lk[0]}) m1 = LM; else { ${get} LK = ${lk[0]}; LM = m1; }`);
    else lines.push(`let ${get}`);
  }
  const last = parts.length - 1;
  lines.push(`g = m${last}.get(${lk[last]}); if (g === undefined) { ${fromStore} m${last}.set(${lk[last]}, g); }`, `}`);
  return lines.join("\n");
}

/**
 * Slots whose accumulators live in the group's Float64Array `d` (two doubles each, at `typedOffsets`): sum over a
 * double or float argument (d = [sum, seen]) and avg (d = [sum, count]), not distinct. A JS array slot holding a
 * sum gets a new heap number per row; a Float64Array element does not. Long and decimal sums keep the array path.
 */
function typedSlot(s: AggNode["slots"][number]): "sum" | "avg" | null {
  if (s.distinct || !s.arg) return null;
  if (s.fn === "sum" && (s.arg.type.kind === "double" || s.arg.type.kind === "float")) return "sum";
  if (s.fn === "avg" && s.arg.type.kind === "double") return "avg";
  return null;
}

function isPrimitiveKey(b: BExpr): boolean {
  return !["struct", "array", "map", "binary"].includes(b.type.kind);
}

export class AggregateOperator implements StatefulOperator {
  readonly operatorName: string;
  private readonly pre: ProjectFn;
  private readonly post: ProjectFn;
  private readonly update: (P: unknown[][], n: number, groups: MemoryStateStore<Group>, batchId: number, wm: number, m: { dropped: number; updated: number; late?: (i: number, et: unknown) => void }) => void;
  private readonly fold: (events: unknown[][]) => unknown[];
  /** Groups by key (tumbling and sliding windows, plain keys). */
  private readonly groups: MemoryStateStore<Group>;
  /** Session windows by their non-window keys. */
  private readonly sessions: MemoryStateStore<{ k: unknown[]; list: Session[] }>;
  private readonly slotOffsets: number[] = [];
  /** Per slot: its offset in a group's `d` when typed (see typedSlot), else -1. */
  private readonly typedOffsets: number[] = [];
  private readonly typedKinds: ("sum" | "avg" | null)[] = [];
  private readonly typedWidth: number = 0;
  metrics = { updated: 0, removed: 0, dropped: 0 };

  constructor(private readonly node: AggNode) {
    const { keys, slots, timeKey } = node;
    this.operatorName = timeKey?.kind === "session" ? "sessionWindowStateStoreSaveExec" : "stateStoreSave";
    this.groups = new MemoryStateStore(this.operatorName);
    this.sessions = new MemoryStateStore(this.operatorName);
    const argExprs: BExpr[] = slots.map((s) => s.arg ?? { k: "lit", value: 1, type: { kind: "integer" } });
    // count(*) reads no column: its argument is the constant 1 in the update (no column of 1s built per batch),
    // except for session windows, whose events keep every argument.
    const constOne = slots.map((s) => s.arg === null && timeKey?.kind !== "session");
    this.pre = compileProjection([...keys, ...argExprs], constOne.some(Boolean) ? [...keys.map(() => true), ...constOne.map((c) => !c)] : undefined);
    this.post = compileProjection(node.post);
    let offset = 0;
    for (const s of slots) {
      this.slotOffsets.push(offset);
      offset += s.def.init.length;
    }
    const inits = slots.flatMap((s) => s.def.init);
    let width = 0;
    for (const s of slots) {
      const kind = typedSlot(s);
      this.typedKinds.push(kind);
      this.typedOffsets.push(kind ? width : -1);
      if (kind) width += 2;
    }
    this.typedWidth = width;
    // sum keeps its first value as it is (-0 stays -0, as `null + v` would not), then adds.
    const typedUpdate = (j: number): string => {
      const o = this.typedOffsets[j];
      return this.typedKinds[j] === "sum"
        ? `if (V${j} != null) { if (D[${o + 1}] === 0) { D[${o}] = V${j}; D[${o + 1}] = 1; } else D[${o}] += V${j}; }`
        : `if (V${j} != null) { D[${o}] += V${j}; D[${o + 1}]++; }`;
    };
    const updates = [width ? "const D = g.d;" : "", ...slots.map((s, j) => (this.typedKinds[j] ? typedUpdate(j) : s.def.update(`V${j}`, (k) => `a[${this.slotOffsets[j] + k}]`)))].join("\n");
    const dInit = width ? `, d: new Float64Array(${width})` : "";
    const nk = keys.length;
    const hoist = [...keys.map((_, j) => `const K${j} = P[${j}];`), ...slots.map((_, j) => `const AV${j} = P[${nk + j}];`)].join("\n");
    const readValues = slots.map((_, j) => (constOne[j] ? `const V${j} = 1;` : `const V${j} = AV${j}[i];`)).join("\n");
    const etk = node.eventTimeKey;
    const helpers = keyHelpers;
    let body: string;
    if (timeKey?.kind === "window") {
      const tk = timeKey.keyIndex;
      const parts = keys.map((k, j) => (j === tk ? { code: "ws", primitive: true } : { code: `K${j}[i]`, primitive: isPrimitiveKey(k) }));
      const keyVals = keys.map((_, j) => (j === tk ? `{ start: ws, end: we }` : `K${j}[i]`)).join(", ");
      const { sizeMs, slideMs, startMs } = timeKey;
      body = `
for (let i = 0; i < n; i++) {
  const ts = K${tk}[i];
  if (ts == null) continue;
  ${readValues}
  const last = ${startMs} + Math.floor((ts - ${startMs}) / ${slideMs}) * ${slideMs};
  for (let ws = last; ws > ts - ${sizeMs}; ws -= ${slideMs}) {
    const we = ws + ${sizeMs};
    if (we <= wm) { m.dropped++; if (m.late) m.late(i, ts); continue; }
    ${groupLookup(parts, `{ k: [${keyVals}], a: [${inits.join(", ")}], t: -1, et: ${etk !== null ? "we" : "null"}${dInit} }`)}
    const a = g.a;
    ${updates}
  }
}`;
    } else if (timeKey?.kind === "session") {
      body = "";
    } else {
      const parts = keys.map((k, j) => ({ code: `K${j}[i]`, primitive: isPrimitiveKey(k) }));
      const keyVals = keys.map((_, j) => `K${j}[i]`).join(", ");
      body = `
for (let i = 0; i < n; i++) {
  ${etk !== null ? `const et = K${etk}[i]; if (et != null && et <= wm) { m.dropped++; if (m.late) m.late(i, et); continue; }` : ""}
  ${readValues}
  ${groupLookup(parts, `{ k: [${keyVals}], a: [${inits.join(", ")}], t: -1, et: ${etk !== null ? `K${etk}[i]` : "null"}${dInit} }`)}
  const a = g.a;
  ${updates}
}`;
    }
    const names = Object.keys(helpers);
    this.update = compileGenerated(names, `"use strict";\nreturn function update(P, n, groups, batchId, wm, m) {\nconst L = new Map();\nlet LK, LM;\n${hoist}\n${body}\n};`, names.map((n) => helpers[n as keyof typeof helpers]));
    // Session windows keep their events and fold them on output (sessions merge, so accumulators would need merging).
    const foldUpdates = slots.map((s, j) => s.def.update(`V${j}`, (k) => `a[${this.slotOffsets[j] + k}]`)).join("\n");
    this.fold = compileGenerated([], `"use strict";\nreturn function fold(events) {\nconst a = [${inits.join(", ")}];\nfor (const ev of events) {\n${slots.map((_, j) => `const V${j} = ev[${j + 1}];`).join("\n")}\n${foldUpdates}\n}\nreturn a;\n};`, []);
  }

  private readColumnList?: number[];
  /** The input columns the aggregate reads (the others are pruned away upstream). */
  private readColumns(): number[] {
    if (!this.readColumnList) {
      const uses = new Map<number, number>();
      for (const k of this.node.keys) columnUses(k, uses);
      for (const s of this.node.slots) if (s.arg) columnUses(s.arg, uses);
      this.readColumnList = [...uses.keys()].sort((a, b) => a - b);
    }
    return this.readColumnList;
  }

  numRowsTotal(): number {
    if (this.node.timeKey?.kind === "session") {
      let n = 0;
      for (const [, s] of this.sessions.iterator()) n += s.list.length;
      return n;
    }
    return this.groups.size;
  }

  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    // Complete mode keeps every group and aggregates late rows too: the watermark only serves eviction.
    const wm = this.node.eventTimeKey !== null && ctx.streaming && ctx.mode !== "complete" ? ctx.watermarkMs : -Infinity;
    // Rows are late by the previous batch's watermark (Spark's late-events watermark); state is evicted by this one's.
    const lateWm = Math.min(wm, ctx.lateWatermarkMs ?? wm);
    const P = this.pre(b.cols, b.n, ctx);
    const onLate = ctx.onLate;
    const late = onLate ? (i: number, et: unknown) => onLate(b, i, typeof et === "number" ? et : null, this.node.child.schema, this.readColumns()) : undefined;
    if (this.node.timeKey?.kind === "session") return this.runSessions(P, b.n, ctx, wm, lateWm, late);
    this.update(P, b.n, this.groups, ctx.batchId, lateWm, late ? Object.assign(this.metrics, { late }) : this.metrics);
    const out: Group[] = [];
    const mode = ctx.streaming ? ctx.mode : "complete";
    if (mode === "complete") {
      for (const [, g] of this.groups.iterator()) out.push(g);
    } else if (mode === "update") {
      for (const [, g] of this.groups.iterator()) if (g.t === ctx.batchId) out.push(g);
    }
    if (mode !== "complete" && wm > -Infinity) {
      for (const [hk, g] of this.groups.iterator()) {
        if (g.et !== null && g.et <= wm) {
          if (mode === "append") out.push(g);
          this.groups.remove(hk);
          this.metrics.removed++;
        }
      }
    }
    if (mode === "append") out.sort((x, y) => (x.et as number) - (y.et as number));
    return this.emit(out.map((g) => [g.k, this.accumulators(g)]));
  }

  /** A group's accumulator slots as the aggregate functions keep them (typed slots read back from `d`). */
  private accumulators(g: Group): unknown[] {
    const d = g.d;
    if (!d) return g.a;
    const a = g.a.slice();
    this.typedKinds.forEach((kind, j) => {
      const o = this.typedOffsets[j];
      const at = this.slotOffsets[j];
      if (kind === "sum") a[at] = d[o + 1] === 0 ? null : d[o];
      else if (kind === "avg") {
        a[at] = d[o];
        a[at + 1] = d[o + 1];
      }
    });
    return a;
  }

  /** The typed accumulators of slots `a` (as accumulators() gives them). */
  private typedFrom(a: unknown[]): Float64Array | undefined {
    if (!this.typedWidth) return undefined;
    const d = new Float64Array(this.typedWidth);
    this.typedKinds.forEach((kind, j) => {
      const o = this.typedOffsets[j];
      const at = this.slotOffsets[j];
      if (kind === "sum" && a[at] !== null) {
        d[o] = a[at] as number;
        d[o + 1] = 1;
      } else if (kind === "avg") {
        d[o] = a[at] as number;
        d[o + 1] = a[at + 1] as number;
      }
    });
    return d;
  }

  private emit(rows: [unknown[], unknown[]][]): Batch {
    const nk = this.node.keys.length;
    const slots = this.node.slots;
    const n = rows.length;
    const cols: unknown[][] = [];
    for (let j = 0; j < nk; j++) {
      const c = new Array(n);
      for (let r = 0; r < n; r++) c[r] = rows[r][0][j];
      cols.push(c);
    }
    slots.forEach((s, j) => {
      const c = new Array(n);
      const off = this.slotOffsets[j];
      const len = s.def.init.length;
      for (let r = 0; r < n; r++) c[r] = s.def.finalize(rows[r][1].slice(off, off + len));
      cols.push(c);
    });
    const projected = this.post(cols, n, { now: Date.now() });
    return { n, cols: projected, rowIds: null };
  }

  private runSessions(P: unknown[][], n: number, ctx: ExecContext, wm: number, lateWm: number, late?: (i: number, et: unknown) => void): Batch {
    const tk = (this.node.timeKey as { keyIndex: number; gapMs: number }).keyIndex;
    const gap = (this.node.timeKey as { gapMs: number }).gapMs;
    const nk = this.node.keys.length;
    for (let i = 0; i < n; i++) {
      const ts = P[tk][i] as number | null;
      if (ts == null) continue;
      if (ts + gap <= lateWm) {
        this.metrics.dropped++;
        late?.(i, ts);
        continue;
      }
      const kv: unknown[] = [];
      for (let j = 0; j < nk; j++) if (j !== tk) kv.push(P[j][i]);
      const hk = tupleKey(kv);
      let entry = this.sessions.get(hk);
      if (!entry) entry = { k: kv, list: [] };
      const ev: unknown[] = [ts];
      for (let j = 0; j < this.node.slots.length; j++) ev.push(P[nk + j][i]);
      let start = ts;
      let end = ts + gap;
      let events: unknown[][] = [ev];
      // Merge every session overlapping or touching [ts, ts + gap) (Spark's MergingSessionsIterator: a session
      // starting at or before the current one's end joins it).
      entry.list = entry.list.filter((s) => {
        if (s.start <= end && start <= s.end) {
          start = Math.min(start, s.start);
          end = Math.max(end, s.end);
          events = events.concat(s.events);
          return false;
        }
        return true;
      });
      // A merged session may now overlap others: repeat until stable.
      for (let merged = true; merged; ) {
        merged = false;
        entry.list = entry.list.filter((s) => {
          if (s.start <= end && start <= s.end) {
            start = Math.min(start, s.start);
            end = Math.max(end, s.end);
            events = events.concat(s.events);
            merged = true;
            return false;
          }
          return true;
        });
      }
      entry.list.push({ start, end, events, t: ctx.batchId });
      this.sessions.put(hk, entry);
      this.metrics.updated++;
    }
    const mode = ctx.streaming ? ctx.mode : "complete";
    const out: [unknown[], unknown[], number][] = [];
    const toRow = (entry: { k: unknown[] }, s: Session): [unknown[], unknown[], number] => {
      const keys: unknown[] = [];
      let x = 0;
      for (let j = 0; j < nk; j++) keys.push(j === tk ? { start: s.start, end: s.end } : entry.k[x++]);
      return [keys, this.fold(s.events), s.end];
    };
    for (const [hk, entry] of this.sessions.iterator()) {
      const before = entry.list.length;
      entry.list = entry.list.filter((s) => {
        if (mode === "complete" || (mode === "update" && s.t === ctx.batchId)) out.push(toRow(entry, s));
        if (mode !== "complete" && this.node.eventTimeKey !== null && s.end <= wm) {
          if (mode === "append") out.push(toRow(entry, s));
          this.metrics.removed++;
          return false;
        }
        return true;
      });
      if (entry.list.length === 0) this.sessions.remove(hk);
      else if (entry.list.length !== before) this.sessions.put(hk, entry);
    }
    if (mode === "append") out.sort((a, b) => a[2] - b[2]);
    return this.emit(out.map(([k, a]) => [k, a]));
  }

  commit(): void {
    this.groups.commit();
    this.sessions.commit();
  }

  abort(): void {
    this.groups.abort();
    this.sessions.abort();
  }

  /**
   * The store this aggregation uses, its schema (keys by type, a window as struct<start,end>; one value field per
   * aggregate, named by its function) and the codec of its files: a group as [slots (saved), last batch,
   * event-time bound, keys]; a session list as [keys, sessions].
   */
  stateStores(): StateStoreBinding[] {
    const node = this.node;
    const tk = node.timeKey ? node.timeKey.keyIndex : -1;
    const keySchema = node.keys.map((k, j) => ({ name: node.keyNames[j] ?? `key${j}`, type: j === tk ? "struct<start:timestamp,end:timestamp>" : typeString(k.type) }));
    const valueSchema = node.slots.map((s) => {
      let type = "unknown";
      try {
        type = typeString(s.def.resolve(s.arg ? [s.arg] : [], s.distinct).type);
      } catch {
        // the type was checked when the plan was built
      }
      return { name: s.distinct ? `${s.fn}(distinct)` : s.fn, type };
    });
    const slots = node.slots;
    if (node.timeKey?.kind === "session") {
      return [{ store: this.sessions, schema: { storeName: "default", keySchema, valueSchema } }];
    }
    const codec: StateValueCodec<Group> = {
      encode: (g) => {
        const acc = this.accumulators(g);
        return [
          slots.flatMap((s, j) => {
            const part = acc.slice(this.slotOffsets[j], this.slotOffsets[j] + s.def.init.length);
            return s.def.save ? s.def.save(part) : part;
          }),
          g.t,
          g.et,
          g.k,
        ];
      },
      decode: (d) => {
        const [saved, t, et, k] = d as [unknown[], number, number | null, unknown[]];
        const a = slots.flatMap((sl, j) => {
          const part = saved.slice(this.slotOffsets[j], this.slotOffsets[j] + sl.def.init.length);
          return sl.def.load ? sl.def.load(part) : part;
        });
        const typed = this.typedFrom(a);
        return typed ? { k, a, t, et, d: typed } : { k, a, t, et };
      },
    };
    return [{ store: this.groups, schema: { storeName: "default", keySchema, valueSchema }, codec }];
  }
}
