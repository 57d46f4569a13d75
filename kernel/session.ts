/**
 * A notebook session: tslab's converter and executor plus streamlab's layer (magics, the "streamlab" module,
 * rich results, the display bridge). The Jupyter kernel (server.ts) and the headless runner (runner.ts) both
 * drive one Session and differ only in where outputs go (a CellSink).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as path from "node:path";
import * as util from "node:util";
import type { Converter } from "tslab/dist/converter";
import type { Executor, ConverterSet } from "tslab/dist/executor";
import { MAGIC_DECLARATION, MAGIC_GLOBAL, rewriteMagics, type MagicUse } from "./magic-syntax";
import { packageRoot } from "./install";
import type * as DisplayModule from "../lib/core";
import type * as MagicsModule from "../lib/core";

export type MimeBundle = Record<string, unknown>;

/** Where one cell's outputs go. The kernel sends IOPub messages; the runner records notebook outputs. */
export interface CellSink {
  stream(name: "stdout" | "stderr", text: string): void;
  display(bundle: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void;
  /** Replace every output carrying displayId (update_display_data), wherever it is. */
  update(displayId: string, bundle: MimeBundle, metadata: Record<string, unknown>): void;
  result(executionCount: number, bundle: MimeBundle, metadata: Record<string, unknown>): void;
  error(ename: string, evalue: string, traceback: string[]): void;
  /** Ask the person at the frontend for a line of text; absent when nobody can answer (`streamlab run`). */
  prompt?: (text: string, options: { secret: boolean }) => Promise<string>;
}

export interface ExecuteOptions {
  /** Run without an execution count (silent requests, the hidden prelude). */
  countless?: boolean;
  /** Checked when the cell's turn comes: true skips it (stop_on_error after an earlier failure). */
  shouldAbort?: () => boolean;
  /** Called with the execution count just before the code runs. */
  onStart?: (executionCount: number) => void;
}

export interface ExecuteOutcome {
  status: "ok" | "error" | "aborted";
  executionCount: number;
  /** For status "error": the error's name and message (one line). */
  ename?: string;
  evalue?: string;
}

export interface SessionOptions {
  /** Folder whose node_modules and .ts files cells import from; the notebook's folder. */
  cwd?: string;
  /** Kernel diagnostics (never into a cell's output). */
  log?: (line: string) => void;
}

const INTERRUPTED_MESSAGES = ["Interrupted asynchronously", "Script execution was interrupted by `SIGINT`"];

/** Thrown value -> (ename, evalue, traceback). A MagicError is one line, never a stack. */
export function describeError(err: unknown): { ename: string; evalue: string; traceback: string[] } {
  if (err instanceof Error || (typeof err === "object" && err !== null && "message" in err)) {
    const e = err as Error;
    const ename = e.name || "Error";
    const evalue = String(e.message);
    if (ename === "MagicError") return { ename, evalue, traceback: [`${evalue}`] };
    if (INTERRUPTED_MESSAGES.some((m) => evalue.includes(m))) {
      return { ename: "Interrupted", evalue: "the cell was interrupted (background queries keep running)", traceback: ["Interrupted: the cell was interrupted (background queries keep running)"] };
    }
    const stack = typeof e.stack === "string" ? e.stack : `${ename}: ${evalue}`;
    // Frames inside the kernel itself say nothing to the notebook's author.
    const lines = stack.split("\n").filter((l) => !/node_modules[\\/]tslab|[\\/]kernel[\\/]session\.|node:internal/.test(l));
    return { ename, evalue, traceback: lines };
  }
  return { ename: "Error", evalue: String(err), traceback: [`Uncaught ${util.inspect(err)}`] };
}

/** The "streamlab" package as seen from a notebook anywhere on disk: forward node_modules/streamlab to us. */
function patchTypeScriptResolution(root: string): void {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(tsPath) as { sys: Record<string, unknown> & { __streamlabPatched?: boolean } };
  const sys = ts.sys;
  if (sys.__streamlabPatched) return;
  sys.__streamlabPatched = true;
  const marker = /[\\/]node_modules[\\/]streamlab(?=$|[\\/])/;
  const forward = (p: string): string => {
    const m = marker.exec(p);
    if (!m) return p;
    return path.join(root, p.slice(m.index + m[0].length)).replace(/\\/g, "/");
  };
  for (const name of ["readFile", "fileExists", "directoryExists", "readDirectory", "getDirectories", "realpath", "getModifiedTime"]) {
    const original = sys[name];
    if (typeof original !== "function") continue;
    sys[name] = function (this: unknown, p: string, ...rest: unknown[]) {
      return (original as (...a: unknown[]) => unknown).call(this, typeof p === "string" ? forward(p) : p, ...rest);
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function newInterruption(): { promise: Promise<never>; reject: (err: Error) => void } {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_, r) => {
    reject = r;
  });
  promise.catch(() => undefined); // only raced against; an interrupt with no cell waiting is not an error
  return { promise, reject };
}

class LazyConverters implements ConverterSet {
  private nodeConverter?: Converter;
  private browserConverter?: Converter;
  constructor(private readonly create: (options: { isJS: boolean; isBrowser: boolean }) => Converter) {}
  get node(): Converter {
    return (this.nodeConverter ??= this.create({ isJS: false, isBrowser: false }));
  }
  get browser(): Converter {
    return (this.browserConverter ??= this.create({ isJS: false, isBrowser: true }));
  }
  close(): void {
    this.nodeConverter?.close();
    this.browserConverter?.close();
  }
}

/** A capture slot: while set, the last expression and errors go here instead of the cell (evaluate()). */
interface Capture {
  value?: unknown;
  errors: string[];
}

export class Session {
  readonly cwd: string;
  readonly root: string;
  private readonly log: (line: string) => void;
  private executor!: Executor;
  private converters!: LazyConverters;
  private lib!: Record<string, unknown>;
  private display!: typeof DisplayModule;
  private magics!: typeof MagicsModule;
  private executionCount = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The sink of the cell that is running, or of the last cell (where unowned background output goes). */
  private lastSink?: CellSink;
  private running?: { sink: CellSink; count: number };
  /** The cell whose code started a piece of async work follows that work around (timers, promises, sockets). */
  private readonly cellContext = new AsyncLocalStorage<CellSink>();
  /** display_id -> the sink of the cell that created it (fallback when no cell has run yet). */
  private readonly displayOwners = new Map<string, CellSink>();
  private capture?: Capture;
  /** The promise a cell ended with, awaited before the cell counts as done. */
  private pendingResult?: PromiseLike<unknown>;
  /** Rejected by interrupt(): also stops waiting for a cell's final promise. */
  private interruption = newInterruption();
  private readonly definedByMagics = new Set<string>();
  /** Values of magic-defined variables while their declarations run. */
  magicValues: Record<string, unknown> = {};
  private diagnostics: string[] = [];
  private lastError?: { ename: string; evalue: string };
  private exportedNames: string[] = [];
  /** Set when lib/ failed to load; shown once, in the first cell. */
  private libError?: string;
  private closed = false;

  constructor(options: SessionOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.root = packageRoot();
    this.log = options.log ?? ((line) => process.stderr.write(`[streamlab] ${line}\n`));
  }

  /** The sink for output produced right now: the cell whose async context this is, else the running/last cell. */
  currentSink(): CellSink | undefined {
    return this.cellContext.getStore() ?? this.running?.sink ?? this.lastSink;
  }

  async init(): Promise<void> {
    patchTypeScriptResolution(this.root);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createExecutor } = require("tslab/dist/executor") as typeof import("tslab/dist/executor");
    // tslab's converter resolves imports from the process's cwd, captured when it is created.
    const previousCwd = process.cwd();
    if (path.resolve(previousCwd) !== path.resolve(this.cwd)) process.chdir(this.cwd);
    this.converters = new LazyConverters((o) => createConverter(o));
    void this.converters.node; // build the compiler host now, not in the first cell
    this.executor = createExecutor(this.cwd, this.converters, {
      // tslab calls log() only with a cell's last expression value, and error() with diagnostics or a throw.
      log: (value: unknown) => this.onLastExpression(value),
      error: (...args: unknown[]) => this.onExecutorError(args),
    });
    this.loadLibrary();
    this.installRequireHook();
    this.installMagicGlobal();
    this.registerKernelMagics();
    this.display.setDisplayBridge(this.createBridge());
    await this.runPrelude();
  }

  /** lib/: the rooms' API and magics, one module instance shared by the kernel and every cell. */
  private loadLibrary(): void {
    // The display protocol and the magic registry are the contracts the kernel needs; load them first.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.display = require(path.join(this.root, "dist", "lib", "core", "index.js")) as typeof DisplayModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.magics = require(path.join(this.root, "dist", "lib", "core", "index.js")) as typeof MagicsModule;
    const libIndex = path.join(this.root, "dist", "lib", "index.js");
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.lib = require(libIndex) as Record<string, unknown>;
    } catch (err) {
      // A broken part of lib/ must not take the kernel down: run plain TypeScript and say why once.
      const d = describeError(err);
      this.libError = `streamlab's library failed to load (${d.ename}: ${d.evalue}); TypeScript still runs, magics and the streamlab API may be missing`;
      this.log(`${this.libError}\n${d.traceback.join("\n")}`);
      this.lib = { ...this.display, ...this.magics };
    }
  }

