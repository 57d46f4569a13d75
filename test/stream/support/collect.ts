/** Helpers for streaming tests: a query whose batches are collected as plain rows. */
import type { DataFrame, OutputBatch, StreamingQuery } from "../../../lib/stream";

export interface Collected {
  query: StreamingQuery;
  batches: { batchId: number; rows: Record<string, unknown>[] }[];
  /** Rows of the batches since the last call. */
  take(): Record<string, unknown>[];
}

export function collect(df: DataFrame, mode: "append" | "update" | "complete", options: Record<string, string> = {}): Collected {
  const batches: Collected["batches"] = [];
  let taken = 0;
  const writer = df.writeStream
    .outputMode(mode)
    .foreachBatch((b: OutputBatch) => {
      // An idempotent sink: a batch replayed after recovery replaces what it wrote before.
      const i = batches.findIndex((x) => x.batchId === b.batchId);
      const entry = { batchId: b.batchId, rows: b.rows() };
      if (i >= 0) batches[i] = entry;
      else batches.push(entry);
    }, { raw: true })
    .trigger({ processingTime: "10 ms" });
  for (const [k, v] of Object.entries(options)) writer.option(k, v);
  const query = writer.start();
  return {
    query,
    batches,
    take() {
      const rows = batches.slice(taken).flatMap((b) => b.rows);
      taken = batches.length;
      return rows;
    },
  };
}

/** `2024-01-01T00:00:SS` as a Date, for compact expectations. */
export const at = (seconds: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, seconds));
export const win = (start: number, end: number) => ({ start: at(start), end: at(end) });
