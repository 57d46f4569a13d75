/**
 * `streamlab run`: execute a notebook in this process, with the kernel's Session (same converter, executor,
 * magics and display bridge), record outputs the way Jupyter would, and write .ipynb and HTML reports.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { CellSink, MimeBundle } from "./cell";
import { describeError } from "./errors";
import { captureProcessOutput } from "./output";
import { Session } from "./session";
import { runShutdownHooks } from "../lib/core/lifecycle";
import { notebookToHtml } from "./html";
import { joinSource, readNotebook, toLines, type Notebook, type NotebookOutput } from "./notebook";

export interface RunOptions {
  notebook: string;
  out?: string;
  html?: string;
  /** Per-cell limit in seconds. */
  timeout?: number;
  /** After the last cell, how long to wait for display updates to settle (seconds). */
  settle?: number;
  /** Leave an embedded broker this run started running (default: stop it, so a one-shot run leaves nothing). */
  keepBroker?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface RunResult {
  notebook: Notebook;
  ok: boolean;
  /** 1-based index of the failed cell among all cells. */
  failedCell?: number;
  failure?: string;
}

const originalStderrWrite = process.stderr.write.bind(process.stderr);

function parseArgs(argv: string[]): RunOptions {
  const options: Partial<RunOptions> = {};
  const value = (flag: string, v: string | undefined): string => {
    if (v === undefined || v.startsWith("--")) throw new Error(`run: ${flag} needs a value; see streamlab run --help`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = /^(--[a-z]+)=(.*)$/.exec(arg);
    const flag = eq ? eq[1] : arg;
    const next = () => (eq ? eq[2] : value(flag, argv[++i]));
    switch (flag) {
      case "--out":
        options.out = next();
        break;
      case "--html":
        options.html = next();
        break;
      case "--keep-broker":
        options.keepBroker = true;
        break;
      case "--timeout":
      case "--settle": {
        const raw = next();
        const n = Number(raw.replace(/s$/, ""));
        if (!Number.isFinite(n) || n < 0) throw new Error(`run: ${flag} expects seconds, e.g. ${flag} 60; got '${raw}'`);
        if (flag === "--timeout") options.timeout = n;
        else options.settle = n;
        break;
      }
      default:
        if (arg.startsWith("-")) throw new Error(`run: unknown option '${arg}'; see streamlab run --help`);
        if (options.notebook) throw new Error(`run: one notebook at a time (got '${options.notebook}' and '${arg}')`);
        options.notebook = arg;
    }
  }
  if (!options.notebook) throw new Error("run: which notebook? usage: streamlab run NOTEBOOK.ipynb [--out OUT.ipynb] [--html OUT.html] [--timeout S]");
  return options as RunOptions;
}

/** Records one cell's outputs; updates by display_id reach outputs in any cell of the notebook. */
class Recorder {
  private readonly byDisplayId = new Map<string, NotebookOutput[]>();
  lastUpdate = 0;

  sinkFor(outputs: NotebookOutput[]): CellSink {
    return {
      stream: (name, text) => {
        const last = outputs[outputs.length - 1];
        if (last && last.output_type === "stream" && last.name === name) last.text = String(last.text ?? "") + text;
        else outputs.push({ output_type: "stream", name, text });
      },
      display: (data, metadata, displayId) => {
        const output: NotebookOutput = { output_type: "display_data", data: { ...data }, metadata: { ...metadata } };
        outputs.push(output);
        if (displayId) {
          const list = this.byDisplayId.get(displayId) ?? [];
          list.push(output);
          this.byDisplayId.set(displayId, list);
        }
      },
      update: (displayId, data, metadata) => this.update(displayId, data, metadata),
      result: (count, data, metadata) => outputs.push({ output_type: "execute_result", execution_count: count, data: { ...data }, metadata: { ...metadata } }),
      error: (ename, evalue, traceback) => outputs.push({ output_type: "error", ename, evalue, traceback }),
    };
  }

  private update(displayId: string, data: MimeBundle, metadata: Record<string, unknown>): void {
    this.lastUpdate = Date.now();
    for (const output of this.byDisplayId.get(displayId) ?? []) {
      output.data = { ...data };
      output.metadata = { ...metadata };
    }
  }
}

/** A synchronous endless loop blocks our timers; a watchdog thread sends SIGINT, which breaks into the cell. */
function startWatchdog(seconds: number): Worker {
  const code = `const { workerData } = require("node:worker_threads");
setTimeout(() => process.kill(workerData.pid, "SIGINT"), workerData.ms);`;
  const worker = new Worker(code, { eval: true, workerData: { pid: process.pid, ms: Math.round(seconds * 1000) } });
  worker.unref();
  return worker;
}

function outputsToNotebook(outputs: NotebookOutput[]): NotebookOutput[] {
  return outputs.map((o) => (o.output_type === "stream" ? { ...o, text: toLines(String(o.text ?? "")) } : o));
}

export async function runNotebook(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? ((line: string) => originalStderrWrite(line + "\n"));
  const notebookPath = path.resolve(options.notebook);
  const nb = readNotebook(notebookPath);
  const session = new Session({ cwd: path.dirname(notebookPath), log: (line) => log(`[streamlab] ${line}`) });
  const recorder = new Recorder();
  const restore: Array<() => void> = [];
  let result: RunResult = { notebook: nb, ok: true };
  const onRejection = (reason: unknown) => {
    const d = describeError(reason);
    if (!session.writeStream("stderr", `background error: ${d.ename}: ${d.evalue}\n`)) log(`background error: ${d.ename}: ${d.evalue}`);
  };
  const onSigint = () => session.interrupt();
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onRejection);
  process.on("SIGINT", onSigint);
  restore.push(() => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onRejection);
    process.off("SIGINT", onSigint);
  });
  const previousCwd = process.cwd();
  try {
    await session.init();
    // Cells print with console.log: that text belongs in the cell's outputs, as in Jupyter.
    restore.push(captureProcessOutput((name, text) => session.writeStream(name, text)));

    for (let index = 0; index < nb.cells.length; index++) {
      const cell = nb.cells[index];
      if (cell.cell_type !== "code") continue;
      const outputs: NotebookOutput[] = [];
      cell.outputs = outputs;
      cell.execution_count = null;
      const source = joinSource(cell.source);
      if (source.trim() === "") continue;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      let watchdog: Worker | undefined;
      if (options.timeout) {
        timer = setTimeout(() => {
          timedOut = true;
          session.interrupt();
        }, options.timeout * 1000);
        watchdog = startWatchdog(options.timeout + 0.5);
      }
      const started = Date.now();
      const outcome = await session.execute(source, recorder.sinkFor(outputs));
      if (timer) clearTimeout(timer);
      // A synchronous loop is broken by the watchdog's SIGINT before our timer can fire: judge by the clock.
      if (options.timeout && outcome.status !== "ok" && Date.now() - started >= options.timeout * 1000) timedOut = true;
      if (watchdog) await watchdog.terminate();
      cell.execution_count = outcome.executionCount;
      if (outcome.status !== "ok") {
        const what = timedOut ? `timed out after ${options.timeout} s (--timeout)` : `${outcome.ename}: ${outcome.evalue}`;
        if (timedOut) outputs.push({ output_type: "error", ename: "Timeout", evalue: what, traceback: [`Timeout: the cell ${what}`] });
        result = { notebook: nb, ok: false, failedCell: index + 1, failure: what };
        log(`cell ${index + 1} [${outcome.executionCount}] failed: ${what}`);
        break;
      }
      log(`cell ${index + 1} [${outcome.executionCount}] ok`);
    }
    // Live displays refresh a few times a second: give the last updates a moment to arrive.
    const settleMs = (options.settle ?? 2) * 1000;
    const settleStart = Date.now();
    while (Date.now() - settleStart < settleMs && Date.now() - recorder.lastUpdate < 500) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await runShutdownHooks(8000, (line) => log(`[streamlab] ${line}`));
    if (!options.keepBroker) await stopBrokerStartedHere(session, log);
    session.close();
    for (const undo of restore.reverse()) undo();
    if (process.cwd() !== previousCwd) process.chdir(previousCwd);
  }
  return result;
}

