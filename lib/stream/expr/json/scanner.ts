/**
 * JSON over bytes, with Spark's validity rule: strict JSON (RFC 8259, as Jackson with Spark's defaults for
 * everything but single quotes and NaN/Infinity, which streamlab refuses on every path) and Jackson's nesting
 * limit of 1000 levels. The flat scanner reads simple records from Kafka values; the string path (JSON.parse in
 * reader.ts) applies the same rule, so a text is valid or corrupt whichever way it arrives.
 */

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

/**
 * A JSON scanner over bytes for flat records: it reads the wanted top-level fields' primitive values without
 * building the whole object or decoding the whole record to a string. It accepts only what is valid JSON (nested
 * values in other fields are validated by `skipValue`); anything it does not handle itself (escapes, nested
 * values in wanted fields) or finds invalid returns false, and the caller falls back to the string path, which
 * decides with the same rule.
 */
export function makeFlatScanner(names: string[]): (b: Buffer, out: unknown[]) => boolean {
  const keys = names.map((n) => Buffer.from(n, "utf8"));
  const nk = keys.length;
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
  return (b: Buffer, out: unknown[]): boolean => {
    if (!Buffer.isBuffer(b)) return false;
    const n = b.length;
    for (let k = 0; k < nk; k++) out[k] = null;
    let i = 0;
    while (i < n && ws(b[i])) i++;
    if (b[i] !== 123) return false;
    i++;
    let hint = 0;
    for (;;) {
      while (i < n && ws(b[i])) i++;
      if (b[i] === 125) {
        i++;
        break;
      }
      if (b[i] !== 34) return false;
      const ks = ++i;
      while (i < n && b[i] !== 34) {
        if (b[i] === 92 || b[i] < 32) return false;
        i++;
      }
      if (i >= n) return false;
      const field = findKey(b, ks, i, hint);
      i++;
      while (i < n && ws(b[i])) i++;
      if (b[i] !== 58) return false;
      i++;
      while (i < n && ws(b[i])) i++;
      const c = b[i];
      let value: unknown;
      if (c === 34) {
        const vs = ++i;
        while (i < n && b[i] !== 34) {
          if (b[i] === 92 || b[i] < 32) return false;
          i++;
        }
        if (i >= n) return false;
        value = field >= 0 ? b.toString("utf8", vs, i) : undefined;
        i++;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        const vs = i;
        let neg = false;
        if (c === 45) {
          neg = true;
          i++;
        }
        // JSON forbids leading zeros (01): let JSON.parse reject it.
        if (b[i] === 48 && b[i + 1] >= 48 && b[i + 1] <= 57) return false;
        let mant = 0;
        let digits = 0;
        let scale = 1;
        let simpleNum = true;
        while (i < n && b[i] >= 48 && b[i] <= 57) {
          mant = mant * 10 + (b[i] - 48);
          digits++;
          i++;
        }
        if (digits === 0) return false;
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
          if (frac === 0) return false;
        }
        if (b[i] === 101 || b[i] === 69) {
          simpleNum = false;
          i++;
          if (b[i] === 43 || b[i] === 45) i++;
          if (!(b[i] >= 48 && b[i] <= 57)) return false;
          while (i < n && b[i] >= 48 && b[i] <= 57) i++;
        }
        if (field >= 0) {
          // Exact when the digits fit in 2^53 and the scale is an exact power of ten: the same double as JSON.parse.
          value = simpleNum && digits <= 15 ? (neg ? -mant : mant) / scale : Number(b.toString("latin1", vs, i));
          if (Number.isNaN(value)) return false;
        }
      } else if (c === 116) {
        if (b[i + 1] !== 114 || b[i + 2] !== 117 || b[i + 3] !== 101) return false;
        value = true;
        i += 4;
      } else if (c === 102) {
        if (b[i + 1] !== 97 || b[i + 2] !== 108 || b[i + 3] !== 115 || b[i + 4] !== 101) return false;
        value = false;
        i += 5;
      } else if (c === 110) {
        if (b[i + 1] !== 117 || b[i + 2] !== 108 || b[i + 3] !== 108) return false;
        value = null;
        i += 4;
      } else if (c === 123 || c === 91) {
        if (field >= 0) return false;
        // A nested value in a field nobody reads: validated (and its depth checked, the record being level 1).
        i = skipValue(b, i, n, 1);
        if (i < 0) return false;
      } else return false;
      if (field >= 0) {
        out[field] = value;
        hint = field + 1;
      }
      while (i < n && ws(b[i])) i++;
      if (b[i] === 44) {
        i++;
        while (i < n && ws(b[i])) i++;
        if (b[i] !== 34) return false; // a trailing comma (or garbage) after ','
        continue;
      }
      if (b[i] === 125) {
        i++;
        break;
      }
      return false;
    }
    while (i < n && ws(b[i])) i++;
    return i === n;
  };
}
