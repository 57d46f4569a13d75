/**
 * Compile bound expressions to plain JS functions over column arrays, once per query. Each expression node
 * becomes a few statements in the body of one `for` loop; SQL's null semantics are spelled out in the
 * generated code (a strict function yields null when an argument is null; AND/OR use three-valued logic;
 * CASE evaluates lazily). Nothing is interpreted per row.
 */
import { children, metaOf, type BExpr } from "./bound";
import { castFunction } from "./runtime";
import { CodeGen, RowError, compileGenerated, type EvalContext } from "./gen";
import { jsonFieldIndex } from "./json/fields";
import { vectorCaller } from "./udf";
import { typeString, type DataType } from "../types";

const INTEGRAL = new Set(["byte", "short", "integer", "long"]);
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

/** Spark 4's error (ANSI mode) for an explicit CAST that meets a malformed value: the query fails, naming the row. */
function castInvalidInput(from: DataType, to: DataType): (row: number, v: unknown) => never {
  const src = typeString(from).toUpperCase();
  const dst = typeString(to).toUpperCase();
  return (row, v) => {
    const text = Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
    throw new RowError(row, `[CAST_INVALID_INPUT] The value '${text}' of the type "${src}" cannot be cast to "${dst}" because it is malformed. Correct the value as per the syntax, or change its target type. Use \`try_cast\` to tolerate malformed input and return NULL instead. SQLSTATE: 22018`);
  };
}

export { CodeGen, RowError, type EvalContext };

function literal(v: unknown, cg: CodeGen): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? "-0" : String(v)) : cg.konst(v);
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  return cg.konst(v);
}

function nonNull(e: BExpr): boolean {
  return e.k === "lit" && e.value !== null;
}

/** Emit statements computing `e` for row `i`; returns a JS expression (a temp or a literal) with its value. */
export function gen(e: BExpr, cg: CodeGen): string {
  switch (e.k) {
    case "col":
      cg.columns.add(e.index);
      return `A${e.index}[i]`;
    case "lit":
      return literal(e.value, cg);
    case "field": {
      const c = gen(e.child, cg);
      const t = cg.fresh();
      if (e.child.k === "call" && metaOf(e.child, "from_json")?.asArray) {
        const idx = jsonFieldIndex(e.child, e.name);
        cg.emit(`const ${t} = ${c} == null ? null : ${idx < 0 ? "null" : `(${c}[${idx}] ?? null)`};`);
        return t;
      }
      cg.emit(`const ${t} = ${c} == null ? null : (${c}[${JSON.stringify(e.name)}] ?? null);`);
      return t;
    }
    case "cast": {
      const c = gen(e.child, cg);
      const f = cg.konst(castFunction(e.child.type, e.type));
      const t = cg.fresh();
      // ANSI: an integral target takes only integer text ('1.5' is malformed, as Spark's toLongExact).
      if (e.ansi && INTEGRAL.has(e.type.kind)) {
        cg.emit(`let ${t} = ${c} == null ? null : ${f}(${c});`);
        cg.emit(`if (${t} !== null && !${cg.konst(INTEGER_TEXT)}.test(String(${c}))) ${t} = null;`);
      } else cg.emit(`const ${t} = ${c} == null ? null : ${f}(${c}, i);`);
      if (e.ansi === "fail") cg.emit(`if (${t} === null && ${c} != null) ${cg.konst(castInvalidInput(e.child.type, e.type))}(i, ${c});`);
      return t;
    }
    case "and":
    case "or": {
      const l = gen(e.args[0], cg);
      const t = cg.fresh();
      const short = e.k === "and" ? "false" : "true";
      const r = cg.block(() => gen(e.args[1], cg));
      cg.emit(`let ${t};`);
      cg.emit(`if (${l} === ${short}) ${t} = ${short}; else { ${r.code}\n${t} = ${r.value} === ${short} ? ${short} : (${l} == null || ${r.value} == null) ? null : ${e.k === "and" ? "true" : "false"}; }`);
      return t;
    }
    case "case": {
      const t = cg.fresh();
      cg.emit(`let ${t} = null;`);
      const emitBranch = (i: number): string => {
        if (i >= e.branches.length) {
          if (!e.otherwise) return "";
          const o = cg.block(() => gen(e.otherwise!, cg));
          return `${o.code}\n${t} = ${o.value};`;
        }
        const [c, v] = e.branches[i];
        const cb = cg.block(() => gen(c, cg));
        const vb = cg.block(() => gen(v, cg));
        return `${cb.code}\nif (${cb.value} === true) { ${vb.code}\n${t} = ${vb.value}; } else { ${emitBranch(i + 1)} }`;
      };
      cg.emit(emitBranch(0));
      return t;
    }
    case "call": {
      const vec = cg.vectors.get(e);
      if (vec) return `${vec}[i]`;
      const shared = cg.depth === 0 ? cg.memo.get(e) : undefined;
      if (shared) return shared;
      // The call carries its own definition: the compiler never looks a function up.
      const def = e.def;
      const args = e.args.map((a) => gen(a, cg));
      const t = cg.fresh();
      const code = def.gen(args, cg, e);
      if (def.nonStrict) {
        cg.emit(`const ${t} = ${code};`);
      } else {
        const checks = args.filter((_, i) => !nonNull(e.args[i])).map((a) => `${a} == null`);
        cg.emit(`const ${t} = ${checks.length ? `(${checks.join(" || ")}) ? null : ` : ""}(${code});`);
      }
      if (cg.depth === 0) cg.memo.set(e, t);
      return t;
    }
    case "aggref":
      throw new Error("streamlab: aggregate reference outside an aggregation");
  }
}

