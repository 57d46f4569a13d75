/**
 * Aggregates over ordered or counted values: min_by, max_by, median, percentile_approx (approx_percentile),
 * mode, approx_count_distinct(col, rsd). Functions with several arguments receive them as one struct per row
 * (c0, c1, ...: plan/analyze.ts packs them); literal parameters (percentage, accuracy, rsd) are checked here.
 *
 * percentile_approx keeps every value, so it is exact: it returns the value of rank ceil(p * n), which is what
 * Spark's approximation returns whenever `accuracy` is at least the number of values (its default is 10000).
 * approx_count_distinct is exact too (within any rsd). mode breaks ties by the smallest value, as Spark 4's
 * mode(col, deterministic => true).
 */
import type { BExpr } from "../bound";
import { DoubleType, LongType, isNumeric, typeString, type DataType } from "../../types";
import { fail, toDouble } from "./common";
import type { FunctionRegistry } from "./registry";

/** The arguments of a multi-argument aggregate (packed as struct(c0, c1, ...)), or the one argument. */
function unpack(args: BExpr[]): BExpr[] {
  const a = args[0];
  return a && a.k === "call" && a.fn === "struct" && a.args.length > 1 ? a.args : args;
}

function literal(name: string, a: BExpr | undefined, what: string): unknown {
  if (!a) return undefined;
  // A decimal literal (0.5 is DECIMAL(1,1)) is read as its number here.
  if (a.k === "lit") return a.type.kind === "decimal" && typeof a.value === "string" ? Number(a.value) : a.value;
  if (a.k === "cast" && a.child.k === "lit") return a.child.value;
  return fail(`${name}(): the ${what} must be a literal`);
}

const compare = (x: unknown, y: unknown): number => (x === y ? 0 : (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0);
const orderable = (t: DataType) => !["struct", "array", "map", "binary"].includes(t.kind);
const modeKey = (v: unknown) => (typeof v === "object" && v !== null ? JSON.stringify(v) : v);

export function registerOrderedAggregates(r: FunctionRegistry): void {
  for (const [name, op] of [["min_by", "<"], ["max_by", ">"]] as const) {
    r.aggregate(name, {
      resolve: (args) => {
        const a = unpack(args);
        if (a.length !== 2) fail(`${name}() takes two columns: ${name}(value, ordering)`);
        if (!orderable(a[1].type)) fail(`${name}(): the ordering column cannot be ${typeString(a[1].type)}`);
        return { type: a[0].type };
      },
      // Slots: best ordering value, its value. Rows whose ordering is null are skipped; ties keep the first.
      init: ["null", "null"],
      update: (v, S) => `if (${v} != null && ${v}.c1 != null && (${S(0)} === null || ${v}.c1 ${op} ${S(0)})) { ${S(0)} = ${v}.c1; ${S(1)} = ${v}.c0; }`,
      finalize: (s) => s[1],
    });
  }

  r.aggregate("median", {
    resolve: (args) => {
      if (unpack(args).length !== 1) fail("median() takes one column");
      if (!isNumeric(args[0].type) && args[0].type.kind !== "null") fail(`median() expects a number, got ${typeString(args[0].type)}`);
      return { type: DoubleType, args: [toDouble(args[0])] };
    },
    init: ["[]"],
    update: (v, S) => `if (${v} != null) ${S(0)}.push(${v});`,
    // Spark's percentile(col, 0.5): linear interpolation between the two middle values.
    finalize: (s) => {
      const xs = (s[0] as number[]).slice().sort((a, b) => a - b);
      if (!xs.length) return null;
      const pos = 0.5 * (xs.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
    },
  });

  r.aggregate(["percentile_approx", "approx_percentile"], {
    resolve: (args) => {
      const a = unpack(args);
      if (a.length < 2 || a.length > 3) fail("percentile_approx() takes a column, a percentage (or an array of them) and an optional accuracy");
      if (!orderable(a[0].type) || a[0].type.kind === "string" || a[0].type.kind === "boolean") fail(`percentile_approx() expects a number, date or timestamp column, got ${typeString(a[0].type)}`);
      const p = literal("percentile_approx", a[1], "percentage");
      const ps = Array.isArray(p) ? p : [p];
      for (const x of ps) {
        if (typeof x !== "number" || x < 0 || x > 1) fail(`[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] percentile_approx(): the \`percentage\` must be between [0.0, 1.0], but got ${JSON.stringify(p)}`);
      }
      const acc = literal("percentile_approx", a[2], "accuracy");
      if (acc !== undefined && (typeof acc !== "number" || !Number.isInteger(acc) || acc <= 0)) fail(`[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] percentile_approx(): the \`accuracy\` must be a positive integer, but got ${JSON.stringify(acc)}`);
      return { type: Array.isArray(p) ? { kind: "array", elementType: a[0].type } : a[0].type };
    },
    // Slots: the values, the percentage(s).
    init: ["[]", "null"],
    update: (v, S) => `if (${v} != null) { ${S(1)} = ${v}.c1; if (${v}.c0 != null) ${S(0)}.push(${v}.c0); }`,
    finalize: (s) => {
      const xs = (s[0] as number[]).slice().sort((a, b) => a - b);
      const at = (p: number) => (xs.length ? xs[Math.max(0, Math.ceil(p * xs.length) - 1)] : null);
      const p = s[1];
      if (p === null) return null;
      return Array.isArray(p) ? (xs.length ? (p as number[]).map(at) : null) : at(p as number);
    },
  });

  r.aggregate("mode", {
    resolve: (args) => {
      if (unpack(args).length !== 1) fail("mode() takes one column");
      return { type: args[0].type };
    },
    // Slot: a Map from value (its JSON for objects) to [value, count].
    init: ["new Map()"],
    update: (v, S) => `if (${v} != null) { const mk = typeof ${v} === "object" ? JSON.stringify(${v}) : ${v}; const e = ${S(0)}.get(mk); if (e) e[1]++; else ${S(0)}.set(mk, [${v}, 1]); }`,
    finalize: (s) => {
      let best: [unknown, number] | null = null;
      for (const e of (s[0] as Map<unknown, [unknown, number]>).values()) {
        if (!best || e[1] > best[1] || (e[1] === best[1] && compare(e[0], best[0]) < 0)) best = e;
      }
      return best ? best[0] : null;
    },
    save: (slots) => [[...(slots[0] as Map<unknown, [unknown, number]>).values()]],
    load: (saved) => [new Map((saved[0] as [unknown, number][]).map((e) => [modeKey(e[0]), e]))],
  });

  r.aggregate("approx_count_distinct", {
    resolve: (args) => {
      const a = unpack(args);
      if (a.length > 2) fail("approx_count_distinct() takes a column and an optional relative standard deviation (rsd)");
      const rsd = literal("approx_count_distinct", a[1], "rsd");
      if (rsd !== undefined && (typeof rsd !== "number" || !(rsd > 0))) fail(`approx_count_distinct(): rsd must be a positive number (Spark's default is 0.05), not ${JSON.stringify(rsd)}`);
      // The rsd was checked; the aggregate only needs the column.
      return { type: LongType, args: [a[0]] };
    },
    init: ["new Set()"],
    update: (v, S) => `if (${v} != null) ${S(0)}.add(typeof ${v} === "object" ? JSON.stringify(${v}) : ${v});`,
    finalize: (s) => (s[0] as Set<unknown>).size,
    save: (slots) => [[...(slots[0] as Set<unknown>)]],
    load: (saved) => [new Set(saved[0] as unknown[])],
  });
}
