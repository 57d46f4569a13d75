/**
 * Runtime helpers the compiled expressions call: timestamp parsing and formatting, casts, LIKE patterns,
 * JSON conversion to a schema. Each is a small monomorphic function so V8 inlines it into the compiled loops.
 */
import { decimalParams, type DataType, type StructType } from "../types";
import { decCast, toDecimal } from "./decimal";

const DOUBLE: DataType = { kind: "double" };
import { doubleToLong, fromBig, parseLong } from "./long";

/** A value as text: strings as they are, numbers, booleans and bigints by String(), objects as JSON. */
export function valueText(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
    case "bigint":
    case "symbol":
      return v.toString();
    case "undefined":
      return "undefined";
    case "function":
      return "function";
    default:
      return v === null ? "null" : JSON.stringify(v);
  }
}

const DAY_MS = 86_400_000;

/** Fast path for ISO-8601 and Spark's `yyyy-MM-dd HH:mm:ss[.SSS][zone]`; falls back to Date.parse. Null if not a time. */
export function parseTimestamp(s: string): number | null {
  const n = s.length;
  if (n >= 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (y >= 0 && mo >= 1 && d >= 1) {
      if (n === 10) return utcMillis(y, mo, d, 0, 0, 0);
      const sep = s.charCodeAt(10);
      if ((sep === 84 || sep === 32) && n >= 16 && s.charCodeAt(13) === 58) {
        const h = digits(s, 11, 2), mi = digits(s, 14, 2);
        let i = 16;
        let sec = 0;
        let ms = 0;
        if (i < n && s.charCodeAt(i) === 58) {
          sec = digits(s, 17, 2);
          i = 19;
          if (i < n && s.charCodeAt(i) === 46) {
            i++;
            let scale = 100;
            while (i < n) {
              const c = s.charCodeAt(i) - 48;
              if (c < 0 || c > 9) break;
              ms += c * scale;
              scale /= 10;
              i++;
            }
          }
        }
        if (h >= 0 && mi >= 0 && sec >= 0) {
          let t = utcMillis(y, mo, d, h, mi, sec) + ms;
          if (i === n) return t;
          const z = s.charCodeAt(i);
          if (z === 90 && i === n - 1) return t;
          if ((z === 43 || z === 45) && n - i >= 3) {
            const oh = digits(s, i + 1, 2);
            const rest = s.slice(i + 3).replace(":", "");
            const om = rest.length >= 2 ? digits(rest, 0, 2) : 0;
            if (oh >= 0 && om >= 0) {
              const off = (oh * 60 + om) * 60_000;
              t += z === 43 ? -off : off;
              return t;
            }
          }
        }
      }
    }
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** Date.UTC without the builtin call: days from the civil date (proleptic Gregorian), then milliseconds. */
export function utcMillis(y: number, mo: number, d: number, h: number, mi: number, sec: number): number {
  if (mo < 1 || mo > 12 || d > 31 || h > 24 || mi > 59 || sec > 60) return Date.UTC(y, mo - 1, d, h, mi, sec);
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000;
}

function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

const pad = (v: number, w = 2) => String(v).padStart(w, "0");

/** Spark's string form of a timestamp (UTC session zone): `2024-01-01 10:00:05` or `...05.123`. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds();
  return frac ? `${base}.${pad(frac, 3).replace(/0+$/, "")}` : base;
}

export function formatDate(days: number): string {
  const d = new Date(days * DAY_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** date_format with Java/Spark pattern letters (the common subset). */
export function dateFormat(ms: number, pattern: string): string {
  const d = new Date(ms);
  return pattern.replace(/'([^']*)'|yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|SSS|a|EEE|E/g, (tok: string, quoted: string | undefined) => {
    if (quoted !== undefined) return quoted;
    switch (tok) {
      case "yyyy": return String(d.getUTCFullYear());
      case "yy": return pad(d.getUTCFullYear() % 100);
      case "MM": return pad(d.getUTCMonth() + 1);
      case "M": return String(d.getUTCMonth() + 1);
      case "dd": return pad(d.getUTCDate());
      case "d": return String(d.getUTCDate());
      case "HH": return pad(d.getUTCHours());
      case "H": return String(d.getUTCHours());
      case "hh": return pad(d.getUTCHours() % 12 || 12);
      case "h": return String(d.getUTCHours() % 12 || 12);
      case "mm": return pad(d.getUTCMinutes());
      case "m": return String(d.getUTCMinutes());
      case "ss": return pad(d.getUTCSeconds());
      case "s": return String(d.getUTCSeconds());
      case "SSS": return pad(d.getUTCMilliseconds(), 3);
      case "a": return d.getUTCHours() < 12 ? "AM" : "PM";
      case "EEE": case "E": return ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
      default: return tok;
    }
  });
}

