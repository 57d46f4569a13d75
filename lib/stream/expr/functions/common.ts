/** Helpers the function families share: argument checks, coercions, literal and duration arguments. */
import { parseDuration } from "../../../core";
import { AnalysisError, castTo, type BExpr } from "../bound";
import { type DataType, StringType, DoubleType, TimestampType, NullType, typeString, commonType } from "../../types";

export const fail = (msg: string): never => {
  throw new AnalysisError(msg);
};

export function need(name: string, a: BExpr, ok: (t: DataType) => boolean, what: string): void {
  if (a.type.kind !== "null" && !ok(a.type)) fail(`${name}() expects ${what}, got ${typeString(a.type)}`);
}

export const isStringy = (t: DataType): boolean => t.kind === "string" || t.kind === "binary";
export const toString = (a: BExpr): BExpr => (a.type.kind === "string" || a.type.kind === "null" ? a : castTo(a, StringType));
export const toDouble = (a: BExpr): BExpr => (a.type.kind === "double" || a.type.kind === "null" ? a : castTo(a, DoubleType));
export const toTimestamp = (a: BExpr): BExpr => (a.type.kind === "timestamp" || a.type.kind === "null" ? a : castTo(a, TimestampType));

const CALENDAR_UNITS: Record<string, ["months" | "days" | "micros", number]> = {
  year: ["months", 12], month: ["months", 1], week: ["days", 7], day: ["days", 1],
  hour: ["micros", 3_600_000_000], minute: ["micros", 60_000_000], second: ["micros", 1_000_000], millisecond: ["micros", 1000], microsecond: ["micros", 1],
};

/**
 * Spark's CalendarInterval of an interval string with signed parts (`2 years 5 months`, `1 month -40 days`,
 * `-10 seconds`, `interval 1 day`), or null when the text is not in that form (then parseInterval reads it).
 */
export function parseCalendarInterval(text: string): { months: number; days: number; micros: number } | null {
  const parts = text.trim().replace(/^interval\s+/i, "").split(/\s+/);
  if (parts.length < 2 || parts.length % 2) return null;
  const out = { months: 0, days: 0, micros: 0 };
  for (let i = 0; i < parts.length; i += 2) {
    const n = Number(parts[i]);
    const unit = CALENDAR_UNITS[parts[i + 1].toLowerCase().replace(/s$/, "")];
    if (!Number.isFinite(n) || !unit) return null;
    out[unit[0]] += n * unit[1];
  }
  return out;
}

/** Spark's interval strings (`10 seconds`, `1 minute`, `10s`, `1 hour 30 minutes`) -> ms, by lib/core's one parser. */
export function parseInterval(text: string): number {
  return parseDuration(text, { bareNumber: "error", error: (m) => new AnalysisError(m) });
}

export function literalArg(a: BExpr | undefined, name: string, what: string): unknown {
  if (!a) return undefined;
  if (a.k !== "lit") fail(`${name}(): ${what} must be a literal`);
  return (a as { value: unknown }).value;
}

export function durationArg(a: BExpr | undefined, name: string, what: string): number | undefined {
  const v = literalArg(a, name, what);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  if (typeof v !== "string") return fail(`${name}(): ${what} must be a duration such as "10 seconds"`);
  return parseInterval(v);
}

/** The common type of every argument (for coalesce, if, greatest, array...). */
export function commonOf(name: string, args: BExpr[]): DataType {
  let t: DataType = NullType;
  for (const a of args) {
    const c = commonType(t, a.type);
    if (!c) fail(`${name}() arguments have incompatible types ${typeString(t)} and ${typeString(a.type)}`);
    t = c!;
  }
  return t;
}

/** Both sides cast to their common type, for comparisons. */
export function comparableArgs(name: string, l: BExpr, r: BExpr): BExpr[] {
  const t = commonType(l.type, r.type);
  if (!t) fail(`cannot compare ${typeString(l.type)} with ${typeString(r.type)} in '${name}'`);
  return [castTo(l, t!), castTo(r, t!)];
}
