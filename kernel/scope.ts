/**
 * What a cell sees without writing it: lib/ loaded once and shared with the kernel, `import ... from
 * "streamlab"` and streamlab's own dependencies (danfojs-node, ...) resolved from a notebook in any folder,
 * the prelude that puts lib/'s API (values and type-only exports) in scope, and the declarations of
 * variables that magics create.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as DisplayModule from "../lib/core";
import type * as MagicsModule from "../lib/core";
import { loggingSink, type CodeRunner } from "./cell";
import { describeError } from "./errors";
import { MAGIC_DECLARATION, MAGIC_GLOBAL } from "./magic-syntax";
import { tslabTypeScriptPath, typescript } from "./typescript";

export interface Library {
  /** Everything lib/index exports (the instance cells use). */
  lib: Record<string, unknown>;
  display: typeof DisplayModule;
  magics: typeof MagicsModule;
  /** Set when lib/ failed to load: TypeScript still runs; shown once, in the first cell. */
  error?: string;
}

/** lib/: the rooms' API and magics, one module instance shared by the kernel and every cell. */
export function loadLibrary(root: string, log: (line: string) => void): Library {
  // The display protocol and the magic registry are the contracts the kernel needs; load them first.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const display = require(path.join(root, "dist", "lib", "core", "index.js")) as typeof DisplayModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const magics = require(path.join(root, "dist", "lib", "core", "index.js")) as typeof MagicsModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(path.join(root, "dist", "lib", "index.js")) as Record<string, unknown>;
    return { lib, display, magics };
  } catch (err) {
    // A broken part of lib/ must not take the kernel down: run plain TypeScript and say why once.
    const d = describeError(err);
    const error = `streamlab's library failed to load (${d.ename}: ${d.evalue}); TypeScript still runs, magics and the streamlab API may be missing`;
    log(`${error}\n${d.traceback.join("\n")}`);
    return { lib: { ...display, ...magics }, display, magics, error };
  }
}

/** The packages a notebook anywhere may import without installing them: streamlab and its dependencies. */
export function bundledPackages(root: string): Set<string> {
  const names = new Set(["streamlab"]);
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) names.add(name);
  } catch {
    // without package.json only "streamlab" itself is forwarded
  }
  return names;
}

/**
 * Where a module path of a notebook's folder lands: `<any>/node_modules/streamlab/...` is streamlab itself;
 * `<any>/node_modules/<dependency>/...` is streamlab's copy when the notebook's folder has none of its own.
 */
export function forwardModulePath(p: string, root: string, packages: Set<string>, exists: (dir: string) => boolean): string {
  const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)(?=$|[\\/])/.exec(p);
  if (!m) return p;
  const name = m[1].replace(/\\/g, "/");
  if (!packages.has(name)) return p;
  const rest = p.slice(m.index + m[0].length);
  if (name === "streamlab") return path.join(root, rest).replace(/\\/g, "/");
  const own = p.slice(0, m.index + m[0].length);
  const ours = path.join(root, "node_modules", name);
  if (own.replace(/\\/g, "/") === ours.replace(/\\/g, "/") || exists(own)) return p;
  return path.join(ours, rest).replace(/\\/g, "/");
}

/** Make the compiler see forwardModulePath's view of the disk (types of "streamlab" and its dependencies). */
export function patchTypeScriptResolution(root: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(tslabTypeScriptPath()) as { sys: Record<string, unknown> & { __streamlabPatched?: boolean } };
  const sys = ts.sys;
  if (sys.__streamlabPatched) return;
  sys.__streamlabPatched = true;
  const packages = bundledPackages(root);
  const existing = new Map<string, boolean>();
  const exists = (dir: string): boolean => {
    let known = existing.get(dir);
    if (known === undefined) {
      known = fs.existsSync(dir);
      existing.set(dir, known);
    }
    return known;
  };
  for (const name of ["readFile", "fileExists", "directoryExists", "readDirectory", "getDirectories", "realpath", "getModifiedTime"]) {
    const original = sys[name];
    if (typeof original !== "function") continue;
    sys[name] = function (this: unknown, p: unknown, ...rest: unknown[]) {
      const target = typeof p === "string" ? forwardModulePath(p, root, packages, exists) : p;
      return (original as (...a: unknown[]) => unknown).call(this, target, ...rest);
    };
  }
}

/**
 * Cells `require("streamlab")` (what `import ... from "streamlab"` compiles to) get the loaded library; a
 * dependency of streamlab the notebook's folder does not have comes from streamlab's node_modules.
 */