/** to_timestamp(s, pattern): builds a regex from the pattern once per distinct pattern. */
const patternCache = new Map<string, (s: string) => number | null>();
export function parseWithPattern(s: string, pattern: string): number | null {
  let parse = patternCache.get(pattern);
  if (!parse) {
    const order: string[] = [];
    const re = pattern.replace(/'([^']*)'|yyyy|yy|MM|M|dd|d|HH|H|mm|m|ss|s|SSS|[.*+?^${}()|[\]\\]/g, (tok: string, quoted: string | undefined) => {
      if (quoted !== undefined) return quoted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (/^[.*+?^${}()|[\]\\]$/.test(tok)) return "\\" + tok;
      order.push(tok[0]);
      return tok === "yyyy" ? "(\\d{4})" : tok === "SSS" ? "(\\d{1,3})" : "(\\d{1,2})";
    });
    const rx = new RegExp(`^${re}$`);
    parse = (text: string) => {
      const m = rx.exec(text.trim());
      if (!m) return null;
      let y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0;
      order.forEach((k, i) => {
        const v = Number(m[i + 1]);
        if (k === "y") y = v < 100 ? 2000 + v : v;
        else if (k === "M") mo = v;
        else if (k === "d") d = v;
        else if (k === "H") h = v;
        else if (k === "m") mi = v;
        else if (k === "s") sec = v;
        else if (k === "S") ms = v;
      });
      return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    };
    patternCache.set(pattern, parse);
  }
  return parse(s);
}

/** SQL LIKE -> RegExp (`%` any run, `_` one char, `\` escapes). */
export function likeToRegExp(pattern: string, caseInsensitive = false): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, caseInsensitive ? "i" : "");
}

const regexCache = new Map<string, RegExp>();
export function cachedRegExp(pattern: string, kind: "like" | "ilike" | "rlike"): RegExp {
  const key = kind + "\u0000" + pattern;
  let rx = regexCache.get(key);
  if (!rx) {
    rx = kind === "rlike" ? new RegExp(pattern) : likeToRegExp(pattern, kind === "ilike");
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, rx);
  }
  return rx;
}

export function toStr(v: unknown, t: DataType): string {
  switch (t.kind) {
    case "string": return v as string;
    case "binary": return Buffer.isBuffer(v) ? v.toString("utf8") : v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v);
    case "timestamp": return formatTimestamp(v as number);
    case "date": return formatDate(v as number);
    case "struct": return `{${t.fields.map((f) => { const x = (v as Record<string, unknown>)[f.name]; return x == null ? "null" : toStr(x, f.type); }).join(", ")}}`;
    case "array": return `[${(v as unknown[]).map((x) => (x == null ? "null" : toStr(x, t.elementType))).join(", ")}]`;
    case "map": return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} -> ${x == null ? "null" : toStr(x, t.valueType)}`).join(", ")}}`;
    case "double": case "float": {
      const n = v as number;
      return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
    }
    default: return String(v);
  }
}

function strToNumber(s: string): number | null {
  const t = s.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isNaN(n) ? null : n;
}

