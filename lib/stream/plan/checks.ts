/**
 * Every streaming restriction in one place, as Spark's `UnsupportedOperationChecker`: which output modes a
 * plan allows, which operations a streaming plan cannot contain, what a streaming DataFrame cannot do. Spark's
 * own message comes first wherever Spark has the same rule, so a notebook user can search for it; streamlab's
 * hint (what to do instead) follows.
 */
import { AnalysisError } from "../expr/bound";
import { countStateful, linearize, type PlanNode } from "./nodes";
import type { OutputMode } from "../sinks/registry";
import { checkGroupState } from "./stateful";

type AggregateNode = Extract<PlanNode, { op: "aggregate" }>;

export const MESSAGES = {
  notStreaming: "'writeStream' can be called only on streaming Dataset/DataFrame",
  streamingAction: "Queries with streaming sources must be executed with writeStream.start()",
  completeWithoutAggregation: "Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets",
  appendWithoutWatermark: "Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark",
  updateSessionWindow: "Update output mode not supported for session window on streaming DataFrames/DataSets",
  globalSessionWindow: "Global aggregation with session window in streaming query is not supported.",
  distinctAggregation: "Distinct aggregations are not supported on streaming DataFrames/Datasets. Consider using approx_count_distinct() instead.",
  multipleAggregations: "Multiple streaming aggregations are not supported with streaming DataFrames/Datasets",
  streamStreamJoin: "Join between two streaming DataFrames/Datasets is not supported here",
  dedupAfterAggregation: "dropDuplicates after a streaming aggregation is not supported",
  joinAfterAggregation: "a join after a streaming aggregation is not supported",
  /** Spark's UnsupportedOperationChecker wording for stream-stream joins. */
  streamJoinOutputMode: (mode: string) => `Join between two streaming DataFrames/Datasets is not supported in ${mode[0].toUpperCase()}${mode.slice(1)} output mode, only in Append output mode`,
  streamOuterJoinWatermark: (how: string) => `Stream-stream ${how} join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition`,
  unionStreamBatch: "Union between streaming and batch DataFrames/Datasets is not supported",
} as const;

/** `df.writeStream` on a static DataFrame. */
export function checkWriteStream(plan: PlanNode): void {
  if (!plan.streaming) throw new AnalysisError(`${MESSAGES.notStreaming}: a static DataFrame (spark.createDataFrame, spark.table) has collect(), show() and toDanfo(); streams come from spark.readStream`);
}

/** collect(), show(), count(), toDanfo() on a streaming DataFrame. */
export function checkStaticAction(plan: PlanNode, action: string): void {
  if (plan.streaming) throw new AnalysisError(`${MESSAGES.streamingAction}; ${action}() is for static DataFrames: start a query with df.writeStream...start(), or read a memory sink with spark.table(name)`);
}

/** A new aggregation over `child`: a streaming plan has at most one. */
export function checkAggregation(plan: PlanNode): void {
  if (plan.streaming && countStateful(plan).aggregates > 1) throw new AnalysisError(MESSAGES.multipleAggregations);
}

/** A join of `left` with `right` with column names: a static right side (a stream on both sides is plan/join.ts). */
export function checkJoin(right: PlanNode): void {
  if (right.streaming) throw new AnalysisError(`${MESSAGES.streamStreamJoin}: join a stream with a static DataFrame (spark.createDataFrame)`);
}

const SPARK_JOIN_NAME = { inner: "Inner", left: "LeftOuter", right: "RightOuter", full: "FullOuter", leftsemi: "LeftSemi" } as const;

/**
 * A stream-stream join of type `how`: an outer or semi join needs to know when a row can no longer match, so
 * the side whose unmatched rows are emitted must have its state evictable: a watermarked time in the join keys,
 * or a watermark on the other (nullable) side and a range condition bounding this side's time.
 */
export function checkStreamJoin(how: keyof typeof SPARK_JOIN_NAME, leftEvictable: boolean, rightEvictable: boolean): void {
  const ok = how === "inner" || ((how === "left" || how === "leftsemi") && leftEvictable) || (how === "right" && rightEvictable) || (how === "full" && leftEvictable && rightEvictable);
  if (!ok) throw new AnalysisError(`${MESSAGES.streamOuterJoinWatermark(SPARK_JOIN_NAME[how])}; add withWatermark() on both streams and a condition such as expr("rightTime >= leftTime AND rightTime <= leftTime + interval 1 hour")`);
}

/** union of `left` and `right`: both streams or both static, as Spark. */
export function checkUnion(left: PlanNode, right: PlanNode): void {
  if (left.streaming !== right.streaming) throw new AnalysisError(`${MESSAGES.unionStreamBatch}: union two streams (spark.readStream) or two static DataFrames; join a stream with a static DataFrame instead`);
}

/** The rules `writeStream...start()` checks: output mode against the plan, and operations after an aggregation. */
export function checkForStreaming(plan: PlanNode, mode: OutputMode): void {
  checkWriteStream(plan);
  const nodes = linearize(plan);
  if (nodes[0].op === "streamJoin" && mode !== "append") throw new AnalysisError(`${MESSAGES.streamJoinOutputMode(mode)}; write a stream-stream join with outputMode("append")`);
  const aggIndex = nodes.findIndex((n) => n.op === "aggregate");
  const agg = aggIndex >= 0 ? (nodes[aggIndex] as AggregateNode) : undefined;
  if (!agg && mode === "complete") throw new AnalysisError(MESSAGES.completeWithoutAggregation);
  if (agg && mode === "append" && agg.eventTimeKey === null) throw new AnalysisError(MESSAGES.appendWithoutWatermark);
  // Spark 4 (UnsupportedOperationChecker, STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION): never update mode with a
  // session window, watermark or not; and a session window needs another grouping key in a stream.
  if (agg && mode === "update" && agg.timeKey?.kind === "session") throw new AnalysisError(`${MESSAGES.updateSessionWindow}; use append (with a watermark) or complete mode`);
  if (agg?.slots.some((s) => s.distinct || s.fn === "count_distinct")) throw new AnalysisError(MESSAGES.distinctAggregation);
  if (agg && agg.timeKey?.kind === "session" && agg.keys.length === 1) throw new AnalysisError(`${MESSAGES.globalSessionWindow} Group by another column beside session_window()`);
  if (agg) {
    for (const n of nodes.slice(aggIndex + 1)) {
      if (n.op === "dedup" && mode !== "complete") throw new AnalysisError(`${MESSAGES.dedupAfterAggregation}; deduplicate before groupBy()`);
      if (n.op === "join") throw new AnalysisError(`${MESSAGES.joinAfterAggregation}; join before groupBy()`);
    }
  }
  checkGroupState(plan, mode);
}