export type ProjectFn = (cols: unknown[][], n: number, ctx: EvalContext) => unknown[][];
export type PredicateFn = (cols: unknown[][], n: number, ctx: EvalContext) => Int32Array;

/**
 * Vectorized UDF calls (innermost first): each one's arguments computed in a loop of their own into arrays, then
 * the function called once with the batch's columns; the row loop reads its results. Returns the code to run
 * before the row loop.
 */
function vectorPrelude(exprs: BExpr[], cg: CodeGen): string {
  const calls: Extract<BExpr, { k: "call" }>[] = [];
  const seen = new Set<BExpr>();
  const walk = (e: BExpr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    children(e).forEach(walk);
    if (e.k === "call" && metaOf(e, "udf")?.vectorized) calls.push(e);
  };
  exprs.forEach(walk);
  const parts: string[] = [];
  for (const call of calls) {
    const meta = metaOf(call, "udf")!;
    const arrays = call.args.map(() => cg.fresh());
    const body = cg.block(() => {
      call.args.forEach((a, j) => cg.emit(`${arrays[j]}[i] = ${gen(a, cg)};`));
      return "";
    });
    const out = `V${cg.fresh()}`;
    const caller = cg.konst(vectorCaller({ name: meta.name, fn: meta.fn, returnType: call.type, vectorized: true }, call.args));
    parts.push(`${arrays.map((x) => `const ${x} = new Array(n);`).join("\n")}\nfor (let i = 0; i < n; i++) {\n${body.code}\n}\nconst ${out} = ${caller}(n, [${arrays.join(", ")}], 0);`);
    cg.vectors.set(call, out);
  }
  return parts.join("\n");
}

function hoist(cg: CodeGen): string {
  return [...cg.columns].map((c) => `const A${c} = cols[${c}];`).join("\n");
}

function build<T>(source: string, consts: unknown[], helpers: Record<string, unknown>): T {
  const names = Object.keys(helpers);
  return compileGenerated<T>(["K", "RowError", ...names], `"use strict";\n${source}`, [consts, RowError, ...names.map((n) => helpers[n])]);
}

/**
 * Rewrites that make generated code cheaper without changing results: from_json over CAST(binary AS STRING)
 * parses the bytes directly (no intermediate string for the whole record).
 */
export function optimize(e: BExpr, seen: Map<BExpr, BExpr> = new Map()): BExpr {
  // Memoised by identity: a subexpression shared by several expressions stays shared (computed once per row).
  const done = seen.get(e);
  if (done) return done;
  const opt = (x: BExpr) => optimize(x, seen);
  let out: BExpr;
  switch (e.k) {
    case "call": {
      const args = e.args.map(opt);
      if (e.fn === "from_json" && args[0].k === "cast" && args[0].type.kind === "string" && args[0].child.type.kind === "binary") {
        out = { ...e, args: [args[0].child, ...args.slice(1)] };
      } else out = { ...e, args };
      break;
    }
    case "and":
    case "or":
      out = { ...e, args: [opt(e.args[0]), opt(e.args[1])] };
      break;
    case "field":
    case "cast":
      out = { ...e, child: opt(e.child) };
      break;
    case "case":
      out = { ...e, branches: e.branches.map(([c, v]) => [opt(c), opt(v)] as [BExpr, BExpr]), otherwise: e.otherwise ? opt(e.otherwise) : null };
      break;
    default:
      out = e;
  }
  seen.set(e, out);
  return out;
}

