/**
 * JSON over bytes, with Spark's validity rule: strict JSON (RFC 8259, as Jackson with Spark's defaults for
 * everything but single quotes and NaN/Infinity, which streamlab refuses on every path) and Jackson's nesting
 * limit of 1000 levels. The flat scanner reads simple records from Kafka values; the string path (JSON.parse in
 * reader.ts) applies the same rule, so a text is valid or corrupt whichever way it arrives.
 */
import { utcMillis } from "../runtime";

/** Jackson's default `StreamReadConstraints.maxNestingDepth` (Spark 3.5 and 4): a deeper record is malformed. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Does `text` nest arrays/objects deeper than `max` levels? Only a text longer than 2 * max characters can,
 * so short records cost nothing. Iterative: a record nested a million levels deep is just a long string here.
 */
export function nestingDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  if (text.length <= 2 * max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < n && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** End of the JSON string whose opening quote is at `i` (index after the closing quote), or -1 if invalid. */
function skipString(b: Buffer, i: number, n: number): number {
  for (i++; i < n; i++) {
    const c = b[i];
    if (c === 34) return i + 1;
    if (c < 32) return -1; // raw control characters are not allowed in JSON strings
    if (c === 92) {
      const e = b[++i];
      if (e === 117) {
        if (!(isHex(b[i + 1]) && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]))) return -1;
        i += 4;
      } else if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
    }
  }
  return -1;
}

/** End of the JSON number at `i`, or -1 if it is not one (no leading zeros, digits after `.` and `e`). */
function skipNumber(b: Buffer, i: number, n: number): number {
  if (b[i] === 45) i++;
  if (b[i] === 48) i++;
  else if (isDigit(b[i])) while (i < n && isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 46) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (i < n && isDigit(b[i])) i++;
  }
  if (b[i] === 101 || b[i] === 69) {
    i++;
    if (b[i] === 43 || b[i] === 45) i++;
    if (!isDigit(b[i])) return -1;
    while (i < n && isDigit(b[i])) i++;
  }
  return i;
}

/**
 * End of the JSON value starting at `i` (any value: object, array, string, number, literal), validated
 * strictly and without recursion; -1 if it is not valid JSON or nests deeper than `maxDepth` (counting the
 * levels already entered, `depth`).
 */
export function skipValue(b: Buffer, i: number, n: number, depth = 0, maxDepth = MAX_JSON_DEPTH): number {
  // The open containers: 123 (object) or 91 (array).
  const stack: number[] = [];
  for (;;) {
    // Expect a value at i.
    while (i < n && isWs(b[i])) i++;
    const c = b[i];
    if (c === 123 || c === 91) {
      if (depth + stack.length + 1 > maxDepth) return -1;
      i++;
      while (i < n && isWs(b[i])) i++;
      if (b[i] === (c === 123 ? 125 : 93)) {
        i++; // empty container: a complete value
      } else {
        stack.push(c);
        if (c === 123) {
          if (b[i] !== 34) return -1;
          i = skipString(b, i, n);
          if (i < 0) return -1;
          while (i < n && isWs(b[i])) i++;
          if (b[i] !== 58) return -1;
          i++;
        }
        continue;
      }
    } else if (c === 34) {
      i = skipString(b, i, n);
    } else if (c === 45 || isDigit(c)) {
      i = skipNumber(b, i, n);
    } else if (c === 116) {
      i = b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? i + 4 : -1;
    } else if (c === 102) {
      i = b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 ? i + 5 : -1;
    } else if (c === 110) {
      i = b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 ? i + 4 : -1;
    } else return -1;
    if (i < 0) return -1;
    // A value ended: close containers or move to the next element.
    for (;;) {
      if (stack.length === 0) return i;
      while (i < n && isWs(b[i])) i++;
      const top = stack[stack.length - 1];
      if (b[i] === 44) {
        i++;
        if (top === 123) {
          while (i < n && isWs(b[i])) i++;
          if (b[i] !== 34) return -1; // also rejects a trailing comma
          i = skipString(b, i, n);
          if (i < 0) return -1;
          while (i < n && isWs(b[i])) i++;
          if (b[i] !== 58) return -1;
          i++;
        } else {
          while (i < n && isWs(b[i])) i++;
          if (b[i] === 93) return -1; // trailing comma in an array
        }
        break;
      }
      if (b[i] === (top === 123 ? 125 : 93)) {
        stack.pop();
        i++;
        continue;
      }
      return -1; // unbalanced: a ] closing an object, a } closing an array, or anything else
    }
  }
}

