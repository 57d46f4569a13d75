/**
 * What generated code and the functions that emit it share: the code-emission context (`CodeGen`), the
 * per-batch evaluation context, and `RowError`, thrown by compiled code to name the row that failed. The
 * function families (expr/functions/) and the compiler (codegen.ts) both build on this file; neither imports
 * the other.
 */

export interface EvalContext {
  /** The batch's timestamp, for current_timestamp() (Spark fixes it per micro-batch). */
  now: number;
}

/** Thrown by compiled code (from_json FAILFAST) to name the row that failed. */
export class RowError extends Error {
  constructor(readonly row: number, message: string) {
    super(message);
    this.name = "RowError";
  }
}

export class CodeGen {
  private body: string[] = [];
  readonly consts: unknown[] = [];
  readonly columns = new Set<number>();
  /** Subexpressions computed once per row and shared (same bound node object), at the loop body's top level. */
  readonly memo = new Map<object, string>();
  /** Vectorized UDF calls computed over the whole batch before the row loop: call -> the results array's name. */
  readonly vectors = new Map<object, string>();
  depth = 0;
  private counter = 0;

  fresh(): string {
    return `t${this.counter++}`;
  }
  emit(line: string): void {
    this.body.push(line);
  }
  /** A constant the generated code reads as `K[i]` (functions, regexes, sets, schemas). */
  konst(v: unknown): string {
    let i = this.consts.indexOf(v);
    if (i < 0) {
      i = this.consts.length;
      this.consts.push(v);
    }
    return `K[${i}]`;
  }
  /** Generate into a nested block; returns the block's code and its result expression. */
  block(gen: () => string): { code: string; value: string } {
    const saved = this.body;
    this.body = [];
    this.depth++;
    const value = gen();
    this.depth--;
    const code = this.body.join("\n");
    this.body = saved;
    return { code, value };
  }
  takeBody(): string {
    const code = this.body.join("\n");
    this.body = [];
    return code;
  }
}

/**
 * Compile generated JS: a function of `params` with `body`, called once with `args` (constants and helpers) to
 * give the compiled function. The one place where streamlab evaluates code it generated itself, from bound
 * expressions and function definitions, never from user text.
 */
export function compileGenerated<T>(params: string[], body: string, args: unknown[]): T {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...params, body) as (...a: unknown[]) => T;
  return factory(...args);
}
