/**
 * Every streaming restriction in one place, as Spark's `UnsupportedOperationChecker`: which output modes a
 * plan allows, which operations a streaming plan cannot contain, what a streaming DataFrame cannot do. Spark's
 * own message comes first wherever Spark has the same rule, so a notebook user can search for it; streamlab's
 * hint (what to do instead) follows.
 */
import { AnalysisError } from "../expr/bound";
import { countStateful, linearize, type PlanNode } from "./nodes";
import type { OutputMode } from "../sinks/registry";
import { conf } from "../conf";
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
  /** Spark's UnsupportedOperationChecker.checkStreamingQueryGlobalWatermarkLimit. */
  globalWatermarkCorrectness:
    "Detected pattern of possible 'correctness' issue due to global watermark. The query contains stateful operation which can emit rows older than the current watermark plus allowed late record delay, which are \"late rows\" in downstream stateful operations and these rows can be discarded. Please refer the programming guide doc for more details. If you understand the possible risk of correctness issue and still need to run the query, you can disable this check by setting the config `spark.sql.streaming.statefulOperator.checkCorrectness.enabled` to false.",
} as const;

/** `df.writeStream` on a static DataFrame. */
export function checkWriteStream(plan: PlanNode): void {
  if (!plan.streaming) throw new AnalysisError(`${MESSAGES.notStreaming}: a static DataFrame (spark.createDataFrame, spark.table) has collect(), show() and toDanfo(); streams come from spark.readStream`);
}

/** collect(), show(), count(), toDanfo() on a streaming DataFrame. */
export function checkStaticAction(plan: PlanNode, action: string): void {
  if (plan.streaming) throw new AnalysisError(`${MESSAGES.streamingAction}; ${action}() is for static DataFrames: start a query with df.writeStream...start(), or read a memory sink with spark.table(name)`);
}

/**
 * A new aggregation over `child`. Aggregations chain (Spark 3.5+) only over watermarked event time, in append
 * mode: an aggregation after one without a watermarked time key could never emit, so it is refused here.
 */
export function checkAggregation(plan: PlanNode): void {
  if (!plan.streaming || countStateful(plan).aggregates < 2) return;
  const upstream = linearize(plan).slice(0, -1).filter((n): n is AggregateNode => n.op === "aggregate");
  if (upstream.some((a) => a.eventTimeKey === null)) {
    throw new AnalysisError(`${MESSAGES.multipleAggregations}: chained aggregations need a watermarked window (or event time) in every groupBy, in append mode, e.g. groupBy(window(window_time(col("window")), "1 hour"))`);
  }
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
  const aggs = nodes.filter((n): n is AggregateNode => n.op === "aggregate");
  if (!aggs.length && mode === "complete") throw new AnalysisError(MESSAGES.completeWithoutAggregation);
  if (mode === "append" && aggs.some((a) => a.eventTimeKey === null)) throw new AnalysisError(MESSAGES.appendWithoutWatermark);
  for (const agg of aggs) {
    // Spark 4 (UnsupportedOperationChecker, STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION): never update mode with a
    // session window, watermark or not; and a session window needs another grouping key in a stream.
    if (mode === "update" && agg.timeKey?.kind === "session") throw new AnalysisError(`${MESSAGES.updateSessionWindow}; use append (with a watermark) or complete mode`);
    if (agg.slots.some((s) => s.distinct || s.fn === "count_distinct")) throw new AnalysisError(MESSAGES.distinctAggregation);
    if (agg.timeKey?.kind === "session" && agg.keys.length === 1) throw new AnalysisError(`${MESSAGES.globalSessionWindow} Group by another column beside session_window()`);
  }
  checkChainedStateful(nodes, mode);
  if (aggIndex >= 0) {
    for (const n of nodes.slice(aggIndex + 1)) {
      // Chained stateful operators (Spark 3.5+) run in append mode only; checkChainedStateful said why not here.
      if (n.op === "dedup" && mode === "update") throw new AnalysisError(`${MESSAGES.dedupAfterAggregation}; deduplicate before groupBy()`);
      if (n.op === "join") throw new AnalysisError(`${MESSAGES.joinAfterAggregation}; join before groupBy()`);
    }
  }
  checkGroupState(plan, mode);
}

/**
 * Spark's checkStreamingQueryGlobalWatermarkLimit: a stateful operator (an aggregation, a stream-stream join, a
 * deduplication on an event-time column) after an operator that can emit rows older than the watermark (an
 * aggregation in update or complete mode; a stream-stream join with a range condition on event times) would
 * see them as late and drop them, so such a chain is refused. In append mode, the operators of a chain
 * (window aggregation of a window aggregation, aggregation after a join, deduplication then aggregation) all
 * run with the query's watermark: each one's output watermark is its input watermark, as Spark's
 * WatermarkPropagator computes for them, and rows are late by the previous batch's watermark, evicted by this one's.
 */
function checkChainedStateful(nodes: PlanNode[], mode: OutputMode): void {
  const stateful = (n: PlanNode) => n.op === "aggregate" || n.op === "streamJoin" || (n.op === "dedup" && n.eventTime !== null);
  // A join's range condition counts when it is on watermarked event times (Spark's hasRangeExprAgainstEventTimeCol).
  const rangeOnEventTime = (j: Extract<PlanNode, { op: "streamJoin" }>) =>
    j.bounds !== null && (j.inputs[0].schema.fields[j.bounds.leftTime]?.watermarkDelayMs !== undefined || j.inputs[1].schema.fields[j.bounds.rightTime]?.watermarkDelayMs !== undefined);
  const emitsLate = (n: PlanNode) => (n.op === "aggregate" && mode !== "append") || (n.op === "streamJoin" && rangeOnEventTime(n));
  nodes.forEach((n, i) => {
    if (!emitsLate(n)) return;
    if (nodes.slice(i + 1).some(stateful)) {
      if (!conf.getBoolean("spark.sql.streaming.statefulOperator.checkCorrectness.enabled")) {
        process.emitWarning(`streamlab: ${MESSAGES.globalWatermarkCorrectness}`);
        return;
      }
      throw new AnalysisError(`${MESSAGES.globalWatermarkCorrectness}; ${n.op === "streamJoin" ? "join on the event times themselves (an equality) before a stateful operator, or write the join's output to a topic and aggregate it in another query" : "chain stateful operators in append mode (with a watermark), or aggregate once"}`);
    }
  });
}
