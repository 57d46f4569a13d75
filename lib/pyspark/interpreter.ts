/**
 * The PySpark subset %%pyspark runs on streamlab's engine: import lines, assignments and expression statements
 * made of names, attribute access, calls (positional and keyword arguments), string/number/bool/None literals,
 * lists, tuples, dicts, and the Column operators (+ - * / % == != < <= > >= & | ~). Lines continue with a
 * backslash or inside brackets. Anything else (lambda, def, loops, comprehensions, f-strings, Python UDFs) is
 * refused with one line naming the construct and its line.
 */
import * as F from "../stream/functions";
import { Column } from "../stream/expr/ast";
import { spark } from "../stream/session";
import {
  structType, field, arrayType, mapType, StringType, BinaryType, BooleanType, IntegerType, LongType, DoubleType, FloatType,
  TimestampType, DateType, type DataType, type StructField,
} from "../stream/types";

export class PySparkError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "PySparkError";
  }
}

// ---- tokens --------------------------------------------------------------------------------------------------

type Tok = { k: "name" | "str" | "num" | "op"; v: string; line: number };

const OPS = ["**", "==", "!=", "<=", ">=", "//", "->", "(", ")", "[", "]", "{", "}", ",", ".", "=", ":", "+", "-", "*", "/", "%", "<", ">", "&", "|", "~", "@", ";"];
const UNSUPPORTED_WORDS: Record<string, string> = {
  lambda: "lambda (Python functions)", def: "def (Python functions, UDFs)", class: "class", for: "for loops", while: "while loops",
  if: "if statements", with: "with statements", try: "try statements", return: "return", yield: "yield", async: "async", await: "await",
  global: "global", del: "del", assert: "assert", raise: "raise", print: "print()", and: "the Python 'and' operator (use & between Columns)",
  or: "the Python 'or' operator (use | between Columns)", not: "the Python 'not' operator (use ~ on a Column)", is: "the 'is' operator", in: "the 'in' operator",
  udf: "Python UDFs (udf)", pandas_udf: "Python UDFs (pandas_udf)",
};

