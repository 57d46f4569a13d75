/**
 * The function library: for each SQL function, how to type a call (and which casts to insert) and the JS it
 * compiles to. Strict functions get null handling from the code generator; `nonStrict` ones handle nulls.
 */
import type { Expr } from "./ast";
import { type BExpr, AnalysisError, castTo, installFunctionLibrary } from "./bound";
import { RowError, type CodeGen } from "./codegen";
import {
  type DataType, type StructType, StringType, BooleanType, IntegerType, LongType, DoubleType, TimestampType, DateType, NullType, IntervalType,
  typeString, commonType, isNumeric, isIntegral, widerNumeric, toStructType,
} from "../types";
import * as R from "./runtime";

export interface ScalarDef {
  args: [number, number];
  resolve(args: BExpr[], e: Extract<Expr, { t: "fn" }>): { type: DataType; args?: BExpr[]; extra?: Record<string, unknown> };
  gen(a: string[], cg: CodeGen, call: Extract<BExpr, { k: "call" }>): string;
  nonStrict?: boolean;
}

const scalars = new Map<string, ScalarDef>();
const aliases = new Map<string, string>();

export function scalarDef(name: string): ScalarDef | undefined {
  return scalars.get(name) ?? scalars.get(aliases.get(name) ?? "");
}

function def(names: string | string[], d: ScalarDef): void {
  const list = Array.isArray(names) ? names : [names];
  scalars.set(list[0], d);
  for (const n of list.slice(1)) aliases.set(n, list[0]);
}

const fail = (msg: string): never => {
  throw new AnalysisError(msg);
};

function need(name: string, a: BExpr, ok: (t: DataType) => boolean, what: string): void {
  if (a.type.kind !== "null" && !ok(a.type)) fail(`${name}() expects ${what}, got ${typeString(a.type)}`);
}
const isStringy = (t: DataType) => t.kind === "string" || t.kind === "binary";
const toString = (a: BExpr) => (a.type.kind === "string" || a.type.kind === "null" ? a : castTo(a, StringType));
const toDouble = (a: BExpr) => (a.type.kind === "double" || a.type.kind === "null" ? a : castTo(a, DoubleType));
const toTimestamp = (a: BExpr) => (a.type.kind === "timestamp" || a.type.kind === "null" ? a : castTo(a, TimestampType));

/** `10 seconds`, `1 minute`, `10s`, `500 milliseconds`, `1 hour 30 minutes` -> ms. */
export function parseInterval(text: string): number {
  const units: Record<string, number> = {
    ms: 1, millisecond: 1, milliseconds: 1, s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
    m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
    d: 86_400_000, day: 86_400_000, days: 86_400_000, week: 604_800_000, weeks: 604_800_000,
  };
  const cleaned = text.trim().replace(/^interval\s+/i, "");
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi;
  let total = 0;
  let consumed = "";
  for (let m = re.exec(cleaned); m; m = re.exec(cleaned)) {
    const u = units[m[2].toLowerCase()];
    if (u === undefined) throw new AnalysisError(`unknown time unit '${m[2]}' in '${text}': use milliseconds, seconds, minutes, hours or days`);
    total += Number(m[1]) * u;
    consumed += m[0];
  }
  if (!consumed || cleaned.replace(/\s+/g, "") !== consumed.replace(/\s+/g, "")) {
    throw new AnalysisError(`'${text}' is not a duration: write e.g. "10 seconds", "1 minute" or "30s"`);
  }
  return total;
}

function literalArg(a: BExpr | undefined, name: string, what: string): unknown {
  if (!a) return undefined;
  if (a.k !== "lit") fail(`${name}(): ${what} must be a literal`);
  return (a as { value: unknown }).value;
}

function durationArg(a: BExpr | undefined, name: string, what: string): number | undefined {
  const v = literalArg(a, name, what);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  return parseInterval(String(v));
}

// ---- operators ---------------------------------------------------------------------------------------------

function arith(op: string) {
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
      let type = widerNumeric(lt, rt);
      if (type.kind === "null") type = IntegerType;
      if (op === "/") type = DoubleType;
      return { type, args: [castTo(l, type.kind === "null" ? l.type : lt.kind === "null" ? l.type : lt), castTo(r, rt.kind === "null" ? r.type : rt)] };
    },
    gen(a: string[], _cg: CodeGen, call: Extract<BExpr, { k: "call" }>) {
      if (op === "/") return `${a[1]} === 0 ? null : ${a[0]} / ${a[1]}`;
      if (op === "%") return `${a[1]} === 0 ? null : ${a[0]} % ${a[1]}`;
      if (call.type.kind === "date") return `${a[0]} ${op} ${a[1]}`;
      if (call.type.kind === "timestamp" && call.args[1].type.kind !== "interval") return `${a[0]} ${op} ${a[1]} * 1000`;
      const raw = `${a[0]} ${op} ${a[1]}`;
      // Integral arithmetic stays integral (Spark's int/long overflow aside).
      return isIntegral(call.type) && op === "*" ? `Math.trunc(${raw})` : raw;
    },
  };
}
def("+", arith("+"));
def("-", arith("-"));
def("*", arith("*"));
def("/", arith("/"));
def("%", arith("%"));
def("div", {
  args: [2, 2],
  resolve: (args) => ({ type: LongType, args: args.map(toDouble) }),
  gen: (a) => `${a[1]} === 0 ? null : Math.trunc(${a[0]} / ${a[1]})`,
});
def("negative", {
  args: [1, 1],
  resolve: (args) => (need("negative", args[0], (t) => isNumeric(t) || t.kind === "interval", "a number"), { type: args[0].type }),
  gen: (a) => `-${a[0]}`,
});

