/**
 * The stream-stream join, as Spark's StreamingSymmetricHashJoinExec. Both inputs are read together
 * (sources/multi.ts: the batch carries each input's rows as `parts`) and run through their own pipelines. Each
 * side keeps its rows in a state store keyed by the join key (a list of rows per key, each with whether it has
 * matched). In a batch: the new left rows join the right state; they are added to the left state; the new right
 * rows join the left state (which now holds the new left rows too); they are added to the right state. So every
 * pair is produced once. Then state that no future row can match is dropped, by this batch's watermark: with a
 * watermarked time in the join keys, keys at or below the watermark; with a range condition on the two event
 * times, left rows with time < watermark + lower bound, right rows with time < watermark - upper bound (Spark's
 * StreamingJoinHelper, which keeps the row at the bound itself: "slightly less than"). An outer join emits a dropped row that never matched with nulls for the other side; a
 * left semi join emits a left row at its first match. Input rows at or below the previous batch's watermark on
 * their side's event time are late and dropped (Spark's late-events watermark).
 */
import type { PlanNode, StreamJoinNode } from "../plan/nodes";
import { linearize } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { tupleKey } from "./keys";
import { compilePredicate } from "../expr/codegen";
import { MemoryStateStore, type StateKey } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";
import { typeString, type StructType } from "../types";
import type { PhysicalOperator, StatefulOperator } from "./operator";
import type { SourceBatch } from "../sources/types";

/** A buffered row: its values (the input's columns) and whether it has matched a row of the other side. */
interface Entry {
  r: unknown[];
  m: boolean;
}

type Side = 0 | 1;
/** The state key of an outer side's rows whose join key has a null (keys of real rows are never this string). */
const NULL_KEY = "\u0000streamlab:null-join-key";
type Predicate = (cols: unknown[][], n: number, ctx: ExecContext) => Int32Array;

/** Numbers and numeric strings join equal (a long key against a double key), as the stream-static join. */
function normalize(v: unknown): unknown {
  return typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) && String(Number(v)) === v ? Number(v) : v;
}

/** An event time: a timestamp, or a window's end (Spark judges a window by its end). */
function timeOf(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (v && typeof v === "object") {
    const end = Array.isArray(v) ? (v[1] as unknown) : (v as { end?: unknown }).end;
    return typeof end === "number" ? end : null;
  }
  return null;
}

