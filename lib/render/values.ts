/**
 * Cell values for tables and charts: Spark type strings, struct flattening (`window` -> `window.start`,
 * `window.end`), and formatting that is safe to put in HTML.
 */
import { toText } from "../core";
import type { SchemaField } from "./contract";

export type ValueKind = "string" | "number" | "boolean" | "timestamp" | "date" | "binary" | "struct" | "array" | "map" | "other";

export interface ParsedType {
  kind: ValueKind;
  /** The struct's fields, in order, when kind is "struct". */
  fields?: { name: string; type: ParsedType }[];
}

const NUMERIC = new Set(["byte", "tinyint", "short", "smallint", "int", "integer", "long", "bigint", "float", "real", "double", "decimal", "number"]);

/** Split `a:int,b:struct<c:int,d:int>` at top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "<" || ch === "(") depth++;
    else if (ch === ">" || ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/**
 * Parse a Spark type as text, in simpleString form (`struct<start:timestamp,end:timestamp>`) or DDL form
 * (`STRUCT<start: TIMESTAMP, end: TIMESTAMP>`). Unknown names parse as "other", never throw.
 */
export function parseType(text: string | undefined): ParsedType {
  const t = (text ?? "").trim();
  const lower = t.toLowerCase();
  const generic = /^(\w+)\s*<(.*)>$/s.exec(t);
  if (generic) {
    const head = generic[1].toLowerCase();
    if (head === "struct") {
      const fields = splitTopLevel(generic[2]).map((part) => {
        const m = /^`?([^`:\s]+)`?\s*:?\s*(.*)$/s.exec(part);
        return { name: m ? m[1] : part, type: parseType(m ? m[2] : "") };
      });
      return { kind: "struct", fields };
    }
    if (head === "array") return { kind: "array" };
    if (head === "map") return { kind: "map" };
  }
  const base = lower.replace(/\(.*\)$/, "");
  if (NUMERIC.has(base)) return { kind: "number" };
  if (base === "string" || base === "varchar" || base === "char") return { kind: "string" };
  if (base === "boolean" || base === "bool") return { kind: "boolean" };
  if (base === "timestamp" || base === "timestamp_ntz" || base === "timestamp_ltz") return { kind: "timestamp" };
  if (base === "date") return { kind: "date" };
  if (base === "binary") return { kind: "binary" };
  return { kind: "other" };
}

/** A leaf column after flattening structs: `window.start` with the path to reach it. */
export interface FlatColumn {
  name: string;
  path: string[];
  kind: ValueKind;
}

/** Flatten struct columns of a schema into leaf columns (`window` -> `window.start`, `window.end`). */
export function flattenSchema(schema: SchemaField[]): FlatColumn[] {
  const out: FlatColumn[] = [];
  const walk = (name: string, path: string[], type: ParsedType) => {
    if (type.kind === "struct" && type.fields && type.fields.length > 0) {
      for (const f of type.fields) walk(`${name}.${f.name}`, [...path, f.name], f.type);
    } else {
      out.push({ name, path, kind: type.kind });
    }
  };
  for (const f of schema) walk(f.name, [f.name], parseType(f.type));
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
}

/** Leaf columns of rows without a schema: nested plain objects are flattened, kinds guessed from values. */
export function inferColumns(rows: Record<string, unknown>[], sample = 50): FlatColumn[] {
  const seen = new Map<string, FlatColumn>();
  const walk = (name: string, path: string[], value: unknown) => {
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${name}.${k}`, [...path, k], v);
      return;
    }
    const kind = guessKind(value);
    const prev = seen.get(name);
    if (!prev) seen.set(name, { name, path, kind });
    else if (prev.kind === "other" && kind !== "other") prev.kind = kind;
  };
  for (const row of rows.slice(0, sample)) for (const [k, v] of Object.entries(row)) walk(k, [k], v);
  return [...seen.values()];
}

function guessKind(value: unknown): ValueKind {
  if (value === null || value === undefined) return "other";
  if (typeof value === "number" || typeof value === "bigint") return "number";
  if (typeof value === "boolean") return "boolean";
  if (value instanceof Date) return "timestamp";
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return "binary";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value) ? "timestamp" : "string";
  return "other";
}

/** The value at a leaf column's path in a (nested) row. */
export function getPath(row: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = row;
  for (const key of path) {
    if (v === null || v === undefined || typeof v !== "object") return v === undefined ? undefined : null;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Milliseconds since the epoch for a timestamp value (number, Date, ISO string, bigint microseconds no). */
export function toEpochMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `2026-11-24 16:22:09` (UTC; milliseconds only when present), as Spark's show() prints timestamps. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  return millis ? `${base}.${pad(millis, 3)}` : base;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  // Enough digits to tell values apart in a table, without printing float noise (0.30000000000000004).
  if (abs >= 1e-4 && abs < 1e15) return String(Number(n.toPrecision(Math.min(15, Math.max(6, Math.ceil(Math.log10(abs)) + 4)))));
  return n.toPrecision(6);
}

/** Longest text a table cell shows; longer values are cut with an ellipsis so a display stays small. */
export const MAX_CELL_CHARS = 200;

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** One cell as text, the way Spark's show() would print it. */
export function formatValue(value: unknown, kind: ValueKind, maxChars = MAX_CELL_CHARS): string {
  if (value === null || value === undefined) return "null";
  let text: string;
  if (kind === "timestamp" && (typeof value === "number" || value instanceof Date || typeof value === "string")) {
    const ms = toEpochMs(value);
    text = ms === null ? String(value) : formatTimestamp(ms);
  } else if (kind === "date" && typeof value === "number") {
    text = formatTimestamp(value * 86_400_000).slice(0, 10);
  } else if (value instanceof Date) {
    text = formatTimestamp(value.getTime());
  } else if (typeof value === "number") {
    text = formatNumber(value);
  } else if (typeof value === "string") {
    text = value;
  } else if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const buf = Buffer.from(value as Uint8Array);
    const utf8 = buf.toString("utf8");
    // Kafka keys and values are usually text; show raw bytes as hex only when they are not.
    text = /^[\x20-\x7e\u00a0-\uffff\t\n\r]*$/.test(utf8) && !utf8.includes("\ufffd") ? utf8 : `[${buf.subarray(0, 64).toString("hex").replace(/(..)/g, "$1 ").trim()}${buf.length > 64 ? " …" : ""}]`;
  } else if (typeof value === "bigint" || typeof value === "boolean") {
    text = value.toString();
  } else {
    text = toText(value);
  }
  return truncate(text, maxChars);
}

/** A stable string for a group key (used to upsert rows by their key columns). */
export function keyString(values: unknown[]): string {
  return JSON.stringify(values, (_k, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Date) return v.getTime();
    if (Buffer.isBuffer(v)) return v.toString("base64");
    return v;
  });
}

/** Compare two cell values for sorting: nulls last, numbers and timestamps numerically, text by locale. */
export function compareValues(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  const na = a instanceof Date ? a.getTime() : a;
  const nb = b instanceof Date ? b.getTime() : b;
  if ((typeof na === "number" || typeof na === "bigint") && (typeof nb === "number" || typeof nb === "bigint")) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof na === "boolean" && typeof nb === "boolean") return Number(na) - Number(nb);
  const sa = typeof na === "string" ? na : formatValue(na, "other");
  const sb = typeof nb === "string" ? nb : formatValue(nb, "other");
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