function comparableArgs(name: string, l: BExpr, r: BExpr): BExpr[] {
  const t = commonType(l.type, r.type);
  if (!t) fail(`cannot compare ${typeString(l.type)} with ${typeString(r.type)} in '${name}'`);
  return [castTo(l, t!), castTo(r, t!)];
}
function compareGen(op: string) {
  return (a: string[], _cg: CodeGen, call: Extract<BExpr, { k: "call" }>) => {
    const t = call.args[0].type.kind;
    if (t === "binary") return `Buffer.compare(${a[0]}, ${a[1]}) ${op} 0`;
    if (t === "struct" || t === "array" || t === "map") return op === "===" || op === "!==" ? `(JSON.stringify(${a[0]}) ${op} JSON.stringify(${a[1]}))` : `JSON.stringify(${a[0]}) ${op} JSON.stringify(${a[1]})`;
    return `${a[0]} ${op} ${a[1]}`;
  };
}
for (const [name, op] of [["=", "==="], ["!=", "!=="], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="]] as const) {
  def(name, { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: comparableArgs(name, args[0], args[1]) }), gen: compareGen(op) });
}
def("<=>", {
  args: [2, 2],
  nonStrict: true,
  resolve: (args) => ({ type: BooleanType, args: comparableArgs("<=>", args[0], args[1]) }),
  gen: (a) => `(${a[0]} == null || ${a[1]} == null) ? (${a[0]} == null && ${a[1]} == null) : ${a[0]} === ${a[1]}`,
});
def("not", {
  args: [1, 1],
  resolve: (args) => (need("not", args[0], (t) => t.kind === "boolean", "a boolean"), { type: BooleanType }),
  gen: (a) => `!${a[0]}`,
});
def("isnull", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]} == null` });
def("isnotnull", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]} != null` });
def("isnan", { args: [1, 1], nonStrict: true, resolve: () => ({ type: BooleanType }), gen: (a) => `typeof ${a[0]} === "number" && Number.isNaN(${a[0]})` });
def("in", {
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
for (const kind of ["like", "ilike", "rlike"] as const) {
  def(kind, {
    args: [2, 2],
    resolve: (args) => ({ type: BooleanType, args: [toString(args[0]), toString(args[1])] }),
    gen(a, cg, call) {
      const p = call.args[1];
      if (p.k === "lit" && typeof p.value === "string") return `${cg.konst(R.cachedRegExp(p.value, kind))}.test(${a[0]})`;
      return `${cg.konst(R.cachedRegExp)}(${a[1]}, ${JSON.stringify(kind)}).test(${a[0]})`;
    },
  });
}
def("regexp_like", scalarDef("rlike")!);

// ---- strings -------------------------------------------------------------------------------------------------

function str1(names: string | string[], code: (a: string) => string, type: DataType = StringType) {
  def(names, { args: [1, 1], resolve: (args) => ({ type, args: [toString(args[0])] }), gen: (a) => code(a[0]) });
}
str1("upper", (a) => `${a}.toUpperCase()`);
str1(["lower", "lcase"], (a) => `${a}.toLowerCase()`);
aliases.set("ucase", "upper");
str1("trim", (a) => `${a}.trim()`);
str1("ltrim", (a) => `${a}.trimStart()`);
str1("rtrim", (a) => `${a}.trimEnd()`);
str1("reverse", (a) => `[...${a}].reverse().join("")`);
str1("initcap", (a) => `${a}.toLowerCase().replace(/(^|\\s)(\\S)/g, (m, s, c) => s + c.toUpperCase())`);
str1(["length", "char_length", "character_length", "len"], (a) => `${a}.length`, IntegerType);
def(["substring", "substr"], {
  args: [2, 3],
  resolve: (args) => ({ type: StringType, args: [toString(args[0]), ...args.slice(1)] }),
  // Spark positions are 1-based; 0 behaves as 1; negative counts from the end.
  gen: (a) => `${a[0]}.substr(${a[1]} > 0 ? ${a[1]} - 1 : ${a[1]} < 0 ? Math.max(0, ${a[0]}.length + ${a[1]}) : 0${a[2] ? `, Math.max(0, ${a[2]})` : ""})`,
});
def("concat", {
  args: [1, Infinity],
  resolve: (args) => ({ type: StringType, args: args.map(toString) }),
  gen: (a) => a.join(" + "),
});
def("concat_ws", {
  args: [1, Infinity],
  nonStrict: true,
  resolve: (args) => ({ type: StringType, args: args.map(toString) }),
  gen: (a) => `${a[0]} == null ? null : [${a.slice(1).join(", ")}].filter((x) => x != null).join(${a[0]})`,
});
def("startswith", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.startsWith(${a[1]})` });
def("endswith", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.endsWith(${a[1]})` });
def("contains", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.includes(${a[1]})` });
def("instr", { args: [2, 2], resolve: (args) => ({ type: IntegerType, args: args.map(toString) }), gen: (a) => `${a[0]}.indexOf(${a[1]}) + 1` });
def("replace", { args: [2, 3], resolve: (args) => ({ type: StringType, args: args.map(toString) }), gen: (a) => `${a[0]}.split(${a[1]}).join(${a[2] ?? '""'})` });
def("regexp_replace", {
  args: [3, 3],
  resolve: (args) => ({ type: StringType, args: args.map(toString) }),
  gen: (a, cg, call) => {
    const p = call.args[1];
    const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value), "g")) : `new RegExp(${a[1]}, "g")`;
    return `${a[0]}.replace(${rx}, ${a[2]}.replace(/\\$(\\d)/g, "$$$1"))`;
  },
});
def("regexp_extract", {
  args: [2, 3],
  resolve: (args) => ({ type: StringType, args: [toString(args[0]), toString(args[1]), ...(args[2] ? [args[2]] : [])] }),
  gen: (a, cg, call) => {
    const p = call.args[1];
    const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value))) : `new RegExp(${a[1]})`;
    return `((m) => m ? (m[${a[2] ?? 1}] ?? "") : "")(${rx}.exec(${a[0]}))`;
  },
});
def("split", {
  args: [2, 3],
  resolve: (args) => ({ type: { kind: "array", elementType: StringType }, args: [toString(args[0]), toString(args[1]), ...args.slice(2)] }),
  gen: (a, cg, call) => {
    const p = call.args[1];
    const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value))) : `new RegExp(${a[1]})`;
    return `${a[0]}.split(${rx}${a[2] ? `, ${a[2]} > 0 ? ${a[2]} : undefined` : ""})`;
  },
});
def("lpad", { args: [3, 3], resolve: (args) => ({ type: StringType, args: [toString(args[0]), args[1], toString(args[2])] }), gen: (a) => `${a[0]}.length >= ${a[1]} ? ${a[0]}.slice(0, ${a[1]}) : ${a[0]}.padStart(${a[1]}, ${a[2]})` });
def("rpad", { args: [3, 3], resolve: (args) => ({ type: StringType, args: [toString(args[0]), args[1], toString(args[2])] }), gen: (a) => `${a[0]}.length >= ${a[1]} ? ${a[0]}.slice(0, ${a[1]}) : ${a[0]}.padEnd(${a[1]}, ${a[2]})` });

// ---- null handling, conditionals -----------------------------------------------------------------------------

function commonOf(name: string, args: BExpr[]): DataType {
  let t: DataType = NullType;
  for (const a of args) {
    const c = commonType(t, a.type);
    if (!c) fail(`${name}() arguments have incompatible types ${typeString(t)} and ${typeString(a.type)}`);
    t = c!;
  }
  return t;
}
def("coalesce", {
  args: [1, Infinity],
  nonStrict: true,
  resolve: (args) => {
    const t = commonOf("coalesce", args);
    return { type: t, args: args.map((a) => castTo(a, t)) };
  },
  gen: (a) => a.map((x) => `(${x} ?? `).join("") + "null" + ")".repeat(a.length),
});
aliases.set("ifnull", "coalesce");
aliases.set("nvl", "coalesce");
def("nullif", {
  args: [2, 2],
  nonStrict: true,
  resolve: (args) => ({ type: args[0].type, args: comparableArgs("nullif", args[0], args[1]) }),
  gen: (a) => `${a[0]} === ${a[1]} ? null : ${a[0]}`,
});
def(["if", "iff"], {
  args: [3, 3],
  nonStrict: true,
  resolve: (args) => {
    const t = commonOf("if", [args[1], args[2]]);
    return { type: t, args: [args[0], castTo(args[1], t), castTo(args[2], t)] };
  },
  gen: (a) => `${a[0]} === true ? ${a[1]} : ${a[2]}`,
});
def("greatest", {
  args: [2, Infinity],
  nonStrict: true,
  resolve: (args) => {
    const t = commonOf("greatest", args);
    return { type: t, args: args.map((a) => castTo(a, t)) };
  },
  gen: (a, cg) => `${cg.konst((...xs: unknown[]) => { let m: unknown = null; for (const x of xs) if (x != null && (m === null || (x as number) > (m as number))) m = x; return m; })}(${a.join(", ")})`,
});
def("least", {
  args: [2, Infinity],
  nonStrict: true,
  resolve: (args) => {
    const t = commonOf("least", args);
    return { type: t, args: args.map((a) => castTo(a, t)) };
  },
  gen: (a, cg) => `${cg.konst((...xs: unknown[]) => { let m: unknown = null; for (const x of xs) if (x != null && (m === null || (x as number) < (m as number))) m = x; return m; })}(${a.join(", ")})`,
});

// ---- math ------------------------------------------------------------------------------------------------------

function math1(names: string | string[], code: (a: string) => string, keepType = false) {
  def(names, {
    args: [1, 1],
    resolve: (args) => {
      need(Array.isArray(names) ? names[0] : names, args[0], isNumeric, "a number");
      return keepType ? { type: args[0].type.kind === "null" ? DoubleType : args[0].type } : { type: DoubleType, args: [toDouble(args[0])] };
    },
    gen: (a) => code(a[0]),
  });
}
math1("abs", (a) => `Math.abs(${a})`, true);
math1("sqrt", (a) => `${a} < 0 ? NaN : Math.sqrt(${a})`);
math1("exp", (a) => `Math.exp(${a})`);
math1(["ln", "log"], (a) => `${a} <= 0 ? null : Math.log(${a})`);
math1("log10", (a) => `${a} <= 0 ? null : Math.log10(${a})`);
math1("log2", (a) => `${a} <= 0 ? null : Math.log2(${a})`);
math1(["signum", "sign"], (a) => `Math.sign(${a})`);
math1("sin", (a) => `Math.sin(${a})`);
math1("cos", (a) => `Math.cos(${a})`);
def(["floor"], { args: [1, 1], resolve: (args) => (need("floor", args[0], isNumeric, "a number"), { type: LongType }), gen: (a) => `Math.floor(${a[0]})` });
def(["ceil", "ceiling"], { args: [1, 1], resolve: (args) => (need("ceil", args[0], isNumeric, "a number"), { type: LongType }), gen: (a) => `Math.ceil(${a[0]})` });
def(["pow", "power"], { args: [2, 2], resolve: (args) => ({ type: DoubleType, args: args.map(toDouble) }), gen: (a) => `Math.pow(${a[0]}, ${a[1]})` });
def("round", {
  args: [1, 2],
  resolve: (args) => (need("round", args[0], isNumeric, "a number"), { type: args[0].type.kind === "null" ? DoubleType : args[0].type }),
  // HALF_UP, as Spark's round (JS Math.round rounds -2.5 to -2).
  gen: (a) => a[1] ? `((f) => Math.sign(${a[0]}) * Math.round(Math.abs(${a[0]}) * f) / f)(Math.pow(10, ${a[1]}))` : `Math.sign(${a[0]}) * Math.round(Math.abs(${a[0]}))`,
});
aliases.set("bround", "round");
def("rand", { args: [0, 1], nonStrict: true, resolve: () => ({ type: DoubleType }), gen: () => "Math.random()" });

// ---- date and time ---------------------------------------------------------------------------------------------

def(["current_timestamp", "now", "localtimestamp"], { args: [0, 0], nonStrict: true, resolve: () => ({ type: TimestampType }), gen: () => "ctx.now" });
def("current_date", { args: [0, 0], nonStrict: true, resolve: () => ({ type: DateType }), gen: () => "Math.floor(ctx.now / 86400000)" });
def("to_timestamp", {
  args: [1, 2],
  resolve: (args) => {
    if (args.length === 1) return { type: TimestampType, args: [args[0].type.kind === "string" ? args[0] : toTimestamp(args[0])] };
    return { type: TimestampType, args: [toString(args[0]), toString(args[1])] };
  },
  gen: (a, cg, call) => {
    if (a.length === 2) return `${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]})`;
    return call.args[0].type.kind === "string" ? `${cg.konst(R.parseTimestamp)}(${a[0]})` : a[0];
  },
});
def("to_date", {
  args: [1, 2],
  resolve: (args) => ({ type: DateType, args: args.length === 2 ? [toString(args[0]), toString(args[1])] : [toTimestamp(args[0])] }),
  gen: (a, cg) => (a.length === 2 ? `((t) => t === null ? null : Math.floor(t / 86400000))(${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]}))` : `Math.floor(${a[0]} / 86400000)`),
});
def("timestamp_seconds", { args: [1, 1], resolve: (args) => ({ type: TimestampType, args: [toDouble(args[0])] }), gen: (a) => `${a[0]} * 1000` });
def("timestamp_millis", { args: [1, 1], resolve: (args) => ({ type: TimestampType, args: [toDouble(args[0])] }), gen: (a) => `${a[0]}` });
def("unix_timestamp", {
  args: [0, 2],
  nonStrict: true,
  resolve: (args) => ({ type: LongType, args: args.length === 0 ? [] : args.length === 2 ? [toString(args[0]), toString(args[1])] : [toTimestamp(args[0])] }),
  gen: (a, cg) => {
    if (a.length === 0) return "Math.floor(ctx.now / 1000)";
    if (a.length === 2) return `((t) => t === null ? null : Math.floor(t / 1000))(${a[0]} == null ? null : ${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]}))`;
    return `${a[0]} == null ? null : Math.floor(${a[0]} / 1000)`;
  },
});
def("unix_millis", { args: [1, 1], resolve: (args) => ({ type: LongType, args: [toTimestamp(args[0])] }), gen: (a) => `Math.floor(${a[0]})` });
def("from_unixtime", {
  args: [1, 2],
  resolve: (args) => ({ type: StringType, args: [toDouble(args[0]), ...(args[1] ? [toString(args[1])] : [])] }),
  gen: (a, cg) => `${cg.konst(R.dateFormat)}(${a[0]} * 1000, ${a[1] ?? '"yyyy-MM-dd HH:mm:ss"'})`,
});
def("date_format", {
  args: [2, 2],
  resolve: (args) => ({ type: StringType, args: [toTimestamp(args[0]), toString(args[1])] }),
  gen: (a, cg) => `${cg.konst(R.dateFormat)}(${a[0]}, ${a[1]})`,
});
function datePart(names: string | string[], code: (d: string) => string) {
  def(names, {
    args: [1, 1],
    resolve: (args) => ({ type: IntegerType, args: [toTimestamp(args[0])] }),
    gen: (a) => code(`new Date(${a[0]})`),
  });
}
datePart("year", (d) => `${d}.getUTCFullYear()`);
datePart("month", (d) => `${d}.getUTCMonth() + 1`);
datePart(["dayofmonth", "day"], (d) => `${d}.getUTCDate()`);
datePart("dayofweek", (d) => `${d}.getUTCDay() + 1`);
datePart("hour", (d) => `${d}.getUTCHours()`);
datePart("minute", (d) => `${d}.getUTCMinutes()`);
datePart("second", (d) => `${d}.getUTCSeconds()`);
datePart("quarter", (d) => `Math.floor(${d}.getUTCMonth() / 3) + 1`);
def("date_trunc", {
  args: [2, 2],
  resolve: (args) => ({ type: TimestampType, args: [toString(args[0]), toTimestamp(args[1])] }),
  gen: (a, cg) =>
    `${cg.konst((unit: string, t: number) => {
      const d = new Date(t);
      switch (unit.toLowerCase()) {
        case "year": case "yyyy": case "yy": return Date.UTC(d.getUTCFullYear(), 0, 1);
        case "month": case "mon": case "mm": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
        case "week": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
        case "day": case "dd": return t - (((t % 86_400_000) + 86_400_000) % 86_400_000);
        case "hour": return t - (((t % 3_600_000) + 3_600_000) % 3_600_000);
        case "minute": return t - (((t % 60_000) + 60_000) % 60_000);
        case "second": return t - (((t % 1000) + 1000) % 1000);
        default: return null;
      }
    })}(${a[0]}, ${a[1]})`,
});
def("date_add", { args: [2, 2], resolve: (args) => ({ type: DateType, args: [castTo(args[0], DateType), args[1]] }), gen: (a) => `${a[0]} + ${a[1]}` });
def("date_sub", { args: [2, 2], resolve: (args) => ({ type: DateType, args: [castTo(args[0], DateType), args[1]] }), gen: (a) => `${a[0]} - ${a[1]}` });
def("datediff", { args: [2, 2], resolve: (args) => ({ type: IntegerType, args: [castTo(args[0], DateType), castTo(args[1], DateType)] }), gen: (a) => `${a[0]} - ${a[1]}` });
def("interval_ms", { args: [1, 1], resolve: () => ({ type: IntervalType }), gen: (a) => a[0] });

/** window(ts, size[, slide[, start]]): a struct<start,end>. Sliding windows are expanded by the aggregation. */
def("window", {
  args: [2, 4],
  resolve(args) {
    need("window", args[0], (t) => t.kind === "timestamp" || t.kind === "date", "a timestamp column");
    const sizeMs = durationArg(args[1], "window", "the window duration")!;
    const slideMs = durationArg(args[2], "window", "the slide duration") ?? sizeMs;
    const startMs = durationArg(args[3], "window", "the start offset") ?? 0;
    if (!(sizeMs > 0)) fail("window(): the window duration must be positive");
    if (!(slideMs > 0) || slideMs > sizeMs) fail("window(): the slide duration must be positive and at most the window duration");
    return { type: windowType(), args: [toTimestamp(args[0])], extra: { sizeMs, slideMs, startMs } };
  },
  gen(a, cg, call) {
    const { sizeMs, slideMs, startMs } = call.extra as { sizeMs: number; slideMs: number; startMs: number };
    if (slideMs !== sizeMs) throw new AnalysisError("a sliding window() can only be used as a groupBy() key; use a tumbling window (no slide) in select");
    return `((s) => ({ start: s, end: s + ${sizeMs} }))(${a[0]} - (((${a[0]} - ${startMs}) % ${sizeMs}) + ${sizeMs}) % ${sizeMs})`;
  },
});
def("session_window", {
  args: [2, 2],
  resolve(args) {
    need("session_window", args[0], (t) => t.kind === "timestamp", "a timestamp column");
    const gapMs = durationArg(args[1], "session_window", "the gap duration")!;
    if (!(gapMs > 0)) fail("session_window(): the gap duration must be positive");
    return { type: windowType(), args: [args[0]], extra: { gapMs } };
  },
  gen() {
    throw new AnalysisError("session_window() can only be used as a groupBy() key");
  },
});
export function windowType(): StructType {
  return { kind: "struct", fields: [{ name: "start", type: TimestampType, nullable: true }, { name: "end", type: TimestampType, nullable: true }] };
}

// ---- structs, arrays, JSON ------------------------------------------------------------------------------------

def("struct", {
  args: [1, Infinity],
  nonStrict: true,
  resolve: (args, e) => ({
    type: { kind: "struct", fields: args.map((a, i) => ({ name: structFieldName(e.args[i], i), type: a.type, nullable: true })) },
    extra: { names: args.map((_, i) => structFieldName(e.args[i], i)) },
  }),
  gen: (a, _cg, call) => `{ ${(call.extra!.names as string[]).map((n, i) => `${JSON.stringify(n)}: ${a[i]}`).join(", ")} }`,
});
function structFieldName(e: Expr, i: number): string {
  if (e.t === "alias") return e.name;
  if (e.t === "col") return e.path[e.path.length - 1];
  return `col${i + 1}`;
}
def("named_struct", {
  args: [2, Infinity],
  nonStrict: true,
  resolve: (args) => {
    const names: string[] = [];
    const values: BExpr[] = [];
    for (let i = 0; i < args.length; i += 2) {
      names.push(String(literalArg(args[i], "named_struct", "a field name")));
      values.push(args[i + 1]);
    }
    return { type: { kind: "struct", fields: names.map((name, i) => ({ name, type: values[i].type, nullable: true })) }, args: values, extra: { names } };
  },
  gen: (a, _cg, call) => `{ ${(call.extra!.names as string[]).map((n, i) => `${JSON.stringify(n)}: ${a[i]}`).join(", ")} }`,
});
def("array", {
  args: [0, Infinity],
  nonStrict: true,
  resolve: (args) => {
    const t = commonOf("array", args);
    return { type: { kind: "array", elementType: t }, args: args.map((a) => castTo(a, t)) };
  },
  gen: (a) => `[${a.join(", ")}]`,
});
def("size", { args: [1, 1], nonStrict: true, resolve: () => ({ type: IntegerType }), gen: (a) => `${a[0]} == null ? -1 : Array.isArray(${a[0]}) ? ${a[0]}.length : Object.keys(${a[0]}).length` });
def("array_contains", { args: [2, 2], resolve: () => ({ type: BooleanType }), gen: (a) => `${a[0]}.includes(${a[1]})` });
def("element_at", {
  args: [2, 2],
  resolve: (args) => ({ type: args[0].type.kind === "array" ? args[0].type.elementType : args[0].type.kind === "map" ? args[0].type.valueType : fail(`element_at() needs an array or map, got ${typeString(args[0].type)}`) }),
  gen: (a, _cg, call) => (call.args[0].type.kind === "array" ? `${a[0]}[${a[1]} > 0 ? ${a[1]} - 1 : ${a[0]}.length + ${a[1]}] ?? null` : `${a[0]}[${a[1]}] ?? null`),
});
def("element_at_0", {
  args: [2, 2],
  resolve: (args) => ({ type: args[0].type.kind === "array" ? args[0].type.elementType : args[0].type.kind === "map" ? args[0].type.valueType : fail(`[] needs an array or map, got ${typeString(args[0].type)}`) }),
  gen: (a) => `${a[0]}[${a[1]}] ?? null`,
});
def("map_get", { args: [2, 2], resolve: (args) => ({ type: args[0].type }), gen: (a) => `${a[0]}[${a[1]}] ?? null` });

/** from_json(col, schema, options): PERMISSIVE adds `_corrupt_record`; FAILFAST throws naming the row. */
def("from_json", {
  args: [2, 3],
  resolve(args, e) {
    need("from_json", args[0], isStringy, "a string or binary column");
    const schemaArg = e.args[1];
    let schema: StructType;
    if (schemaArg.t === "lit" && (typeof schemaArg.value === "string" || (schemaArg.value as StructType)?.kind === "struct")) schema = toStructType(schemaArg.value as string | StructType);
    else schema = fail("from_json(): the schema must be a DDL string or a StructType");
    const options = { ...((e.options ?? {}) as Record<string, string>), ...((args[2]?.k === "lit" ? (args[2].value as Record<string, string>) : {}) ?? {}) };
    const mode = String(options.mode ?? "PERMISSIVE").toUpperCase();
    // Spark refuses DROPMALFORMED here: from_json maps a value to a value and cannot drop its row.
    if (mode === "DROPMALFORMED") fail(`from_json() does not support mode DROPMALFORMED (nor does Spark's): keep PERMISSIVE, the default, and filter on "_corrupt_record IS NULL" to drop malformed records`);
    if (!["PERMISSIVE", "FAILFAST"].includes(mode)) fail(`from_json(): mode must be PERMISSIVE or FAILFAST, not '${options.mode}'`);
    const corruptName = options.columnNameOfCorruptRecord ?? "_corrupt_record";
    const hasCorrupt = schema.fields.some((f) => f.name === corruptName);
    const outSchema: StructType = mode === "PERMISSIVE" && !hasCorrupt ? { kind: "struct", fields: [...schema.fields, { name: corruptName, type: StringType, nullable: true }] } : schema;
    return { type: outSchema, args: [args[0]], extra: { schema, mode, corruptName: mode === "PERMISSIVE" ? corruptName : null } };
  },
  gen(a, cg, call) {
    const { schema, mode, corruptName, keep, asArray } = call.extra as { schema: StructType; mode: string; corruptName: string | null; keep?: string[]; asArray?: boolean };
    // Column pruning tells which fields are read downstream; the others are not parsed at all.
    const parsed = parsedSchema(schema, keep);
    const parse = cg.konst(makeJsonParser(parsed, mode, keep ? null : corruptName, call.args[0].type.kind === "binary", asArray === true));
    return `${parse}(${a[0]}, i)`;
  },
});
def("to_json", {
  args: [1, 2],
  resolve: (args) => (need("to_json", args[0], (t) => t.kind === "struct" || t.kind === "array" || t.kind === "map", "a struct, array or map"), { type: StringType, args: [args[0]] }),
  gen: (a, cg, call) => `JSON.stringify(${cg.konst(R.valueToJson)}(${a[0]}, ${cg.konst(call.args[0].type)}))`,
});
def("get_json_object", {
  args: [2, 2],
  resolve: (args) => ({ type: StringType, args: [toString(args[0]), toString(args[1])] }),
  gen: (a, cg) =>
    `${cg.konst((s: string, path: string) => {
      let v: unknown;
      try {
        v = JSON.parse(s);
      } catch {
        return null;
      }
      for (const part of path.replace(/^\$\.?/, "").split(/\.|\[(\d+)\]/).filter((x) => x)) {
        if (v == null || typeof v !== "object") return null;
        v = (v as Record<string, unknown>)[part];
      }
      return v == null ? null : typeof v === "object" ? JSON.stringify(v) : String(v);
    })}(${a[0]}, ${a[1]})`,
});

