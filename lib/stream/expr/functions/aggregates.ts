/** Aggregate functions: count, sum, avg, min, max, first, last, count_distinct, collect_list/set, stddev, variance. */
import type { BExpr } from "../bound";
import { DoubleType, LongType, isNumeric, isIntegral } from "../../types";
import { need, isStringy, toDouble } from "./common";
import type { FunctionRegistry } from "./registry";
import { fromBig, longOverflow } from "../long";
import { decOf, decType, format, outOfRange, rescale } from "../decimal";

/** A decimal sum's unscaled digits as its text, failing past the precision (ANSI). */
function checked(u: bigint, p: number, s: number): string {
  const lim = 10n ** BigInt(p);
  return u < lim && u > -lim ? format(u, s) : outOfRange(format(u, s), p, s, -1);
}

/** sum (at scale `from`) / n at scale `to`, HALF_UP. */
function rescaleDiv(sum: bigint, from: number, to: number, n: number): bigint {
  const scaled = rescale(sum, from, to + 1) / BigInt(n);
  return rescale(scaled, to + 1, to);
}

const setSave = (slots: unknown[]) => slots.map((s) => (s instanceof Set ? [...s] : s));
const setLoad = (saved: unknown[]) => saved.map((s) => new Set(s as unknown[]));
const numericArg = (name: string) => (args: BExpr[]) => {
  need(name, args[0], (t) => isNumeric(t) || isStringy(t), "a number");
  return args[0].type;
};


