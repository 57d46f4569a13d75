/**
 * Shared by the notebook tests: each example notebook is executed as a user would (the built CLI, or Jupyter's
 * nbconvert with the installed kernelspec), each run with its own STREAMLAB_HOME so parallel runs get their own
 * embedded broker and topics, and every broker a run started is stopped afterwards.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installedKernel } from "../kernel/support";

export const root = path.resolve(__dirname, "../..");
export const bin = path.join(root, "bin", "streamlab.js");
export const notebooksDir = path.join(root, "notebooks");
export const outputRoot = path.join(root, "test-output", "notebooks");

/** The example notebooks, in order (01-..., 02-...). */
export function exampleNotebooks(): string[] {
  return fs
    .readdirSync(notebooksDir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort();
}

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[] | object>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, any>;
}

export const joined = (v: string | string[] | object | undefined): string =>
  v === undefined ? "" : Array.isArray(v) ? v.join("") : typeof v === "string" ? v : JSON.stringify(v);

/** Everything a reader sees of one output, as text (plain text, HTML, stream text, error). */
export function outputText(o: Output): string {
  const parts = [joined(o.text)];
  for (const mime of ["text/plain", "text/html", "text/markdown"]) if (o.data?.[mime] !== undefined) parts.push(joined(o.data[mime]));
  if (o.output_type === "error") parts.push(`${o.ename}: ${o.evalue}`);
  return parts.join("\n");
}

/** All outputs of all code cells, as one text, for content checks. */
export function allText(nb: Notebook): string {
  return nb.cells.flatMap((c) => c.outputs ?? []).map(outputText).join("\n");
}

/**
 * Error outputs a person would see as a failure: an `error` output, or stderr text naming an error (the kernel
 * reports background failures as `background error: ...`).
 */
export function errorOutputs(nb: Notebook): string[] {
  const found: string[] = [];
  nb.cells.forEach((cell, index) => {
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") found.push(`cell ${index}: ${o.ename}: ${o.evalue}`);
      else if (o.output_type === "stream" && o.name === "stderr" && /error|exception|traceback/i.test(joined(o.text))) {
        found.push(`cell ${index} (stderr): ${joined(o.text).slice(0, 500)}`);
      }
      else if (o.data && /background error/i.test(joined(o.data["text/plain"]))) found.push(`cell ${index}: ${joined(o.data["text/plain"]).slice(0, 500)}`);
    }
  });
  return found;
}

/** Code cells that did not run (no execution count): a run that stopped early. */
export function unexecutedCells(nb: Notebook): number[] {
  return nb.cells.flatMap((c, i) => (c.cell_type === "code" && joined(c.source).trim() !== "" && !c.execution_count ? [i] : []));
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout: number }): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: options.env, cwd: options.cwd, timeout: options.timeout, killSignal: "SIGKILL", maxBuffer: 50 << 20 }, (err, stdout, stderr) => {
      const raw = (err as { code?: unknown } | null)?.code;
      resolve({ code: err ? (typeof raw === "number" ? raw : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A fresh STREAMLAB_HOME for one run: its own embedded broker (any free port), data and state file. */
export function freshHome(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `streamlab-nb-${label}-`));
}

/**
 * Stop the embedded schema registry and broker recorded in a STREAMLAB_HOME, if their processes are still
 * alive (SIGTERM, then SIGKILL).
 */
export async function stopBrokerIn(home: string): Promise<void> {
  await stopRecorded(path.join(home, "registry.json"));
  await stopRecorded(path.join(home, "broker.json"));
}

async function stopRecorded(file: string): Promise<void> {
  let pid: number | undefined;
  try {
    pid = JSON.parse(fs.readFileSync(file, "utf8")).pid;
  } catch {
    return;
  }
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A broker in its own process (`streamlab broker --port 0`), standing in for an external Kafka cluster: the
 * 07-real-kafka notebook connects to it with `%kafka connect`, reading its address from KAFKA_BOOTSTRAP_SERVERS.
 */
export async function startSeparateBroker(): Promise<{ bootstrap: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [bin, "broker", "--host", "127.0.0.1", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`streamlab broker did not say 'listening on' within 60 s: ${err}`)), 60_000);
    const check = () => {
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`streamlab broker exited (${code}) before listening: ${err}`));
    });
  });
  return {
    bootstrap,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export type { JupyterEnv } from "../kernel/support";

/** `streamlab install --prefix TMP`, with Jupyter's paths pointing there and nowhere personal. */
export const installKernelspec = installedKernel;

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}
