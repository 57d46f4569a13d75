/** What every physical operator is, and how a failing row is reported (with where it came from). */
import type { Batch, ExecContext } from "./batch";
import { RowError } from "../expr/gen";
import type { StateStoreBinding } from "../state/checkpoint";

export interface StatefulOperator {
  readonly operatorName: string;
  metrics: { updated: number; removed: number; dropped: number };
  /** The operator's own counters for the last batch (Spark's StateOperatorProgress.customMetrics). */
  customMetrics?: Record<string, number>;
  numRowsTotal(): number;
  /** The operator's state stores with their key/value schema and value codec (the checkpoint keeps them). */
  stateStores(): StateStoreBinding[];
  /** The batch succeeded: commit the state stores (a new version each; with a checkpoint, a delta file each). */
  commit(): void;
  /** The batch failed: abort the state stores. */
  abort(): void;
  /**
   * Whether a batch without new data has work to do at processing time `now` and watermark `watermarkMs`
   * (a timer or timeout due, a TTL expired): the query then runs one, as Spark's shouldRunAnotherBatch.
   */
  wantsNoDataBatch?(now: number, watermarkMs: number): boolean;
  /** The query stopped (transformWithState calls the processor's close()). */
  close?(): void;
  /** Settings a restart must keep, checked against the checkpoint (state/schema.ts). */
  operatorProperties?(): Record<string, string>;
}

export interface PhysicalOperator {
  readonly name: string;
  run(b: Batch, ctx: ExecContext): Batch;
  readonly state?: StatefulOperator;
  /** Operators this one runs itself (a union's inputs' pipelines). */
  children?(): PhysicalOperator[];
  /**
   * The watermark of this operator's output given its input's (Spark's produceOutputWatermark), when the two
   * differ: a stream-stream join with a range condition emits rows as old as its state watermark. The
   * operators after it run with it (exec/pipeline.ts runPipeline).
   */
  outputWatermark?(inputWatermarkMs: number): number;
}

/** An error in a row, with where the row came from (topic, partition, offset). */
export class QueryExecutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryExecutionError";
  }
}

export function withRowErrors<T>(b: Batch, ctx: ExecContext, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RowError) {
      const source = b.rowIds ? b.rowIds[err.row] : err.row;
      throw new QueryExecutionError(`${err.message} (${ctx.describeRow(source)})`);
    }
    throw err;
  }
}