export function parsedSchema(schema: StructType, keep?: string[]): StructType {
  return keep ? { kind: "struct", fields: schema.fields.filter((f) => keep.includes(f.name)) } : schema;
}

/** Where a field of a from_json result sits when the parser returns its values as an array (`asArray`). */
export function jsonFieldIndex(call: Extract<BExpr, { k: "call" }>, name: string): number {
  const { schema, keep, corruptName } = call.extra as { schema: StructType; keep?: string[]; corruptName: string | null };
  const fields = parsedSchema(schema, keep).fields;
  const i = fields.findIndex((f) => f.name === name);
  if (i >= 0) return i;
  return !keep && corruptName === name ? fields.length : -1;
}

/**
 * A parser specialised to one schema: JSON.parse, then per-field conversion. A record that does not parse is
 * all nulls plus its text in the corrupt-record field (PERMISSIVE); a field that does not fit its type is null
 * and the record's text is kept too (Spark 3.4's partial results).
 */
function makeJsonParser(schema: StructType, mode: string, corruptName: string | null, binary: boolean, asArray = false): (input: unknown, row: number) => unknown {
  const fields = schema.fields;
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
      throw new RowError(row, `malformed record (${why}) in FAILFAST mode: ${text.length > 200 ? text.slice(0, 200) + "..." : text}; use mode PERMISSIVE to keep it as _corrupt_record`);
    }
    return empty(text);
  };
  // Field conversion generated once per schema: direct reads, typeof checks, no per-field dispatch.
  let convert: (vals: unknown[], bad: { flag: boolean }) => Record<string, unknown> | unknown[];
  if (simple) {
    const lines = fields.map((f, i) => {
      const v = `v${i}`;
      const read = `let ${v} = vals[${i}]; if (${v} === undefined) ${v} = null;`;
      switch (f.type.kind) {
        case "string": return `${read} else if (typeof ${v} !== "string" && ${v} !== null) ${v} = typeof ${v} === "object" ? JSON.stringify(${v}) : String(${v});`;
        case "double": case "float": case "decimal": return `${read} else if (typeof ${v} !== "number" && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "long": case "integer": case "short": case "byte": return `${read} else if ((typeof ${v} !== "number" || !Number.isInteger(${v})) && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "boolean": return `${read} else if (typeof ${v} !== "boolean" && ${v} !== null) ${v} = J(${v}, T[${i}], bad);`;
        case "timestamp": return `${read} else if (${v} !== null) { const p = typeof ${v} === "string" ? P(${v}) : null; if (p !== null) ${v} = p; else ${v} = J(${v}, T[${i}], bad); }`;
        default: return `${read}`;
      }
    });
    const body = asArray
      ? `${lines.join("\n")}\n${fields.map((_, i) => `vals[${i}] = v${i};`).join(" ")} vals[${nf}] = null;\nreturn vals;`
      : `${lines.join("\n")}\nreturn { ${fields.map((f, i) => `${JSON.stringify(f.name)}: v${i}`).join(", ")}${corruptName ? `, ${JSON.stringify(corruptName)}: null` : ""} };`;
    convert = new Function("J", "T", "P", `return function convert(vals, bad) {\n${body}\n};`)(R.jsonToValue, fields.map((f) => f.type), R.parseTimestamp);
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
  const scanner = binary && simple ? makeFlatScanner(names) : undefined;
  const vals: unknown[] = new Array(names.length + 1);
  return (input: unknown, row: number) => {
    let parsedVals: unknown[] | undefined;
    if (scanner && scanner(input as Buffer, vals)) parsedVals = vals;
    let text = "";
    if (!parsedVals) {
      text = binary ? (input as Buffer).toString("utf8") : (input as string);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return malformed(text, row, "not valid JSON");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return malformed(text, row, "not a JSON object");
      parsedVals = fromObject(parsed as Record<string, unknown>);
    }
    bad.flag = false;
    const out = convert(parsedVals, bad) as Record<string, unknown> & unknown[];
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

/**
 * A JSON scanner over bytes for flat records: it reads the wanted top-level fields' primitive values without
 * building the whole object or decoding the whole record to a string. Anything unusual (escapes, nested values
 * in wanted fields, malformed input) returns false, and the caller falls back to JSON.parse, which decides.
 */
function makeFlatScanner(names: string[]): (b: Buffer, out: unknown[]) => boolean {
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

// ---- aggregates --------------------------------------------------------------------------------------------------

/**
 * An aggregate: its result type, and code snippets for the aggregation loop. Accumulators live in the
 * group's `a` array at the slot's index(es); `update` sees the argument value (maybe null) as `v`.
 */
export interface AggDef {
  resolve(args: BExpr[], distinct: boolean): { type: DataType; args?: BExpr[] };
  /** Accumulator slots and their initial values (JS expressions, evaluated per new group). */
  init: string[];
  /** Statement updating slots `a[s0]`, `a[s1]`... from `v`. `S(k)` names slot k. */
  update(v: string, S: (k: number) => string): string;
  /** Result from the slots. */
  finalize(slots: unknown[]): unknown;
  /** Slots as JSON for checkpoints, and back. */
  save?(slots: unknown[]): unknown[];
  load?(saved: unknown[]): unknown[];
  /** Count rows, not values (count(*)). */
  star?: boolean;
}

const aggs = new Map<string, AggDef>();
const setSave = (slots: unknown[]) => slots.map((s) => (s instanceof Set ? [...s] : s));
const setLoad = (saved: unknown[]) => saved.map((s) => new Set(s as unknown[]));
const numericArg = (name: string) => (args: BExpr[]) => {
  need(name, args[0], (t) => isNumeric(t) || isStringy(t), "a number");
  return args[0].type;
};

aggs.set("count", {
  resolve: () => ({ type: LongType }),
  init: ["0"],
  update: (v, S) => `if (${v} != null) ${S(0)}++;`,
  finalize: (s) => s[0],
});
aggs.set("sum", {
  resolve: (args) => {
    const t = numericArg("sum")(args);
    return { type: isIntegral(t) ? LongType : DoubleType, args: [isStringy(t) ? toDouble(args[0]) : args[0]] };
  },
  init: ["null"],
  update: (v, S) => `if (${v} != null) ${S(0)} = ${S(0)} === null ? ${v} : ${S(0)} + ${v};`,
  finalize: (s) => s[0],
});
aggs.set("avg", {
  resolve: (args) => (numericArg("avg")(args), { type: DoubleType, args: [toDouble(args[0])] }),
  init: ["0", "0"],
  update: (v, S) => `if (${v} != null) { ${S(0)} += ${v}; ${S(1)}++; }`,
  finalize: (s) => ((s[1] as number) === 0 ? null : (s[0] as number) / (s[1] as number)),
});
aliases.set("mean", "avg");
for (const [name, op] of [["min", "<"], ["max", ">"]] as const) {
  aggs.set(name, {
    resolve: (args) => ({ type: args[0].type }),
    init: ["null"],
    update: (v, S) => `if (${v} != null && (${S(0)} === null || ${v} ${op} ${S(0)})) ${S(0)} = ${v};`,
    finalize: (s) => s[0],
  });
}
aggs.set("first", {
  resolve: (args) => ({ type: args[0].type }),
  init: ["null", "false"],
  update: (v, S) => `if (!${S(1)}) { ${S(0)} = ${v}; ${S(1)} = true; }`,
  finalize: (s) => s[0],
});
aggs.set("last", {
  resolve: (args) => ({ type: args[0].type }),
  init: ["null"],
  update: (v, S) => `${S(0)} = ${v};`,
  finalize: (s) => s[0],
});
aggs.set("count_distinct", {
  resolve: () => ({ type: LongType }),
  init: ["new Set()"],
  update: (v, S) => `if (${v} != null) ${S(0)}.add(typeof ${v} === "object" ? JSON.stringify(${v}) : ${v});`,
  finalize: (s) => (s[0] as Set<unknown>).size,
  save: setSave,
  load: setLoad,
});
aggs.set("approx_count_distinct", aggs.get("count_distinct")!);
aggs.set("collect_list", {
  resolve: (args) => ({ type: { kind: "array", elementType: args[0].type } }),
  init: ["[]"],
  update: (v, S) => `if (${v} != null) ${S(0)}.push(${v});`,
  finalize: (s) => (s[0] as unknown[]).slice(),
});
aggs.set("collect_set", {
  resolve: (args) => ({ type: { kind: "array", elementType: args[0].type } }),
  init: ["new Set()"],
  update: (v, S) => `if (${v} != null) ${S(0)}.add(${v});`,
  finalize: (s) => [...(s[0] as Set<unknown>)],
  save: setSave,
  load: setLoad,
});
for (const [name, sample, sqrt] of [["stddev", true, true], ["stddev_samp", true, true], ["stddev_pop", false, true], ["variance", true, false], ["var_samp", true, false], ["var_pop", false, false]] as const) {
  aggs.set(name, {
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

export function aggDef(name: string): AggDef | undefined {
  return aggs.get(name) ?? aggs.get(aliases.get(name) ?? "");
}

installFunctionLibrary({
  isAggregate: (name) => aggDef(name) !== undefined,
  names: () => [...scalars.keys(), ...aliases.keys(), ...aggs.keys()].filter((n) => /^[a-z]/.test(n)),
  resolveScalar(name, args, e) {
    const d = scalarDef(name);
    if (!d) return undefined;
    if (args.length < d.args[0] || args.length > d.args[1]) {
      fail(`${name}() takes ${d.args[0] === d.args[1] ? d.args[0] : `${d.args[0]} to ${d.args[1] === Infinity ? "any number of" : d.args[1]}`} arguments, got ${args.length}`);
    }
    const r = d.resolve(args, e);
    const canonical = scalars.has(name) ? name : aliases.get(name)!;
    return { k: "call", fn: canonical, args: r.args ?? args, type: r.type, extra: r.extra };
  },
});