/** What a flat scan found: not handled (use the string path), values of the target kinds, or values to convert. */
export const SCAN_FAILED = 0;
export const SCAN_EXACT = 1;
export const SCAN_CONVERT = 2;

/** Field kinds whose scanned value is final when its JSON type matches (a string, a number, a boolean). */
const EXACT_KINDS: Record<string, number> = { string: 1, double: 2, float: 2, boolean: 3, timestamp: 4 };

/**
 * A JSON scanner over bytes for flat records: it reads the wanted top-level fields' primitive values without
 * building the whole object or decoding the whole record to a string. It accepts only what is valid JSON (nested
 * values in other fields are validated by `skipValue`); anything it does not handle itself (escapes, nested
 * values in wanted fields) or finds invalid gives SCAN_FAILED, and the caller falls back to the string path,
 * which decides with the same rule. SCAN_EXACT: every wanted value is null or already of its field's type
 * (string, double, float, boolean, timestamp milliseconds); SCAN_CONVERT: some value still needs conversion.
 */
export function makeFlatScanner(names: string[], kinds: readonly string[] = []): (b: Buffer, out: unknown[]) => number {
  const keys = names.map((n) => Buffer.from(n, "utf8"));
  const nk = keys.length;
  // Keys a JSON key can match byte for byte (no quote, backslash or control character): the fast key check.
  const plain = keys.map((k) => k.every((c) => c !== 34 && c !== 92 && c >= 32));
  // Timestamp fields are parsed from the bytes (the common ISO forms; others go to the string path).
  const isTs = names.map((_, k) => kinds[k] === "timestamp");
  const exact = names.map((_, k) => EXACT_KINDS[kinds[k]] ?? 0);
  const isLong = names.map((_, k) => kinds[k] === "long");
  const interns = names.map(() => new StringInterner());
  const ws = isWs;
  const findKey = (b: Buffer, s: number, e: number, hint: number): number => {
    const len = e - s;
    for (let t = 0; t < nk; t++) {
      const k = (hint + t) % nk;
      const key = keys[k];
      if (key.length !== len) continue;
      let j = 0;
      while (j < len && b[s + j] === key[j]) j++;
      if (j === len) return k;
    }
    return -1;
  };
  return (b: Buffer, out: unknown[]): number => {
    if (!Buffer.isBuffer(b)) return SCAN_FAILED;
    const n = b.length;
    for (let k = 0; k < nk; k++) out[k] = null;
    let result = SCAN_EXACT;
    let i = 0;
    while (i < n && ws(b[i])) i++;
    if (b[i] !== 123) return SCAN_FAILED;
    i++;
    let hint = 0;
    for (;;) {
      while (i < n && ws(b[i])) i++;
      if (b[i] === 125) {
        i++;
        break;
      }
      if (b[i] !== 34) return SCAN_FAILED;
      const ks = ++i;
      let field = -1;
      // Fields usually come in the same order record after record: try the expected key in place first.
      if (hint < nk && plain[hint]) {
        const key = keys[hint];
        const len = key.length;
        if (ks + len < n && b[ks + len] === 34) {
          let j = 0;
          while (j < len && b[ks + j] === key[j]) j++;
          if (j === len) {
            field = hint;
            i = ks + len;
          }
        }
      }
      if (field < 0) {
        while (i < n && b[i] !== 34) {
          if (b[i] === 92 || b[i] < 32) return SCAN_FAILED;
          i++;
        }
        if (i >= n) return SCAN_FAILED;
        field = findKey(b, ks, i, hint);
      }
      i++;
      while (i < n && ws(b[i])) i++;
      if (b[i] !== 58) return SCAN_FAILED;
      i++;
      while (i < n && ws(b[i])) i++;
      const c = b[i];
      let value: unknown;
      let kind = 0;
      if (c === 34) {
        const vs = ++i;
        if (field >= 0 && isTs[field]) {
          // The canonical form of toISOString (YYYY-MM-DDTHH:MM:SS.sssZ): read in place, no second pass.
          const t = n > vs + 24 && b[vs + 24] === 34 ? isoTimestampMs(b, vs, vs + 24) : null;
          if (t !== null) {
            value = t;
            kind = 4;
            i = vs + 24;
          }
        }
        if (kind === 0) {
          while (i < n && b[i] !== 34) {
            if (b[i] === 92 || b[i] < 32) return SCAN_FAILED;
            i++;
          }
          if (i >= n) return SCAN_FAILED;
          if (field >= 0) {
            if (isTs[field]) {
              const t = isoTimestampMs(b, vs, i);
              if (t === null) value = b.toString("utf8", vs, i);
              else {
                value = t;
                kind = 4;
              }
            } else {
              value = interns[field].get(b, vs, i);
              kind = 1;
            }
          }
        }
        i++;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        const vs = i;
        let neg = false;
        if (c === 45) {
          neg = true;
          i++;
        }
        // JSON forbids leading zeros (01): let JSON.parse reject it.
        if (b[i] === 48 && b[i + 1] >= 48 && b[i + 1] <= 57) return SCAN_FAILED;
        let mant = 0;
        let digits = 0;
        let scale = 1;
        let simpleNum = true;
        while (i < n && b[i] >= 48 && b[i] <= 57) {
          mant = mant * 10 + (b[i] - 48);
          digits++;
          i++;
        }
        if (digits === 0) return SCAN_FAILED;
        if (b[i] === 46) {
          i++;
          let frac = 0;
          while (i < n && b[i] >= 48 && b[i] <= 57) {
            mant = mant * 10 + (b[i] - 48);
            scale *= 10;
            digits++;
            frac++;
            i++;
          }
          if (frac === 0) return SCAN_FAILED;
        }
        if (b[i] === 101 || b[i] === 69) {
          simpleNum = false;
          i++;
          if (b[i] === 43 || b[i] === 45) i++;
          if (!(b[i] >= 48 && b[i] <= 57)) return SCAN_FAILED;
          while (i < n && b[i] >= 48 && b[i] <= 57) i++;
        }
        if (field >= 0) {
          if (isTs[field]) return SCAN_FAILED; // a number as a timestamp: the string path converts it
          // Exact when the digits fit in 2^53 and the scale is an exact power of ten: the same double as JSON.parse.
          let num: number | bigint = simpleNum && digits <= 15 ? (neg ? -mant : mant) / scale : Number(b.toString("latin1", vs, i));
          if (Number.isNaN(num)) return SCAN_FAILED;
          // A BIGINT beyond 2^53 stays exact: its digits as a bigint (the reader checks the 64-bit range; long
          // fields are never SCAN_EXACT, so the reader's conversion sees it).
          if (isLong[field] && simpleNum && scale === 1 && !Number.isSafeInteger(num)) num = BigInt(b.toString("latin1", vs, i));
          value = num;
          kind = 2;
        }
      } else if (c === 116) {
        if (b[i + 1] !== 114 || b[i + 2] !== 117 || b[i + 3] !== 101) return SCAN_FAILED;
        value = true;
        kind = 3;
        i += 4;
      } else if (c === 102) {
        if (b[i + 1] !== 97 || b[i + 2] !== 108 || b[i + 3] !== 115 || b[i + 4] !== 101) return SCAN_FAILED;
        value = false;
        kind = 3;
        i += 5;
      } else if (c === 110) {
        if (b[i + 1] !== 117 || b[i + 2] !== 108 || b[i + 3] !== 108) return SCAN_FAILED;
        value = null;
        i += 4;
      } else if (c === 123 || c === 91) {
        if (field >= 0) return SCAN_FAILED;
        // A nested value in a field nobody reads: validated (and its depth checked, the record being level 1).
        i = skipValue(b, i, n, 1);
        if (i < 0) return SCAN_FAILED;
      } else return SCAN_FAILED;
      if (field >= 0) {
        out[field] = value;
        if (value !== null && kind !== exact[field]) result = SCAN_CONVERT;
        hint = field + 1;
      }
      while (i < n && ws(b[i])) i++;
      if (b[i] === 44) {
        i++;
        while (i < n && ws(b[i])) i++;
        if (b[i] !== 34) return SCAN_FAILED; // a trailing comma (or garbage) after ','
        continue;
      }
      if (b[i] === 125) {
        i++;
        break;
      }
      return SCAN_FAILED;
    }
    while (i < n && ws(b[i])) i++;
    return i === n ? result : SCAN_FAILED;
  };
}

