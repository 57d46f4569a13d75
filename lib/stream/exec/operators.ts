/** The stateless physical operators (project, filter, watermark), deduplication and the stream-static join. */
import type { PlanNode } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import { gather } from "./batch";
import { keyOf, tupleKey } from "./keys";
import { compilePredicate, compileProjection } from "../expr/codegen";
import { MemoryStateStore } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";
import { typeString } from "../types";
import { withRowErrors, type PhysicalOperator, type StatefulOperator } from "./operator";

export class ProjectOperator implements PhysicalOperator {
  readonly name = "project";
  private readonly fn;
  /** `numericColumns`: the consumers read columns by index only, so double/timestamp columns may be Float64Arrays. */
  constructor(node: Extract<PlanNode, { op: "project" }>, needed?: boolean[], numericColumns = false) {
    this.fn = compileProjection(node.exprs, needed, numericColumns);
  }
  run(b: Batch, ctx: ExecContext): Batch {
    return withRowErrors(b, ctx, () => ({ n: b.n, cols: this.fn(b.cols, b.n, ctx), rowIds: b.rowIds }));
  }
}

export class FilterOperator implements PhysicalOperator {
  readonly name = "filter";
  private readonly fn;
  constructor(node: Extract<PlanNode, { op: "filter" }>) {
    this.fn = compilePredicate(node.cond);
  }
  run(b: Batch, ctx: ExecContext): Batch {
    const sel = withRowErrors(b, ctx, () => this.fn(b.cols, b.n, ctx));
    return sel.length === b.n ? b : gather(b, sel);
  }
}

/** Records event-time statistics for the watermark; rows pass through (stateful operators drop late rows). */
export class WatermarkOperator implements PhysicalOperator {
  readonly name = "watermark";
  /** `index`: this watermark's number in the query (each has its own statistics for the global watermark). */
  constructor(private readonly column: number, private readonly index = 0) {}
  run(b: Batch, ctx: ExecContext): Batch {
    const col = b.cols[this.column] as (number | null)[];
    const s = ctx.eventTime;
    const own = ctx.eventTimes?.[this.index];
    for (let i = 0; i < b.n; i++) {
      const t = col[i];
      if (t == null) continue;
      if (t < s.min) s.min = t;
      if (t > s.max) s.max = t;
      s.sum += t;
      s.count++;
      if (own) {
        if (t < own.min) own.min = t;
        if (t > own.max) own.max = t;
        own.sum += t;
        own.count++;
      }
    }
    return b;
  }
}

export class DedupOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "dedup";
  readonly operatorName = "dedupe";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  /** Spark's dedupe custom metric: rows of the batch dropped as duplicates of a seen key. */
  customMetrics = { numDroppedDuplicateRows: 0 };
  /** Seen keys -> their event time (null without a watermarked event-time key). */
  private readonly store = new MemoryStateStore<number | null>("dedupe");
  constructor(private readonly node: Extract<PlanNode, { op: "dedup" }>) {}
  numRowsTotal(): number {
    return this.store.size;
  }
  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    this.customMetrics = { numDroppedDuplicateRows: 0 };
    const keys = this.node.keys.map((k) => b.cols[k]);
    const et = this.node.eventTime !== null ? (b.cols[this.node.eventTime] as (number | null)[]) : null;
    const wm = et && ctx.streaming ? ctx.watermarkMs : -Infinity;
    // Late rows by the previous batch's watermark (Spark's late-events watermark); eviction below by this one's.
    const lateWm = Math.min(wm, ctx.lateWatermarkMs ?? wm);
    const store = this.store;
    const sel = new Int32Array(b.n);
    let m = 0;
    const tuple: unknown[] = new Array(keys.length);
    for (let i = 0; i < b.n; i++) {
      if (et && et[i] != null && (et[i] as number) <= lateWm) {
        this.metrics.dropped++;
        ctx.onLate?.(b, i, et[i], this.node.child.schema, this.node.keys);
        continue;
      }
      let hk;
      if (keys.length === 1) hk = keyOf(keys[0][i]);
      else {
        for (let j = 0; j < keys.length; j++) tuple[j] = keys[j][i];
        hk = tupleKey(tuple);
      }
      if (store.get(hk) !== undefined) {
        this.customMetrics.numDroppedDuplicateRows++;
        continue;
      }
      store.put(hk, et ? et[i] : null);
      this.metrics.updated++;
      sel[m++] = i;
    }
    if (wm > -Infinity) {
      for (const [hk, t] of store.iterator()) {
        if (t !== null && t <= wm) {
          store.remove(hk);
          this.metrics.removed++;
        }
      }
    }
    return m === b.n ? b : gather(b, sel.subarray(0, m));
  }
  commit(): void {
    this.store.commit();
  }
  abort(): void {
    this.store.abort();
  }
  stateStores(): StateStoreBinding[] {
    const fields = this.node.child.schema.fields;
    return [{
      store: this.store,
      schema: {
        storeName: "default",
        keySchema: this.node.keys.map((k) => ({ name: fields[k].name, type: typeString(fields[k].type) })),
        valueSchema: this.node.eventTime !== null ? [{ name: "eventTime", type: "timestamp" }] : [],
      },
    }];
  }
}

