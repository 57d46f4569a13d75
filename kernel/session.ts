/**
 * A notebook session: tslab's converter and executor with streamlab's layer. The Session keeps the execution
 * queue, runs cells (evaluate, interrupt); its parts live beside it, along tslab's own lines:
 *   scope.ts        lib/ loaded once, "streamlab" and its dependencies from any folder, the prelude, magic variables
 *   output.ts       which cell owns output, the stdout/stderr capture, the stream coalescer
 *   results.ts      a cell's last value as a rich result, the display bridge for live displays
 *   completion.ts   completion, inspection, is_complete
 *   typecheck.ts    type errors as warnings (%typecheck), the nested top-level await fix
 *   magic-bridge.ts the `$streamlab` global magic lines call, %lsmagic, %typecheck
 *   errors.ts       thrown values and diagnostics as the notebook's author sees them
 * The Jupyter kernel (server.ts) and the headless runner (runner.ts) both drive one Session and differ only
 * in where outputs go (a CellSink).
 */
import * as path from "node:path";
import * as util from "node:util";
import type { Converter } from "tslab/dist/converter";
import type { Executor, ConverterSet } from "tslab/dist/executor";
import type * as MagicsModule from "../lib/core";
import type { CellSink, ExecuteOptions, ExecuteOutcome, StreamName } from "./cell";
import { Completer } from "./completion";
import { describeError, unknownNameInMagic } from "./errors";
import { installMagicGlobal, registerKernelMagics, type MagicHost } from "./magic-bridge";
import { rewriteMagics, type MagicUse } from "./magic-syntax";
import { packageRoot } from "./install";
import { OutputRouter } from "./output";
import { isThenable, ResultDisplay } from "./results";
import { installRequireHook, loadLibrary, MagicVariables, patchTypeScriptResolution, runPrelude, type Library } from "./scope";
import { withPolicy, type TypeCheckPolicy } from "./typecheck";

export interface SessionOptions {
  /** Folder whose node_modules and .ts files cells import from; the notebook's folder. */
  cwd?: string;
  /** Kernel diagnostics (never into a cell's output). */
  log?: (line: string) => void;
}

/** One executed cell, for history_request. */
export interface HistoryEntry {
  count: number;
  code: string;
}

