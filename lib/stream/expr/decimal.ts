/**
 * DECIMAL(p, s), exact as Spark's: a value is its text with exactly `s` digits after the point ("10.50", "-3",
 * "0.905"), so sinks, collect() and to_json show what Spark shows; arithmetic runs on the unscaled digits as a
 * bigint. Result types follow Spark's DecimalPrecision (with spark.sql.decimalOperations.allowPrecisionLoss):
 * + - keep the larger scale, * adds scales, / keeps at least 6 decimals; precision at most 38.
 */
import { RowError } from "./gen";
import type { DataType } from "../types";

export const MAX_PRECISION = 38;

export interface Dec {
  p: number;
  s: number;
}

export function decType(p: number, s: number): DataType {
  return { kind: "decimal", precision: p, scale: s };
}

/** A decimal type's precision and scale (a bare DECIMAL is decimal(10,0), as Spark's default). */
export function decOf(t: DataType): Dec {
  if (t.kind === "decimal") return { p: t.precision ?? 10, s: t.scale ?? 0 };
  // Integral types as decimals (Spark's DecimalType.forType).
  if (t.kind === "byte") return { p: 3, s: 0 };
  if (t.kind === "short") return { p: 5, s: 0 };
  if (t.kind === "integer") return { p: 10, s: 0 };
  if (t.kind === "long") return { p: 20, s: 0 };
  return { p: MAX_PRECISION, s: 18 };
}

/** Spark's adjustPrecisionScale: beyond 38 digits the scale gives way, down to 6 decimals. */
export function bounded(p: number, s: number): DataType {
  if (p <= MAX_PRECISION) return decType(p, s);
  const intDigits = p - s;
  const minScale = Math.min(s, 6);
  return decType(MAX_PRECISION, Math.max(MAX_PRECISION - intDigits, minScale));
}

/** The result type of `l op r` over decimals (and integral types taken as decimals). */
export function arithType(op: string, l: Dec, r: Dec): DataType {
  switch (op) {
    case "+":
    case "-": {
      const s = Math.max(l.s, r.s);
      return bounded(Math.max(l.p - l.s, r.p - r.s) + s + 1, s);
    }
    case "*":
      return bounded(l.p + r.p + 1, l.s + r.s);
    case "/": {
      const s = Math.max(6, l.s + r.p + 1);
      return bounded(l.p - l.s + r.s + s, s);
    }
    default: {
      const s = Math.max(l.s, r.s);
      return bounded(Math.min(l.p - l.s, r.p - r.s) + s, s);
    }
  }
}

/** The type two decimals are compared or unioned as (Spark's widerDecimalType). */
export function widerDecimal(a: Dec, b: Dec): DataType {
  const s = Math.max(a.s, b.s);
  const range = Math.max(a.p - a.s, b.p - b.s);
  return range + s <= MAX_PRECISION ? decType(range + s, s) : decType(MAX_PRECISION, Math.max(0, MAX_PRECISION - range));
}

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** The unscaled digits of a canonical decimal text of scale s. */
export function unscaled(v: string): bigint {
  return BigInt(v.replace(".", ""));
}

/** Unscaled digits at scale s as the canonical text. */
export function format(u: bigint, s: number): string {
  const neg = u < 0n;
  let digits = (neg ? -u : u).toString();
  if (s > 0) {
    if (digits.length <= s) digits = "0".repeat(s - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - s)}.${digits.slice(digits.length - s)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** u / d rounded HALF_UP (away from zero on a tie), or HALF_EVEN. */
function divRound(u: bigint, d: bigint, even = false): bigint {
  if (d < 0n) {
    u = -u;
    d = -d;
  }
  const q = u / d;
  const r = u % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = twice > d || (twice === d && (!even || (q % 2n !== 0n)));
  return away ? (u < 0n ? q - 1n : q + 1n) : q;
}

/** Unscaled digits from scale `from` to scale `to` (HALF_UP when digits go, or HALF_EVEN). */
export function rescale(u: bigint, from: number, to: number, even = false): bigint {
  if (to >= from) return u * pow10(to - from);
  return divRound(u, pow10(from - to), even);
}

function fits(u: bigint, p: number): boolean {
  const lim = pow10(p);
  return u < lim && u > -lim;
}

/** Spark 4's error (ANSI) for a value beyond the type's precision. */
export function outOfRange(text: string, p: number, s: number, row: number): never {
  throw new RowError(row, `[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION]  ${text} cannot be represented as Decimal(${p}, ${s}). If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error, and return NULL instead. SQLSTATE: 22003`);
}

/** Decimal text (`-1.5`, `2e3`, ` 10 `) as unscaled digits at scale s (HALF_UP); null when it is not a number. */
export function parseUnscaled(text: string, s: number): bigint | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const frac = m[3] ?? "";
  let u = BigInt((m[2] || "0") + frac);
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    u *= pow10(-scale);
    scale = 0;
  }
  u = rescale(u, scale, s);
  return m[1] === "-" ? -u : u;
}

