/** The StreamingQuery contract, with Spark's field names, shared with lib/render's displays and %streams. */
import type { LateRow } from "./late-row";
import type { Displayable } from "../../core";
import type { QueryStateView, StateInspectOptions } from "./state-types";

export interface SourceProgress {
  description: string;
  startOffset: unknown;
  endOffset: unknown;
  latestOffset: unknown;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  metrics?: Record<string, string>;
}

export interface StateOperatorProgress {
  operatorName: string;
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
  numRowsDroppedByWatermark: number;
  memoryUsedBytes?: number;
  /** Time the batch's state commits took (writing the delta files), as Spark's. */
  commitTimeMs?: number;
  /** State stores of the operator (one per store name; one partition). */
  numStateStoreInstances?: number;
  /** The operator's own counters (dedupe: numDroppedDuplicateRows). */
  customMetrics?: Record<string, number>;
}

export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  timestamp: string;
  batchId: number;
  batchDuration: number;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  durationMs: Record<string, number>;
  eventTime: { min?: string; max?: string; avg?: string; watermark?: string };
  stateOperators: StateOperatorProgress[];
  sources: SourceProgress[];
  sink: { description: string; numOutputRows: number };
  /** Not in Spark's progress; shown by the live displays. */
  numRowsDroppedByWatermark: number;
  /** Records behind the latest offsets after this batch (Kafka sources), when known. */
  consumerLag?: number;
}

export interface StreamingQueryStatus {
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
}

export interface StreamingQueryException {
  message: string;
  cause?: Error;
}

export interface StreamingQuery extends Displayable {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  readonly isActive: boolean;
  readonly status: StreamingQueryStatus;
  readonly lastProgress: StreamingQueryProgress | null;
  readonly recentProgress: StreamingQueryProgress[];
  stop(): Promise<void>;
  /** Resolves true when the query ended (rejects with its error if it failed), false when the timeout passed. */
  awaitTermination(timeoutMs?: number): Promise<boolean>;
  exception(): StreamingQueryException | null;
  /** The most recent rows the watermark dropped (bounded), with their event time and the watermark then. */
  lateRows(): LateRow[];
  /** What each stateful operator holds now, paged and searchable (the data `%state` shows). */
  state(options?: StateInspectOptions): QueryStateView;
  /** Wait until every row available now has been processed (tests, notebooks). */
  processAllAvailable(): Promise<void>;
  onProgress(listener: (p: StreamingQueryProgress) => void): () => void;
  onTerminated(listener: (q: StreamingQuery) => void): () => void;
}