/** A function that casts non-null values of `from` to `to`; it returns null where Spark's cast returns null. */
export function castFunction(from: DataType, to: DataType): (v: unknown, row?: number) => unknown {
  const fk = from.kind;
  const tk = to.kind;
  if (tk === "decimal") {
    // Exact DECIMAL(p, s) text, HALF_UP to the scale; beyond the precision the query fails (ANSI).
    const { p, s } = decimalParams(to);
    if (fk === "decimal") {
      const from_ = decimalParams(from).s;
      return (v, row = -1) => decCast(v as string, from_, p, s, row);
    }
    if (fk === "timestamp") return (v, row = -1) => toDecimal((v as number) / 1000, p, s, row);
    if (fk === "binary") return (v, row = -1) => toDecimal(toStr(v, from), p, s, row);
    return (v, row = -1) => toDecimal(v, p, s, row);
  }
  if (fk === "decimal" && tk !== "string") {
    if (tk === "boolean") return (v) => !/^-?[0.]+$/.test(v as string);
    const viaDouble = castFunction(DOUBLE, to);
    return (v) => viaDouble(Number(v));
  }
  if (fk === tk && fk !== "struct" && fk !== "array") return (v) => v;
  switch (tk) {
    case "string":
      return (v) => toStr(v, from);
    case "binary":
      return fk === "string" ? (v) => Buffer.from(v as string, "utf8") : (v) => Buffer.from(toStr(v, from), "utf8");
    case "boolean":
      if (fk === "string" || fk === "binary") return (v) => {
        const s = (fk === "binary" ? toStr(v, from) : (v as string)).trim().toLowerCase();
        return s === "true" || s === "t" || s === "yes" || s === "y" || s === "1" ? true : s === "false" || s === "f" || s === "no" || s === "n" || s === "0" ? false : null;
      };
      return (v) => (v as number) !== 0;
    case "long":
      // Exact to 64 bits (expr/long.ts): integer text and doubles beyond 2^53 become bigints.
      if (fk === "string" || fk === "binary") return (v) => {
        const s = fk === "binary" ? toStr(v, from) : (v as string);
        const exact = parseLong(s);
        if (exact !== null) return exact;
        const n = strToNumber(s);
        return n === null ? null : doubleToLong(n);
      };
      if (fk === "float" || fk === "double" || fk === "decimal") return (v) => doubleToLong(v as number);
      if (fk === "boolean") return (v) => (v ? 1 : 0);
      if (fk === "timestamp") return (v) => Math.floor((v as number) / 1000);
      return (v) => v;
    case "byte": case "short": case "integer": {
      if (fk === "long") return (v) => Math.trunc(Number(v));
      if (fk === "string" || fk === "binary") return (v) => {
        const n = strToNumber(fk === "binary" ? toStr(v, from) : (v as string));
        return n === null ? null : Math.trunc(n);
      };
      if (fk === "boolean") return (v) => (v ? 1 : 0);
      if (fk === "timestamp") return (v) => Math.floor((v as number) / 1000);
      return (v) => Math.trunc(v as number);
    }
    case "float": case "double": {
      if (fk === "string" || fk === "binary") return (v) => strToNumber(fk === "binary" ? toStr(v, from) : (v as string));
      if (fk === "boolean") return (v) => (v ? 1 : 0);
      if (fk === "timestamp") return (v) => (v as number) / 1000;
      if (fk === "long") return (v) => Number(v);
      return (v) => v;
    }
    case "timestamp": {
      if (fk === "string" || fk === "binary") return (v) => parseTimestamp(fk === "binary" ? toStr(v, from) : (v as string));
      if (fk === "date") return (v) => (v as number) * DAY_MS;
      if (fk === "byte" || fk === "short" || fk === "integer" || fk === "long" || fk === "float" || fk === "double" || fk === "decimal") return (v) => Number(v) * 1000;
      break;
    }
    case "date": {
      if (fk === "string" || fk === "binary") return (v) => {
        const t = parseTimestamp(fk === "binary" ? toStr(v, from) : (v as string));
        return t === null ? null : Math.floor(t / DAY_MS);
      };
      if (fk === "timestamp") return (v) => Math.floor((v as number) / DAY_MS);
      break;
    }
    case "struct":
      if (fk === "struct") {
        const casts = to.fields.map((f, i) => (from.fields[i] ? castFunction(from.fields[i].type, f.type) : () => null));
        return (v) => {
          const o: Record<string, unknown> = {};
          to.fields.forEach((f, i) => {
            const x = from.fields[i] ? (v as Record<string, unknown>)[from.fields[i].name] : null;
            o[f.name] = x == null ? null : casts[i](x);
          });
          return o;
        };
      }
      break;
    case "array":
      if (fk === "array") {
        const inner = castFunction(from.elementType, to.elementType);
        return (v) => (v as unknown[]).map((x) => (x == null ? null : inner(x)));
      }
      break;
  }
  throw new Error(`cannot cast ${fk} to ${tk}`);
}

/** JSON values -> Spark values of a type; `bad.flag` is set when a present value does not fit the type. */
export function jsonToValue(v: unknown, t: DataType, bad: { flag: boolean }): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case "string":
      if (typeof v === "string") return v;
      return valueText(v);
    case "long": {
      if (typeof v === "number" && Number.isSafeInteger(v)) return v;
      if (typeof v === "bigint") return fromBig(v) ?? ((bad.flag = true), null);
      const exact = typeof v === "string" ? parseLong(v) : null;
      if (exact !== null) return exact;
      bad.flag = true;
      return null;
    }
    case "byte": case "short": case "integer":
      if (typeof v === "number" && Number.isInteger(v)) return v;
      if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
      bad.flag = true;
      return null;
    case "decimal": {
      const { p, s } = decimalParams(t);
      const out = typeof v === "number" || typeof v === "bigint" || typeof v === "string" ? toDecimal(v, p, s, -1, "null") : null;
      if (out === null) bad.flag = true;
      return out;
    }
    case "float": case "double":
      if (typeof v === "number") return v;
      if (typeof v === "string") {
        const n = strToNumber(v);
        if (n !== null) return n;
        if (v === "NaN") return NaN;
      }
      bad.flag = true;
      return null;
    case "boolean":
      if (typeof v === "boolean") return v;
      bad.flag = true;
      return null;
    case "timestamp":
      if (typeof v === "string") {
        const ts = parseTimestamp(v);
        if (ts !== null) return ts;
      } else if (typeof v === "number") return v * 1000;
      bad.flag = true;
      return null;
    case "date":
      if (typeof v === "string") {
        const ts = parseTimestamp(v);
        if (ts !== null) return Math.floor(ts / DAY_MS);
      }
      bad.flag = true;
      return null;
    case "binary":
      if (typeof v === "string") return Buffer.from(v, "base64");
      bad.flag = true;
      return null;
    case "struct":
      if (typeof v !== "object" || Array.isArray(v)) {
        bad.flag = true;
        return null;
      }
      return jsonToStruct(v as Record<string, unknown>, t, bad);
    case "array":
      if (!Array.isArray(v)) {
        bad.flag = true;
        return null;
      }
      return v.map((x) => jsonToValue(x, t.elementType, bad));
    case "map": {
      if (typeof v !== "object" || Array.isArray(v)) {
        bad.flag = true;
        return null;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = jsonToValue(x, t.valueType, bad);
      return out;
    }
    default:
      return null;
  }
}

