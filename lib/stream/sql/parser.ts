/**
 * Spark SQL statements -> ast.ts. The query grammar (SELECT ... FROM ... WHERE ... GROUP BY ... HAVING, JOIN,
 * UNION ALL, WITH, subqueries, ORDER BY/LIMIT, the WATERMARK clause, EXPLAIN, CREATE TEMPORARY VIEW) is here;
 * every expression goes to the expression parser of expr()/selectExpr (lib/stream/expr/parser.ts), over the
 * same tokens, so there is one expression grammar.
 */
import type { Expr } from "../expr/ast";
import { isReservedWord, lex, Parser, type Tok } from "../expr/parser";
import type { Query, QueryBody, Relation, Select, SortItem, Statement, Watermark } from "./ast";
import { syntaxError } from "./errors";

function tokenText(text: string, toks: Tok[], offset: number): string | null {
  const t = toks.find((x) => x.pos === offset);
  if (!t || t.k === "eof") return offset >= text.length ? null : text.slice(offset).split(/\s/)[0] || null;
  if (t.k === "str") return `'${t.v}'`;
  if (t.k === "id" && t.quoted) return `\`${t.v}\``;
  return t.v;
}

class SqlParser extends Parser {
  constructor(text: string, toks: Tok[]) {
    super(text, toks, (_msg, offset) => {
      throw syntaxError(text, offset, tokenText(text, toks, offset));
    });
  }

  get offset(): number {
    return this.peek().pos;
  }

