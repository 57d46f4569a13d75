/**
 * Sort and Limit operators. Sort computes its keys with one compiled projection and orders row indexes (Spark's
 * ordering: NULLs first ascending, last descending unless asked otherwise; stable). Limit takes the first n rows
 * of a batch; in append mode over a stream it counts the rows emitted so far in its state store (as Spark's
 * StreamingGlobalLimitExec), so a restarted query does not emit more than n in all.
 */
import type { PlanNode } from "../plan/nodes";
import { gather, type Batch, type ExecContext } from "./batch";
import { withRowErrors, type PhysicalOperator, type StatefulOperator } from "./operator";
import { compileProjection } from "../expr/codegen";
import { MemoryStateStore } from "../state/store";
import type { StateStoreBinding } from "../state/checkpoint";

export class SortOperator implements PhysicalOperator {
  readonly name = "sort";
  private readonly keys;
  constructor(private readonly node: Extract<PlanNode, { op: "sort" }>) {
    this.keys = compileProjection(node.keys.map((k) => k.expr));
  }
  run(b: Batch, ctx: ExecContext): Batch {
    const cols = withRowErrors(b, ctx, () => this.keys(b.cols, b.n, ctx));
    const spec = this.node.keys;
    const order = Array.from({ length: b.n }, (_, i) => i);
    order.sort((i, j) => {
      for (let k = 0; k < spec.length; k++) {
        const x = cols[k][i];
        const y = cols[k][j];
        if (x == null || y == null) {
          if (x == null && y == null) continue;
          return (x == null) === spec[k].nullsFirst ? -1 : 1;
        }
        const c = compare(x, y);
        if (c) return spec[k].desc ? -c : c;
      }
      return i - j;
    });
    return gather(b, Int32Array.from(order));
  }
}

function compare(x: unknown, y: unknown): number {
  if (typeof x === "object" && typeof y === "object") return compare(JSON.stringify(x), JSON.stringify(y));
  return x === y ? 0 : (x as number) < (y as number) ? -1 : 1;
}

export class LimitOperator implements PhysicalOperator, StatefulOperator {
  readonly name = "limit";
  readonly operatorName = "globalLimit";
  readonly state = this;
  metrics = { updated: 0, removed: 0, dropped: 0 };
  /** One entry: the rows emitted so far (append mode over a stream). */
  private readonly store = new MemoryStateStore<number>("globalLimit");
  constructor(private readonly node: Extract<PlanNode, { op: "limit" }>) {}
  numRowsTotal(): number {
    return this.store.size;
  }
  run(b: Batch, ctx: ExecContext): Batch {
    this.metrics = { updated: 0, removed: 0, dropped: 0 };
    const stateful = ctx.streaming && ctx.mode === "append";
    const before = stateful ? (this.store.get(null) ?? 0) : 0;
    const k = Math.max(0, Math.min(b.n, this.node.n - before));
    if (stateful && k > 0) {
      this.store.put(null, before + k);
      this.metrics.updated = 1;
    }
    if (k === b.n) return b;
    const sel = new Int32Array(k);
    for (let r = 0; r < k; r++) sel[r] = r;
    return gather(b, sel);
  }
  commit(): void {
    this.store.commit();
  }
  abort(): void {
    this.store.abort();
  }
  stateStores(): StateStoreBinding[] {
    return [{ store: this.store, schema: { storeName: "default", keySchema: [], valueSchema: [{ name: "count", type: "bigint" }] } }];
  }
}