export class StreamJoinOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "streamJoin";
  readonly operatorName = "symmetricHashJoin";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  private readonly branches: PhysicalOperator[][];
  private readonly schemas: StructType[];
  private readonly widths: number[];
  private readonly stores: [MemoryStateStore<Entry[]>, MemoryStateStore<Entry[]>] = [new MemoryStateStore("left-keyToValues"), new MemoryStateStore("right-keyToValues")];
  private readonly pred: Predicate | null;
  /** Each side's own part of the condition (over the same [left..., right...] layout). */
  private readonly sidePred: (Predicate | null)[];
  /** Each side's watermarked event-time column (late rows are judged by it), or -1. */
  private readonly eventTime: number[];

  constructor(private readonly node: StreamJoinNode, build: (input: PlanNode) => PhysicalOperator[]) {
    this.branches = node.inputs.map(build);
    this.schemas = node.inputs.map((i) => i.schema);
    this.widths = node.inputs.map((i) => linearize(i)[0].schema.fields.length);
    this.pred = node.cond ? compilePredicate(node.cond) : null;
    this.sidePred = [node.leftCond, node.rightCond].map((c) => (c ? compilePredicate(c) : null));
    this.eventTime = this.schemas.map((s) => s.fields.findIndex((f) => f.watermarkDelayMs !== undefined));
  }

  children(): PhysicalOperator[] {
    return this.branches.flat();
  }

  /**
   * Spark's produceOutputWatermark: the minimum of the input watermark and each side's state watermark (the
   * oldest event time a row still in state, so possibly emitted later, can have): left rows stay while
   * leftTime >= wm + lowerMs, right rows while rightTime >= wm - upperMs.
   */
  outputWatermark(inputWatermarkMs: number): number {
    const b = this.node.bounds;
    if (!b || !Number.isFinite(inputWatermarkMs)) return inputWatermarkMs;
    let out = inputWatermarkMs;
    if (this.eventTime[1] >= 0 && Number.isFinite(b.lowerMs)) out = Math.min(out, inputWatermarkMs + b.lowerMs);
    if (this.eventTime[0] >= 0 && Number.isFinite(b.upperMs)) out = Math.min(out, inputWatermarkMs - b.upperMs);
    return out;
  }

  numRowsTotal(): number {
    let n = 0;
    for (const s of this.stores) for (const [, list] of s.iterator()) n += list.length;
    return n;
  }

  private keys(side: Side): number[] {
    return side === 0 ? this.node.leftKeys : this.node.rightKeys;
  }

  /** The join key of a row (null when a key column is null: such a row never matches). */
  private keyOf(side: Side, row: unknown[]): StateKey | undefined {
    const ks = this.keys(side);
    const t = new Array<unknown>(ks.length);
    for (let j = 0; j < ks.length; j++) {
      const v = row[ks[j]];
      if (v == null && !this.node.nullSafe[j]) return undefined;
      t[j] = normalize(v);
    }
    return tupleKey(t);
  }

  /** State of `side` no future row of the other side can match (after this batch with watermark `wm`). */
  private expired(side: Side, row: unknown[], wm: number): boolean {
    if (wm === -Infinity) return false;
    const { timeKey, bounds } = this.node;
    if (timeKey !== null) {
      const t = timeOf(row[this.keys(side)[timeKey]]);
      if (t !== null && t <= wm) return true;
    }
    if (bounds) {
      const other = this.eventTime[side === 0 ? 1 : 0];
      if (other < 0) return false;
      if (side === 0 && Number.isFinite(bounds.lowerMs)) {
        const l = row[bounds.leftTime] as number | null;
        return l !== null && l < wm + bounds.lowerMs;
      }
      if (side === 1 && Number.isFinite(bounds.upperMs)) {
        const r = row[bounds.rightTime] as number | null;
        return r !== null && r < wm - bounds.upperMs;
      }
    }
    return false;
  }

  /** The input rows of `side` as row arrays, without late ones. */
  private rowsOf(side: Side, b: Batch, ctx: ExecContext, lateWm: number): unknown[][] {
    const rows: unknown[][] = [];
    const et = this.eventTime[side];
    const width = this.schemas[side].fields.length;
    for (let i = 0; i < b.n; i++) {
      const row = new Array<unknown>(width);
      for (let c = 0; c < width; c++) {
        const col = b.cols[c];
        row[c] = col && col.length ? col[i] : null;
      }
      const t = et >= 0 ? timeOf(row[et]) : null;
      if (t !== null && t <= lateWm) {
        this.metrics.dropped++;
        ctx.onLate?.(b, i, t, this.schemas[side]);
        continue;
      }
      rows.push(row);
    }
    return rows;
  }

  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    const inputs = this.branches.map((ops, i) => {
      const part: SourceBatch | undefined = b.parts?.[i];
      let cur: Batch = part ? { n: part.numRows, cols: part.columns, rowIds: null, parts: part.parts } : { n: 0, cols: Array.from({ length: this.widths[i] }, () => []), rowIds: null };
      const branchCtx: ExecContext = { ...ctx, describeRow: (r) => part?.describeRow?.(r) ?? `row ${r} of the ${i === 0 ? "left" : "right"} stream of the join in batch ${ctx.batchId}` };
      for (const op of ops) cur = op.run(cur, branchCtx);
      return cur;
    });
    const wm = ctx.streaming ? ctx.watermarkMs : -Infinity;
    const lateWm = Math.min(wm, ctx.lateWatermarkMs ?? wm);
    const how = this.node.how;
    const outL: (unknown[] | null)[] = [];
    const outR: (unknown[] | null)[] = [];
    const emit = (l: unknown[] | null, r: unknown[] | null) => {
      outL.push(l);
      outR.push(r);
    };
    const outerSide = (side: Side) => (side === 0 ? how === "left" || how === "full" : how === "right" || how === "full");
    for (const side of [0, 1] as Side[]) {
      const other: Side = side === 0 ? 1 : 0;
      const rows = this.sideFilter(side, this.rowsOf(side, inputs[side], ctx, lateWm), ctx, (row) => {
        if (outerSide(side)) emit(side === 0 ? row : null, side === 0 ? null : row);
      });
      const mine = this.stores[side];
      const theirs = this.stores[other];
      // Candidate pairs: each new row with the other side's rows of the same key.
      const cand: [number, Entry[], number, StateKey][] = [];
      const keys: (StateKey | undefined)[] = rows.map((row) => this.keyOf(side, row));
      rows.forEach((_, i) => {
        const k = keys[i];
        if (k === undefined) return;
        const list = theirs.get(k);
        if (list) for (let j = 0; j < list.length; j++) cand.push([i, list, j, k]);
      });
      const ok = this.evaluate(side, rows, cand, ctx);
      const matched = new Uint8Array(rows.length);
      const touched = new Map<StateKey, Entry[]>();
      cand.forEach(([i, list, j], c) => {
        if (!ok[c]) return;
        const e = list[j];
        if (how === "leftsemi") {
          // A left row is emitted at its first match only.
          if (side === 0 && !matched[i]) emit(rows[i], null);
          if (side === 1 && !e.m) emit(e.r, null);
        } else emit(side === 0 ? rows[i] : e.r, side === 0 ? e.r : rows[i]);
        matched[i] = 1;
        if (!e.m) {
          e.m = true;
          touched.set(cand[c][3], list);
        }
      });
      // Mark the other side's entries that matched as updated (the delta file records the new flag).
      for (const [k, list] of touched) theirs.put(k, list);
      rows.forEach((row, i) => {
        const k = keys[i];
        const m = matched[i] === 1;
        // A row of an outer side with a null key never matches, but waits in the state like the others (under
        // a key no lookup makes) and comes out with nulls when the watermark passes it, as in Spark.
        const sk = k === undefined && outerSide(side) ? NULL_KEY : k;
        // A left row is kept even when this batch's watermark evicts it: the right rows of this batch have not
        // met it yet (Spark's AddingProcessedRowToStateCompletionIterator); the eviction below drops it then
        // (with nulls for an outer join if nothing matched). A right row has met every left row of the batch.
        const keep = sk !== undefined && (side === 0 || !this.expired(side, row, wm)) && !(how === "leftsemi" && side === 0 && m);
        if (keep) {
          const list = mine.get(sk);
          if (list) list.push({ r: row, m });
          mine.put(sk, list ?? [{ r: row, m }]);
          this.metrics.updated++;
        } else if (!m && outerSide(side)) emit(side === 0 ? row : null, side === 0 ? null : row);
      });
    }
    // Eviction: state no future row can match; unmatched rows of an outer side come out with nulls.
    if (wm > -Infinity) {
      for (const side of [0, 1] as Side[]) {
        const store = this.stores[side];
        for (const [k, list] of store.iterator()) {
          const keep = list.filter((e) => !this.expired(side, e.r, wm));
          if (keep.length === list.length) continue;
          if (outerSide(side)) for (const e of list) if (!e.m && !keep.includes(e)) emit(side === 0 ? e.r : null, side === 0 ? null : e.r);
          this.metrics.removed += list.length - keep.length;
          if (keep.length) store.put(k, keep);
          else store.remove(k);
        }
      }
    }
    return this.project(outL, outR);
  }

  /** Rows passing their side's part of the condition; the others (which can never match) go to `never`. */
  private sideFilter(side: Side, rows: unknown[][], ctx: ExecContext, never: (row: unknown[]) => void): unknown[][] {
    const pred = this.sidePred[side];
    if (!pred || !rows.length) return rows;
    const [wl, wr] = [this.schemas[0].fields.length, this.schemas[1].fields.length];
    const cols: unknown[][] = Array.from({ length: wl + wr }, () => new Array<unknown>(rows.length).fill(null));
    const off = side === 0 ? 0 : wl;
    const width = side === 0 ? wl : wr;
    rows.forEach((row, i) => {
      for (let x = 0; x < width; x++) cols[off + x][i] = row[x];
    });
    const ok = new Uint8Array(rows.length);
    for (const i of pred(cols, rows.length, ctx)) ok[i] = 1;
    const out: unknown[][] = [];
    rows.forEach((row, i) => (ok[i] ? out.push(row) : never(row)));
    return out;
  }

  /** The non-key condition on each candidate pair (all true without one). */
  private evaluate(side: Side, rows: unknown[][], cand: [number, Entry[], number, StateKey][], ctx: ExecContext): Uint8Array {
    const ok = new Uint8Array(cand.length);
    if (!this.pred) {
      ok.fill(1);
      return ok;
    }
    if (!cand.length) return ok;
    const [wl, wr] = [this.schemas[0].fields.length, this.schemas[1].fields.length];
    const cols: unknown[][] = Array.from({ length: wl + wr }, () => new Array<unknown>(cand.length));
    cand.forEach(([i, list, j], c) => {
      const l = side === 0 ? rows[i] : list[j].r;
      const r = side === 0 ? list[j].r : rows[i];
      for (let x = 0; x < wl; x++) cols[x][c] = l[x];
      for (let x = 0; x < wr; x++) cols[wl + x][c] = r[x];
    });
    for (const c of this.pred(cols, cand.length, ctx)) ok[c] = 1;
    return ok;
  }

  private project(outL: (unknown[] | null)[], outR: (unknown[] | null)[]): Batch {
    const n = outL.length;
    const cols = this.node.output.map(({ l, r }) => {
      const out = new Array<unknown>(n);
      for (let k = 0; k < n; k++) {
        const lv = l !== undefined && outL[k] ? outL[k]![l] : null;
        out[k] = lv ?? (r !== undefined && outR[k] ? outR[k]![r] : null);
      }
      return out;
    });
    return { n, cols, rowIds: null };
  }

  commit(): void {
    for (const s of this.stores) s.commit();
  }

  abort(): void {
    for (const s of this.stores) s.abort();
  }

  stateStores(): StateStoreBinding[] {
    return ([0, 1] as Side[]).map((side) => {
      const fields = this.schemas[side].fields;
      return {
        store: this.stores[side],
        schema: {
          storeName: side === 0 ? "left-keyToValues" : "right-keyToValues",
          keySchema: this.keys(side).map((k) => ({ name: fields[k].name, type: typeString(fields[k].type) })),
          valueSchema: [...fields.map((f) => ({ name: f.name, type: typeString(f.type) })), { name: "matched", type: "boolean" }],
        },
      };
    });
  }
}