export function installRequireHook(root: string, lib: Record<string, unknown>): void {
  const holder = (globalThis as unknown as { __tslab__: { require: NodeJS.Require } }).__tslab__;
  const inner = holder.require;
  const packages = bundledPackages(root);
  holder.require = new Proxy(inner, {
    apply(target, thisArg, args: unknown[]) {
      const id = args[0];
      if (args.length === 1 && typeof id === "string") {
        if (id === "streamlab") return lib;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        if (id.startsWith("streamlab/")) return require(path.join(root, id.slice("streamlab/".length))) as unknown;
        const name = /^(@[^/]+\/[^/]+|[^./][^/]*)/.exec(id)?.[1];
        if (name && packages.has(name)) {
          try {
            return Reflect.apply(target, thisArg, args) as unknown;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(require.resolve(id, { paths: [root] })) as unknown;
          }
        }
      }
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
}

/** Names lib/index exports only as types, read from its compiled declarations; [] if they cannot be read. */
export function typeOnlyExports(root: string, valueNames: Set<string>, log: (line: string) => void): string[] {
  const entry = path.join(root, "dist", "lib", "index.d.ts");
  try {
    const ts = typescript();
    // Only which names are values matters here, not their full types: no default lib, no @types.
    const program = ts.createProgram([entry], { noLib: true, types: [], noEmit: true });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(entry);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) return [];
    return checker
      .getExportsOfModule(moduleSymbol)
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return !(target.flags & ts.SymbolFlags.Value) && !valueNames.has(symbol.name);
      })
      .map((symbol) => symbol.name)
      .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  } catch (err) {
    log(`could not list streamlab's type-only exports (${describeError(err).evalue}); import them from "streamlab"`);
    return [];
  }
}

/** Put lib/'s API in scope in every cell, with types: hidden first cells import it from "streamlab". */
export async function runPrelude(runner: CodeRunner, library: Library, root: string, log: (line: string) => void): Promise<string[]> {
  const silent = loggingSink(log);
  const declared = await runner.execute(MAGIC_DECLARATION, silent, { countless: true });
  if (declared.status !== "ok") log(`could not declare the magic entry point: ${declared.evalue}`);
  const names = Object.keys(library.lib).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default");
  if (names.length === 0) return [];
  const inScope: string[] = [];
  const importIntoScope = async (list: string[], modifier: "" | "type "): Promise<void> => {
    if (list.length === 0) return;
    const importNames = (some: string[]) => runner.execute(`import ${modifier}{ ${some.join(", ")} } from "streamlab";`, silent, { countless: true });
    const outcome = await importNames(list);
    if (outcome.status === "ok") {
      inScope.push(...list);
      return;
    }
    // One bad export (a name clashing with a global, a broken declaration) must not hide all the others.
    log(`could not put the whole streamlab API in scope (${outcome.evalue}); importing names one by one`);
    const failed: string[] = [];
    for (const name of list) {
      if ((await importNames([name])).status === "ok") inScope.push(name);
      else failed.push(name);
    }
    if (failed.length) log(`not in scope (import them from "streamlab" instead): ${failed.join(", ")}`);
  };
  await importIntoScope(names, "");
  // Interfaces and type aliases (StreamingQuery, DataType, ...) exist only for the compiler, so the loaded
  // module's keys miss them; ask the compiler for them and import them as types.
  await importIntoScope(typeOnlyExports(root, new Set(names), log), "type ");
  return inScope;
}

/**
 * Variables a magic puts in the notebook's scope (`%stream orders = ...`). tslab type-checks each cell
 * against the declarations of earlier cells, and such a variable has none: declare it with a hidden
 * statement, typed by its class when lib/ exports that class, so later cells, completion and hover know it.
 */
export class MagicVariables {
  private readonly defined = new Set<string>();
  /** Values of magic-defined variables while their declarations run (read by the hidden statement). */
  values: Record<string, unknown> = {};

  constructor(
    private readonly locals: Record<string, unknown>,
    private readonly lib: Record<string, unknown>,
  ) {}

  /** The notebook's variables as magics see them; names a magic sets are remembered for declare(). */
  scope(): Record<string, unknown> {
    const defined = this.defined;
    return new Proxy(this.locals, {
      set(target, prop, value) {
        target[prop as string] = value;
        if (typeof prop === "string") defined.add(prop);
        return true;
      },
    });
  }

  get pending(): boolean {
    return this.defined.size > 0;
  }

  /** Declare the variables magics created since the last call; `run` executes the hidden statement. */
  async declare(run: (code: string) => Promise<{ ok: boolean; error?: string }>, log: (line: string) => void): Promise<void> {
    const names = [...this.defined].filter((n) => /^[A-Za-z_][\w$]*$/.test(n) && !n.startsWith("__"));
    this.defined.clear();
    if (!names.length) return;
    const lines = names.map((n) => {
      const value = this.locals[n] as { constructor?: { name?: string } } | undefined;
      const ctor = value?.constructor;
      const typeName = ctor?.name && ctor !== Object && this.lib[ctor.name] === ctor ? ctor.name : undefined;
      const type = typeName ? `import("streamlab").${typeName}` : "any";
      // tslab's output starts with `exports.name = void 0`, so read the value from a copy, not from scope.
      this.values[n] = value;
      return `const ${n}: ${type} = ${MAGIC_GLOBAL}.magicValues[${JSON.stringify(n)}];`;
    });
    try {
      const outcome = await run(lines.join("\n"));
      if (!outcome.ok) log(`could not declare ${names.join(", ")} for later cells: ${outcome.error ?? "unknown error"}`);
    } finally {
      this.values = {};
    }
  }
}
