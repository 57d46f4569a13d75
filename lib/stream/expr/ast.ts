/**
 * Unresolved expressions: the tree a user builds with `col("a").plus(1)` or writes as SQL text. It is data;
 * the analyzer (analyze.ts) binds it against a schema and the compiler (compile.ts) turns the bound tree into
 * one JS function over column arrays.
 */
import { parseDataType, typeString, type DataType } from "../types";
import { valueText } from "./runtime";

export type Expr =
  | { t: "col"; path: string[] }
  | { t: "star"; qualifier: string[] }
  | { t: "lit"; value: unknown; type?: DataType }
  /** `names`: several names for a generator's columns (`posexplode(a).alias("p", "v")`, SQL `AS (p, v)`). */
  | { t: "alias"; child: Expr; name: string; names?: string[] }
  /** `try` (try_cast): NULL for a value that does not convert; a plain CAST fails the query (Spark 4, ANSI). */
  | { t: "cast"; child: Expr; to: DataType; try?: boolean }
  | { t: "fn"; name: string; args: Expr[]; distinct?: boolean; options?: Record<string, unknown> }
  | { t: "case"; branches: [Expr, Expr][]; otherwise?: Expr };

export type ColumnLike = Column | string;

/** A column expression, PySpark's `Column`: immutable, every method returns a new Column. */
export class Column {
  constructor(readonly expr: Expr) {}

  /** One name, or one per column for a generator that outputs several (`posexplode(a).alias("pos", "v")`). */
  alias(name: string, ...more: string[]): Column {
    return new Column({ t: "alias", child: stripAlias(this.expr), name, ...(more.length ? { names: [name, ...more] } : {}) });
  }
  as(name: string, ...more: string[]): Column {
    return this.alias(name, ...more);
  }
  name(name: string): Column {
    return this.alias(name);
  }
  cast(to: DataType | string): Column {
    return new Column({ t: "cast", child: this.expr, to: typeof to === "string" ? parseTypeLazy(to) : to });
  }
  astype(to: DataType | string): Column {
    return this.cast(to);
  }

  private bin(op: string, other: unknown): Column {
    return new Column({ t: "fn", name: op, args: [this.expr, toExpr(other)] });
  }
  plus(o: unknown): Column { return this.bin("+", o); }
  minus(o: unknown): Column { return this.bin("-", o); }
  multiply(o: unknown): Column { return this.bin("*", o); }
  divide(o: unknown): Column { return this.bin("/", o); }
  mod(o: unknown): Column { return this.bin("%", o); }
  eq(o: unknown): Column { return this.bin("=", o); }
  equalTo(o: unknown): Column { return this.bin("=", o); }
  eqNullSafe(o: unknown): Column { return this.bin("<=>", o); }
  neq(o: unknown): Column { return this.bin("!=", o); }
  notEqual(o: unknown): Column { return this.bin("!=", o); }
  gt(o: unknown): Column { return this.bin(">", o); }
  ge(o: unknown): Column { return this.bin(">=", o); }
  geq(o: unknown): Column { return this.bin(">=", o); }
  lt(o: unknown): Column { return this.bin("<", o); }
  le(o: unknown): Column { return this.bin("<=", o); }
  leq(o: unknown): Column { return this.bin("<=", o); }
  and(o: unknown): Column { return this.bin("and", o); }
  or(o: unknown): Column { return this.bin("or", o); }
  not(): Column { return new Column({ t: "fn", name: "not", args: [this.expr] }); }
  negate(): Column { return new Column({ t: "fn", name: "negative", args: [this.expr] }); }
  isNull(): Column { return new Column({ t: "fn", name: "isnull", args: [this.expr] }); }
  isNotNull(): Column { return new Column({ t: "fn", name: "isnotnull", args: [this.expr] }); }
  isin(...values: unknown[]): Column {
    const list = values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    return new Column({ t: "fn", name: "in", args: [this.expr, ...list.map(toExpr)] });
  }
  between(lo: unknown, hi: unknown): Column {
    return this.ge(lo).and(this.le(hi));
  }
  like(pattern: string): Column { return this.bin("like", pattern); }
  rlike(pattern: string): Column { return this.bin("rlike", pattern); }
  ilike(pattern: string): Column { return this.bin("ilike", pattern); }
  startswith(s: unknown): Column { return this.bin("startswith", s); }
  endswith(s: unknown): Column { return this.bin("endswith", s); }
  contains(s: unknown): Column { return this.bin("contains", s); }
  substr(pos: number, len: number): Column {
    return new Column({ t: "fn", name: "substring", args: [this.expr, toExpr(pos), toExpr(len)] });
  }
  /** Sort orders for orderBy/sort: ascending puts NULLs first, descending last, as Spark. */
  asc(): Column { return sortOrder(this.expr, false, true); }
  asc_nulls_first(): Column { return sortOrder(this.expr, false, true); }
  asc_nulls_last(): Column { return sortOrder(this.expr, false, false); }
  desc(): Column { return sortOrder(this.expr, true, false); }
  desc_nulls_first(): Column { return sortOrder(this.expr, true, true); }
  desc_nulls_last(): Column { return sortOrder(this.expr, true, false); }
  getField(name: string): Column {
    return new Column({ t: "fn", name: "get_field", args: [this.expr, { t: "lit", value: name }] });
  }
  getItem(key: unknown): Column {
    return new Column({ t: "fn", name: "element_at_0", args: [this.expr, toExpr(key)] });
  }
  /** `when(cond, v).when(cond2, v2).otherwise(v3)` */
  when(cond: Column, value: unknown): Column {
    if (this.expr.t !== "case" || this.expr.otherwise !== undefined) throw new Error("when() can only follow when(); start with functions.when(cond, value)");
    return new Column({ t: "case", branches: [...this.expr.branches, [cond.expr, toExpr(value)]] });
  }
  otherwise(value: unknown): Column {
    if (this.expr.t !== "case" || this.expr.otherwise !== undefined) throw new Error("otherwise() can only follow when(); start with functions.when(cond, value)");
    return new Column({ t: "case", branches: this.expr.branches, otherwise: toExpr(value) });
  }
  toString(): string {
    return exprSql(this.expr);
  }
}

