/**
 * The micro-batch pipeline: the logical plan (after plan/optimize.ts) becomes a list of physical operators,
 * built once per query run; a batch runs through them in order. Static plans (and the static side of a
 * stream-static join) run through the same operators as one batch in complete mode.
 */
import { linearize, type PlanNode } from "../plan/nodes";
import { collapseProjections, pruneColumns } from "../plan/optimize";
import { AnalysisError } from "../expr/bound";
import { emptyStats, type Batch, type ExecContext } from "./batch";
import type { PhysicalOperator } from "./operator";
import { DedupOperator, FilterOperator, ProjectOperator, StaticJoinOperator, WatermarkOperator } from "./operators";
import { AggregateOperator } from "./aggregate";
import { UnionOperator, concatBatches } from "./union";
import { StreamJoinOperator } from "./stream-join";
import { GenerateOperator } from "./generate";
import { LimitOperator, SortOperator } from "./order";
import { TransformWithStateOperator } from "./transform-with-state";
import { FlatMapGroupsWithStateOperator } from "./group-state";

/** What building a query's pipelines collects: each watermark's delay, by the operator's index. */
export interface PipelineEnv {
  watermarkDelaysMs: number[];
}

/**
 * The physical pipeline for `root`: every operator after the source, in order. A chain that starts at a union
 * starts with its UnionOperator, which runs each input's own pipeline.
 */
export function buildPipeline(root: PlanNode, env: PipelineEnv = { watermarkDelaysMs: [] }): PhysicalOperator[] {
  const ops: PhysicalOperator[] = [];
  const chain = linearize(root);
  const head = chain[0];
  if (head.op === "union" && head.streaming) ops.push(new UnionOperator(head, (input) => buildPipeline(input, env)));
  if (head.op === "streamJoin") ops.push(new StreamJoinOperator(head, (input) => buildPipeline(input, env)));
  const nodes = collapseProjections(chain.slice(1));
  const needed = pruneColumns(nodes);
  nodes.forEach((n, i) => {
    switch (n.op) {
      case "project": ops.push(new ProjectOperator(n, needed[i], feedsAggregate(nodes, i))); break;
      case "filter": ops.push(new FilterOperator(n)); break;
      case "watermark": ops.push(new WatermarkOperator(n.column, env.watermarkDelaysMs.push(n.delayMs) - 1)); break;
      case "aggregate": {
        const agg = new AggregateOperator(n);
        ops.push({ name: "aggregate", state: agg, run: (b, ctx) => agg.run(b, ctx) });
        break;
      }
      case "dedup": ops.push(new DedupOperator(n)); break;
      case "generate": ops.push(new GenerateOperator(n)); break;
      case "sort": ops.push(new SortOperator(n)); break;
      case "limit": ops.push(new LimitOperator(n)); break;
      case "join": ops.push(new StaticJoinOperator(n, runPlanBatch(n.right))); break;
      case "groupState":
        ops.push(n.kind === "transformWithState" ? new TransformWithStateOperator(n, n.initialState ? runPlanBatch(n.initialState.plan) : null) : new FlatMapGroupsWithStateOperator(n));
        break;
      default: throw new Error(`streamlab: unexpected plan node ${n.op} inside a pipeline`);
    }
  });
  return ops;
}

/**
 * Does the project at `i` feed an aggregation through watermarks and filters only? Those read its columns by
 * index (a filter's gather copies into plain arrays) and the aggregation builds its own output, so its numeric
 * columns may be Float64Arrays: they never reach a sink, a join or a union.
 */
function feedsAggregate(nodes: PlanNode[], i: number): boolean {
  for (let j = i + 1; j < nodes.length; j++) {
    const op = nodes[j].op;
    if (op === "aggregate") return true;
    if (op !== "watermark" && op !== "filter") return false;
  }
  return false;
}

/** Every operator, with those inside union inputs (in a fixed order: the state's operator ids follow it). */
export function allOperators(ops: PhysicalOperator[]): PhysicalOperator[] {
  return ops.flatMap((o) => [...allOperators(o.children?.() ?? []), o]);
}

/**
 * Runs a batch through the operators. After an operator whose output watermark differs from its input's (a
 * stream-stream join with a range condition), the rest run with the propagated watermarks, as Spark's
 * WatermarkPropagator: eviction by the output watermark of this batch's, late rows by that of the previous one.
 */
export function runPipeline(ops: PhysicalOperator[], b: Batch, ctx: ExecContext): Batch {
  let cur = b;
  let c = ctx;
  for (const op of ops) {
    cur = op.run(cur, c);
    if (op.outputWatermark && c.streaming) {
      const late = c.lateWatermarkMs ?? c.watermarkMs;
      c = { ...c, watermarkMs: op.outputWatermark(c.watermarkMs), lateWatermarkMs: op.outputWatermark(late) };
    }
  }
  return cur;
}

/** A static plan, run to its one result batch. */
export function runPlanBatch(root: PlanNode): Batch {
  const source = linearize(root)[0];
  if (source.streaming || (source.op !== "static" && source.op !== "union")) throw new AnalysisError("this DataFrame reads a stream: start a query with writeStream to run it");
  const ops = buildPipeline(root);
  const input: Batch = source.op === "union" ? concatBatches(source.inputs.map(runPlanBatch), source.schema.fields.length) : { n: source.data.numRows, cols: source.data.columns, rowIds: null };
  return runPipeline(ops, input, {
    batchId: 0,
    now: Date.now(),
    watermarkMs: -Infinity,
    mode: "complete",
    streaming: false,
    eventTime: emptyStats(),
    describeRow: (r) => `row ${r}`,
  });
}
