/** Arithmetic operators (+ - * / % div, unary minus) and math functions. */
import { castTo, metaOf, type BExpr, type CallExpr } from "../bound";
import { RowError, type CodeGen } from "../gen";
import { TimestampType, DateType, IntervalType, IntegerType, LongType, DoubleType, typeString, isNumeric, isIntegral, widerNumeric } from "../../types";
import { fail, need, isStringy, toDouble } from "./common";
import type { FunctionRegistry } from "./registry";
import { arithType, decAbs, decArith, decNeg, decOf, decRound, decType, roundType, type Dec } from "../decimal";
import { fromBig, longAdd, longArithCode, longMul, longSub, longToDouble, type Long } from "../long";

const DEC_ZERO = /^-?[0.]+$/;

/** A decimal operand's precision and scale; an integral literal counts its own digits (Spark's fromLiteral). */
function litDecimal(e: BExpr): Dec {
  if (e.k === "lit" && (typeof e.value === "number" || typeof e.value === "bigint") && isIntegral(e.type)) {
    const digits = String(e.value).replace("-", "").length;
    return { p: Math.max(digits, 1), s: 0 };
  }
  return decOf(e.type);
}

/** a % b over longs when one is a bigint (the sign of the dividend, as Java's). */
function longMod(a: Long, b: Long): Long {
  return fromBig(BigInt(a) % BigInt(b))!;
}

/** Spark 4 runs in ANSI mode (spark.sql.ansi.enabled=true): dividing by zero fails the query, naming the row. */
function divideByZero(row: number): never {
  throw new RowError(row, "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead.");
}

function arith(op: string, tryMode = false) {
  return {
    args: [2, 2] as [number, number],
    resolve(args: BExpr[]) {
      const [l, r] = args;
      if (op === "+" || op === "-") {
        if (l.type.kind === "timestamp" && (r.type.kind === "interval" || isNumeric(r.type))) return { type: TimestampType, args: [l, r] };
        if (op === "+" && r.type.kind === "timestamp" && l.type.kind === "interval") return { type: TimestampType, args: [r, l] };
        if (l.type.kind === "date" && isIntegral(r.type)) return { type: DateType, args: [l, r] };
        if (op === "-" && l.type.kind === "timestamp" && r.type.kind === "timestamp") return { type: IntervalType, args: [l, r] };
      }
      const lt = isStringy(l.type) ? DoubleType : l.type;
      const rt = isStringy(r.type) ? DoubleType : r.type;
      if ((!isNumeric(lt) && lt.kind !== "null") || (!isNumeric(rt) && rt.kind !== "null")) {
        fail(`cannot apply '${op}' to ${typeString(l.type)} and ${typeString(r.type)}`);
      }
      // DECIMAL with DECIMAL or an integral type: exact, typed by Spark's DecimalPrecision (expr/decimal.ts).
      if ((lt.kind === "decimal" && (isIntegral(rt) || rt.kind === "decimal" || rt.kind === "null")) || (rt.kind === "decimal" && (isIntegral(lt) || lt.kind === "null"))) {
        const [x, y] = [l, r].map(litDecimal);
        const dl: BExpr = lt.kind === "null" ? castTo(l, decType(y.p, y.s)) : castTo(l, decType(x.p, x.s));
        const dr: BExpr = rt.kind === "null" ? castTo(r, decType(x.p, x.s)) : castTo(r, decType(y.p, y.s));
        return { type: arithType(op, decOf(dl.type), decOf(dr.type)), args: [dl, dr] };
      }
      let type = widerNumeric(lt, rt);
      if (type.kind === "null") type = IntegerType;
      // A decimal with a float or double is a double (its text converted).
      if (type.kind === "double" || type.kind === "float") {
        return { type: op === "/" ? DoubleType : type, args: [l.type.kind === "decimal" ? castTo(l, DoubleType) : castTo(l, lt), r.type.kind === "decimal" ? castTo(r, DoubleType) : castTo(r, rt)] };
      }
      if (op === "/") type = DoubleType;
      return { type, args: [castTo(l, type.kind === "null" ? l.type : lt.kind === "null" ? l.type : lt), castTo(r, rt.kind === "null" ? r.type : rt)] };
    },
    gen(a: string[], cg: CodeGen, call: CallExpr) {
      const zero = tryMode ? "null" : `${cg.konst(divideByZero)}(i)`;
      if (call.type.kind === "decimal") {
        const { p, s } = decOf(call.type);
        const calc = `${cg.konst(decArith)}(${JSON.stringify(op)}, ${a[0]}, ${decOf(call.args[0].type).s}, ${a[1]}, ${decOf(call.args[1].type).s}, ${p}, ${s}, i)`;
        return op === "/" || op === "%" ? `(${cg.konst(DEC_ZERO)}.test(${a[1]}) ? ${zero} : ${calc})` : calc;
      }
      // BIGINT operands may be bigints beyond 2^53 (expr/long.ts): / works on their doubles, % exactly.
      if (op === "/") {
        const [x, y] = a.map((v, k) => (call.args[k].type.kind === "long" ? `${cg.konst(longToDouble)}(${v})` : v));
        return `${y} === 0 ? ${zero} : ${x} / ${y}`;
      }
      if (op === "%" && call.type.kind === "long") return `${a[1]} == 0 ? ${zero} : (typeof ${a[0]} === "number" && typeof ${a[1]} === "number" ? ${a[0]} % ${a[1]} : ${cg.konst(longMod)}(${a[0]}, ${a[1]}))`;
      if (op === "%") return `${a[1]} === 0 ? ${zero} : ${a[0]} % ${a[1]}`;
      if (call.type.kind === "long" && (op === "+" || op === "-" || op === "*")) return longArithCode(op, a[0], a[1], cg.konst(op === "+" ? longAdd : op === "-" ? longSub : longMul));
      if (call.type.kind === "date") return `${a[0]} ${op} ${a[1]}`;
      if (call.type.kind === "timestamp" && call.args[1].type.kind !== "interval") return `${a[0]} ${op} ${a[1]} * 1000`;
      const raw = `${a[0]} ${op} ${a[1]}`;
      // Integral arithmetic stays integral (Spark's int/long overflow aside).
      return isIntegral(call.type) && op === "*" ? `Math.trunc(${raw})` : raw;
    },
  };
}

