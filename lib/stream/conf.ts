/**
 * `spark.conf`: the session's runtime configuration, as Spark's `RuntimeConfig` (get, set, unset, getAll).
 * Only keys streamlab reads are known; a query reads them when it starts. Values are strings, as in Spark.
 */
import { AnalysisError } from "./expr/bound";

const DEFAULTS: Record<string, string> = {
  /** Batches whose offsets, commits and state versions are kept in the checkpoint. */
  "spark.sql.streaming.minBatchesToRetain": "100",
  /** Deltas after which the state store's maintenance writes a snapshot. */
  "spark.sql.streaming.stateStore.minDeltasForSnapshot": "10",
  /** Check the state's key and value schema against the checkpoint's on restart. */
  "spark.sql.streaming.stateStore.stateSchemaCheck": "true",
  /** How the global watermark of a query with several watermarks is chosen: min or max. */
  "spark.sql.streaming.multipleWatermarkPolicy": "min",
  /** Refuse chained stateful operators that can drop rows as late (false: print a warning and run). */
  "spark.sql.streaming.statefulOperator.checkCorrectness.enabled": "true",
};

export class RuntimeConf {
  private readonly values = new Map<string, string>();

  get(key: string, fallback?: string): string {
    const v = this.values.get(key) ?? DEFAULTS[key] ?? fallback;
    if (v === undefined) throw new AnalysisError(`[SQL_CONF_NOT_FOUND] The SQL config "${key}" cannot be found: set it with spark.conf.set("${key}", value) first`);
    return v;
  }
  set(key: string, value: string | number | boolean): void {
    const v = String(value);
    if (key === "spark.sql.streaming.multipleWatermarkPolicy" && !["min", "max"].includes(v.toLowerCase())) {
      throw new AnalysisError(`Invalid value '${v}' for 'spark.sql.streaming.multipleWatermarkPolicy'. Valid values are 'min' and 'max'`);
    }
    this.values.set(key, v);
  }
  unset(key: string): void {
    this.values.delete(key);
  }
  getAll(): Record<string, string> {
    return { ...DEFAULTS, ...Object.fromEntries(this.values) };
  }
  /** A positive integer setting (one-line error naming the key otherwise). */
  getInt(key: string, min = 1): number {
    const raw = this.get(key);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new AnalysisError(`${key} must be an integer >= ${min}, not '${raw}': spark.conf.set("${key}", "${DEFAULTS[key] ?? min}")`);
    return n;
  }
  getBoolean(key: string): boolean {
    const raw = this.get(key).toLowerCase();
    if (raw !== "true" && raw !== "false") throw new AnalysisError(`${key} must be true or false, not '${raw}'`);
    return raw === "true";
  }
}

/** The one session's configuration (`spark.conf`). */
export const conf = new RuntimeConf();