/** A cast to decimal(p,s) from text or a number; null when the text is not a number; past p digits, `overflow`. */
export function toDecimal(v: unknown, p: number, s: number, row: number, overflow: "fail" | "null" = "fail"): string | null {
  let u: bigint | null;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    // Spark goes through the double's shortest text (Java's Double.toString, the same digits as JS's).
    u = parseUnscaled(String(v), s);
  } else if (typeof v === "bigint") u = v * pow10(s);
  else if (typeof v === "boolean") u = (v ? 1n : 0n) * pow10(s);
  else u = parseUnscaled(String(v), s);
  if (u === null) return null;
  if (!fits(u, p)) return overflow === "null" ? null : outOfRange(typeof v === "string" ? v.trim() : String(v), p, s, row);
  return format(u, s);
}

/** A decimal value of scale `from` as decimal(p, to) (a cast between decimal types). */
export function decCast(v: string, from: number, p: number, to: number, row: number): string {
  const u = rescale(unscaled(v), from, to);
  return fits(u, p) ? format(u, to) : outOfRange(v, p, to, row);
}

/** `a op b` for decimals of scales sa, sb, into decimal(p, s); null for a division by zero is the caller's. */
export function decArith(op: string, a: string, sa: number, b: string, sb: number, p: number, s: number, row: number): string {
  const x = unscaled(a);
  const y = unscaled(b);
  let u: bigint;
  switch (op) {
    case "+":
      u = rescale(x, sa, s) + rescale(y, sb, s);
      break;
    case "-":
      u = rescale(x, sa, s) - rescale(y, sb, s);
      break;
    case "*":
      u = rescale(x * y, sa + sb, s);
      break;
    case "/":
      // x/10^sa / (y/10^sb) at scale s: x * 10^(s - sa + sb) / y.
      u = s - sa + sb >= 0 ? divRound(x * pow10(s - sa + sb), y) : divRound(x, y * pow10(sa - sb - s));
      break;
    default: {
      const m = Math.max(sa, sb);
      u = rescale(rescale(x, sa, m) % rescale(y, sb, m), m, s);
    }
  }
  if (!fits(u, p)) outOfRange(format(u, s), p, s, row);
  return format(u, s);
}

/** Compares two decimals of scales sa and sb: -1, 0 or 1. */
export function decCmp(a: string, sa: number, b: string, sb: number): number {
  const m = Math.max(sa, sb);
  const x = rescale(unscaled(a), sa, m);
  const y = rescale(unscaled(b), sb, m);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** round (HALF_UP) / bround (HALF_EVEN) of a decimal of scale `from` to `digits` decimals, as decimal(p, s). */
export function decRound(v: string, from: number, digits: number, s: number, even: boolean): string {
  let u = unscaled(v);
  if (digits < from) {
    u = rescale(u, from, digits, even);
    u = digits >= 0 ? u : u * pow10(-digits);
    return format(rescale(u, Math.max(digits, 0), s), s);
  }
  return format(rescale(u, from, s), s);
}

/** The result type of round/bround(decimal(p,s), d) (Spark's RoundBase). */
export function roundType(t: Dec, d: number): DataType {
  const integral = t.p - t.s + 1;
  if (d < 0) return decType(Math.min(Math.max(integral, -d + 1), MAX_PRECISION), 0);
  const s = Math.min(t.s, d);
  return decType(Math.min(integral + s, MAX_PRECISION), s);
}

export function decNeg(v: string): string {
  return v.startsWith("-") ? v.slice(1) : /^[0.]+$/.test(v) ? v : `-${v}`;
}
export function decAbs(v: string): string {
  return v.startsWith("-") ? v.slice(1) : v;
}