  script(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      while (this.tryOp(";"));
      if (this.atEnd()) break;
      const start = this.offset;
      const st = this.statement(start);
      out.push(st);
      if (!this.atEnd() && !this.isOp(";")) this.fail("unexpected");
    }
    return out;
  }

  private textFrom(start: number): string {
    return this.text.slice(start, this.atEnd() || this.isOp(";") ? this.offset : undefined).trim();
  }

  statement(start: number): Statement {
    if (this.tryWord("explain")) {
      let mode = "simple";
      for (const m of ["extended", "formatted", "logical", "codegen", "cost"]) if (this.tryWord(m)) mode = m;
      const inner = this.statement(this.offset);
      return { kind: "explain", mode, statement: inner, text: this.textFrom(start) };
    }
    if (this.isWord("create")) return this.create(start);
    if (this.tryWord("drop")) {
      if (!this.tryWord("view") && !(this.tryWord("table"))) this.fail("expected VIEW");
      let ifExists = false;
      if (this.tryWord("if")) {
        this.expectWord("exists");
        ifExists = true;
      }
      return { kind: "dropView", name: this.qualifiedName(), ifExists, text: this.textFrom(start) };
    }
    if (this.isWord("show") && (this.isWord("tables", 1) || this.isWord("views", 1))) {
      this.i += 2;
      let namespace: string | undefined;
      if (this.tryWord("from") || this.tryWord("in")) namespace = this.identifier();
      this.tryWord("like");
      const t = this.peek();
      const pattern = t.k === "str" ? ((this.i++), t.v) : undefined;
      return { kind: "showTables", namespace, pattern, text: this.textFrom(start) };
    }
    if (this.isWord("select") || this.isWord("with") || this.isOp("(") || this.isWord("from") || this.isWord("table")) {
      const query = this.query();
      return { kind: "query", query, text: this.textFrom(start) };
    }
    this.fail("expected a statement");
  }

  private create(start: number): Statement {
    this.expectWord("create");
    let replace = false;
    if (this.tryWord("or")) {
      this.expectWord("replace");
      replace = true;
    }
    const global = this.tryWord("global");
    const temporary = this.tryWord("temporary") || this.tryWord("temp");
    if (global && !temporary) this.fail("expected TEMPORARY");
    this.expectWord("view");
    let ifNotExists = false;
    if (this.tryWord("if")) {
      this.expectWord("not");
      this.expectWord("exists");
      ifNotExists = true;
    }
    const name = this.qualifiedName();
    let schema: string | undefined;
    if (this.isOp("(") && temporary) {
      // CREATE TEMPORARY VIEW v (a INT, b STRING) USING ...: the column list is a schema.
      const from = this.offset;
      let depth = 0;
      do {
        if (this.isOp("(")) depth++;
        else if (this.isOp(")")) depth--;
        if (this.atEnd()) this.fail("expected ')'");
        this.i++;
      } while (depth > 0);
      schema = this.text.slice(from + 1, this.peek(-1).pos).trim();
    }
    if (this.tryWord("using")) {
      if (!temporary) this.fail("expected TEMPORARY");
      const provider = this.identifier().toLowerCase();
      const options: Record<string, string> = {};
      if (this.tryWord("options")) {
        this.expectOp("(");
        if (!this.isOp(")")) {
          do {
            // key: a name with dots (kafka.bootstrap.servers) or a string; value: string, number, boolean.
            const kt = this.peek();
            let key: string;
            if (kt.k === "str") {
              this.i++;
              key = kt.v;
            } else key = this.qualifiedName().join(".");
            this.tryOp("=");
            const vt = this.next();
            if (vt.k === "str" || vt.k === "num") options[key] = vt.v;
            else if (vt.k === "id" && /^(true|false)$/i.test(vt.v)) options[key] = vt.v.toLowerCase();
            else this.fail("expected a value", vt);
          } while (this.tryOp(","));
        }
        this.expectOp(")");
      }
      return { kind: "createViewUsing", name, replace, global, provider, options, schema, text: this.textFrom(start) };
    }
    this.expectWord("as");
    const query = this.query();
    return { kind: "createView", name, replace, global, temporary, ifNotExists, query, text: this.textFrom(start) };
  }

  qualifiedName(): string[] {
    const parts = [this.identifier()];
    while (this.isOp(".") && this.peek(1).k === "id") {
      this.i++;
      parts.push(this.identifier());
    }
    return parts;
  }

  query(): Query {
    const pos = this.offset;
    const ctes: Query["ctes"] = [];
    if (this.tryWord("with")) {
      do {
        const name = this.identifier();
        this.tryWord("as");
        this.expectOp("(");
        const q = this.query();
        this.expectOp(")");
        ctes.push({ name, query: q });
      } while (this.tryOp(","));
    }
    let body = this.queryTerm();
    while (this.isWord("union") || this.isWord("except") || this.isWord("intersect") || this.isWord("minus")) {
      const opPos = this.offset;
      if (!this.isWord("union")) this.fail("unsupported");
      this.i++;
      const all = this.tryWord("all");
      if (!all) this.tryWord("distinct");
      body = { kind: "union", left: body, right: this.queryTerm(), all, pos: opPos };
    }
    let orderBy: SortItem[] | undefined;
    if ((this.isWord("order") || this.isWord("sort")) && this.isWord("by", 1)) {
      this.i += 2;
      orderBy = [];
      do {
        const expr = this.expression();
        let desc = false;
        if (this.tryWord("desc")) desc = true;
        else this.tryWord("asc");
        let nullsFirst: boolean | undefined;
        if (this.tryWord("nulls")) {
          if (this.tryWord("first")) nullsFirst = true;
          else {
            this.expectWord("last");
            nullsFirst = false;
          }
        }
        orderBy.push({ expr, desc, nullsFirst });
      } while (this.tryOp(","));
    }
    let limit: number | undefined;
    if (this.tryWord("limit")) {
      const t = this.next();
      if (t.k === "id" && t.v.toLowerCase() === "all") limit = undefined;
      else if (t.k !== "num" || !/^\d+$/.test(t.v)) this.fail("expected a number", t);
      else limit = Number(t.v);
    }
    return { ctes, body, orderBy, limit, pos };
  }

  private queryTerm(): QueryBody {
    if (this.isOp("(")) {
      this.i++;
      const q = this.query();
      this.expectOp(")");
      return { kind: "nested", query: q };
    }
    if (this.isWord("table")) {
      // TABLE name = SELECT * FROM name
      const pos = this.offset;
      this.i++;
      return { kind: "select", distinct: false, items: [{ t: "star", qualifier: [] }], from: this.relation(), pos };
    }
    return this.select();
  }

  private select(): Select {
    const pos = this.offset;
    if (this.isWord("from")) {
      // FROM t SELECT ... (Spark accepts the FROM-first form too)
      this.i++;
      const from = this.fromClause();
      const rest = this.select();
      return { ...rest, from, pos };
    }
    this.expectWord("select");
    let distinct = false;
    if (this.tryWord("distinct")) distinct = true;
    else this.tryWord("all");
    const items: Expr[] = [];
    do items.push(this.namedExpression());
    while (this.tryOp(","));
    const sel: Select = { kind: "select", distinct, items, from: null, pos };
    if (this.tryWord("from")) sel.from = this.fromClause();
    if (this.tryWord("where")) sel.where = this.expression();
    if (this.isWord("group") && this.isWord("by", 1)) {
      this.i += 2;
      const keys: Expr[] = [];
      do keys.push(this.expression());
      while (this.tryOp(","));
      sel.groupBy = keys;
    }
    if (this.tryWord("having")) sel.having = this.expression();
    return sel;
  }

  private fromClause(): Relation {
    let rel = this.joinedRelation();
    while (this.tryOp(",")) {
      // FROM a, b: a cross join (a condition in WHERE is not turned into a join key)
      rel = { kind: "join", left: rel, right: this.joinedRelation(), how: "cross", pos: this.offset };
    }
    return rel;
  }

  private joinedRelation(): Relation {
    let rel = this.relation();
    for (;;) {
      const pos = this.offset;
      let how: Extract<Relation, { kind: "join" }>["how"] | undefined;
      if (this.tryWord("join")) how = "inner";
      else if (this.isWord("inner") && this.isWord("join", 1)) how = "inner";
      else if (this.isWord("cross") && this.isWord("join", 1)) how = "cross";
      else if (this.isWord("left") || this.isWord("right") || this.isWord("full")) {
        const side = (this.next() as { v: string }).v.toLowerCase();
        if (side === "left" && this.tryWord("semi")) how = "left_semi";
        else if (side === "left" && this.tryWord("anti")) how = "left_anti";
        else {
          this.tryWord("outer");
          how = side as "left" | "right" | "full";
        }
        this.expectWord("join");
      }
      if (!how) return rel;
      if (this.isWord("inner") || this.isWord("cross")) {
        this.i++;
        this.expectWord("join");
      }
      const right = this.relation();
      const join: Relation = { kind: "join", left: rel, right, how, pos };
      if (this.tryWord("on")) join.on = this.expression();
      else if (this.tryWord("using")) {
        this.expectOp("(");
        const names: string[] = [];
        do names.push(this.identifier());
        while (this.tryOp(","));
        this.expectOp(")");
        join.using = names;
      }
      rel = join;
    }
  }

  private relation(): Relation {
    const pos = this.offset;
    let rel: Relation;
    if (this.isOp("(")) {
      this.i++;
      if (this.isWord("select") || this.isWord("with") || this.isWord("from") || this.isOp("(")) {
        const q = this.query();
        this.expectOp(")");
        rel = { kind: "subquery", query: q, pos };
      } else {
        const inner = this.fromClause();
        this.expectOp(")");
        rel = inner;
      }
    } else {
      const name = this.qualifiedName();
      // STREAM(name) and STREAM name read a table as a stream in Spark 4's pipelines: views here already are.
      if (name.length === 1 && name[0].toLowerCase() === "stream" && (this.isOp("(") || this.peek().k === "id")) {
        const paren = this.tryOp("(");
        const inner = this.qualifiedName();
        if (paren) this.expectOp(")");
        rel = { kind: "table", name: inner, pos };
      } else rel = { kind: "table", name, pos };
    }
    if (rel.kind === "join") return rel;
    if (this.isWord("watermark")) rel.watermark = this.watermark();
    const alias = this.tableAlias();
    if (alias) rel.alias = alias;
    if (!rel.watermark && this.isWord("watermark")) rel.watermark = this.watermark();
    return rel;
  }

  /** Spark 4.1: `WATERMARK col DELAY OF INTERVAL 30 SECONDS` after a relation. */
  private watermark(): Watermark {
    this.expectWord("watermark");
    const col = this.expression();
    if (col.t !== "col") this.fail("expected a column name");
    this.expectWord("delay");
    this.expectWord("of");
    const intervalTok = this.peek();
    let delay: Expr;
    if (this.tryWord("interval")) delay = this.interval();
    else {
      const t = this.next();
      if (t.k !== "str") this.fail("expected INTERVAL", t);
      delay = { t: "lit", value: (t as { v: string }).v };
    }
    let delayMs: number;
    if (delay.t === "fn" && delay.name === "interval_ms") delayMs = Number((delay.args[0] as { value: unknown }).value);
    else {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(String((delay as { value: unknown }).value));
      if (!m) this.fail("expected an interval", intervalTok);
      delayMs = NaN;
      const units: Record<string, number> = { millisecond: 1, milliseconds: 1, second: 1000, seconds: 1000, minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };
      const u = units[m[2].toLowerCase()];
      if (u === undefined) this.fail("expected an interval", intervalTok);
      delayMs = Number(m[1]) * u;
    }
    return { column: (col as { path: string[] }).path, delayMs };
  }

  private tableAlias(): string | undefined {
    if (this.tryWord("as")) return this.identifier();
    const t = this.peek();
    if (t.k === "id" && (t.quoted || !isReservedWord(t.v))) {
      this.i++;
      return t.v;
    }
    return undefined;
  }
}

/** Every statement of a script (separated by `;`), each with its own text. */
export function parseSql(text: string): Statement[] {
  const toks = lex(text, (_msg, offset) => {
    throw syntaxError(text, offset, text[offset] ?? null);
  });
  const p = new SqlParser(text, toks);
  return p.script();
}

/** Exactly one statement, as spark.sql takes. */
export function parseStatement(text: string): Statement {
  const all = parseSql(text);
  if (all.length === 0) throw syntaxError(text, text.length, null);
  if (all.length > 1) {
    const second = text.indexOf(all[1].text);
    throw syntaxError(text, second >= 0 ? second : text.length, all[1].text.split(/\s/)[0]);
  }
  return all[0];
}
