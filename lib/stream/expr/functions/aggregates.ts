/** Aggregate functions: count, sum, avg, min, max, first, last, count_distinct, collect_list/set, stddev, variance. */
import type { BExpr } from "../bound";
import { DoubleType, LongType, isNumeric, isIntegral } from "../../types";
import { need, isStringy, toDouble } from "./common";
import type { FunctionRegistry } from "./registry";
import { fromBig, longOverflow } from "../long";

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
  r.aggregate("sum", {
    resolve: (args) => {
      const t = numericArg("sum")(args);
      return { type: isIntegral(t) ? LongType : DoubleType, args: [isStringy(t) ? toDouble(args[0]) : args[0]], ...(isIntegral(t) ? { impl: sumLong } : {}) };
    },
    init: ["null"],
    update: (v, S) => `if (${v} != null) ${S(0)} = ${S(0)} === null ? ${v} : ${S(0)} + ${v};`,
    finalize: (s) => s[0],
  });
  r.aggregate("avg", {
    resolve: (args) => (numericArg("avg")(args), { type: DoubleType, args: [toDouble(args[0])] }),
    init: ["0", "0"],
    update: (v, S) => `if (${v} != null) { ${S(0)} += ${v}; ${S(1)}++; }`,
    finalize: (s) => ((s[1] as number) === 0 ? null : (s[0] as number) / (s[1] as number)),
  });
  r.alias("mean", "avg");
  for (const [name, op] of [["min", "<"], ["max", ">"]] as const) {
    r.aggregate(name, {
      resolve: (args) => ({ type: args[0].type }),
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