export function jsonToStruct(o: Record<string, unknown>, t: StructType, bad: { flag: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of t.fields) out[f.name] = jsonToValue(o[f.name], f.type, bad);
  return out;
}

/** Spark values -> JSON-ready values (to_json, Kafka sink, edges). */
export function valueToJson(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case "timestamp": return new Date(v as number).toISOString().replace(/Z$/, "Z");
    case "date": return formatDate(v as number);
    case "binary": return Buffer.isBuffer(v) ? v.toString("base64") : v;
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x !== null && x !== undefined) out[f.name] = valueToJson(x, f.type);
      }
      return out;
    }
    case "array": return (v as unknown[]).map((x) => valueToJson(x, t.elementType));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = valueToJson(x, t.valueType);
      return out;
    }
    default: return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
  }
}

/** A double as Java's Double.toString writes it (Jackson, so Spark's to_json): 7.0, 0.001, 1.0E7, 1.0E-4, -0.0. */
export function javaDoubleText(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return /[.e]/.test(s) ? s : `${s}.0`;
  }
  const [m, x] = v.toExponential().split("e");
  return `${m.includes(".") ? m : `${m}.0`}E${Number(x)}`;
}

/** to_json's text: JSON of the value with Spark's number forms (doubles and floats always with a fraction or exponent). */
export function valueToJsonText(v: unknown, t: DataType): string {
  if (v === null || v === undefined) return "null";
  switch (t.kind) {
    case "double":
    case "float":
      return typeof v === "number" && Number.isFinite(v) ? javaDoubleText(v) : JSON.stringify(valueToJson(v, t));
    case "struct": {
      const parts: string[] = [];
      for (const f of t.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x !== null && x !== undefined) parts.push(`${JSON.stringify(f.name)}:${valueToJsonText(x, f.type)}`);
      }
      return `{${parts.join(",")}}`;
    }
    case "long":
    case "decimal":
      return valueText(v); // exact: a bigint beyond 2^53, a decimal's digits
    case "array":
      return `[${(v as unknown[]).map((x) => valueToJsonText(x, t.elementType)).join(",")}]`;
    case "map":
      return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}:${valueToJsonText(x, t.valueType)}`).join(",")}}`;
    default:
      return JSON.stringify(valueToJson(v, t));
  }
}

/** Spark values -> the edge representation: Date for timestamps and dates, nested objects for structs. */
export function valueToExternal(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case "timestamp": return new Date(v as number);
    case "date": return new Date((v as number) * DAY_MS);
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = valueToExternal((v as Record<string, unknown>)[f.name], f.type);
      return out;
    }
    case "array": return (v as unknown[]).map((x) => valueToExternal(x, t.elementType));
    default: return v;
  }
}

/** Edge values (Date, ISO strings, numbers) -> internal values of a type, for static tables and memory streams. */
export function externalToValue(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" && Number.isNaN(v) && t.kind !== "double" && t.kind !== "float") return null;
  switch (t.kind) {
    case "timestamp":
      if (v instanceof Date) return v.getTime();
      if (typeof v === "string") return parseTimestamp(v);
      return v;
    case "date":
      if (v instanceof Date) return Math.floor(v.getTime() / DAY_MS);
      if (typeof v === "string") { const x = parseTimestamp(v); return x === null ? null : Math.floor(x / DAY_MS); }
      return v;
    case "binary":
      return typeof v === "string" ? Buffer.from(v, "utf8") : v;
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = externalToValue((v as Record<string, unknown>)[f.name], f.type);
      return out;
    }
    case "array": return (v as unknown[]).map((x) => externalToValue(x, t.elementType));
    default: return v;
  }
}
