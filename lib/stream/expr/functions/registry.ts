/**
 * The function registry: every scalar and aggregate function by name, with aliases. Registering a name twice
 * (as a function or an alias, scalar or aggregate) is an error, so two families cannot silently shadow each
 * other. Resolving a call checks its arity and returns the bound call carrying its definition.
 */
import { AnalysisError, type AggDef, type BExpr, type CallExpr, type FnExpr, type Resolution, type ScalarDef } from "../bound";
import type { CodeGen } from "../gen";

/** A scalar function as a family writes it (the registry adds the canonical name). */
export interface ScalarSpec {
  args: readonly [number, number];
  resolve(args: BExpr[], e: FnExpr): Resolution;
  gen(a: string[], cg: CodeGen, call: CallExpr): string;
  nonStrict?: boolean;
}

export type AggSpec = Omit<AggDef, "name">;

export class FunctionRegistry {
  private readonly scalars = new Map<string, ScalarDef>();
  private readonly aggregates = new Map<string, AggDef>();
  private readonly aliases = new Map<string, string>();

  private claim(name: string): string {
    const key = name.toLowerCase();
    if (this.scalars.has(key) || this.aggregates.has(key) || this.aliases.has(key)) {
      throw new Error(`streamlab: function '${name}' is registered twice`);
    }
    return key;
  }

  /** Register a scalar function under its name (first) and aliases (the rest). */
  scalar(names: string | readonly string[], spec: ScalarSpec): ScalarDef {
    const [name, ...aliases] = typeof names === "string" ? [names] : names;
    const def: ScalarDef = { ...spec, name };
    this.scalars.set(this.claim(name), def);
    for (const a of aliases) this.alias(a, name);
    return def;
  }

  aggregate(names: string | readonly string[], spec: AggSpec): AggDef {
    const [name, ...aliases] = typeof names === "string" ? [names] : names;
    const def: AggDef = { name, ...spec };
    this.aggregates.set(this.claim(name), def);
    for (const a of aliases) this.alias(a, name);
    return def;
  }

  /** Another name for an already registered function. */
  alias(alias: string, target: string): void {
    if (!this.scalars.has(target) && !this.aggregates.has(target)) throw new Error(`streamlab: alias '${alias}' names unknown function '${target}'`);
    this.aliases.set(this.claim(alias), target);
  }

  private canonical(name: string): string {
    const key = name.toLowerCase();
    return this.aliases.get(key) ?? key;
  }

  scalarDef(name: string): ScalarDef | undefined {
    return this.scalars.get(this.canonical(name));
  }

  aggDef(name: string): AggDef | undefined {
    return this.aggregates.get(this.canonical(name));
  }

  isAggregate(name: string): boolean {
    return this.aggDef(name) !== undefined;
  }

  /** Every user-visible name (functions and aliases; operators such as `+` excluded). */
  names(): string[] {
    return [...this.scalars.keys(), ...this.aliases.keys(), ...this.aggregates.keys()].filter((n) => /^[a-z]/.test(n));
  }

  /** Resolve a scalar call whose arguments are bound; undefined for an unknown name. */
  resolveScalar(name: string, args: BExpr[], e: FnExpr): CallExpr | undefined {
    const def = this.scalarDef(name);
    if (!def) return undefined;
    const [min, max] = def.args;
    if (args.length < min || args.length > max) {
      throw new AnalysisError(`${name}() takes ${min === max ? min : `${min} to ${max === Infinity ? "any number of" : max}`} arguments, got ${args.length}`);
    }
    const r = def.resolve(args, e);
    return { k: "call", fn: def.name, def, args: r.args ?? args, type: r.type, ...(r.meta ? { meta: r.meta } : {}) };
  }

  /** A call built by the engine itself (struct of several aggregate arguments, map field access). */
  call(name: string, args: BExpr[], names?: string[]): CallExpr {
    const written: FnExpr["args"] = args.map((_, i) => (names ? { t: "alias", name: names[i], child: { t: "lit", value: null } } : { t: "lit", value: null }));
    const out = this.resolveScalar(name, args, { t: "fn", name, args: written });
    if (!out) throw new Error(`streamlab: internal call to unknown function ${name}()`);
    return out;
  }
}
