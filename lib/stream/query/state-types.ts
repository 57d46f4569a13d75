/** What `query.state()` returns (query/state-view.ts builds it; lib/render's %state shows it). */
export interface StateInspectOptions {
  /** Only this operator (its id: the order of stateful operators in the query, as in the checkpoint). */
  op?: number;
  /** Only entries whose key or value text contains this (case-insensitive). */
  search?: string;
  /** 1-based page of entries (default 1). */
  page?: number;
  /** Entries per page (default 20). */
  pageSize?: number;
}

export interface StateEntryView {
  /** The state store the entry is in (`default`; a join's `left-keyToValues` / `right-keyToValues`). */
  store: string;
  key: Record<string, unknown>;
  value: Record<string, unknown>;
  /** The next batch's watermark removes this entry (closes its window, evicts its row or key). */
  evictsNext: boolean;
}

export interface StateWindowView {
  start: Date;
  end: Date;
  /** State rows (groups, sessions or buffered rows) in this window. */
  rows: number;
  /** The next batch's watermark is at or past the window's end: it is emitted (append) and evicted then. */
  closesNext: boolean;
}

export interface StateHistoryView {
  batchId: number;
  watermark: string | null;
  numRowsTotal: number;
  numRowsUpdated: number;
  /** Rows evicted by the watermark in that batch (Spark's numRowsRemoved). */
  numRowsRemoved: number;
  numRowsDroppedByWatermark: number;
}

export interface StateStoreView {
  storeName: string;
  keySchema: string;
  valueSchema: string;
  /** Entries of the store (a join's and a session window's entries hold several rows each). */
  entries: number;
  /** Versions committed: version N + 1 is the state after batch N. */
  version: number;
}

export interface StateOperatorView {
  operatorId: number;
  operatorName: string;
  /** In words: aggregation, window aggregation, session window aggregation, deduplication, stream-stream join. */
  kind: string;
  stores: StateStoreView[];
  numRowsTotal: number;
  /** The state's size as its store files would hold it: exact up to 2,000 entries, estimated from a sample above. */
  bytes: number;
  bytesEstimated: boolean;
  /** The watermark the last batch ran with (ISO), null before there is one. */
  watermark: string | null;
  /** The watermark the next batch runs with: state it passes is evicted (windows closed) then. */
  nextWatermark: string | null;
  /** State rows the next batch's watermark evicts. */
  evictsNext: number;
  /** Open event-time windows, oldest first; null when the state has no window key. */
  windows: StateWindowView[] | null;
  entries: StateEntryView[];
  /** Rows matching the search (all rows without one). */
  matching: number;
  page: number;
  pageSize: number;
  pageCount: number;
  search: string | null;
  /** Per recent batch, oldest first (from the query's progress reports). */
  history: StateHistoryView[];
}

export interface QueryStateView {
  id: string;
  name: string | null;
  /** The last batch run, -1 before the first. */
  batchId: number;
  operators: StateOperatorView[];
}