  /** Cells `require("streamlab")` (what `import ... from "streamlab"` compiles to) get the loaded library. */
  private installRequireHook(): void {
    const holder = (globalThis as unknown as { __tslab__: { require: NodeJS.Require } }).__tslab__;
    const inner = holder.require;
    const root = this.root;
    const lib = this.lib;
    holder.require = new Proxy(inner, {
      apply(target, thisArg, args: unknown[]) {
        const id = args[0];
        if (args.length === 1 && typeof id === "string") {
          if (id === "streamlab") return lib;
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          if (id.startsWith("streamlab/")) return require(path.join(root, id.slice("streamlab/".length)));
        }
        return Reflect.apply(target, thisArg, args);
      },
    });
  }

  private installMagicGlobal(): void {
    const session = this;
    const api = {
      magic: (name: string, args: string, body?: string) => session.runMagic(name, args, body),
      magicDetached: (name: string, args: string) => {
        const sink = session.currentSink();
        session.runMagic(name, args, undefined).catch((err) => {
          const d = describeError(err);
          sink?.error(d.ename, d.evalue, d.traceback);
        });
      },
      help: (name: string) => {
        const spec = session.magics.getMagic(name);
        if (!spec) {
          const hint = session.magics.didYouMean(name, session.magics.listMagics().map((m) => m.name));
          throw new session.magics.MagicError(`unknown magic %${name}${hint ? ` (did you mean %${hint}?)` : ""}; %lsmagic lists them all`);
        }
        session.display.getDisplayBridge().print(session.magics.magicHelp(spec));
      },
      expand: (strings: string[], values: unknown[], sources: string[]) => {
        let text = strings[0];
        values.forEach((value, i) => {
          if (value === undefined || value === null) {
            throw new session.magics.MagicError(`${sources[i]} is ${value}: give it a value before the magic line, or write $$ / {{ }} for a literal $ / {`);
          }
          text += (typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)) + strings[i + 1];
        });
        return text;
      },
      get magicValues() {
        return session.magicValues;
      },
      misplacedCellMagic: (name: string) => {
        throw new session.magics.MagicError(`%%${name} must be the first line of its cell: move it to the top, or write %${name} for a line magic`);
      },
    };
    (globalThis as Record<string, unknown>)[MAGIC_GLOBAL] = api;
  }

  private runMagic(name: string, args: string, body: string | undefined): Promise<unknown> {
    const sink = this.currentSink();
    const prompt = sink?.prompt;
    return this.magics.runMagic(name, args, {
      body,
      prompt: prompt ? (text: string, options: { secret?: boolean } = {}) => prompt(text, { secret: options.secret === true }) : undefined,
      display: this.display.getDisplayBridge(),
      scope: this.magicScope(),
      evaluate: (code: string) => this.evaluate(code),
    });
  }

  /** The notebook's variables as magics see them; names a magic defines get declared for later cells. */
  private magicScope(): Record<string, unknown> {
    const locals = this.executor.locals;
    const defined = this.definedByMagics;
    return new Proxy(locals, {
      set(target, prop, value) {
        target[prop as string] = value;
        if (typeof prop === "string") defined.add(prop);
        return true;
      },
    });
  }

  /**
   * tslab type-checks each cell against the declarations of earlier cells; a variable a magic put in scope
   * (`%stream orders = ...`) has none. Declare it with a hidden statement, typed by its class when lib/
   * exports that class, so completion and hover work on it too.
   */
  private async declareMagicVariables(): Promise<void> {
    const names = [...this.definedByMagics].filter((n) => /^[A-Za-z_][\w$]*$/.test(n) && !n.startsWith("__"));
    this.definedByMagics.clear();
    if (!names.length) return;
    const lines = names.map((n) => {
      const value = this.executor.locals[n] as { constructor?: { name?: string } } | undefined;
      const ctor = value?.constructor;
      const typeName = ctor?.name && ctor !== Object && this.lib[ctor.name] === ctor ? ctor.name : undefined;
      const type = typeName ? `import("streamlab").${typeName}` : "any";
      // tslab's output starts with `exports.name = void 0`, so read the value from a copy, not from scope.
      this.magicValues[n] = value;
      return `const ${n}: ${type} = ${MAGIC_GLOBAL}.magicValues[${JSON.stringify(n)}];`;
    });
    const previous = this.capture;
    const capture: Capture = { errors: [] };
    this.capture = capture;
    try {
      const ok = await this.executor.execute(lines.join("\n"));
      if (!ok) this.log(`could not declare ${names.join(", ")} for later cells: ${capture.errors[0] ?? "unknown error"}`);
    } finally {
      this.capture = previous;
      this.magicValues = {};
    }
  }

  private registerKernelMagics(): void {
    const { registerMagic, listMagics } = this.magics;
    registerMagic({
      name: "lsmagic",
      kind: "line",
      summary: "list every magic with a one-line summary",
      usage: "%lsmagic",
      positional: { max: 0 },
      run: () => {
        const specs = listMagics();
        const rows = specs.map((s) => `${(s.kind === "cell" ? "%%" : s.kind === "both" ? "%/%%" : "%") + s.name}`.padEnd(16) + ` ${s.summary}`);
        const text = ["Available magics (%name? shows help and options):", ...rows].join("\n");
        const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
        const html =
          `<table><thead><tr><th style="text-align:left">magic</th><th style="text-align:left">what it does</th></tr></thead><tbody>` +
          specs.map((s) => `<tr><td style="text-align:left"><code>${s.kind === "cell" ? "%%" : "%"}${esc(s.name)}</code></td><td style="text-align:left">${esc(s.summary)}</td></tr>`).join("") +
          `</tbody></table>`;
        return { toMimeBundle: () => ({ "text/plain": text, "text/html": html }) };
      },
    });
  }

  /** Put lib/'s API in scope in every cell, with types: a hidden first cell imports it from "streamlab". */
  private async runPrelude(): Promise<void> {
    const declared = await this.execute(MAGIC_DECLARATION, this.silentSink(), { countless: true });
    if (declared.status !== "ok") this.log(`could not declare the magic entry point: ${declared.evalue}`);
    const names = Object.keys(this.lib).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default");
    if (names.length === 0) return;
    await this.importIntoScope(names, "");
    // Interfaces and type aliases (StreamingQuery, DataType, ...) exist only for the compiler, so the loaded
    // module's keys miss them; ask the compiler for them and import them as types.
    await this.importIntoScope(this.typeOnlyExports(new Set(names)), "type ");
  }

  private async importIntoScope(names: string[], modifier: "" | "type "): Promise<void> {
    if (names.length === 0) return;
    const importNames = (list: string[]) => this.execute(`import ${modifier}{ ${list.join(", ")} } from "streamlab";`, this.silentSink(), { countless: true });
    const outcome = await importNames(names);
    if (outcome.status === "ok") {
      this.exportedNames.push(...names);
      return;
    }
    // One bad export (a name clashing with a global, a broken declaration) must not hide all the others.
    this.log(`could not put the whole streamlab API in scope (${outcome.evalue}); importing names one by one`);
    const failed: string[] = [];
    for (const name of names) {
      if ((await importNames([name])).status === "ok") this.exportedNames.push(name);
      else failed.push(name);
    }
    if (failed.length) this.log(`not in scope (import them from "streamlab" instead): ${failed.join(", ")}`);
  }

  /** Names lib/index exports only as types, read from its compiled declarations; [] if they cannot be read. */
  private typeOnlyExports(valueNames: Set<string>): string[] {
    const entry = path.join(this.root, "dist", "lib", "index.d.ts");
    try {
      const tslabDir = path.dirname(require.resolve("tslab/package.json"));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as typeof import("typescript");
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
      this.log(`could not list streamlab's type-only exports (${describeError(err).evalue}); import them from "streamlab"`);
      return [];
    }
  }

  /** A value exported by lib/ (the instance cells use), or undefined. */
  libraryExport(name: string): unknown {
    return this.lib?.[name];
  }

  /** Names every cell has without an import. */
  globalNames(): string[] {
    return [...this.exportedNames];
  }

  private silentSink(): CellSink {
    const log = this.log;
    return {
      stream: (_n, text) => log(text.trimEnd()),
      display: () => undefined,
      update: () => undefined,
      result: () => undefined,
      error: (ename, evalue) => log(`${ename}: ${evalue}`),
    };
  }

  /** Display calls come from background work at any time: a failure is logged, never thrown into it. */
  private createBridge(): DisplayModule.DisplayBridge {
    const bridge = this.createRawBridge();
    const guard =
      <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
      (...args: A): void => {
        try {
          fn(...args);
        } catch (err) {
          this.log(`display ${what} failed: ${(err as Error)?.message ?? String(err)}`);
        }
      };
    return { display: guard("display", bridge.display), update: guard("update", bridge.update), print: guard("print", bridge.print) };
  }

  private createRawBridge(): DisplayModule.DisplayBridge {
    return {
      display: (bundle, displayId, metadata) => {
        const sink = this.currentSink();
        if (!sink) return;
        if (displayId) {
          this.displayOwners.set(displayId, sink);
          // Bound the map: the oldest displays stop being tracked long after they matter.
          if (this.displayOwners.size > 10_000) this.displayOwners.delete(this.displayOwners.keys().next().value as string);
        }
        sink.display(bundle, metadata ?? {}, displayId);
      },
      update: (displayId, bundle, metadata) => {
        // As ipykernel does: an update is parented to the request running now, or the last one when idle.
        // nbclient listens only to the running request and classic Notebook only to the last one (both then
        // apply the update by display_id anywhere); JupyterLab routes by display_id whatever the parent.
        const sink = this.running?.sink ?? this.lastSink ?? this.displayOwners.get(displayId);
        sink?.update(displayId, bundle, metadata ?? {});
      },
      print: (text) => {
        this.currentSink()?.stream("stdout", text.endsWith("\n") ? text : text + "\n");
      },
    };
  }

  private onLastExpression(value: unknown): void {
    if (this.capture) {
      this.capture.value = value;
      return;
    }
    if (!this.running) return;
    // A cell ending in a promise (`q.stop()`, `fetch(...)`) shows what it resolves to, once it does.
    if (isThenable(value)) {
      this.pendingResult = value;
      return;
    }
    this.showResult(value);
  }

  private showResult(value: unknown): void {
    const sink = this.running?.sink;
    if (!sink || !this.running || value === undefined || value === null) return;
    // `setInterval(...)` as a cell's last line returns a timer handle: nothing a person wants to see (its
    // inspection would also show Node's async-context internals).
    const ctorName = (value as { constructor?: { name?: string } }).constructor?.name;
    if (typeof value === "object" && (ctorName === "Timeout" || ctorName === "Immediate")) return;
    let bundle: MimeBundle;
    try {
      bundle = this.display.isDisplayable(value)
        ? value.toMimeBundle()
        : { "text/plain": util.inspect(value, { depth: 4, colors: false, maxArrayLength: 100 }) };
    } catch (err) {
      const d = describeError(err);
      sink.error(d.ename, `could not display the result: ${d.evalue}`, d.traceback);
      return;
    }
    if (bundle["text/plain"] === undefined) bundle = { ...bundle, "text/plain": util.inspect(value, { depth: 2 }) };
    sink.result(this.running.count, bundle, {});
  }

  private onExecutorError(args: unknown[]): void {
    // Diagnostics arrive as printf-style calls ("%s%d:%d - %s", ...); a thrown value arrives alone.
    if (typeof args[0] === "string" && args.length > 1) {
      const line = util.format(...(args as [string, ...unknown[]]));
      if (this.capture) this.capture.errors.push(line);
      else this.diagnostics.push(line);
      return;
    }
    const d = describeError(args[0]);
    if (this.capture) {
      this.capture.errors.push(`${d.ename}: ${d.evalue}`);
      return;
    }
    this.lastError = { ename: d.ename, evalue: d.evalue };
    this.running?.sink.error(d.ename, d.evalue, d.traceback);
  }

  /** Evaluate TypeScript in the notebook's scope and return its last expression (for magics' bodies). */
  async evaluate(code: string): Promise<unknown> {
    const previous = this.capture;
    const capture: Capture = { errors: [] };
    this.capture = capture;
    let ok: boolean;
    try {
      ok = await this.executor.execute(code);
    } finally {
      this.capture = previous;
    }
    if (!ok) throw new this.magics.MagicError(capture.errors[0] ?? "the expression failed");
    return capture.value;
  }

  /**
   * Execute one cell. Cells run one at a time in arrival order; `sink` receives this cell's outputs, and
   * output from work the cell starts keeps going to it after the cell has finished.
   */
  execute(code: string, sink: CellSink, options: ExecuteOptions = {}): Promise<ExecuteOutcome> {
    const run = () => this.executeNow(code, sink, options);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async executeNow(code: string, sink: CellSink, options: ExecuteOptions): Promise<ExecuteOutcome> {
    if (this.closed) throw new Error("the session is closed");
    if (options.shouldAbort?.()) return { status: "aborted", executionCount: this.executionCount };
    const count = options.countless ? this.executionCount : ++this.executionCount;
    options.onStart?.(count);
    if (this.libError && !options.countless) {
      sink.stream("stderr", this.libError + "\n");
      this.libError = undefined;
    }
    // Let busy/execute_input reach the client before code that may block the event loop starts.
    await new Promise((resolve) => setImmediate(resolve));
    this.running = { sink, count };
    this.lastSink = options.countless ? this.lastSink : sink;
    this.diagnostics = [];
    this.lastError = undefined;
    let ok = false;
    let magicLines = new Map<number, MagicUse>();
    try {
      const { code: rewritten, magics } = rewriteMagics(code);
      magicLines = new Map(magics.map((m) => [m.line, m]));
      ok = await this.cellContext.run(sink, () => this.executor.execute(rewritten));
      const pending = this.pendingResult;
      this.pendingResult = undefined;
      if (ok && pending) {
        try {
          this.showResult(await Promise.race([pending, this.interruption.promise]));
        } catch (err) {
          const d = describeError(err);
          sink.error(d.ename, d.evalue, d.traceback);
          this.lastError = { ename: d.ename, evalue: d.evalue };
          ok = false;
        }
      }
      if (this.definedByMagics.size) await this.declareMagicVariables();
    } catch (err) {
      // tslab reports failures through error(); anything thrown here is a converter bug or a broken cell.
      const d = describeError(err);
      sink.error(d.ename, d.evalue, d.traceback);
      this.lastError = { ename: d.ename, evalue: d.evalue };
    } finally {
      this.running = undefined;
    }
    if (ok) return { status: "ok", executionCount: count };
    if (this.diagnostics.length) {
      const unknown = this.unknownNameInMagic(this.diagnostics, magicLines);
      if (unknown) {
        sink.error("MagicError", unknown, [unknown]);
        return { status: "error", executionCount: count, ename: "MagicError", evalue: unknown };
      }
      const lines = this.diagnostics;
      sink.error("TypeScriptError", lines[0], lines);
      return { status: "error", executionCount: count, ename: "TypeScriptError", evalue: lines.join("; ") };
    }
    const e = this.lastError ?? { ename: "Error", evalue: "the cell failed" };
    return { status: "error", executionCount: count, ename: e.ename, evalue: e.evalue };
  }

  /**
   * A `$name` / `{expr}` on a magic line naming something that does not exist fails to compile; say that in
   * the magic's terms (one line) rather than as a TypeScript error in the rewritten line.
   */
  private unknownNameInMagic(diagnostics: string[], magicLines: Map<number, MagicUse>): string | undefined {
    for (const diagnostic of diagnostics) {
      const m = /^(\d+):\d+ - Cannot find name '([^']+)'\.(?: Did you mean '([^']+)'\?)?/.exec(diagnostic);
      const use = m && magicLines.get(Number(m[1]) - 1);
      if (!m || !use) continue;
      const prefix = use.kind === "cell" ? "%%" : "%";
      const hint = m[3] ? ` (did you mean ${m[3]}?)` : "";
      return `${prefix}${use.name}: no variable named ${m[2]}${hint}; define it in an earlier line or cell, or write $$ / {{ }} for a literal $ / {`;
    }
    return undefined;
  }

  /** Stop the running cell (not background work). */
  interrupt(): void {
    this.executor?.interrupt();
    const current = this.interruption;
    this.interruption = newInterruption();
    current.reject(new Error("Interrupted asynchronously"));
  }

  isBusy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Completion: a magic name after `%`, else TypeScript completion on the rewritten cell (magic lines are
   * rewritten one line for one, so positions map line by line).
   */
  complete(code: string, cursor: number): { start: number; end: number; candidates: string[] } {
    const lineStart = code.lastIndexOf("\n", cursor - 1) + 1;
    const beforeCursor = code.slice(lineStart, cursor);
    const magicName = /^\s*%%?([\w-]*)$/.exec(beforeCursor);
    if (magicName) {
      const prefix = magicName[1];
      const names = this.magics.listMagics().map((m) => m.name).filter((n) => n.startsWith(prefix));
      return { start: cursor - prefix.length, end: cursor, candidates: names };
    }
    const option = /^\s*%%?([\w-]+)\s(?:.*\s)?(--?[\w-]*)$/.exec(beforeCursor);
    if (option) {
      const spec = this.magics.getMagic(option[1]);
      const typed = option[2];
      const names = (spec?.options ?? []).map((o) => `--${o.name}`).filter((n) => n.startsWith(typed));
      return { start: cursor - typed.length, end: cursor, candidates: names };
    }
    const mapped = this.mapToRewritten(code, cursor);
    if (!mapped) return { start: cursor, end: cursor, candidates: [] };
    const info = this.executor.complete(mapped.code, mapped.cursor);
    return { start: info.start - mapped.shift, end: info.end - mapped.shift, candidates: info.candidates };
  }

  inspect(code: string, cursor: number): ReturnType<Executor["inspect"]> | undefined {
    const mapped = this.mapToRewritten(code, cursor);
    if (!mapped) return undefined;
    return this.executor.inspect(mapped.code, mapped.cursor);
  }

  /** Help for the magic on the cursor's line (hover / shift-tab on `%name`), or undefined. */
  magicHelpAt(code: string, cursor: number): string | undefined {
    const lineStart = code.lastIndexOf("\n", Math.max(0, cursor - 1)) + 1;
    const lineEnd = code.indexOf("\n", cursor);
    const line = code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd);
    const m = /^\s*%%?([\w-]+)/.exec(line);
    if (!m) return undefined;
    const spec = this.magics.getMagic(m[1]);
    return spec ? this.magics.magicHelp(spec) : undefined;
  }

  /** The rewritten cell and the cursor in it; undefined when the cursor is on a magic line. */
  private mapToRewritten(code: string, cursor: number): { code: string; cursor: number; shift: number } | undefined {
    const rewritten = rewriteMagics(code).code;
    if (rewritten === code) return { code, cursor, shift: 0 };
    const original = code.split("\n");
    const changed = rewritten.split("\n");
    let offsetOriginal = 0;
    let offsetRewritten = 0;
    for (let i = 0; i < original.length; i++) {
      const end = offsetOriginal + original[i].length;
      if (cursor <= end) {
        if (original[i] !== changed[i]) return undefined;
        const shift = offsetRewritten - offsetOriginal;
        return { code: rewritten, cursor: cursor + shift, shift };
      }
      offsetOriginal = end + 1;
      offsetRewritten += (changed[i] ?? "").length + 1;
    }
    return undefined;
  }

  /** Output to the cell that owns the current async context, or the last cell (background prints). */
  writeStream(name: "stdout" | "stderr", text: string): boolean {
    const sink = this.currentSink();
    if (!sink) return false;
    sink.stream(name, text);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.converters?.close();
    this.display?.setDisplayBridge(this.display.consoleBridge);
  }
}
