/** String functions and LIKE / ILIKE / RLIKE. */
import { type DataType, StringType, BooleanType, IntegerType } from "../../types";
import { toString } from "./common";
import * as R from "../runtime";
import type { FunctionRegistry } from "./registry";

/**
 * Java's String.split (Spark's split): at most `limit` parts when limit > 0, the last holding the rest;
 * capture groups are not parts (JS split would insert them); a zero-width match never makes a leading empty part.
 */
function splitJava(s: string, rx: RegExp, limit: number): string[] {
  const out: string[] = [];
  rx.lastIndex = 0;
  let last = 0;
  for (let m = rx.exec(s); m && !(limit > 0 && out.length >= limit - 1); m = rx.exec(s)) {
    if (m[0].length === 0) {
      if (m.index > last && m.index < s.length) {
        out.push(s.slice(last, m.index));
        last = m.index;
      }
      rx.lastIndex++;
      continue;
    }
    out.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  out.push(s.slice(last));
  return out;
}

export function registerStringFunctions(r: FunctionRegistry): void {
  for (const kind of ["like", "ilike", "rlike"] as const) {
    r.scalar(kind, {
      args: [2, 2],
      resolve: (args) => ({ type: BooleanType, args: [toString(args[0]), toString(args[1])] }),
      gen(a, cg, call) {
        const p = call.args[1];
        if (p.k === "lit" && typeof p.value === "string") return `${cg.konst(R.cachedRegExp(p.value, kind))}.test(${a[0]})`;
        return `${cg.konst(R.cachedRegExp)}(${a[1]}, ${JSON.stringify(kind)}).test(${a[0]})`;
      },
    });
  }
  r.alias("regexp_like", "rlike");

  function str1(names: string | string[], code: (a: string) => string, type: DataType = StringType) {
    r.scalar(names, { args: [1, 1], resolve: (args) => ({ type, args: [toString(args[0])] }), gen: (a) => code(a[0]) });
  }
  str1("upper", (a) => `${a}.toUpperCase()`);
  str1(["lower", "lcase"], (a) => `${a}.toLowerCase()`);
  r.alias("ucase", "upper");
  str1("trim", (a) => `${a}.trim()`);
  str1("ltrim", (a) => `${a}.trimStart()`);
  str1("rtrim", (a) => `${a}.trimEnd()`);
  str1("reverse", (a) => `[...${a}].reverse().join("")`);
  str1("initcap", (a) => `${a}.toLowerCase().replace(/(^|\\s)(\\S)/g, (m, s, c) => s + c.toUpperCase())`);
  str1(["length", "char_length", "character_length", "len"], (a) => `${a}.length`, IntegerType);
  r.scalar(["substring", "substr"], {
    args: [2, 3],
    resolve: (args) => ({ type: StringType, args: [toString(args[0]), ...args.slice(1)] }),
    // Spark positions are 1-based; 0 behaves as 1; negative counts from the end.
    gen: (a) => `${a[0]}.substr(${a[1]} > 0 ? ${a[1]} - 1 : ${a[1]} < 0 ? Math.max(0, ${a[0]}.length + ${a[1]}) : 0${a[2] ? `, Math.max(0, ${a[2]})` : ""})`,
  });
  r.scalar("concat", {
    args: [1, Infinity],
    resolve: (args) => ({ type: StringType, args: args.map(toString) }),
    gen: (a) => a.join(" + "),
  });
  r.scalar("concat_ws", {
    args: [1, Infinity],
    nonStrict: true,
    resolve: (args) => ({ type: StringType, args: args.map(toString) }),
    gen: (a) => `${a[0]} == null ? null : [${a.slice(1).join(", ")}].filter((x) => x != null).join(${a[0]})`,
  });
  r.scalar("startswith", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.startsWith(${a[1]})` });
  r.scalar("endswith", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.endsWith(${a[1]})` });
  r.scalar("contains", { args: [2, 2], resolve: (args) => ({ type: BooleanType, args: args.map(toString) }), gen: (a) => `${a[0]}.includes(${a[1]})` });
  r.scalar("instr", { args: [2, 2], resolve: (args) => ({ type: IntegerType, args: args.map(toString) }), gen: (a) => `${a[0]}.indexOf(${a[1]}) + 1` });
  r.scalar("replace", { args: [2, 3], resolve: (args) => ({ type: StringType, args: args.map(toString) }), gen: (a) => `${a[0]}.split(${a[1]}).join(${a[2] ?? '""'})` });
  r.scalar("regexp_replace", {
    args: [3, 3],
    resolve: (args) => ({ type: StringType, args: args.map(toString) }),
    gen: (a, cg, call) => {
      const p = call.args[1];
      const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value), "g")) : `new RegExp(${a[1]}, "g")`;
      return `${a[0]}.replace(${rx}, ${a[2]}.replace(/\\$(\\d)/g, "$$$1"))`;
    },
  });
  r.scalar("regexp_extract", {
    args: [2, 3],
    resolve: (args) => ({ type: StringType, args: [toString(args[0]), toString(args[1]), ...(args[2] ? [args[2]] : [])] }),
    gen: (a, cg, call) => {
      const p = call.args[1];
      const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value))) : `new RegExp(${a[1]})`;
      return `((m) => m ? (m[${a[2] ?? 1}] ?? "") : "")(${rx}.exec(${a[0]}))`;
    },
  });
  r.scalar("split", {
    args: [2, 3],
    resolve: (args) => ({ type: { kind: "array", elementType: StringType }, args: [toString(args[0]), toString(args[1]), ...args.slice(2)] }),
    gen: (a, cg, call) => {
      const p = call.args[1];
      const rx = p.k === "lit" ? cg.konst(new RegExp(String(p.value), "g")) : `new RegExp(${a[1]}, "g")`;
      return `${cg.konst(splitJava)}(${a[0]}, ${rx}, ${a[2] ?? -1})`;
    },
  });
  r.scalar("lpad", { args: [3, 3], resolve: (args) => ({ type: StringType, args: [toString(args[0]), args[1], toString(args[2])] }), gen: (a) => `${a[0]}.length >= ${a[1]} ? ${a[0]}.slice(0, ${a[1]}) : ${a[0]}.padStart(${a[1]}, ${a[2]})` });
  r.scalar("rpad", { args: [3, 3], resolve: (args) => ({ type: StringType, args: [toString(args[0]), args[1], toString(args[2])] }), gen: (a) => `${a[0]}.length >= ${a[1]} ? ${a[0]}.slice(0, ${a[1]}) : ${a[0]}.padEnd(${a[1]}, ${a[2]})` });
}
