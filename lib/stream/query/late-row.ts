/** One row the watermark dropped, as query.lateRows() gives it (its own file: query/types.ts imports it). */
export interface LateRow {
  batchId: number;
  /** The row's event time. */
  eventTime: Date | null;
  /** The watermark of the batch that dropped it. */
  watermark: Date;
  /** Where it came from: topic, partition and offset for Kafka sources. */
  source: string;
  /** The row as the stateful operator saw it: the input columns it reads (keys, aggregated columns, event time). */
  row: Record<string, unknown>;
}
