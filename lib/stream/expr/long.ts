/**
 * BIGINT (Spark's LongType) values, exact to 64 bits. A long is a JS number while it is a safe integer (|v| < 2^53,
 * the common case, at full speed) and a `bigint` beyond: one representation per value, so `===` and the other
 * comparisons stay correct between the two (JS compares numbers with bigints by value). Arithmetic runs on
 * numbers and falls back to bigint when the result leaves the safe range; outside 64 bits it fails the query
 * as Spark's ANSI mode does (ARITHMETIC_OVERFLOW).
 */
import { RowError } from "./gen";

export type Long = number | bigint;

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

/** Spark 4's error (ANSI) for long arithmetic beyond 64 bits; `hint` names the try_ function. */
export function longOverflow(row: number, hint: string): never {
  throw new RowError(row, `[ARITHMETIC_OVERFLOW] long overflow. Use '${hint}' to tolerate overflow and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error. SQLSTATE: 22003`);
}

/** A bigint in the one representation: a number when safe, else the bigint; undefined beyond 64 bits. */
export function fromBig(b: bigint): Long | undefined {
  if (b > MAX || b < MIN) return undefined;
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

const big = (v: Long): bigint => (typeof v === "bigint" ? v : BigInt(v));

function exact(b: bigint, row: number, hint: string): Long {
  const out = fromBig(b);
  return out === undefined ? longOverflow(row, hint) : out;
}

/** The slow paths of + - *: one operand a bigint or the number result beyond 2^53. */
export function longAdd(a: Long, b: Long, row: number): Long {
  return exact(big(a) + big(b), row, "try_add");
}
export function longSub(a: Long, b: Long, row: number): Long {
  return exact(big(a) - big(b), row, "try_subtract");
}
export function longMul(a: Long, b: Long, row: number): Long {
  return exact(big(a) * big(b), row, "try_multiply");
}
export function longNeg(a: Long, row: number): Long {
  return exact(-big(a), row, "try_subtract");
}

/** Integer text (`-123`, with blanks around) as an exact long; null when it is not one or leaves 64 bits. */
export function parseLong(text: string): Long | null {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return null;
  const n = Number(t);
  if (Number.isSafeInteger(n)) return n;
  return fromBig(BigInt(t)) ?? null;
}

/** A double as a long (truncated), exact when it is beyond 2^53; null outside 64 bits or not finite. */
export function doubleToLong(x: number): Long | null {
  if (!Number.isFinite(x)) return null;
  const t = Math.trunc(x);
  return Number.isSafeInteger(t) ? t : (fromBig(BigInt(t)) ?? null);
}

/** A long as a double (what Spark's CAST(long AS DOUBLE) gives, rounded to the nearest double). */
export function longToDouble(v: Long): number {
  return typeof v === "number" ? v : Number(v);
}

/** Generated code for `a op b` over longs: the number fast path, the exact slow path when it leaves 2^53. */
export function longArithCode(op: "+" | "-" | "*", a: string, b: string, slow: string): string {
  return `(typeof ${a} === "number" && typeof ${b} === "number" && Number.isSafeInteger(${a} ${op} ${b}) ? ${a} ${op} ${b} : ${slow}(${a}, ${b}, i))`;
}
