/**
 * The global watermark of a query with several watermarks (a union or, later, a join of watermarked streams), as
 * Spark's WatermarkTracker: each watermark operator's own watermark is the largest event time it has seen minus
 * its delay (only once it has seen rows); the global one is their minimum (spark.sql.streaming.
 * multipleWatermarkPolicy=min, the default: the slowest stream decides) or maximum (max: the fastest decides,
 * and the slow stream's late rows are dropped). It never moves back. Per-operator watermarks live for the
 * query run; on restart they start again from the checkpoint's global watermark, as in Spark. The policy is
 * recorded in the checkpoint's offsets log: a restarted query keeps the policy it started with.
 */
import { AnalysisError } from "../expr/bound";
import type { EventTimeStats } from "./batch";

export type WatermarkPolicy = "min" | "max";

export function watermarkPolicy(value: string): WatermarkPolicy {
  const v = value.toLowerCase();
  if (v !== "min" && v !== "max") throw new AnalysisError(`spark.sql.streaming.multipleWatermarkPolicy must be 'min' or 'max', not '${value}'`);
  return v;
}

export class WatermarkTracker {
  private readonly own: (number | undefined)[];
  /** The policy a restarted query takes from its checkpoint (Spark ignores the session's then). */
  policy: WatermarkPolicy;
  constructor(readonly delaysMs: readonly number[], policy: WatermarkPolicy) {
    this.policy = policy;
    this.own = delaysMs.map(() => undefined);
  }
  /** The next batch's watermark after a batch with these statistics (one per watermark operator). */
  update(current: number, stats: readonly EventTimeStats[]): number {
    stats.forEach((s, i) => {
      if (s.count > 0) this.own[i] = Math.max(this.own[i] ?? -Infinity, s.max - this.delaysMs[i]);
    });
    if (this.own.every((w) => w === undefined)) return current;
    // As Spark, a watermark that has seen no rows yet counts as 0 (the epoch): with min, the global watermark
    // waits for every input.
    const all = this.own.map((w) => w ?? 0);
    return Math.max(current, this.policy === "min" ? Math.min(...all) : Math.max(...all));
  }
}