/** Replace column references by the expressions that computed them (for collapsing adjacent projections). */
export function substitute(e: BExpr, inputs: BExpr[]): BExpr {
  switch (e.k) {
    case "col":
      return inputs[e.index];
    case "call":
      return { ...e, args: e.args.map((a) => substitute(a, inputs)) };
    case "and":
    case "or":
      return { ...e, args: [substitute(e.args[0], inputs), substitute(e.args[1], inputs)] };
    case "field":
    case "cast":
      return { ...e, child: substitute(e.child, inputs) };
    case "case":
      return { ...e, branches: e.branches.map(([c, v]) => [substitute(c, inputs), substitute(v, inputs)] as [BExpr, BExpr]), otherwise: e.otherwise ? substitute(e.otherwise, inputs) : null };
    default:
      return e;
  }
}

/** How often each input column is referenced. */
export function columnUses(e: BExpr, counts: Map<number, number>): void {
  switch (e.k) {
    case "col":
      counts.set(e.index, (counts.get(e.index) ?? 0) + 1);
      return;
    case "call":
    case "and":
    case "or":
      e.args.forEach((a) => columnUses(a, counts));
      return;
    case "field":
    case "cast":
      columnUses(e.child, counts);
      return;
    case "case":
      e.branches.forEach(([c, v]) => (columnUses(c, counts), columnUses(v, counts)));
      if (e.otherwise) columnUses(e.otherwise, counts);
      return;
    default:
      return;
  }
}

/** A Float64Array column with the rows that were not numbers (`patches`: row, value, row, value...) as a plain array. */
function withPatches(col: Float64Array, patches: unknown[]): unknown[] {
  const out: unknown[] = Array.from(col);
  for (let k = 0; k < patches.length; k += 2) out[patches[k] as number] = patches[k + 1];
  return out;
}

/** Types whose values are JS numbers or null: a projection may hand them on in a Float64Array (`numericColumns`). */
const NUMERIC_COLUMN = new Set(["double", "timestamp"]);

/**
 * One function computing every expression of a projection in one pass. Bare column refs reuse the input arrays.
 * With `numericColumns`, a computed double or timestamp column whose values are all numbers comes out as a
 * Float64Array (no boxed number per row for the collector to copy); one with a null (or anything else) in it is
 * a plain array as always. Only for consumers that read columns by index (the pipeline decides).
 */
export function compileProjection(input: BExpr[], needed?: boolean[], numericColumns = false): ProjectFn {
  const seen = new Map<BExpr, BExpr>();
  const exprs = input.map((e) => optimize(e, seen));
  const cg = new CodeGen();
  const outs: string[] = [];
  const computed: number[] = [];
  const prelude = vectorPrelude(exprs.filter((e, j) => e.k !== "col" && (!needed || needed[j])), cg);
  const numeric = new Set<number>();
  exprs.forEach((e, j) => {
    if (e.k === "col" || (needed && !needed[j])) return;
    const v = gen(e, cg);
    if (numericColumns && NUMERIC_COLUMN.has(e.type.kind)) {
      numeric.add(j);
      cg.emit(`if (typeof ${v} === "number") O${j}[i] = ${v}; else (X${j} ??= []).push(i, ${v});`);
    } else cg.emit(`O${j}[i] = ${v};`);
    computed.push(j);
    outs.push(`O${j}`);
  });
  const loop = cg.takeBody();
  // Columns nobody downstream reads are left empty (pruned).
  const result = exprs.map((e, j) => (needed && !needed[j] ? "[]" : e.k === "col" ? `cols[${e.index}]` : numeric.has(j) ? `(X${j} === null ? O${j} : PATCH(O${j}, X${j}))` : `O${j}`)).join(", ");
  const source = `return function project(cols, n, ctx) {
${hoist(cg)}
${prelude}
${computed.map((j) => (numeric.has(j) ? `const O${j} = new Float64Array(n); let X${j} = null;` : `const O${j} = new Array(n);`)).join("\n")}
${computed.length ? `for (let i = 0; i < n; i++) {\n${loop}\n}` : ""}
return [${result}];
};`;
  return build<ProjectFn>(source, cg.consts, numeric.size ? { PATCH: withPatches } : {});
}

/** A predicate compiled to a selection vector: the indexes of rows where it is true (not null, not false). */
export function compilePredicate(cond: BExpr): PredicateFn {
  const cg = new CodeGen();
  const opt = optimize(cond);
  const prelude = vectorPrelude([opt], cg);
  const v = gen(opt, cg);
  const loop = cg.takeBody();
  const source = `return function predicate(cols, n, ctx) {
${hoist(cg)}
${prelude}
const sel = new Int32Array(n);
let m = 0;
for (let i = 0; i < n; i++) {
${loop}
if (${v} === true) sel[m++] = i;
}
return m === n ? sel : sel.subarray(0, m);
};`;
  return build<PredicateFn>(source, cg.consts, {});
}

/** Evaluate a bound expression on one row of values (used for constant folding and static options). */
export function evalConstant(e: BExpr): unknown {
  const f = compileProjection([e]);
  return f([], 1, { now: Date.now() })[0][0];
}
