/**
 * The shapes lib/render needs from the streaming engine (lib/stream) and the data generators (lib/datagen).
 *
 * They are written here structurally (OutputBatch and SchemaField come from lib/core, which lib/stream shares),
 * not imported from lib/stream, so that lib/render builds and is tested on its own and
 * keeps working while those modules grow: any object with these members works. lib/stream's real types are
 * assignable to them.
 */
import type { MimeBundle, OutputBatch } from "../core";

export type { OutputBatch, SchemaField } from "../core";

/** A progress report, with Spark's field names (StreamingQueryProgress). Every field is optional here. */
export interface QueryProgress {
  id?: string;
  runId?: string;
  name?: string | null;
  timestamp?: string;
  batchId?: number;
  numInputRows?: number;
  inputRowsPerSecond?: number;
  processedRowsPerSecond?: number;
  durationMs?: Record<string, number>;
  eventTime?: Record<string, string | number | undefined>;
  stateOperators?: Array<{
    operatorName?: string;
    numRowsTotal?: number;
    numRowsUpdated?: number;
    memoryUsedBytes?: number;
    numRowsDroppedByWatermark?: number;
  }>;
  sources?: Array<{
    description?: string;
    startOffset?: unknown;
    endOffset?: unknown;
    latestOffset?: unknown;
    numInputRows?: number;
    inputRowsPerSecond?: number;
    processedRowsPerSecond?: number;
    metrics?: Record<string, string | number>;
  }>;
  sink?: { description?: string; numOutputRows?: number };
  /** lib/stream's own additions: rows dropped behind the watermark, records behind the latest offsets. */
  numRowsDroppedByWatermark?: number;
  consumerLag?: number;
}

export interface StreamingQueryLike {
  id: string;
  runId?: string;
  name: string | null | undefined;
  isActive: boolean;
  /** Spark's `{ message, isDataAvailable, isTriggerActive }`; read defensively. */
  status?: unknown;
  lastProgress: QueryProgress | null | undefined;
  recentProgress: QueryProgress[];
  stop(): unknown;
  exception(): unknown;
  onProgress?(listener: (progress: QueryProgress) => void): () => void;
  onTerminated?(listener: (...args: unknown[]) => void): () => void;
}

export interface SinkContext {
  query: StreamingQueryLike;
  options: Record<string, string>;
  outputMode: "append" | "update" | "complete";
}

export interface Sink {
  addBatch(batch: OutputBatch): void | Promise<void>;
  stop?(): void | Promise<void>;
  toMimeBundle?(): MimeBundle;
}

/** A data generator as lib/datagen's listGenerators() reports it. */
export interface GeneratorLike {
  name: string;
  topic?: string;
  status?: string;
  sent?: number;
  rate?: number;
  errors?: number;
  /** Milliseconds since it started. */
  elapsed?: number;
  stop(): unknown;
}

export function isStreamingQuery(value: unknown): value is StreamingQueryLike {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.stop === "function" && "lastProgress" in v && "isActive" in v && typeof v.id === "string";
}

/** A streaming DataFrame: Spark's `df.isStreaming` plus a `writeStream` builder. */
export function isStreamingDataFrame(value: unknown): value is StreamingDataFrameLike {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.isStreaming === true && typeof v.writeStream === "object" && v.writeStream !== null;
}

export interface DataStreamWriterLike {
  format(name: string): DataStreamWriterLike;
  outputMode(mode: string): DataStreamWriterLike;
  option(key: string, value: string): DataStreamWriterLike;
  queryName(name: string): DataStreamWriterLike;
  trigger?(trigger: Record<string, unknown>): DataStreamWriterLike;
  start(): StreamingQueryLike | Promise<StreamingQueryLike>;
}

export interface StreamingDataFrameLike {
  isStreaming: true;
  readonly writeStream: DataStreamWriterLike;
}
