/**
 * orderBy/sort and limit: their analysis and Spark's streaming rules for them (UnsupportedOperationChecker):
 * sorting a stream only after an aggregation in complete mode; no limit in update mode.
 */
import { SORT_ORDER, exprName, type Expr } from "../expr/ast";
import { AnalysisError } from "../expr/bound";
import { bind } from "../expr/bind";
import { linearize, type PlanNode } from "./nodes";
import type { OutputMode } from "../sinks/registry";

export const ORDER_MESSAGES = {
  sort: "Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode",
  limitUpdate: "Limits are not supported on streaming DataFrames/Datasets in Update output mode",
} as const;

export function analyzeSort(child: PlanNode, items: Expr[]): PlanNode {
  if (items.length === 0) throw new AnalysisError("orderBy() needs at least one column");
  const keys = items.map((e) => {
    const marked = e.t === "fn" && e.name === SORT_ORDER;
    const key = marked ? e.args[0] : e;
    if (key.t === "star") throw new AnalysisError(`orderBy('${exprName(key)}') is not supported: name the sort columns`);
    const desc = marked ? e.options?.desc === true : false;
    const nullsFirst = marked ? e.options?.nullsFirst === true : !desc;
    return { expr: bind(key, { schema: child.schema }), desc, nullsFirst };
  });
  return { op: "sort", child, keys, schema: child.schema, streaming: child.streaming };
}

export function analyzeLimit(child: PlanNode, n: number): PlanNode {
  if (!Number.isInteger(n) || n < 0) throw new AnalysisError(`The limit expression must be equal to or greater than 0, but got ${String(n)}: limit(n) takes a whole number of rows`);
  return { op: "limit", child, n, schema: child.schema, streaming: child.streaming };
}

/** At writeStream.start(): sorts only over an aggregation in complete mode; no limit in update mode. */
export function checkSortLimit(plan: PlanNode, mode: OutputMode): void {
  const nodes = linearize(plan);
  const aggIndex = nodes.findIndex((n) => n.op === "aggregate");
  nodes.forEach((n, i) => {
    if (n.op === "sort" && !(mode === "complete" && aggIndex >= 0 && aggIndex < i)) {
      throw new AnalysisError(`${ORDER_MESSAGES.sort}; sort after groupBy().agg() with outputMode("complete"), or sort each batch in foreachBatch`);
    }
    if (n.op === "limit" && mode === "update") throw new AnalysisError(`${ORDER_MESSAGES.limitUpdate}; use append or complete mode`);
  });
}
