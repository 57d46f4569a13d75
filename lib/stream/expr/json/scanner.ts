/**
 * A JSON scanner over bytes for flat records: it reads the wanted top-level fields' primitive values without
 * building the whole object or decoding the whole record to a string. Anything unusual (escapes, nested values
 * in wanted fields, malformed input) returns false, and the caller falls back to JSON.parse, which decides.
 */
export function makeFlatScanner(names: string[]): (b: Buffer, out: unknown[]) => boolean {
  const keys = names.map((n) => Buffer.from(n, "utf8"));
  const nk = keys.length;
  const ws = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
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
  /** End of a nested value (object/array) starting at i, or -1. */
  const skipNested = (b: Buffer, i: number, n: number): number => {
    let depth = 0;
    for (; i < n; i++) {
      const c = b[i];
      if (c === 34) {
        i++;
        while (i < n && b[i] !== 34) {
          if (b[i] === 92) i++;
          i++;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
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
        if (b[i] === 92) return false;
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
          if (b[i] === 92) return false;
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
          while (i < n && b[i] >= 48 && b[i] <= 57) i++;
        }
        if (field >= 0) {
          // Exact when the digits fit in 2^53 and the scale is an exact power of ten: the same double as JSON.parse.
          value = simpleNum && digits <= 15 ? (neg ? -mant : mant) / scale : Number(b.toString("latin1", vs, i));
          if (Number.isNaN(value as number)) return false;
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
        i = skipNested(b, i, n);
        if (i < 0) return false;
      } else return false;
      if (field >= 0) {
        out[field] = value;
        hint = field + 1;
      }
      while (i < n && ws(b[i])) i++;
      if (b[i] === 44) {
        i++;
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
