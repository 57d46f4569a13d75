/**
 * SQL expression text -> Expr, for selectExpr / filter("...") / expr("..."). A Pratt parser over Spark SQL's
 * expression grammar: literals, identifiers with struct paths, `*`, arithmetic, comparison, AND/OR/NOT,
 * IS [NOT] NULL, [NOT] IN, [NOT] LIKE/RLIKE, BETWEEN, CASE, CAST(x AS type), function calls with DISTINCT,
 * `x AS alias`, INTERVAL literals, TIMESTAMP/DATE literals.
 */
import type { Expr } from "./ast";
import { parseDataType, type DataType } from "../types";
import { durationUnit } from "../../core";

export type Tok =
  | { k: "num"; v: string; pos: number }
  | { k: "str"; v: string; pos: number }
  | { k: "id"; v: string; quoted: boolean; pos: number }
  | { k: "op"; v: string; pos: number }
  | { k: "eof"; pos: number };

export class ParseError extends Error {
  /** 0-based offset in the text, when known (the SQL front end turns it into line:column). */
  constructor(message: string, readonly offset?: number) {
    super(message);
    this.name = "ParseError";
  }
}

/** How a syntax error is reported: the expression API's message by default; lib/stream/sql gives Spark's. */
export type SyntaxFail = (msg: string, offset: number) => never;

const OPS = ["<=>", "<>", "!=", "<=", ">=", "==", "||", "&&", "::", "<", ">", "=", "+", "-", "*", "/", "%", "(", ")", ",", ".", "[", "]", "!", ";"];

