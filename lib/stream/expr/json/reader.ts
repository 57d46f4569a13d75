/**
 * from_json's record reader: a parser specialised to one schema and parse mode. Records arrive as strings or,
 * from Kafka values, as bytes (then the flat scanner in scanner.ts reads simple records without building them).
 */
import type { StructType } from "../../types";
import type { JsonMode } from "../bound";
import { RowError, compileGenerated } from "../gen";
import * as R from "../runtime";
import { makeFlatScanner, nestingDepthExceeds, MAX_JSON_DEPTH, SCAN_EXACT, SCAN_FAILED } from "./scanner";

/**
 * A parser specialised to one schema: JSON.parse, then per-field conversion. A record that does not parse is
 * all nulls plus its text in the corrupt-record field (PERMISSIVE); a field that does not fit its type is null
 * and the record's text is kept too (Spark 3.4's partial results).
 */
export function makeJsonParser(schema: StructType, mode: JsonMode, corruptName: string | null, binary: boolean, asArray = false): (input: unknown, row: number) => unknown {
  const fields = schema.fields;
  const hasLongs = JSON.stringify(schema).includes('"long"');
  const simple = fields.every((f) => ["string", "double", "float", "long", "integer", "short", "byte", "boolean", "timestamp", "decimal"].includes(f.type.kind));
  const bad = { flag: false };
  const nf = fields.length;
  const empty = (text: string): unknown => {
    if (asArray) {
      // Values by position (the struct is never built: the caller only reads fields); the corrupt record last.
      const arr: unknown[] = new Array(nf + 1).fill(null);
      if (corruptName) arr[nf] = text;
      return arr;
    }
    const o: Record<string, unknown> = {};
    for (const f of fields) o[f.name] = null;
    if (corruptName) o[corruptName] = text;
    return o;
  };
  const malformed = (text: string, row: number, why: string) => {
    if (mode === "FAILFAST") {
      throw new RowError(row, `malformed record (${why}) in FAILFAST mode: ${text.length > 200 ? text.slice(0, 200) + "..." : text}; use mode PERMISSIVE with a _corrupt_record STRING field in the schema to keep it`);
    }
    return empty(text);
  };
  // Field conversion generated once per schema: direct reads, typeof checks, no per-field dispatch.
  let convert: (vals: unknown[], bad: { flag: boolean }, scanned: boolean) => Record<string, unknown> | unknown[];
  if (simple) {
    const lines = fields.map((f, i) => {
      const v = `v${i}`;
      const read = `let ${v} = vals[${i}]; if (${v} === undefined) ${v} = null;`;
      switch (f.type.kind) {
        case "string": return `${read} else if (typeof ${v} !== "string" && ${v} !== null) ${v} = typeof ${v} === "object" ? JSON.stringify(${v}) : String(${v});`;
        case "decimal": return `${read} else if (${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "double": case "float": return `${read} else if (typeof ${v} !== "number" && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "long": return `${read} else if ((typeof ${v} !== "number" || !Number.isSafeInteger(${v})) && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "integer": case "short": case "byte": return `${read} else if ((typeof ${v} !== "number" || !Number.isInteger(${v})) && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "boolean": return `${read} else if (typeof ${v} !== "boolean" && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        // From the byte scanner a timestamp is already its milliseconds (it takes no JSON number for one).
        case "timestamp": return `${read} else if (${v} !== null && !(scanned && typeof ${v} === "number")) { const p = typeof ${v} === "string" ? P(${v}) : null; if (p !== null) ${v} = p; else ${v} = J(${v}, T[${i}], bad); }`;
        default: return `${read}`;
      }
    });
    const body = asArray
      ? `${lines.join("\n")}\n${fields.map((_, i) => `vals[${i}] = v${i};`).join(" ")} vals[${nf}] = null;\nreturn vals;`
      : `${lines.join("\n")}\nreturn { ${fields.map((f, i) => `${JSON.stringify(f.name)}: v${i}`).join(", ")}${corruptName ? `, ${JSON.stringify(corruptName)}: null` : ""} };`;
    convert = compileGenerated(["J", "T", "P"], `return function convert(vals, bad, scanned) {\n${body}\n};`, [R.jsonToValue, fields.map((f) => f.type), R.parseTimestamp]);
  } else {
    convert = (vals, b) => {
      const o: Record<string, unknown> = {};
      fields.forEach((f, i) => (o[f.name] = vals[i]));
      const out = R.jsonToStruct(o, schema, b);
      if (asArray) return [...fields.map((f) => out[f.name]), null];
      if (corruptName) out[corruptName] = null;
      return out;
    };
  }
  const names = fields.map((f) => f.name);
  const fromObject = (o: Record<string, unknown>) => names.map((n) => o[n]);
  const scanner = binary && simple ? makeFlatScanner(names, fields.map((f) => f.type.kind)) : undefined;
  const vals: unknown[] = new Array(names.length + 1);
  return (input: unknown, row: number) => {
    let parsedVals: unknown[] | undefined;
    if (scanner) {
      const scanned = scanner(input as Buffer, vals);
      // Every value already of its field's type: the positional result is the scanner's array as it is.
      if (scanned === SCAN_EXACT && asArray) {
        vals[nf] = null;
        return vals;
      }
      if (scanned !== SCAN_FAILED) parsedVals = vals;
    }
    let text = "";
    if (!parsedVals) {
      text = binary ? (input as Buffer).toString("utf8") : (input as string);
      // Spark's (Jackson's) nesting limit first: a record a million levels deep is malformed, not a stack overflow.
      if (nestingDepthExceeds(text)) return malformed(text, row, `nested more than ${MAX_JSON_DEPTH} levels deep`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(hasLongs && BIG_DIGITS.test(text) ? quoteBigIntegers(text) : text);
      } catch {
        return malformed(text, row, "not valid JSON");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return malformed(text, row, "not a JSON object");
      parsedVals = fromObject(parsed as Record<string, unknown>);
    }
    bad.flag = false;
    let out: Record<string, unknown> & unknown[];
    try {
      out = convert(parsedVals, bad, parsedVals === vals) as Record<string, unknown> & unknown[];
    } catch (err) {
      // Last line of defence: whatever the depth check let through must not overflow the stack of the query.
      if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) throw err;
      if (!text) text = binary ? (input as Buffer).toString("utf8") : (input as string);
      return malformed(text, row, "too deeply nested");
    }
    if (bad.flag) {
      if (!text) text = binary ? (input as Buffer).toString("utf8") : (input as string);
      if (mode === "FAILFAST") return malformed(text, row, "a field does not fit the schema");
      if (corruptName) {
        if (asArray) out[nf] = text;
        else out[corruptName] = text;
      }
    }
    return out;
  };
}

const BIG_DIGITS = /\d{16}/;

/**
 * JSON text with its integer numbers of 16 digits or more written as strings, so JSON.parse keeps them exact
 * (a BIGINT field reads the digits; a DOUBLE or STRING field reads them as it would the number).
 */
export function quoteBigIntegers(text: string): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string, escapes included.
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      let j = c === 45 ? i + 1 : i;
      while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      const next = text.charCodeAt(j);
      const digits = j - (c === 45 ? i + 1 : i);
      if (digits >= 16 && next !== 46 && next !== 101 && next !== 69) {
        out += text.slice(last, i) + '"' + text.slice(i, j) + '"';
        last = j;
      }
      i = j - 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