export function registerAggregateFunctions(r: FunctionRegistry): void {
  r.aggregate("count", {
    resolve: () => ({ type: LongType }),
    init: ["0"],
    update: (v, S) => `if (${v} != null) ${S(0)}++;`,
    finalize: (s) => s[0],
  });
  // The sum of integral values is a BIGINT, exact to 64 bits (expr/long.ts): numbers while the sum is a safe
  // integer, a bigint beyond; beyond 64 bits the query fails (ARITHMETIC_OVERFLOW), as Spark's ANSI mode.
  const sumLong = r.aggregate("__sum_long", {
    resolve: () => ({ type: LongType }),
    init: ["null"],
    update: (v, S) => `if (${v} != null) { const s = ${S(0)}; ${S(0)} = s === null ? ${v} : (typeof s === "number" && typeof ${v} === "number" && Number.isSafeInteger(s + ${v})) ? s + ${v} : BigInt(s) + BigInt(${v}); }`,
    finalize: (s) => (typeof s[0] === "bigint" ? (fromBig(s[0]) ?? longOverflow(-1, "try_add")) : s[0]),
    save: (slots) => slots.map((x) => (typeof x === "bigint" ? { $long: x.toString() } : x)),
    load: (saved) => saved.map((x) => (x !== null && typeof x === "object" && "$long" in x ? BigInt((x as { $long: string }).$long) : x)),
  });
  // DECIMAL(p, s): sum is DECIMAL(p + 10, s), avg DECIMAL(p + 4, s + 4) (Spark's rules), exact on the unscaled
  // digits (a decimal's text without its point is its unscaled integer: expr/decimal.ts).
  const bigSave = (slots: unknown[]) => slots.map((x) => (typeof x === "bigint" ? { $big: x.toString() } : x));
  const bigLoad = (saved: unknown[]) => saved.map((x) => (x !== null && typeof x === "object" && "$big" in x ? BigInt((x as { $big: string }).$big) : x));
  const decimalSum = (p: number, s: number) => ({
    name: "sum",
    resolve: () => ({ type: decType(p, s) }),
    init: ["null"],
    update: (v: string, S: (k: number) => string) => `if (${v} != null) ${S(0)} = (${S(0)} ?? 0n) + BigInt(${v}.replace(".", ""));`,
    finalize: (slots: unknown[]) => (slots[0] === null ? null : checked(slots[0] as bigint, p, s)),
    save: bigSave,
    load: bigLoad,
  });
  const decimalAvg = (p: number, s: number, inScale: number) => ({
    name: "avg",
    resolve: () => ({ type: decType(p, s) }),
    init: ["0n", "0"],
    update: (v: string, S: (k: number) => string) => `if (${v} != null) { ${S(0)} += BigInt(${v}.replace(".", "")); ${S(1)}++; }`,
    finalize: (slots: unknown[]) => ((slots[1] as number) === 0 ? null : format(rescaleDiv(slots[0] as bigint, inScale, s, slots[1] as number), s)),
    save: bigSave,
    load: bigLoad,
  });
  const decimalExtreme = (name: string, op: string, t: BExpr["type"]) => ({
    name,
    resolve: () => ({ type: t }),
    init: ["null"],
    update: (v: string, S: (k: number) => string) => `if (${v} != null && (${S(0)} === null || BigInt(${v}.replace(".", "")) ${op} BigInt(${S(0)}.replace(".", "")))) ${S(0)} = ${v};`,
    finalize: (slots: unknown[]) => slots[0],
  });
  r.aggregate("sum", {
    resolve: (args) => {
      const t = numericArg("sum")(args);
      if (t.kind === "decimal") {
        const { p, s } = decOf(t);
        return { type: decType(Math.min(38, p + 10), s), impl: decimalSum(Math.min(38, p + 10), s) };
      }
      return { type: isIntegral(t) ? LongType : DoubleType, args: [isStringy(t) ? toDouble(args[0]) : args[0]], ...(isIntegral(t) ? { impl: sumLong } : {}) };
    },
    init: ["null"],
    update: (v, S) => `if (${v} != null) ${S(0)} = ${S(0)} === null ? ${v} : ${S(0)} + ${v};`,
    finalize: (s) => s[0],
  });
  r.aggregate("avg", {
    resolve: (args) => {
      const t = numericArg("avg")(args);
      if (t.kind === "decimal") {
        const { p, s } = decOf(t);
        const out = { p: Math.min(38, p + 4), s: Math.min(38, s + 4) };
        return { type: decType(out.p, out.s), impl: decimalAvg(out.p, out.s, s) };
      }
      return { type: DoubleType, args: [toDouble(args[0])] };
    },
    init: ["0", "0"],
    update: (v, S) => `if (${v} != null) { ${S(0)} += ${v}; ${S(1)}++; }`,
    finalize: (s) => ((s[1] as number) === 0 ? null : (s[0] as number) / (s[1] as number)),
  });
  r.alias("mean", "avg");
  for (const [name, op] of [["min", "<"], ["max", ">"]] as const) {
    r.aggregate(name, {
      resolve: (args) => ({ type: args[0].type, ...(args[0].type.kind === "decimal" ? { impl: decimalExtreme(name, op, args[0].type) } : {}) }),
      init: ["null"],
      update: (v, S) => `if (${v} != null && (${S(0)} === null || ${v} ${op} ${S(0)})) ${S(0)} = ${v};`,
      finalize: (s) => s[0],
    });
  }
  r.aggregate("first", {
    resolve: (args) => ({ type: args[0].type }),
    init: ["null", "false"],
    update: (v, S) => `if (!${S(1)}) { ${S(0)} = ${v}; ${S(1)} = true; }`,
    finalize: (s) => s[0],
  });
  r.aggregate("last", {
    resolve: (args) => ({ type: args[0].type }),
    init: ["null"],
    update: (v, S) => `${S(0)} = ${v};`,
    finalize: (s) => s[0],
  });
  r.aggregate("count_distinct", {
    resolve: () => ({ type: LongType }),
    init: ["new Set()"],
    update: (v, S) => `if (${v} != null) ${S(0)}.add(typeof ${v} === "object" ? JSON.stringify(${v}) : ${v});`,
    finalize: (s) => (s[0] as Set<unknown>).size,
    save: setSave,
    load: setLoad,
  });
  r.aggregate("collect_list", {
    resolve: (args) => ({ type: { kind: "array", elementType: args[0].type } }),
    init: ["[]"],
    update: (v, S) => `if (${v} != null) ${S(0)}.push(${v});`,
    finalize: (s) => (s[0] as unknown[]).slice(),
  });
  r.aggregate("collect_set", {
    resolve: (args) => ({ type: { kind: "array", elementType: args[0].type } }),
    init: ["new Set()"],
    update: (v, S) => `if (${v} != null) ${S(0)}.add(${v});`,
    finalize: (s) => [...(s[0] as Set<unknown>)],
    save: setSave,
    load: setLoad,
  });
  for (const [name, sample, sqrt] of [["stddev", true, true], ["stddev_samp", true, true], ["stddev_pop", false, true], ["variance", true, false], ["var_samp", true, false], ["var_pop", false, false]] as const) {
    r.aggregate(name, {
      resolve: (args) => (numericArg(name)(args), { type: DoubleType, args: [toDouble(args[0])] }),
      init: ["0", "0", "0"],
      update: (v, S) => `if (${v} != null) { ${S(0)}++; const d = ${v} - ${S(1)}; ${S(1)} += d / ${S(0)}; ${S(2)} += d * (${v} - ${S(1)}); }`,
      finalize: (s) => {
        const n = s[0] as number;
        const m2 = s[2] as number;
        if (n === 0 || (sample && n === 1)) return null;
        const v = m2 / (sample ? n - 1 : n);
        return sqrt ? Math.sqrt(v) : v;
      },
    });
  }

}