/** `exit` / `quit` alone in a cell, as typed in `jupyter console` (also `exit()`, `quit;`). */
export function isExitCommand(code: string): boolean {
  return /^\s*(exit|quit)\s*(\(\s*\))?\s*;?\s*$/.test(code);
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

export class Session implements MagicHost {
  readonly cwd: string;
  readonly root: string;
  readonly router = new OutputRouter();
  readonly policy: TypeCheckPolicy;
  private readonly log: (line: string) => void;
  private executor!: Executor;
  private converters!: LazyConverters;
  library!: Library;
  variables!: MagicVariables;
  completer!: Completer<MagicsModule.MagicSpec>;
  private results!: ResultDisplay;
  private executionCount = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private capture?: Capture;
  /** The promise a cell ended with, awaited before the cell counts as done. */
  private pendingResult?: PromiseLike<unknown>;
  /** Rejected by interrupt(): also stops waiting for a cell's final promise. */
  private interruption = newInterruption();
  private diagnostics: string[] = [];
  private lastError?: { ename: string; evalue: string };
  private exportedNames: string[] = [];
  private readonly executed: HistoryEntry[] = [];
  private closed = false;

  constructor(options: SessionOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.root = packageRoot();
    this.log = options.log ?? ((line) => process.stderr.write(`[streamlab] ${line}\n`));
    this.policy = {
      mode: "warn",
      warn: (lines) => {
        const n = lines.length;
        const head = `TypeScript: ${n} type error${n === 1 ? "" : "s"}; the cell runs anyway (%typecheck strict stops such cells, %typecheck off hides this)`;
        this.router.write("stderr", [`warning: ${head}`, ...lines.map((l) => `  ${l}`)].join("\n") + "\n");
      },
    };
  }

  /** The sink for output produced right now: the cell whose async context this is, else the running/last cell. */
  currentSink(): CellSink | undefined {
    return this.router.current();
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
    this.converters = new LazyConverters((o) => withPolicy(createConverter(o), this.policy));
    void this.converters.node; // build the compiler host now, not in the first cell
    this.executor = createExecutor(this.cwd, this.converters, {
      // tslab calls log() only with a cell's last expression value, and error() with diagnostics or a throw.
      log: (value: unknown) => this.onLastExpression(value),
      error: (...args: unknown[]) => this.onExecutorError(args),
    });
    this.library = loadLibrary(this.root, this.log);
    this.variables = new MagicVariables(this.executor.locals, this.library.lib);
    this.results = new ResultDisplay(this.library.display, this.router, this.log);
    this.completer = new Completer(this.executor, this.library.magics);
    installRequireHook(this.root, this.library.lib);
    installMagicGlobal(this);
    registerKernelMagics(this);
    this.library.display.setDisplayBridge(this.results.bridge());
    this.exportedNames = await runPrelude(this, this.library, this.root, this.log);
  }

  /** A value exported by lib/ (the instance cells use), or undefined. */
  libraryExport(name: string): unknown {
    return this.library?.lib[name];
  }

  /** Names every cell has without an import. */
  globalNames(): string[] {
    return [...this.exportedNames];
  }

  /** The cells executed so far (with an execution count), oldest first. */
  history(): HistoryEntry[] {
    return [...this.executed];
  }

  private onLastExpression(value: unknown): void {
    if (this.capture) {
      this.capture.value = value;
      return;
    }
    if (!this.router.running) return;
    // A cell ending in a promise (`q.stop()`, `fetch(...)`) shows what it resolves to, once it does.
    if (isThenable(value)) {
      this.pendingResult = value;
      return;
    }
    this.results.showResult(value);
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
    this.router.running?.sink.error(d.ename, d.evalue, d.traceback);
  }

  /** Run code with its last expression and errors captured instead of shown. */
  private async captured(code: string): Promise<{ ok: boolean; value?: unknown; errors: string[] }> {
    const previous = this.capture;
    const capture: Capture = { errors: [] };
    this.capture = capture;
    try {
      const ok = await this.executor.execute(code);
      return { ok, value: capture.value, errors: capture.errors };
    } finally {
      this.capture = previous;
    }
  }

  /** Evaluate TypeScript in the notebook's scope and return its last expression (for magics' bodies). */
  async evaluate(code: string): Promise<unknown> {
    const outcome = await this.captured(code);
    if (!outcome.ok) throw new this.library.magics.MagicError(outcome.errors[0] ?? "the expression failed");
    return outcome.value;
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
    if (!options.countless) this.executed.push({ count, code });
    options.onStart?.(count);
    if (this.library.error && !options.countless) {
      sink.stream("stderr", this.library.error + "\n");
      this.library.error = undefined;
    }
    // `exit` / `quit` as typed in a console: the host shuts down (unless a cell defined such a variable).
    if (isExitCommand(code) && !("exit" in this.executor.locals) && !("quit" in this.executor.locals)) {
      return { status: "ok", executionCount: count, exitRequested: true };
    }
    // Let busy/execute_input reach the client before code that may block the event loop starts.
    await new Promise((resolve) => setImmediate(resolve));
    this.router.begin(sink, count, !options.countless);
    this.diagnostics = [];
    this.lastError = undefined;
    let ok = false;
    let magicLines = new Map<number, MagicUse>();
    try {
      const { code: rewritten, magics } = rewriteMagics(code);
      magicLines = new Map(magics.map((m) => [m.line, m]));
      ok = await this.router.runIn(sink, () => this.executor.execute(rewritten));
      const pending = this.pendingResult;
      this.pendingResult = undefined;
      if (ok && pending) {
        try {
          this.results.showResult(await Promise.race([pending, this.interruption.promise]));
        } catch (err) {
          const d = describeError(err);
          sink.error(d.ename, d.evalue, d.traceback);
          this.lastError = { ename: d.ename, evalue: d.evalue };
          ok = false;
        }
      }
      if (this.variables.pending) await this.variables.declare((c) => this.captured(c).then((o) => ({ ok: o.ok, error: o.errors[0] })), this.log);
    } catch (err) {
      // tslab reports failures through error(); anything thrown here is a converter bug or a broken cell.
      const d = describeError(err);
      sink.error(d.ename, d.evalue, d.traceback);
      this.lastError = { ename: d.ename, evalue: d.evalue };
    } finally {
      this.router.end();
    }
    if (ok) return { status: "ok", executionCount: count };
    if (this.diagnostics.length) {
      const unknown = unknownNameInMagic(this.diagnostics, magicLines);
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

  /** Stop the running cell (not background work). */
  interrupt(): void {
    this.executor?.interrupt();
    const current = this.interruption;
    this.interruption = newInterruption();
    current.reject(new Error("Interrupted asynchronously"));
  }

  isBusy(): boolean {
    return this.router.running !== undefined;
  }

  /** Output to the cell that owns the current async context, or the last cell (background prints). */
  writeStream(name: StreamName, text: string): boolean {
    return this.router.write(name, text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.converters?.close();
    this.library?.display.setDisplayBridge(this.library.display.consoleBridge);
  }
}