/** The number of the `len` ASCII digits at `at`, or -1 if one is not a digit (or past the end). */
const dig = (b: Buffer, at: number, len: number): number => {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = b[i] - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
};

/** Two ASCII digits at `at` as a number, or -1. */
const dig2 = (b: Buffer, at: number): number => {
  const x = b[at] - 48;
  const y = b[at + 1] - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
};

// The last civil date converted (records close in time share it): its key y*512+mo*32+d and its UTC midnight.
let lastDayKey = -1;
let lastDayMs = 0;

/**
 * Milliseconds of the timestamp text in b[s, e) when it has the plain ISO form `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM`,
 * `...:SS` or `...:SS.f` (1 to 3 fraction digits), optionally ending in `Z`, with fields in range; null for
 * anything else (the caller then hands the text to `parseTimestamp`, which gives the same value for these forms).
 */
export function isoTimestampMs(b: Buffer, s: number, e: number): number | null {
  const n = e - s;
  if (n < 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return null;
  const y = dig(b, s, 4);
  const mo = dig2(b, s + 5);
  const d = dig2(b, s + 8);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let ms = 0;
  let i = s + 10;
  if (i < e && b[i] !== 90) {
    const sep = b[i];
    if ((sep !== 84 && sep !== 32) || n < 16 || b[s + 13] !== 58) return null;
    h = dig2(b, s + 11);
    mi = dig2(b, s + 14);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return null;
    i = s + 16;
    if (i < e && b[i] === 58) {
      sec = dig2(b, s + 17);
      if (sec < 0 || sec > 59 || s + 19 > e) return null;
      i = s + 19;
      if (i < e && b[i] === 46) {
        i++;
        let scale = 100;
        const fs = i;
        while (i < e && b[i] >= 48 && b[i] <= 57) {
          ms += (b[i] - 48) * scale;
          scale /= 10;
          i++;
        }
        if (i === fs || i - fs > 3) return null;
      }
    }
  }
  if (i === e - 1 && b[i] === 90 && i > s + 10) i++;
  if (i !== e) return null;
  // Every field is in range here, so utcMillis is the day's midnight plus the time of day.
  const dayKey = y * 512 + mo * 32 + d;
  if (dayKey !== lastDayKey) {
    lastDayMs = utcMillis(y, mo, d, 0, 0, 0);
    lastDayKey = dayKey;
  }
  return lastDayMs + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
}

/**
 * Short ASCII strings read from bytes, shared while they repeat (a region, a status): no string is built for a
 * value seen just before in that slot. A field whose values rarely repeat (ids) turns the table off.
 */
class StringInterner {
  private readonly strs: (string | undefined)[] = new Array<string | undefined>(256);
  private lookups = 0;
  private misses = 0;
  private off = false;
  get(b: Buffer, s: number, e: number): string {
    const len = e - s;
    if (this.off || len > 32) return b.toString("utf8", s, e);
    let h = len;
    for (let i = s; i < e; i++) {
      const c = b[i];
      if (c >= 128) return b.toString("utf8", s, e);
      h = (Math.imul(h, 31) + c) | 0;
    }
    const slot = (h ^ (h >>> 8)) & 255;
    this.lookups++;
    const got = this.strs[slot];
    if (got !== undefined && got.length === len) {
      let j = 0;
      while (j < len && got.charCodeAt(j) === b[s + j]) j++;
      if (j === len) return got;
    }
    const str = b.toString("latin1", s, e);
    this.strs[slot] = str;
    // Mostly misses after a while: the values do not repeat, stop looking.
    if (++this.misses * 2 > this.lookups && this.lookups >= 1024) this.off = true;
    return str;
  }
}
