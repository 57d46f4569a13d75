/**
 * Streaming sources, Spark's Source v1 shape: offsets are JSON-able values; the engine asks for the latest
 * offset, then for the rows between the last processed offset and it. Offsets go to the checkpoint's offsets
 * log before a batch runs, so a restarted query re-reads exactly the same rows.
 */
import type { StructType } from "../types";

export type Offset = unknown;

export interface SourceBatch {
  numRows: number;
  /** Column-major values in the internal representation, in the source schema's order. */
  columns: unknown[][];
  /** Where a row came from, for error messages (FAILFAST names the offending offset). */
  describeRow?(row: number): string;
  /** A union's inputs read together (sources/multi.ts): each input's rows. */
  parts?: SourceBatch[];
}

export interface StreamSource {
  readonly schema: StructType;
  description(): string;
  /** Connect, subscribe; called once before the first batch. */
  start?(): Promise<void>;
  /** The initial offset when the checkpoint has none (startingOffsets). */
  initialOffset(): Promise<Offset>;
  /**
   * Latest available offset, capped by the source's per-trigger limit (maxOffsetsPerTrigger) unless
   * `uncapped` (Trigger.Once), and never beyond `target` (Trigger.AvailableNow's end) when given.
   */
  latestOffset(start: Offset, limit: { target?: Offset; uncapped?: boolean }): Promise<Offset>;
  /** True when `end` has rows after `start`. */
  hasData(start: Offset, end: Offset): boolean;
  /** The rows in (start, end]. Must return the same rows when asked again after a restart. */
  getBatch(start: Offset, end: Offset): Promise<SourceBatch>;
  /** Rows behind the newest data after `end`, if cheap to know (consumer lag). */
  lag?(end: Offset): number | undefined;
  /** Uncapped latest offset, for progress reports and availableNow. */
  reportLatestOffset?(): Offset;
  /** True when the source can produce no more data (endingOffsets reached; bounded memory streams). */
  isExhausted?(end: Offset): boolean;
  /** Forget data up to `end` (committed). */
  commit?(end: Offset): void;
  stop(): Promise<void>;
  /** Set by the query: the source reports waiting (e.g. for an unreachable broker) with a message, and null when done. */
  onWaiting?: (message: string | null) => void;
  /** Why a trigger found no data, when the source knows better than "Waiting for data to arrive" (a topic not created yet). */
  idleReason?(): string | null;
}

/** Creates one source instance per query run (a DataFrame may be started many times). */
export interface SourceProvider {
  readonly schema: StructType;
  readonly name: string;
  create(): StreamSource;
}