export function lex(text: string, onFail?: SyntaxFail): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    if (onFail) return onFail(msg, i);
    throw new ParseError(`cannot parse '${text}': ${msg} at position ${i + 1}`, i);
  };
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    // SQL comments: -- to the end of the line, /* ... */
    if (ch === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) fail("unclosed comment");
      i = end + 2;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const m = /^(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[LlDdSsYyFf]?/.exec(text.slice(i))!;
      toks.push({ k: "num", v: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let out = "";
      i++;
      for (;;) {
        if (i >= text.length) fail("unclosed string");
        const c = text[i];
        if (c === "\\" && i + 1 < text.length) {
          const n = text[i + 1];
          out += n === "n" ? "\n" : n === "t" ? "\t" : n;
          i += 2;
          continue;
        }
        if (c === ch) {
          if (text[i + 1] === ch) {
            out += ch;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += c;
        i++;
      }
      toks.push({ k: "str", v: out, pos: start });
      continue;
    }
    if (ch === "`") {
      let out = "";
      i++;
      for (;;) {
        if (i >= text.length) fail("unclosed `");
        if (text[i] === "`") {
          if (text[i + 1] === "`") {
            out += "`";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += text[i++];
      }
      toks.push({ k: "id", v: out, quoted: true, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      toks.push({ k: "id", v: m[0], quoted: false, pos: start });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) fail(`unexpected character '${ch}'`);
    toks.push({ k: "op", v: op!, pos: start });
    i += op!.length;
  }
  toks.push({ k: "eof", pos: text.length });
  return toks;
}

/** The expression parser; lib/stream/sql extends it with the query grammar over the same tokens. */
export class Parser {
  protected i = 0;
  constructor(protected readonly text: string, protected readonly toks: Tok[], private readonly onFail?: SyntaxFail) {}

  peek(o = 0): Tok {
    return this.toks[Math.max(0, Math.min(this.i + o, this.toks.length - 1))];
  }
  next(): Tok {
    return this.toks[this.i++];
  }
  fail(msg: string, tok: Tok = this.peek()): never {
    if (this.onFail) return this.onFail(msg, tok.pos);
    throw new ParseError(`cannot parse '${this.text}': ${msg} at position ${tok.pos + 1}`, tok.pos);
  }
  isWord(w: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === "id" && !t.quoted && t.v.toLowerCase() === w;
  }
  tryWord(w: string): boolean {
    if (this.isWord(w)) {
      this.i++;
      return true;
    }
    return false;
  }
  expectWord(w: string): void {
    if (!this.tryWord(w)) this.fail(`expected ${w.toUpperCase()}`);
  }
  isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === "op" && t.v === v;
  }
  tryOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  expectOp(v: string): void {
    if (!this.tryOp(v)) this.fail(`expected '${v}'`);
  }

  atEnd(): boolean {
    return this.peek().k === "eof";
  }

  /** expr [AS] alias */
  namedExpression(): Expr {
    const e = this.expression();
    if (this.tryWord("as")) {
      // `AS (a, b)`: one name per column of a generator (posexplode(x) AS (pos, v)).
      if (this.tryOp("(")) {
        const names = [this.identifier()];
        while (this.tryOp(",")) names.push(this.identifier());
        this.expectOp(")");
        return { t: "alias", child: e, name: names[0], names };
      }
      return { t: "alias", child: e, name: this.identifier() };
    }
    const t = this.peek();
    if (t.k === "id" && (t.quoted || !RESERVED.has(t.v.toLowerCase()))) {
      this.i++;
      return { t: "alias", child: e, name: t.v };
    }
    return e;
  }

  identifier(): string {
    const t = this.next();
    if (t.k !== "id") this.fail("expected a name", t);
    return (t as { v: string }).v;
  }

  expression(): Expr {
    return this.or();
  }
  private or(): Expr {
    let l = this.and();
    while (this.tryWord("or")) l = fn("or", l, this.and());
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.tryWord("and") || this.tryOp("&&")) l = fn("and", l, this.not());
    return l;
  }
  private not(): Expr {
    if (this.tryWord("not") || this.tryOp("!")) return fn("not", this.not());
    return this.predicate();
  }
  private predicate(): Expr {
    const l = this.concat();
    for (;;) {
      const t = this.peek();
      if (t.k === "op" && ["=", "==", "!=", "<>", "<", "<=", ">", ">=", "<=>"].includes(t.v)) {
        this.i++;
        const op = t.v === "==" ? "=" : t.v === "<>" ? "!=" : t.v;
        return fn(op, l, this.concat());
      }
      if (this.isWord("is")) {
        this.i++;
        const negated = this.tryWord("not");
        if (this.tryWord("null")) return fn(negated ? "isnotnull" : "isnull", l);
        if (this.tryWord("true")) return negated ? fn("not", fn("<=>", l, lit(true))) : fn("<=>", l, lit(true));
        if (this.tryWord("false")) return negated ? fn("not", fn("<=>", l, lit(false))) : fn("<=>", l, lit(false));
        this.fail("expected NULL, TRUE or FALSE after IS");
      }
      const negated = this.isWord("not") && (this.isWord("in", 1) || this.isWord("like", 1) || this.isWord("rlike", 1) || this.isWord("between", 1) || this.isWord("ilike", 1));
      if (negated) this.i++;
      let out: Expr | undefined;
      if (this.tryWord("in")) {
        this.expectOp("(");
        const list: Expr[] = [];
        if (!this.isOp(")")) {
          do list.push(this.expression());
          while (this.tryOp(","));
        }
        this.expectOp(")");
        out = { t: "fn", name: "in", args: [l, ...list] };
      } else if (this.tryWord("like")) out = fn("like", l, this.concat());
      else if (this.tryWord("ilike")) out = fn("ilike", l, this.concat());
      else if (this.tryWord("rlike") || this.tryWord("regexp")) out = fn("rlike", l, this.concat());
      else if (this.tryWord("between")) {
        const lo = this.concat();
        this.expectWord("and");
        const hi = this.concat();
        out = fn("and", fn(">=", l, lo), fn("<=", l, hi));
      }
      if (out) return negated ? fn("not", out) : out;
      if (negated) this.fail("expected IN, LIKE or BETWEEN after NOT");
      return l;
    }
  }
  private concat(): Expr {
    let l = this.additive();
    while (this.tryOp("||")) l = { t: "fn", name: "concat", args: [l, this.additive()] };
    return l;
  }
  private additive(): Expr {
    let l = this.multiplicative();
    for (;;) {
      if (this.tryOp("+")) l = fn("+", l, this.multiplicative());
      else if (this.tryOp("-")) l = fn("-", l, this.multiplicative());
      else return l;
    }
  }
  private multiplicative(): Expr {
    let l = this.unary();
    for (;;) {
      if (this.tryOp("*")) l = fn("*", l, this.unary());
      else if (this.tryOp("/")) l = fn("/", l, this.unary());
      else if (this.tryOp("%")) l = fn("%", l, this.unary());
      else if (this.tryWord("div")) l = { t: "fn", name: "div", args: [l, this.unary()] };
      else return l;
    }
  }
  private unary(): Expr {
    if (this.tryOp("-")) {
      const e = this.unary();
      if (e.t === "lit" && (typeof e.value === "number" || typeof e.value === "bigint")) return { t: "lit", value: -e.value, type: e.type };
      if (e.t === "lit" && e.type?.kind === "decimal" && typeof e.value === "string") return { t: "lit", value: /^[0.]+$/.test(e.value) ? e.value : `-${e.value}`, type: e.type };
      return fn("negative", e);
    }
    if (this.tryOp("+")) return this.unary();
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp(".")) {
        this.i++;
        if (this.tryOp("*")) {
          if (e.t !== "col") this.fail("'.*' must follow a column name");
          return { t: "star", qualifier: (e as { path: string[] }).path };
        }
        const name = this.identifier();
        e = e.t === "col" ? { t: "col", path: [...e.path, name] } : { t: "fn", name: "get_field", args: [e, lit(name)] };
      } else if (this.tryOp("[")) {
        const k = this.expression();
        this.expectOp("]");
        e = { t: "fn", name: "element_at_0", args: [e, k] };
      } else if (this.tryOp("::")) {
        e = { t: "cast", child: e, to: this.dataType() };
      } else return e;
    }
  }
  private dataType(): DataType {
    // Collect the tokens of a type (with nested <...> and (...)) and hand them to the DDL parser.
    const start = this.peek().pos;
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.k === "eof") break;
      if (t.k === "op" && (t.v === "<" || t.v === "(")) depth++;
      else if (t.k === "op" && (t.v === ">" || t.v === ")")) {
        if (depth === 0) break;
        depth--;
      } else if (t.k === "op" && t.v === "," && depth === 0) break;
      else if (depth === 0 && t.k === "id" && this.i > 0 && this.peek(-1).k === "id" && this.peek(-1).pos >= start) break;
      this.i++;
    }
    const end = this.peek().pos;
    try {
      return parseDataType(this.text.slice(start, end));
    } catch (err) {
      this.fail((err as Error).message);
    }
  }
  private primary(): Expr {
    const t = this.next();
    if (t.k === "num") {
      const suffix = /[LlDdSsYyFf]$/.exec(t.v)?.[0].toLowerCase();
      const n = Number(suffix ? t.v.slice(0, -1) : t.v);
      const isInt = /^\d+$/.test(suffix ? t.v.slice(0, -1) : t.v);
      const body = suffix ? t.v.slice(0, -1) : t.v;
      // Spark's exact literals: 2.5 is DECIMAL(2,1), 0.05 DECIMAL(2,2); an integer beyond BIGINT is DECIMAL(n,0).
      const dec = /^(\d*)\.(\d*)$/.exec(body);
      if (!suffix && (dec || (isInt && BigInt(body) > 9223372036854775807n))) {
        const intPart = (dec ? dec[1] : body).replace(/^0+/, "");
        const frac = dec ? dec[2] : "";
        const digits = (intPart + frac).replace(/^0+/, "").length;
        const scale = frac.length;
        const precision = Math.max(digits, scale, 1);
        if (precision > 38) return { t: "lit", value: n, type: { kind: "double" } };
        return { t: "lit", value: `${intPart || "0"}${scale ? `.${frac}` : ""}`, type: { kind: "decimal", precision, scale } };
      }
      const kind = suffix === "l" ? "long" : suffix === "d" || suffix === "f" ? "double" : isInt ? (Math.abs(n) <= 2147483647 ? "integer" : "long") : "double";
      // A BIGINT literal beyond 2^53 stays exact (a bigint; expr/long.ts).
      if (kind === "long" && isInt && !Number.isSafeInteger(n)) return { t: "lit", value: BigInt(suffix ? t.v.slice(0, -1) : t.v), type: { kind } };
      return { t: "lit", value: n, type: { kind } };
    }
    if (t.k === "str") return lit(t.v);
    if (t.k === "op" && t.v === "(") {
      const e = this.expression();
      this.expectOp(")");
      return e;
    }
    if (t.k === "op" && t.v === "*") return { t: "star", qualifier: [] };
    if (t.k !== "id") this.fail(`unexpected '${(t as { v?: string }).v ?? "end of text"}'`, t);
    const word = (t as { v: string; quoted: boolean }).v;
    const lower = word.toLowerCase();
    if (!(t as { quoted: boolean }).quoted) {
      if (lower === "null") return { t: "lit", value: null };
      if (lower === "true") return lit(true);
      if (lower === "false") return lit(false);
      if (lower === "case") return this.caseExpr();
      if (lower === "cast" || lower === "try_cast") {
        this.expectOp("(");
        const child = this.expression();
        this.expectWord("as");
        const to = this.dataType();
        this.expectOp(")");
        return lower === "try_cast" ? { t: "cast", child, to, try: true } : { t: "cast", child, to };
      }
      if ((lower === "timestamp" || lower === "date") && this.peek().k === "str") {
        return { t: "cast", child: lit((this.next() as { v: string }).v), to: { kind: lower === "date" ? "date" : "timestamp" } };
      }
      if (lower === "interval") return this.interval();
      if (this.isOp("(")) {
        this.i++;
        const args: Expr[] = [];
        let distinct = false;
        if (this.tryWord("distinct")) distinct = true;
        if (!this.isOp(")")) {
          do args.push(this.expression());
          while (this.tryOp(","));
        }
        this.expectOp(")");
        return { t: "fn", name: lower, args, distinct: distinct || undefined };
      }
    }
    if (!(t as { quoted: boolean }).quoted && CLAUSE_WORDS.has(lower)) this.fail(`unexpected '${word}'`, t);
    return { t: "col", path: [word] };
  }
  /** The text after INTERVAL: `10 SECONDS`, `'5' HOUR`, `'10 minutes'`, `'1 2:3:4' DAY TO SECOND`. */
  interval(): Expr {
    let ms = 0;
    let any = false;
    for (;;) {
      const t = this.peek();
      const fromTok = this.peek(1);
      if (t.k === "str" && fromTok.k === "id" && this.isWord("to", 2)) {
        // Spark's ANSI forms: '[-]D H:M:S[.fff]' DAY TO SECOND, 'H:M' HOUR TO MINUTE, 'M:S' MINUTE TO SECOND, ...
        this.i += 3;
        const to = this.next();
        ms += ansiInterval(t.v, fromTok.v.toLowerCase(), to.k === "id" ? to.v.toLowerCase() : "", (msg) => this.fail(msg, t));
        any = true;
        continue;
      }
      if (t.k === "str") {
        this.i++;
        const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(t.v);
        if (m) {
          const unit = durationUnit(m[2]);
          if (unit === undefined) this.fail(`unknown interval unit '${m[2]}'`, t);
          ms += Number(m[1]) * unit;
          any = true;
          continue;
        }
        const unitTok = this.next();
        const unit = unitTok.k === "id" ? durationUnit(unitTok.v) : undefined;
        if (unit === undefined) this.fail("expected an interval unit (seconds, minutes, hours, days)", unitTok);
        ms += Number(t.v) * unit;
        any = true;
        continue;
      }
      if (t.k === "num") {
        this.i++;
        const unitTok = this.next();
        const unit = unitTok.k === "id" ? durationUnit(unitTok.v) : undefined;
        if (unit === undefined) this.fail("expected an interval unit (seconds, minutes, hours, days)", unitTok);
        ms += Number(t.v) * unit;
        any = true;
        continue;
      }
      break;
    }
    if (!any) this.fail("expected e.g. INTERVAL 10 SECONDS");
    return { t: "fn", name: "interval_ms", args: [{ t: "lit", value: ms, type: { kind: "long" } }] };
  }
  private caseExpr(): Expr {
    let subject: Expr | undefined;
    if (!this.isWord("when")) subject = this.expression();
    const branches: [Expr, Expr][] = [];
    while (this.tryWord("when")) {
      const c = this.expression();
      this.expectWord("then");
      const v = this.expression();
      branches.push([subject ? fn("=", subject, c) : c, v]);
    }
    if (!branches.length) this.fail("CASE needs at least one WHEN");
    const otherwise = this.tryWord("else") ? this.expression() : undefined;
    this.expectWord("end");
    return { t: "case", branches, otherwise };
  }
}