/**
 * A kernel leaves the embedded broker running on purpose (topics outlive restarts); a one-shot run that
 * started one (a magic needed a cluster) stops it, so CI and `npm run demo` leave no process behind.
 */
async function stopBrokerStartedHere(session: Session, log: (line: string) => void): Promise<void> {
  const started = session.libraryExport("brokerStartedByThisProcess") as (() => { stateDir: string } | undefined) | undefined;
  const stop = session.libraryExport("stopEmbeddedBroker") as ((o: { stateDir?: string }) => Promise<unknown>) | undefined;
  if (typeof started !== "function" || typeof stop !== "function") return;
  try {
    const mine = started();
    if (!mine) return;
    await stop({ stateDir: mine.stateDir });
    log("[streamlab] stopped the embedded broker this run started (--keep-broker leaves it running)");
  } catch (err) {
    log(`[streamlab] could not stop the embedded broker: ${(err as Error).message}`);
  }
}

function finalNotebook(nb: Notebook): Notebook {
  return {
    ...nb,
    metadata: {
      ...nb.metadata,
      kernelspec: { name: "streamlab", display_name: "TypeScript (streamlab)", language: "typescript" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    },
    cells: nb.cells.map((c) => {
      // nbformat 4.5 requires cell ids; notebooks written by hand often lack them.
      const withId = nb.nbformat_minor >= 5 && !c.id ? { ...c, id: randomBytes(4).toString("hex") } : c;
      return withId.cell_type === "code" ? { ...withId, outputs: outputsToNotebook(withId.outputs ?? []) } : withId;
    }),
  };
}

export async function runNotebookCommand(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const out = options.out ? path.resolve(options.out) : undefined;
  const html = options.html ? path.resolve(options.html) : undefined;
  const startedAt = new Date();
  const result = await runNotebook({ ...options, out, html });
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const nb = finalNotebook(result.notebook);
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(nb, null, 1) + "\n");
    originalStderrWrite(`wrote ${out}\n`);
  }
  if (html) {
    fs.mkdirSync(path.dirname(html), { recursive: true });
    fs.writeFileSync(html, notebookToHtml(nb, { notebook: options.notebook, failedCell: result.failedCell, failure: result.failure, startedAt, seconds }));
    originalStderrWrite(`wrote ${html}\n`);
  }
  const code = result.ok ? 0 : 1;
  if (!result.ok) originalStderrWrite(`streamlab run: ${options.notebook}: cell ${result.failedCell} failed: ${result.failure}\n`);
  // Background clients that ignored the shutdown hooks must not keep the command from ending.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}
