/**
 * The union operator: the query reads every input's source together (sources/multi.ts), so a batch carries each
 * input's rows as `parts`; each input runs through its own pipeline (its filters, projections, watermark,
 * deduplication...) and the results are concatenated. Row origins do not survive the union (rowIds null).
 */
import type { PlanNode } from "../plan/nodes";
import { linearize } from "../plan/nodes";
import type { Batch, ExecContext } from "./batch";
import type { PhysicalOperator } from "./operator";
import type { SourceBatch, SourceProvider } from "../sources/types";
import { MultiSourceProvider } from "../sources/multi";

type UnionNode = Extract<PlanNode, { op: "union" }>;

/** Batches with the same columns, one after another; a pruned column (empty while rows exist) reads as nulls. */
export function concatBatches(parts: Batch[], width: number): Batch {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const cols: unknown[][] = [];
  for (let c = 0; c < width; c++) {
    const out = new Array<unknown>(n);
    let k = 0;
    for (const p of parts) {
      const col = p.cols[c];
      const pruned = !col || (col.length === 0 && p.n > 0);
      for (let r = 0; r < p.n; r++) out[k++] = pruned ? null : col[r];
    }
    cols.push(out);
  }
  return { n, cols, rowIds: null };
}

/** The source a chain starting at `head` reads: its own, or all of a union's inputs' together. */
export function sourceProviderOf(head: PlanNode): SourceProvider {
  if (head.op === "source") return head.provider;
  if (head.op === "union" || head.op === "streamJoin") return new MultiSourceProvider(head.inputs.map((i) => sourceProviderOf(linearize(i)[0])), head.schema);
  throw new Error("streamlab: a streaming query needs a streaming source");
}

export class UnionOperator implements PhysicalOperator {
  readonly name = "union";
  private readonly branches: PhysicalOperator[][];
  private readonly widths: number[];
  constructor(private readonly node: UnionNode, build: (input: PlanNode) => PhysicalOperator[]) {
    this.branches = node.inputs.map(build);
    this.widths = node.inputs.map((i) => linearize(i)[0].schema.fields.length);
  }
  children(): PhysicalOperator[] {
    return this.branches.flat();
  }
  run(b: Batch, ctx: ExecContext): Batch {
    const outs = this.branches.map((ops, i) => {
      const part: SourceBatch | undefined = b.parts?.[i];
      let cur: Batch = part ? { n: part.numRows, cols: part.columns, rowIds: null, parts: part.parts } : { n: 0, cols: Array.from({ length: this.widths[i] }, () => []), rowIds: null };
      const branchCtx: ExecContext = { ...ctx, describeRow: (r) => part?.describeRow?.(r) ?? `row ${r} of input ${i + 1} of the union in batch ${ctx.batchId}` };
      for (const op of ops) cur = op.run(cur, branchCtx);
      return cur;
    });
    return concatBatches(outs, this.node.schema.fields.length);
  }
}
