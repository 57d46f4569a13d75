/**
 * The one encoding of group keys, used by aggregation, deduplication, session windows and stream-static joins
 * (and the state store's keys). A single key is its value when primitive (Map keys compare primitives by value)
 * and a string for objects; several keys are one string of their parts. Generated code (exec/aggregate.ts)
 * inlines exactly the same encoding through `groupKeyCode`.
 */
import type { StateKey } from "../state/store";
import { valueText } from "../expr/runtime";

/** An object value (struct, array, map, binary) as a string. */
export function objectKey(v: object): string {
  return Buffer.isBuffer(v) ? "\u0002" + v.toString("latin1") : JSON.stringify(v);
}

/** The key of one value. */
export function keyOf(v: unknown): StateKey {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") return objectKey(v);
  return v as StateKey;
}

/** One value as a part of a multi-column key. */
export function keyPart(v: unknown): string {
  if (v === null || v === undefined) return "\u0000";
  if (typeof v === "object") return objectKey(v);
  return typeof v + ":" + valueText(v);
}

const SEP = "\u0001";

/** The key of several values (one value: `keyOf`). */
export function tupleKey(values: readonly unknown[]): StateKey {
  if (values.length === 0) return 0;
  if (values.length === 1) return keyOf(values[0]);
  let s = "";
  for (let i = 0; i < values.length; i++) s += (i ? SEP : "") + keyPart(values[i]);
  return s;
}

/**
 * JS code computing `tupleKey` of the given value expressions. `primitive` parts (not struct/array/map/binary)
 * are inlined; others call the helpers `KEYOF`/`KEYPART`, which the generated function must receive as
 * `keyHelpers`.
 */
export function groupKeyCode(parts: { code: string; primitive: boolean }[]): string {
  if (parts.length === 0) return "0";
  if (parts.length === 1) return parts[0].primitive ? `(${parts[0].code} ?? null)` : `KEYOF(${parts[0].code})`;
  return parts.map((p) => (p.primitive ? `(${p.code} == null ? "\\u0000" : typeof ${p.code} + ":" + ${p.code})` : `KEYPART(${p.code})`)).join(` + "\\u0001" + `);
}

export const keyHelpers = { KEYOF: keyOf, KEYPART: keyPart };
