/**
 * A query's status for the line above a live display, read from Spark-style progress objects.
 */
import type { QueryProgress, StreamingQueryLike } from "./contract";
import { toText } from "../core";
import type { DisplayStatus } from "./table";

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/** Offsets as Spark writes them: `{"topic": {"0": 12, "1": 40}}`, maybe as a JSON string. */
function offsetsOf(value: unknown): Map<string, number> | undefined {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== "object" || v === null) return undefined;
  const out = new Map<string, number>();
  for (const [topic, parts] of Object.entries(v as Record<string, unknown>)) {
    if (typeof parts !== "object" || parts === null) continue;
    for (const [partition, offset] of Object.entries(parts as Record<string, unknown>)) {
      const n = num(offset);
      if (n !== undefined && n >= 0) out.set(`${topic}/${partition}`, n);
    }
  }
  return out.size ? out : undefined;
}

/** Messages behind the end of the partitions, summed over Kafka sources; undefined when unknown. */
export function consumerLag(progress: QueryProgress | null | undefined): number | undefined {
  const sources = progress?.sources;
  if (!Array.isArray(sources) || sources.length === 0) return undefined;
  let total = 0;
  let known = false;
  for (const source of sources) {
    const latest = offsetsOf(source.latestOffset);
    const end = offsetsOf(source.endOffset);
    if (latest && end) {
      for (const [tp, latestOffset] of latest) total += Math.max(0, latestOffset - (end.get(tp) ?? 0));
      known = true;
      continue;
    }
    const m = source.metrics ?? {};
    const fromMetrics = num(m.totalOffsetsBehindLatest) ?? num(m.offsetsBehindLatest) ?? num(m.maxOffsetsBehindLatest);
    if (fromMetrics !== undefined) {
      total += fromMetrics;
      known = true;
    }
  }
  return known ? total : undefined;
}

export function errorMessage(err: unknown): string | undefined {
  if (err === null || err === undefined) return undefined;
  if (err instanceof Error) return err.message.split("\n")[0];
  if (typeof err === "object" && typeof (err as { message?: unknown }).message === "string") return String((err as { message: string }).message).split("\n")[0];
  return toText(err).split("\n")[0];
}

/** The status of a progress report alone (no query object). */
export function statusFromProgress(progress: QueryProgress | null | undefined): DisplayStatus {
  const status: DisplayStatus = {};
  if (!progress) return status;
  if (progress.name) status.queryName = progress.name;
  const batch = num(progress.batchId);
  if (batch !== undefined) status.batchId = batch;
  status.inputRowsPerSecond = num(progress.inputRowsPerSecond);
  status.processedRowsPerSecond = num(progress.processedRowsPerSecond);
  const wm = progress.eventTime?.watermark;
  if (wm !== undefined && wm !== null) status.watermark = wm;
  const ops = progress.stateOperators;
  if (Array.isArray(ops) && ops.length > 0) {
    let dropped = 0;
    let rows = 0;
    let bytes = 0;
    let haveBytes = false;
    for (const op of ops) {
      dropped += num(op.numRowsDroppedByWatermark) ?? 0;
      rows += num(op.numRowsTotal) ?? 0;
      const b = num(op.memoryUsedBytes);
      if (b !== undefined) {
        bytes += b;
        haveBytes = true;
      }
    }
    status.droppedLate = dropped;
    status.stateRows = rows;
    if (haveBytes) status.stateBytes = bytes;
  }
  // lib/stream also reports both directly (numRowsDroppedByWatermark, consumerLag): prefer those.
  const dropped = num(progress.numRowsDroppedByWatermark);
  if (dropped !== undefined) status.droppedLate = dropped;
  const lag = num(progress.consumerLag) ?? consumerLag(progress);
  if (lag !== undefined) status.lag = lag;
  return status;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Everything the status line shows about a query, read defensively (a failing getter never breaks a display). */
export function statusFromQuery(query: StreamingQueryLike | undefined, fallbackName?: string): DisplayStatus {
  if (!query) return fallbackName ? { queryName: fallbackName } : {};
  const progress = safe(() => query.lastProgress);
  const status = statusFromProgress(progress);
  const name = safe(() => query.name);
  status.queryName = name || status.queryName || fallbackName || (safe(() => query.id) ?? "").slice(0, 8) || undefined;
  const active = safe(() => query.isActive);
  const error = errorMessage(safe(() => query.exception()));
  status.error = error;
  status.state = error ? "failed" : active === false ? "stopped" : progress ? "active" : "waiting";
  return status;
}