const DT_FIELDS = ["day", "hour", "minute", "second"] as const;
const DT_MS = [86_400_000, 3_600_000, 60_000, 1000];

/**
 * The milliseconds of an ANSI day-time interval string, `'1 2:03:04.5' DAY TO SECOND`, `'3:30' MINUTE TO SECOND`:
 * the leading field is unbounded, the later ones as Spark bounds them (hours < 24, minutes and seconds < 60).
 */
export function ansiInterval(text: string, from: string, to: string, fail: (msg: string) => never): number {
  const f = DT_FIELDS.indexOf(from.replace(/s$/, "") as (typeof DT_FIELDS)[number]);
  const l = DT_FIELDS.indexOf(to.replace(/s$/, "") as (typeof DT_FIELDS)[number]);
  const example = "write e.g. INTERVAL '1 2:03:04' DAY TO SECOND or INTERVAL '3:30' MINUTE TO SECOND";
  if (from === "year" || from === "month") fail(`year-month intervals (INTERVAL '${text}' ${from.toUpperCase()} TO ${to.toUpperCase()}) are not supported: use a day-time interval; ${example}`);
  if (f < 0 || l <= f) fail(`INTERVAL ... ${from.toUpperCase()} TO ${to.toUpperCase()} is not a valid interval qualifier; ${example}`);
  let re = "^\\s*([+-]?)(\\d+" + (l === 3 && f === 3 ? "(?:\\.\\d+)?" : "") + ")";
  for (let k = f + 1; k <= l; k++) re += (k === 1 ? "\\s+" : ":") + (k === 3 ? "(\\d+(?:\\.\\d+)?)" : "(\\d+)");
  const m = new RegExp(re + "\\s*$").exec(text);
  if (!m) fail(`interval string '${text}' does not match ${from.toUpperCase()} TO ${to.toUpperCase()}; ${example}`);
  let v = 0;
  for (let k = f; k <= l; k++) {
    const n = Number(m[2 + k - f]);
    if (k > f && n >= (k === 1 ? 24 : 60)) fail(`interval string '${text}': the ${DT_FIELDS[k]} field ${n} is out of range; ${example}`);
    v += n * DT_MS[k];
  }
  return m[1] === "-" ? -v : v;
}