/** Logical lines (continuations joined) as token lists. */
function tokenize(src: string): Tok[][] {
  const lines: Tok[][] = [];
  let cur: Tok[] = [];
  let depth = 0;
  let line = 1;
  let i = 0;
  const push = (t: Tok) => cur.push(t);
  while (i < src.length) {
    const c = src[i];
    if (c === "\n") {
      line++;
      i++;
      if (depth === 0 && cur.length) {
        lines.push(cur);
        cur = [];
      }
      continue;
    }
    if (c === "\\" && src[i + 1] === "\n") {
      i += 2;
      line++;
      continue;
    }
    if (c === "\\" && src[i + 1] === "\r" && src[i + 2] === "\n") {
      i += 3;
      line++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const rest = src.slice(i);
    const str = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(rest);
    if (str && (str[1].length > 0 ? /^[rRbBuUfF]+$/.test(str[1]) : true) && (str[1].length === 0 || /['"]/.test(rest[str[1].length]))) {
      const prefix = str[1].toLowerCase();
      if (prefix.includes("f")) throw new PySparkError(line, "f-strings are outside the %%pyspark subset; write the string out");
      const q = str[2];
      let j = i + str[0].length;
      let out = "";
      const startLine = line;
      while (j < src.length && !src.startsWith(q, j)) {
        let ch = src[j];
        if (ch === "\n") {
          if (q.length === 1) throw new PySparkError(startLine, "unterminated string");
          line++;
        }
        if (ch === "\\" && !prefix.includes("r")) {
          const n = src[j + 1];
          const esc: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0" };
          if (n === "\n") {
            j += 2;
            line++;
            continue;
          }
          if (n === "u") {
            ch = String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            out += ch;
            continue;
          }
          ch = esc[n] ?? "\\" + n;
          j += 2;
          out += ch;
          continue;
        }
        out += ch;
        j++;
      }
      if (j >= src.length) throw new PySparkError(startLine, "unterminated string");
      push({ k: "str", v: out, line: startLine });
      i = j + q.length;
      continue;
    }
    const num = /^(\d[\d_]*(\.\d*)?([eE][+-]?\d+)?|\.\d+)/.exec(rest);
    if (num) {
      push({ k: "num", v: num[0].replace(/_/g, ""), line });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      push({ k: "name", v: name[0], line });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) throw new PySparkError(line, `unexpected character '${c}'`);
    if ("([{".includes(op)) depth++;
    if (")]}".includes(op)) depth = Math.max(0, depth - 1);
    push({ k: "op", v: op, line });
    i += op.length;
  }
  if (cur.length) lines.push(cur);
  return lines;
}

// ---- syntax --------------------------------------------------------------------------------------------------

type Node =
  | { t: "name"; name: string; line: number }
  | { t: "lit"; value: unknown; line: number }
  | { t: "attr"; obj: Node; name: string; line: number }
  | { t: "call"; fn: Node; args: Node[]; kwargs: [string, Node][]; line: number }
  | { t: "index"; obj: Node; key: Node; line: number }
  | { t: "list"; items: Node[]; line: number }
  | { t: "dict"; items: [Node, Node][]; line: number }
  | { t: "bin"; op: string; a: Node; b: Node; line: number }
  | { t: "un"; op: string; a: Node; line: number };

type Stmt =
  | { t: "import"; binds: [string, string][]; line: number }
  | { t: "assign"; name: string; value: Node; line: number }
  | { t: "expr"; value: Node; line: number };

class Parser {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  line(): number {
    return (this.peek() ?? this.toks[this.toks.length - 1]).line;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.k === "op" && t.v === v;
  }
  eat(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(v: string): void {
    if (!this.eat(v)) throw new PySparkError(this.line(), `expected '${v}'${this.peek() ? ` before '${this.peek()!.v}'` : " at the end of the statement"}`);
  }
  name(): string {
    const t = this.peek();
    if (t?.k !== "name") throw new PySparkError(this.line(), `expected a name${t ? ` before '${t.v}'` : ""}`);
    this.i++;
    return t.v;
  }
  dotted(): string {
    let n = this.name();
    while (this.eat(".")) n += "." + this.name();
    return n;
  }
  statement(): Stmt {
    const t = this.peek()!;
    const line = t.line;
    if (t.k === "name" && t.v === "import") {
      this.i++;
      const binds: [string, string][] = [];
      do {
        const mod = this.dotted();
        const as = this.peek()?.v === "as" ? (this.i++, this.name()) : undefined;
        binds.push([as ?? mod.split(".")[0], as ? mod : mod.split(".")[0]]);
      } while (this.eat(","));
      return { t: "import", binds, line };
    }
    if (t.k === "name" && t.v === "from") {
      this.i++;
      const mod = this.dotted();
      if (this.name() !== "import") throw new PySparkError(line, "expected 'import'");
      const paren = this.eat("(");
      const binds: [string, string][] = [];
      if (this.eat("*")) throw new PySparkError(line, "'from ... import *' is outside the %%pyspark subset; import the names you use");
      do {
        if (paren && this.isOp(")")) break;
        const n = this.name();
        const as = this.peek()?.v === "as" ? (this.i++, this.name()) : undefined;
        binds.push([as ?? n, `${mod}.${n}`]);
      } while (this.eat(","));
      if (paren) this.expect(")");
      return { t: "import", binds, line };
    }
    if (t.k === "name" && UNSUPPORTED_WORDS[t.v]) throw new PySparkError(line, `${UNSUPPORTED_WORDS[t.v]} is outside the %%pyspark subset`);
    if (t.k === "name" && this.toks[this.i + 1]?.k === "op" && this.toks[this.i + 1].v === "=") {
      this.i += 2;
      return { t: "assign", name: t.v, value: this.expr(), line };
    }
    const value = this.expr();
    if (this.isOp("=")) throw new PySparkError(line, "only 'name = ...' assignments are in the %%pyspark subset");
    return { t: "expr", value, line };
  }
  expr(): Node {
    return this.binary(0);
  }
  binary(level: number): Node {
    const LEVELS = [["|"], ["&"], ["==", "!=", "<", "<=", ">", ">="], ["+", "-"], ["*", "/", "%"]];
    if (level >= LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t?.k === "op" && LEVELS[level].includes(t.v)) {
        this.i++;
        const b = this.binary(level + 1);
        a = { t: "bin", op: t.v, a, b, line: t.line };
      } else if (t?.k === "name" && t.v === "for") return a; // a comprehension: the bracket reports it
      else if (t?.k === "name" && UNSUPPORTED_WORDS[t.v]) throw new PySparkError(t.line, `${UNSUPPORTED_WORDS[t.v]} is outside the %%pyspark subset`);
      else if (t?.k === "op" && ["**", "//", "@"].includes(t.v)) throw new PySparkError(t.line, `the operator '${t.v}' is outside the %%pyspark subset`);
      else return a;
    }
  }
  unary(): Node {
    const t = this.peek();
    if (t?.k === "op" && (t.v === "-" || t.v === "~" || t.v === "+")) {
      this.i++;
      return { t: "un", op: t.v, a: this.unary(), line: t.line };
    }
    return this.postfix(this.atom());
  }
  postfix(n: Node): Node {
    for (;;) {
      const t = this.peek();
      if (this.eat(".")) n = { t: "attr", obj: n, name: this.name(), line: t!.line };
      else if (this.eat("(")) {
        const args: Node[] = [];
        const kwargs: [string, Node][] = [];
        while (!this.isOp(")")) {
          if (this.isOp("*") || this.isOp("**")) throw new PySparkError(this.line(), "*args/**kwargs are outside the %%pyspark subset");
          const k = this.peek();
          if (k?.k === "name" && this.toks[this.i + 1]?.k === "op" && this.toks[this.i + 1].v === "=") {
            this.i += 2;
            kwargs.push([k.v, this.expr()]);
          } else {
            if (kwargs.length) throw new PySparkError(this.line(), "a positional argument after keyword arguments");
            args.push(this.expr());
          }
          if (!this.eat(",")) break;
        }
        this.expect(")");
        n = { t: "call", fn: n, args, kwargs, line: t!.line };
      } else if (this.eat("[")) {
        const key = this.expr();
        if (this.isOp(":")) throw new PySparkError(this.line(), "slices are outside the %%pyspark subset");
        this.expect("]");
        n = { t: "index", obj: n, key, line: t!.line };
      } else return n;
    }
  }
  atom(): Node {
    const t = this.peek();
    if (!t) throw new PySparkError(this.line(), "unexpected end of the statement");
    this.i++;
    const line = t.line;
    if (t.k === "num") return { t: "lit", value: Number(t.v), line };
    if (t.k === "str") {
      let s = t.v;
      while (this.peek()?.k === "str") s += this.toks[this.i++].v; // implicit concatenation
      return { t: "lit", value: s, line };
    }
    if (t.k === "name") {
      if (t.v === "True") return { t: "lit", value: true, line };
      if (t.v === "False") return { t: "lit", value: false, line };
      if (t.v === "None") return { t: "lit", value: null, line };
      if (UNSUPPORTED_WORDS[t.v] && !["udf", "pandas_udf", "print"].includes(t.v)) throw new PySparkError(line, `${UNSUPPORTED_WORDS[t.v]} is outside the %%pyspark subset`);
      return { t: "name", name: t.v, line };
    }
    if (t.v === "(") {
      if (this.eat(")")) return { t: "list", items: [], line };
      const first = this.expr();
      if (this.peek()?.k === "name" && this.peek()!.v === "for") throw new PySparkError(line, "generator expressions are outside the %%pyspark subset");
      if (!this.eat(",")) {
        this.expect(")");
        return first;
      }
      const items = [first];
      while (!this.isOp(")")) {
        items.push(this.expr());
        if (!this.eat(",")) break;
      }
      this.expect(")");
      return { t: "list", items, line };
    }
    if (t.v === "[") {
      const items: Node[] = [];
      while (!this.isOp("]")) {
        items.push(this.expr());
        if (this.peek()?.k === "name" && this.peek()!.v === "for") throw new PySparkError(line, "list comprehensions are outside the %%pyspark subset");
        if (!this.eat(",")) break;
      }
      this.expect("]");
      return { t: "list", items, line };
    }
    if (t.v === "{") {
      const items: [Node, Node][] = [];
      while (!this.isOp("}")) {
        const k = this.expr();
        if (!this.eat(":")) throw new PySparkError(line, "sets are outside the %%pyspark subset");
        items.push([k, this.expr()]);
        if (!this.eat(",")) break;
      }
      this.expect("}");
      return { t: "dict", items, line };
    }
    throw new PySparkError(line, `unexpected '${t.v}'`);
  }
}

export function parsePySpark(src: string): Stmt[] {
  return tokenize(src).map((toks) => {
    const p = new Parser(toks);
    const s = p.statement();
    if (p.i < toks.length) {
      const t = toks[p.i];
      if (t.k === "op" && t.v === ";") throw new PySparkError(t.line, "';' between statements is outside the %%pyspark subset: one statement per line");
      throw new PySparkError(t.line, `unexpected '${t.v}'`);
    }
    return s;
  });
}

// ---- the pyspark modules ---------------------------------------------------------------------------------------

const typeCtor = (t: DataType) => () => t;
const TYPES: Record<string, unknown> = {
  StructType: (fields: StructField[] = []) => structType(fields),
  StructField: (name: string, type: DataType, nullable = true) => field(name, type, nullable),
  StringType: typeCtor(StringType), BinaryType: typeCtor(BinaryType), BooleanType: typeCtor(BooleanType), IntegerType: typeCtor(IntegerType),
  LongType: typeCtor(LongType), DoubleType: typeCtor(DoubleType), FloatType: typeCtor(FloatType), TimestampType: typeCtor(TimestampType),
  DateType: typeCtor(DateType), ShortType: typeCtor({ kind: "short" }), ByteType: typeCtor({ kind: "byte" }), DecimalType: (precision = 10, scale = 0): DataType => ({ kind: "decimal", precision, scale }),
  ArrayType: (t: DataType) => arrayType(t), MapType: (k: DataType, v: DataType) => mapType(k, v),
};

class Builder {
  appName(): this { return this; }
  master(): this { return this; }
  config(): this { return this; }
  enableHiveSupport(): this { return this; }
  getOrCreate() { return spark; }
}
const SESSION_CLASS = { get builder() { return new Builder(); } };

const FUNCTIONS: Record<string, unknown> = { ...(F as Record<string, unknown>) };
// streamlab's udf/pandas_udf take TypeScript functions; a %%pyspark cell's UDFs would be Python: refused on import.
for (const name of ["udf", "pandas_udf"]) delete FUNCTIONS[name];
/** Arbitrary stateful processing: Python functions or processors per key, refused with one line. */
const PER_KEY_STATE = new Set(["groupByKey", "applyInPandasWithState", "transformWithStateInPandas", "transformWithState", "flatMapGroupsWithState", "mapGroupsWithState"]);
const MODULES: Record<string, Record<string, unknown>> = {
  pyspark: {},
  "pyspark.sql": { SparkSession: SESSION_CLASS, Column, functions: FUNCTIONS, types: TYPES, DataFrame: Object },
  "pyspark.sql.functions": FUNCTIONS,
  "pyspark.sql.types": TYPES,
  "pyspark.sql.streaming": {},
};
MODULES.pyspark.sql = MODULES["pyspark.sql"];

/** Keyword parameters by method name, for placing keyword arguments (Python signatures of PySpark). */
const PARAMS: Record<string, string[]> = {
  StructField: ["name", "dataType", "nullable", "metadata"],
  from_json: ["col", "schema", "options"],
  window: ["timeColumn", "windowDuration", "slideDuration", "startTime"],
  session_window: ["timeColumn", "gapDuration"],
  withWatermark: ["eventTime", "delayThreshold"],
  dropDuplicates: ["subset"],
  drop_duplicates: ["subset"],
  join: ["other", "on", "how"],
  show: ["n", "truncate"],
  option: ["key", "value"],
  format: ["source"],
  outputMode: ["outputMode"],
  queryName: ["queryName"],
  awaitTermination: ["timeout"],
  to_timestamp: ["col", "format"],
  date_format: ["date", "format"],
  round: ["col", "scale"],
  cast: ["dataType"],
  alias: ["alias"],
  appName: ["name"],
  master: ["master"],
  config: ["key", "value", "conf"],
  get_json_object: ["col", "path"],
  substring: ["str", "pos", "len"],
};

// ---- evaluation --------------------------------------------------------------------------------------------------

const BIN: Record<string, string> = { "+": "plus", "-": "minus", "*": "multiply", "/": "divide", "%": "mod", "==": "eq", "!=": "neq", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "&": "and", "|": "or" };

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v instanceof Column) return "Column";
  if (typeof v === "object") return (v).constructor?.name ?? "object";
  return typeof v;
}

export interface RunOptions {
  /** The notebook's variables: read for names, written for assignments. */
  scope: Record<string, unknown>;
  /** Replaces every kafka.bootstrap.servers the cell sets (%%pyspark --bootstrap). */
  bootstrap?: string;
}

export async function runPySpark(src: string, opts: RunOptions): Promise<unknown> {
  const program = parsePySpark(src);
  const scope = opts.scope;
  // The published walkthrough calls col() without importing it; real PySpark would raise NameError there.
  const builtins: Record<string, unknown> = { col: F.col, __bootstrap: opts.bootstrap };
  let last: unknown;
  for (const stmt of program) {
    switch (stmt.t) {
      case "import":
        for (const [name, path] of stmt.binds) {
          const mod = MODULES[path];
          if (mod) scope[name] = mod;
          else {
            const dot = path.lastIndexOf(".");
            const parent = MODULES[path.slice(0, dot)];
            const member = parent?.[path.slice(dot + 1)];
            if (member === undefined) throw new PySparkError(stmt.line, `'${path}' is outside the %%pyspark subset`);
            scope[name] = member;
          }
        }
        last = undefined;
        break;
      case "assign": {
        const v = await settle(evaluate(stmt.value, scope, builtins));
        scope[stmt.name] = v;
        last = undefined;
        break;
      }
      case "expr":
        last = await settle(evaluate(stmt.value, scope, builtins));
        break;
    }
  }
  return last;
}

async function settle(v: unknown): Promise<unknown> {
  return v instanceof Promise ? await v : v;
}

function evaluate(n: Node, scope: Record<string, unknown>, builtins: Record<string, unknown>): unknown {
  const ev = (x: Node) => evaluate(x, scope, builtins);
  switch (n.t) {
    case "lit":
      return n.value;
    case "name":
      if (n.name in scope) return scope[n.name];
      if (n.name in builtins) return builtins[n.name];
      throw new PySparkError(n.line, `name '${n.name}' is not defined`);
    case "list":
      return n.items.map(ev);
    case "dict":
      return Object.fromEntries(n.items.map(([k, v]) => [String(ev(k)), ev(v)]));
    case "attr": {
      const obj = ev(n.obj);
      if (obj === null || obj === undefined) throw new PySparkError(n.line, `'None' has no attribute '${n.name}'`);
      if (PER_KEY_STATE.has(n.name)) throw new PySparkError(n.line, `${n.name} runs Python per key, which is outside the %%pyspark subset; write the processor in TypeScript in a code cell: df.groupByKey((r) => r.key).transformWithState(processor, "EventTime", "append", "key STRING, ...")`);
      const v = (obj as Record<string, unknown>)[n.name];
      if (v === undefined) throw new PySparkError(n.line, `${typeName(obj)}.${n.name} is outside the %%pyspark subset (streamlab has no '${n.name}' there)`);
      return typeof v === "function" && !(obj === FUNCTIONS || obj === TYPES) ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
    }
    case "index": {
      const obj = ev(n.obj);
      const key = ev(n.key);
      if (obj instanceof Column) return typeof key === "string" ? obj.getField(key) : obj.getItem(key);
      if (obj && typeof obj === "object" && typeof (obj as { select?: unknown }).select === "function" && typeof key === "string") return F.col(key);
      if (Array.isArray(obj) && typeof key === "number") return obj[key];
      throw new PySparkError(n.line, `indexing ${typeName(obj)} is outside the %%pyspark subset`);
    }
    case "un": {
      const a = ev(n.a);
      if (n.op === "~") {
        if (a instanceof Column) return a.not();
        throw new PySparkError(n.line, "~ needs a Column");
      }
      if (n.op === "-") return a instanceof Column ? a.negate() : -(a as number);
      return a;
    }
    case "bin": {
      let a = ev(n.a);
      const b = ev(n.b);
      const m = BIN[n.op];
      if (!(a instanceof Column) && b instanceof Column) {
        if (n.op === "&" || n.op === "|") a = F.lit(a);
        else a = F.lit(a);
      }
      if (a instanceof Column) return (a as unknown as Record<string, (x: unknown) => unknown>)[m](b);
      switch (n.op) {
        case "+": return (a as number) + (b as number);
        case "-": return (a as number) - (b as number);
        case "*": return (a as number) * (b as number);
        case "/": return (a as number) / (b as number);
        case "%": return (a as number) % (b as number);
        case "==": return a === b;
        case "!=": return a !== b;
        case "<": return (a as number) < (b as number);
        case "<=": return (a as number) <= (b as number);
        case ">": return (a as number) > (b as number);
        case ">=": return (a as number) >= (b as number);
      }
      throw new PySparkError(n.line, `'${n.op}' between ${typeName(a)} and ${typeName(b)} is outside the %%pyspark subset`);
    }
    case "call": {
      const fn = ev(n.fn);
      const fname = n.fn.t === "attr" ? n.fn.name : n.fn.t === "name" ? n.fn.name : "?";
      if (typeof fn !== "function") throw new PySparkError(n.line, `${fname} is not callable (${typeName(fn)})`);
      const args = n.args.map(ev);
      if (fname === "option" && args[0] === "kafka.bootstrap.servers" && builtins.__bootstrap) args[1] = builtins.__bootstrap;
      if (n.kwargs.length) {
        const kw = Object.fromEntries(n.kwargs.map(([k, v]) => [k, ev(v)]));
        if (fname === "trigger" || fname === "options") args.push(kw);
        else if (fname === "writeStream" || fname === "start") {
          throw new PySparkError(n.line, `keyword arguments of ${fname}() are outside the %%pyspark subset; use .format(...).outputMode(...) before start()`);
        } else {
          const params = PARAMS[fname];
          if (!params) throw new PySparkError(n.line, `keyword arguments of ${fname}() are outside the %%pyspark subset (${Object.keys(kw).join(", ")})`);
          for (const [k, v] of Object.entries(kw)) {
            const at = params.indexOf(k);
            if (at < 0) throw new PySparkError(n.line, `${fname}() has no keyword argument '${k}' in the %%pyspark subset`);
            while (args.length < at) args.push(undefined);
            args[at] = v;
          }
        }
      }
      try {
        return (fn as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        if (err instanceof PySparkError) throw err;
        throw new PySparkError(n.line, `${fname}(): ${(err as Error).message.split("\n")[0]}`);
      }
    }
  }
}
