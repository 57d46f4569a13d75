/** Running a static (batch) DataFrame: collect(), show(), toDanfo(). */
import type { PlanNode } from "../plan/nodes";
import { toOutputBatch } from "./batch";
import { runPlanBatch } from "./pipeline";
import type { OutputBatch } from "../sinks/registry";

export { runPlanBatch };

export function runStatic(root: PlanNode): OutputBatch {
  return toOutputBatch(runPlanBatch(root), root.schema, 0, "complete");
}
