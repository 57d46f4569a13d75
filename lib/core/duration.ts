/**
 * The one duration parser: magic options (`--duration 30s`), Spark's interval strings (`withWatermark("ts",
 * "10 seconds")`, `window(ts, "1 hour 30 minutes")`, `trigger({ processingTime: "2 seconds" })`) and the units
 * of SQL `INTERVAL 10 SECONDS` literals all read their units here.
 */
import { UserError, type ErrorFactory } from "./errors";

/** Milliseconds per unit, by lower-case unit name (short and long, singular and plural). */
export const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
});

/** Milliseconds in one `unit` (any case), or undefined for a word that is not a time unit. */
export function durationUnit(unit: string): number | undefined {
  const key = unit.toLowerCase();
  return Object.prototype.hasOwnProperty.call(DURATION_UNITS, key) ? DURATION_UNITS[key] : undefined;
}

export interface DurationOptions {
  /**
   * What a number without a unit means: seconds (magics: `--duration 30`, the default) or a mistake
   * (Spark's interval strings always name a unit: `window(ts, "10")` is an error).
   */
  bareNumber?: "seconds" | "error";
  /** Wrap the one-line message in the caller's error class (default `UserError`). */
  error?: ErrorFactory;
}

/**
 * `30s`, `250ms`, `1.5 minutes`, `2h`, `10 seconds`, `1 hour 30 minutes`, `interval 5 minutes` -> milliseconds.
 * A bare number is seconds unless `bareNumber: "error"`.
 */
export function parseDuration(text: string, options: DurationOptions = {}): number {
  const error = options.error ?? ((m: string) => new UserError(m));
  const example = `write e.g. 30s, 500ms, "10 seconds" or "1 hour 30 minutes"`;
  const cleaned = String(text).trim().replace(/^interval\s+/i, "");
  if (/^\d+(?:\.\d+)?$/.test(cleaned)) {
    if (options.bareNumber === "error") throw error(`'${text}' is not a duration: it needs a unit; ${example}`);
    return Number(cleaned) * 1000;
  }
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/giy;
  let total = 0;
  let any = false;
  let at = 0;
  for (;;) {
    while (at < cleaned.length && /\s/.test(cleaned[at])) at++;
    if (at >= cleaned.length) break;
    re.lastIndex = at;
    const m = re.exec(cleaned);
    if (!m) throw error(`'${text}' is not a duration: ${example}`);
    const unit = durationUnit(m[2]);
    if (unit === undefined) throw error(`unknown duration unit '${m[2]}' in '${text}': use ms, s, m, h, d (or milliseconds, seconds, minutes, hours, days, weeks)`);
    total += Number(m[1]) * unit;
    any = true;
    at = re.lastIndex;
  }
  if (!any) throw error(`'${text}' is not a duration: ${example}`);
  return total;
}
