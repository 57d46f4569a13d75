/** Comparisons, boolean and null predicates, IN, and the conditional functions (coalesce, if, nullif, greatest, least). */
import { castTo, type BExpr, type CallExpr } from "../bound";
import type { CodeGen } from "../gen";
import { type DataType, BooleanType, typeString, commonType, decimalParams } from "../../types";
import { decCmp } from "../decimal";
import { fail, need, commonOf, comparableArgs } from "./common";
import type { FunctionRegistry } from "./registry";

function compareGen(op: string) {
  return (a: string[], cg: CodeGen, call: CallExpr) => {
    const t = call.args[0].type.kind;
    // Decimals are exact text (expr/decimal.ts): ordered by their digits, equal at one scale as text.
    if (t === "decimal" && call.args[1].type.kind === "decimal" && op !== "===" && op !== "!==") {
      return `${cg.konst(decCmp)}(${a[0]}, ${decimalParams(call.args[0].type).s}, ${a[1]}, ${decimalParams(call.args[1].type).s}) ${op} 0`;
    }
    if (t === "binary") return `Buffer.compare(${a[0]}, ${a[1]}) ${op} 0`;
    if (t === "struct" || t === "array" || t === "map") return op === "===" || op === "!==" ? `(JSON.stringify(${a[0]}) ${op} JSON.stringify(${a[1]}))` : `JSON.stringify(${a[0]}) ${op} JSON.stringify(${a[1]})`;
    return `${a[0]} ${op} ${a[1]}`;
  };
}

/** Every argument cast to their common type, which is the result type. */
function allToCommonType(name: string, args: BExpr[]): { type: DataType; args: BExpr[] } {
  const t = commonOf(name, args);
  return { type: t, args: args.map((a) => castTo(a, t)) };
}

function extreme(better: (x: number, m: number) => boolean): (...xs: unknown[]) => unknown {
  return (...xs) => {
    let m: unknown = null;
    for (const x of xs) if (x != null && (m === null || better(x as number, m as number))) m = x;
    return m;
  };
}
const greatestOf = extreme((x, m) => x > m);
const leastOf = extreme((x, m) => x < m);

export function registerConditionalFunctions(r: FunctionRegistry): void {
  for (const [name, op] of [["=", "==="], ["!=", "!=="], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="]] as const) {
    r.scalar(name, { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: comparableArgs(name, args[0], args[1]) }), gen: compareGen(op) });
  }
  r.scalar("<=>", {
    args: [2, 2],
    nonStrict: true,
    resolve: (args) => ({ type: BooleanType, args: comparableArgs("<=>", args[0], args[1]) }),
    gen: (a) => `(${a[0]} == null || ${a[1]} == null) ? (${a[0]} == null && ${a[1]} == null) : ${a[0]} === ${a[1]}`,
  });
  r.scalar("not", {
    args: [1, 1],
    resolve: (args) => (need("not", args[0], (t) => t.kind === "boolean", "a boolean"), { type: BooleanType }),
    gen: (a) => `!${a[0]}`,
  });
  r.scalar("isnull", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]} == null` });
  r.scalar("isnotnull", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]} != null` });
  r.scalar("isnan", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `typeof ${a[0]} === "number" && Number.isNaN(${a[0]})` });
  r.scalar("in", {
    args: [2, Infinity],
    nonStrict: true,
    resolve(args) {
      let t: DataType = args[0].type;
      for (const x of args.slice(1)) {
        const c = commonType(t, x.type);
        if (!c) fail(`IN list value of type ${typeString(x.type)} cannot be compared with ${typeString(args[0].type)}`);
        t = c!;
      }
      return { type: BooleanType, args: args.map((x) => castTo(x, t)) };
    },
    gen(a, cg, call) {
      const allLit = call.args.slice(1).every((x) => x.k === "lit");
      if (allLit) {
        const values = call.args.slice(1).map((x) => (x as { value: unknown }).value);
        const hasNull = values.some((v) => v === null);
        const set = cg.konst(new Set(values.filter((v) => v !== null)));
        return `${a[0]} == null ? null : ${set}.has(${a[0]}) ? true : ${hasNull ? "null" : "false"}`;
      }
      const rest = a.slice(1);
      return `${a[0]} == null ? null : (${rest.map((x) => `${a[0]} === ${x}`).join(" || ")}) ? true : (${rest.map((x) => `${x} == null`).join(" || ")}) ? null : false`;
    },
  });

  r.scalar("coalesce", {
    args: [1, Infinity],
    nonStrict: true,
    resolve: (args) => allToCommonType("coalesce", args),
    gen: (a) => a.map((x) => `(${x} ?? `).join("") + "null" + ")".repeat(a.length),
  });
  r.alias("ifnull", "coalesce");
  r.alias("nvl", "coalesce");
  r.scalar("nullif", {
    args: [2, 2],
    nonStrict: true,
    resolve: (args) => ({ type: args[0].type, args: comparableArgs("nullif", args[0], args[1]) }),
    gen: (a) => `${a[0]} === ${a[1]} ? null : ${a[0]}`,
  });
  r.scalar(["if", "iff"], {
    args: [3, 3],
    nonStrict: true,
    resolve: (args) => {
      const t = commonOf("if", [args[1], args[2]]);
      return { type: t, args: [args[0], castTo(args[1], t), castTo(args[2], t)] };
    },
    gen: (a) => `${a[0]} === true ? ${a[1]} : ${a[2]}`,
  });
  for (const [name, op] of [["greatest", ">"], ["least", "<"]] as const) {
    r.scalar(name, {
      args: [2, Infinity],
      nonStrict: true,
      resolve: (args) => allToCommonType(name, args),
      // The largest (smallest) non-null argument; null when all are null, as Spark's.
      gen: (a, cg) => `${cg.konst(op === ">" ? greatestOf : leastOf)}(${a.join(", ")})`,
    });
  }
}
