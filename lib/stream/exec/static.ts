/** Running a static (batch) plan: one batch through the same operators, aggregations in complete mode. */
import type { PlanNode } from "../plan/nodes";
import { linearize } from "../plan/nodes";
import { buildPipeline, runPipeline } from "./operators";
import { emptyStats, toOutputBatch, type Batch } from "./batch";
import type { OutputBatch } from "../sinks/registry";
import { AnalysisError } from "../expr/bound";

export function runPlanBatch(root: PlanNode): Batch {
  const source = linearize(root)[0];
  if (source.op !== "static") throw new AnalysisError("this DataFrame reads a stream: start a query with writeStream to run it");
  const ops = buildPipeline(root);
  const input: Batch = { n: source.data.numRows, cols: source.data.columns, rowIds: null };
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

export function runStatic(root: PlanNode): OutputBatch {
  return toOutputBatch(runPlanBatch(root), root.schema, 0, "complete");
}