/** A sort order: a marker around the key that only orderBy/sort reads. */
export const SORT_ORDER = "__sort_order";
export function sortOrder(e: Expr, desc: boolean, nullsFirst: boolean): Column {
  const key = e.t === "fn" && e.name === SORT_ORDER ? e.args[0] : e;
  return new Column({ t: "fn", name: SORT_ORDER, args: [key], options: { desc, nullsFirst } });
}

function parseTypeLazy(s: string): DataType {
  return parseDataType(s);
}

function stripAlias(e: Expr): Expr {
  return e.t === "alias" ? e.child : e;
}

/** Split `a.b.c` (with backtick quoting, `` `a.b`.c ``) into a path. */
export function splitPath(name: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === "`") {
      if (quoted && name[i + 1] === "`") {
        cur += "`";
        i++;
      } else quoted = !quoted;
    } else if (ch === "." && !quoted) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** `col("o.amount")`, `col("o.*")`, `col("*")`. */
export function colExpr(name: string): Expr {
  const path = splitPath(name);
  if (path[path.length - 1] === "*" && !name.endsWith("`")) return { t: "star", qualifier: path.slice(0, -1) };
  return { t: "col", path };
}

/** Anything a function accepts as a value: a Column, or a literal. */
export function toExpr(v: unknown): Expr {
  if (v instanceof Column) return v.expr;
  return { t: "lit", value: v instanceof Date ? v : v === undefined ? null : v };
}

/** Function arguments that PySpark reads as column names when given strings. */
export function colArg(v: ColumnLike): Expr {
  if (v instanceof Column) return v.expr;
  if (typeof v === "string") return colExpr(v);
  throw new Error(`expected a column or a column name, got ${JSON.stringify(v)}`);
}

function litName(v: unknown): string {
  if (v === null) return "NULL";
  if (v instanceof Date) return `TIMESTAMP '${v.toISOString()}'`;
  if (typeof v === "string") return v;
  return valueText(v);
}

const INFIX = new Set(["+", "-", "*", "/", "%", "=", "<=>", "!=", "<", "<=", ">", ">=", "and", "or", "||", "like", "rlike", "ilike"]);

/**
 * Spark's automatic column name for an expression: `amount`, `(amount * 2)`, `sum(amount)`, `count(1)`. A cast of
 * a column at the top keeps the column's name (Spark's ResolveAliases: `CAST(value AS STRING)` is named `value`);
 * inside another expression it is written out (`upper(CAST(value AS STRING))`).
 */
export function exprName(e: Expr): string {
  // A nested column at the top is named after its last part (`s.a` is `a`); inside an expression it is `s.a`.
  if (e.t === "col") return e.path[e.path.length - 1];
  if (e.t === "cast" && e.child.t === "col" && e.child.path.length === 1) return exprSql(e.child);
  return exprSql(e);
}

/** An expression written as Spark prints it inside other expressions (its SQL text). */
export function exprSql(e: Expr): string {
  switch (e.t) {
    case "col":
      return e.path.join(".");
    case "star":
      return [...e.qualifier, "*"].join(".");
    case "lit":
      return litName(e.value);
    case "alias":
      return e.name;
    case "cast":
      return `${e.try ? "TRY_CAST" : "CAST"}(${exprSql(e.child)} AS ${typeString(e.to).toUpperCase()})`;
    case "case":
      return `CASE ${e.branches.map(([c, v]) => `WHEN ${exprSql(c)} THEN ${exprSql(v)}`).join(" ")}${e.otherwise ? ` ELSE ${exprSql(e.otherwise)}` : ""} END`;
    case "fn": {
      if (INFIX.has(e.name) && e.args.length === 2) {
        const op = e.name === "and" || e.name === "or" || e.name.endsWith("like") ? e.name.toUpperCase() : e.name;
        return `(${exprSql(e.args[0])} ${op} ${exprSql(e.args[1])})`;
      }
      if (e.name === "not") return `(NOT ${exprSql(e.args[0])})`;
      if (e.name === "negative") return `(- ${exprSql(e.args[0])})`;
      if (e.name === "isnull") return `(${exprSql(e.args[0])} IS NULL)`;
      if (e.name === "isnotnull") return `(${exprSql(e.args[0])} IS NOT NULL)`;
      if (e.name === "get_field") return `${exprSql(e.args[0])}.${String((e.args[1] as { value: unknown }).value)}`;
      if (e.name === "element_at_0") return `${exprSql(e.args[0])}[${exprSql(e.args[1])}]`;
      if (e.name === "in") return `(${exprSql(e.args[0])} IN (${e.args.slice(1).map(exprSql).join(", ")}))`;
      if (e.name === "window" || e.name === "session_window") return e.name;
      if (e.name === "count" && e.args.length === 1 && e.args[0].t === "star") return "count(1)";
      if (e.name === "from_json") return `from_json(${exprSql(e.args[0])})`;
      if (e.name === SORT_ORDER) return `${exprSql(e.args[0])} ${e.options?.desc ? "DESC" : "ASC"} NULLS ${e.options?.nullsFirst ? "FIRST" : "LAST"}`;
      return `${e.name}(${e.distinct ? "DISTINCT " : ""}${e.args.map(exprSql).join(", ")})`;
    }
  }
}