const RESERVED = new Set(["and", "or", "not", "is", "in", "like", "rlike", "ilike", "between", "when", "then", "else", "end", "as", "from", "where", "div", "regexp",
  // Query words after a select item or a table name (lib/stream/sql): never an implicit alias.
  "group", "having", "order", "limit", "union", "join", "inner", "left", "right", "full", "cross", "on", "using", "watermark", "window", "except", "intersect", "sort", "cluster", "distribute", "lateral", "natural", "semi", "anti", "outer"]);

/** Words that start or end a clause: never a column name unless quoted in backticks (as in Spark). */
const CLAUSE_WORDS = new Set(["select", "from", "where", "group", "having", "order", "limit", "union", "join", "on", "when", "then", "else", "end", "and", "or"]);

/** Whether an unquoted word cannot be an implicit alias (`SELECT a b` names a `b`; `SELECT a FROM` does not). */
export function isReservedWord(word: string): boolean {
  return RESERVED.has(word.toLowerCase());
}

function fn(name: string, ...args: Expr[]): Expr {
  return { t: "fn", name, args };
}
function lit(value: unknown): Expr {
  return { t: "lit", value };
}

/** One expression, e.g. for filter("amount > 100") and expr("amount * 2"). */
export function parseExpression(text: string): Expr {
  const p = new Parser(text, lex(text));
  const e = p.namedExpression();
  if (!p.atEnd()) throw new ParseError(`cannot parse '${text}': unexpected text after the expression; quote names with spaces in backticks`);
  return e;
}
