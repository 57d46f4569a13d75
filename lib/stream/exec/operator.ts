/** What every physical operator is, and how a failing row is reported (with where it came from). */
import type { Batch, ExecContext } from "./batch";
import { RowError } from "../expr/gen";

export interface StatefulOperator {
  readonly operatorName: string;
  metrics: { updated: number; removed: number; dropped: number };
  numRowsTotal(): number;
  /** The state for the checkpoint (JSON), after `commit`. */
  snapshot(): unknown;
  /** Load the state a checkpoint saved after batch `version - 1`. */
  restore(state: unknown, version: number): void;
  /** The batch succeeded: commit the state store (a new version). */
  commit(): void;
  /** The batch failed: abort the state store. */
  abort(): void;
}

export interface PhysicalOperator {
  readonly name: string;
  run(b: Batch, ctx: ExecContext): Batch;
  readonly state?: StatefulOperator;
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