/** Stream-static join: the static side is computed once and hashed on its keys. */
export class StaticJoinOperator implements PhysicalOperator {
  readonly name = "join";
  private readonly table = new Map<unknown, number[]>();
  private readonly right: Batch;
  /** `right`: the static side, computed once (exec/pipeline.ts runs its plan). */
  constructor(private readonly node: Extract<PlanNode, { op: "join" }>, right: Batch) {
    this.right = right;
    const tuple: unknown[] = new Array(node.rightKeys.length);
    for (let r = 0; r < this.right.n; r++) {
      let hasNull = false;
      for (let j = 0; j < node.rightKeys.length; j++) {
        const v = this.right.cols[node.rightKeys[j]][r];
        if (v == null) hasNull = true;
        tuple[j] = normalizeJoinKey(v);
      }
      if (hasNull) continue;
      const hk = tupleKey(tuple);
      const list = this.table.get(hk);
      if (list) list.push(r);
      else this.table.set(hk, [r]);
    }
  }
  run(b: Batch): Batch {
    const { leftKeys, output, how } = this.node;
    const leftIdx: number[] = [];
    const rightIdx: number[] = [];
    const tuple: unknown[] = new Array(leftKeys.length);
    for (let i = 0; i < b.n; i++) {
      let hasNull = false;
      for (let j = 0; j < leftKeys.length; j++) {
        const v = b.cols[leftKeys[j]][i];
        if (v == null) hasNull = true;
        tuple[j] = normalizeJoinKey(v);
      }
      const matches = hasNull ? undefined : this.table.get(tupleKey(tuple));
      if (matches) {
        for (const r of matches) {
          leftIdx.push(i);
          rightIdx.push(r);
        }
      } else if (how === "left") {
        leftIdx.push(i);
        rightIdx.push(-1);
      }
    }
    const m = leftIdx.length;
    const cols = output.map(([side, c]) => {
      const src = side === "l" ? b.cols[c] : this.right.cols[c];
      const idx = side === "l" ? leftIdx : rightIdx;
      const out = new Array<unknown>(m);
      for (let k = 0; k < m; k++) out[k] = idx[k] < 0 ? null : src[idx[k]];
      return out;
    });
    const rowIds = new Int32Array(m);
    for (let k = 0; k < m; k++) rowIds[k] = b.rowIds ? b.rowIds[leftIdx[k]] : leftIdx[k];
    return { n: m, cols, rowIds };
  }
}

/** Numbers and numeric strings join equal (a long key against a double key). */
function normalizeJoinKey(v: unknown): unknown {
  return typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) && String(Number(v)) === v ? Number(v) : v;
}
