/**
 * The broker's log cleaner thread: one worker thread per process (started on first use, never holding the
 * process open) cleans one partition at a time (cleaner-worker.ts). Where it cannot run (no compiled worker
 * file next to this module, as under a TypeScript test runner, or a worker that failed to start) the caller
 * cleans in the event loop instead (PartitionLog.cleanIncrementally), as lib/render's SVG pool does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { CleanJob, CleanResult } from "./cleaner-worker";

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 1;
const pending = new Map<number, (r: CleanResult) => void>();
/** Jobs run one at a time: the next starts when the previous one answered. */
let queue: Promise<unknown> = Promise.resolve();

/** The compiled worker next to this module, when there is one. */
export function cleanerWorkerFile(): string | undefined {
  const file = path.join(__dirname, "cleaner-worker.js");
  return fs.existsSync(file) ? file : undefined;
}

function failAll(message: string): void {
  for (const [id, p] of pending) p({ id, error: message });
  pending.clear();
}

function getWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  const file = cleanerWorkerFile();
  if (!file) {
    workerBroken = true;
    return undefined;
  }
  try {
    const w = new Worker(file);
    w.unref();
    w.on("message", (msg: CleanResult) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      p(msg);
    });
    w.on("error", (err) => {
      failAll(`the log cleaner thread failed: ${err.message}`);
      if (worker === w) worker = undefined;
    });
    w.on("exit", (code) => {
      failAll(`the log cleaner thread exited (code ${code})`);
      if (worker === w) worker = undefined;
    });
    worker = w;
  } catch (err) {
    process.emitWarning(`streamlab: the log cleaner runs in the event loop, its thread could not start: ${(err as Error).message}`);
    workerBroken = true;
  }
  return worker;
}

/** True when cleanings go to the cleaner thread. */
export function cleanerThreadAvailable(): boolean {
  return getWorker() !== undefined;
}

/** Runs a cleaning job in the cleaner thread (one job at a time); undefined when there is no thread. */
export function runInCleanerThread(job: Omit<CleanJob, "id">): Promise<CleanResult> | undefined {
  if (!getWorker()) return undefined;
  const run = queue.then(
    () =>
      new Promise<CleanResult>((resolve) => {
        const w = getWorker();
        const id = nextId++;
        if (!w) return resolve({ id, error: "the log cleaner thread is gone" });
        pending.set(id, resolve);
        w.postMessage({ ...job, id });
      }),
  );
  queue = run.catch(() => undefined);
  return run;
}

/** Stops the cleaner thread (tests); a later cleaning starts a new one. */
export async function stopCleanerThread(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