/** x rounded to `digits` decimals, ties to the even neighbour. */
function roundHalfEven(x: number, digits: number): number {
  const f = Math.pow(10, digits);
  const v = x * f;
  const floor = Math.floor(v);
  const frac = v - floor;
  const r = frac > 0.5 ? floor + 1 : frac < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return r / f;
}

/** The digits argument of round/bround on a decimal: a constant integer (the result type depends on it). */
function constantDigits(name: string, e: BExpr): number {
  if (e.k === "lit" && typeof e.value === "number" && Number.isInteger(e.value)) return e.value;
  return fail(`${name}() of a DECIMAL needs a constant number of digits, e.g. ${name}(x, 2)`);
}

export function registerMathFunctions(r: FunctionRegistry): void {
  r.scalar("+", arith("+"));
  r.scalar("-", arith("-"));
  r.scalar("*", arith("*"));
  r.scalar("/", arith("/"));
  // mod(a, b) is Spark's Remainder, the same as a % b.
  r.scalar(["%", "mod"], arith("%"));
  // try_divide / try_mod: NULL instead of the DIVIDE_BY_ZERO error.
  r.scalar("try_divide", arith("/", true));
  r.scalar("try_mod", arith("%", true));
  r.scalar("div", {
    args: [2, 2],
    resolve: (args) => ({ type: LongType, args: args.map(toDouble) }),
    gen: (a, cg) => `${a[1]} === 0 ? ${cg.konst(divideByZero)}(i) : Math.trunc(${a[0]} / ${a[1]})`,
  });
  r.scalar("negative", {
    args: [1, 1],
    resolve: (args) => (need("negative", args[0], (t) => isNumeric(t) || t.kind === "interval", "a number"), { type: args[0].type }),
    gen: (a, cg, call) => (call.type.kind === "decimal" ? `${cg.konst(decNeg)}(${a[0]})` : `-${a[0]}`),
  });


  function math1(names: string | string[], code: (a: string) => string, keepType = false) {
    r.scalar(names, {
      args: [1, 1],
      resolve: (args) => {
        need(Array.isArray(names) ? names[0] : names, args[0], isNumeric, "a number");
        return keepType ? { type: args[0].type.kind === "null" ? DoubleType : args[0].type } : { type: DoubleType, args: [toDouble(args[0])] };
      },
      gen: (a) => code(a[0]),
    });
  }
  r.scalar("abs", {
    args: [1, 1],
    resolve: (args) => (need("abs", args[0], isNumeric, "a number"), { type: args[0].type.kind === "null" ? DoubleType : args[0].type }),
    gen: (a, cg, call) => (call.type.kind === "decimal" ? `${cg.konst(decAbs)}(${a[0]})` : call.type.kind === "long" ? `(typeof ${a[0]} === "bigint" ? (${a[0]} < 0n ? -${a[0]} : ${a[0]}) : Math.abs(${a[0]}))` : `Math.abs(${a[0]})`),
  });
  math1("sqrt", (a) => `${a} < 0 ? NaN : Math.sqrt(${a})`);
  math1("exp", (a) => `Math.exp(${a})`);
  math1(["ln", "log"], (a) => `${a} <= 0 ? null : Math.log(${a})`);
  math1("log10", (a) => `${a} <= 0 ? null : Math.log10(${a})`);
  math1("log2", (a) => `${a} <= 0 ? null : Math.log2(${a})`);
  math1(["signum", "sign"], (a) => `Math.sign(${a})`);
  math1("sin", (a) => `Math.sin(${a})`);
  math1("cos", (a) => `Math.cos(${a})`);
  r.scalar(["floor"], { args: [1, 1], resolve: (args) => (need("floor", args[0], isNumeric, "a number"), { type: LongType }), gen: (a) => `Math.floor(${a[0]})` });
  r.scalar(["ceil", "ceiling"], { args: [1, 1], resolve: (args) => (need("ceil", args[0], isNumeric, "a number"), { type: LongType }), gen: (a) => `Math.ceil(${a[0]})` });
  r.scalar(["pow", "power"], { args: [2, 2], resolve: (args) => ({ type: DoubleType, args: args.map(toDouble) }), gen: (a) => `Math.pow(${a[0]}, ${a[1]})` });
  /** round/bround of a decimal: exact, typed as Spark's RoundBase (round(2.5) is decimal(2,0)). */
  const decimalRound = (name: string, even: boolean) => (args: BExpr[]) => {
    const d = args[1] ? Number(constantDigits(name, args[1])) : 0;
    const type = roundType(decOf(args[0].type), d);
    return { type, meta: { kind: "round" as const, digits: d, from: decOf(args[0].type).s, to: decOf(type).s, even } };
  };
  const decimalRoundGen = (a: string[], cg: CodeGen, call: CallExpr) => {
    const m = metaOf(call, "round")!;
    return `${cg.konst(decRound)}(${a[0]}, ${m.from}, ${m.digits}, ${m.to}, ${m.even})`;
  };
  r.scalar("round", {
    args: [1, 2],
    resolve: (args) => (need("round", args[0], isNumeric, "a number"), args[0].type.kind === "decimal" ? decimalRound("round", false)(args) : { type: args[0].type.kind === "null" ? DoubleType : args[0].type }),
    // HALF_UP, as Spark's round (JS Math.round rounds -2.5 to -2).
    gen: (a, cg, call) => call.type.kind === "decimal" ? decimalRoundGen(a, cg, call) : a[1] ? `((f) => Math.sign(${a[0]}) * Math.round(Math.abs(${a[0]}) * f) / f)(Math.pow(10, ${a[1]}))` : `Math.sign(${a[0]}) * Math.round(Math.abs(${a[0]}))`,
  });
  r.scalar("bround", {
    args: [1, 2],
    resolve: (args) => (need("bround", args[0], isNumeric, "a number"), args[0].type.kind === "decimal" ? decimalRound("bround", true)(args) : { type: args[0].type.kind === "null" ? DoubleType : args[0].type }),
    // HALF_EVEN (banker's rounding), as Spark's bround.
    gen: (a, cg, call) => (call.type.kind === "decimal" ? decimalRoundGen(a, cg, call) : `${cg.konst(roundHalfEven)}(${a[0]}, ${a[1] ?? 0})`),
  });
  r.scalar("rand", { args: [0, 1], nonStrict: true, resolve: () => ({ type: DoubleType }), gen: () => "Math.random()" });
}
