/**
 * SVG drawing off the event loop: one shared worker thread (started on first use, never holding the process
 * open) draws every chart; where the worker cannot run (no compiled worker file, as under a TypeScript test
 * runner, or a worker that died) drawing falls back to the calling thread.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { VegaLiteSpec } from "./spec";
import { renderSvg } from "./svg";

interface Pending {
  resolve(svg: string): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 1;
const pending = new Map<number, Pending>();

/** The compiled worker next to this module, when there is one. */
export function workerFile(): string | undefined {
  const file = path.join(__dirname, "svg-worker.js");
  return fs.existsSync(file) ? file : undefined;
}

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function getWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  const file = workerFile();
  if (!file) {
    workerBroken = true;
    return undefined;
  }
  try {
    const w = new Worker(file);
    w.unref();
    w.on("message", (msg: { id: number; svg?: string; error?: string }) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.svg ?? "");
    });
    w.on("error", (err) => {
      failAll(err);
      worker = undefined;
    });
    w.on("exit", (code) => {
      failAll(new Error(`the SVG worker exited (code ${code})`));
      if (worker === w) worker = undefined;
    });
    worker = w;
  } catch (err) {
    process.emitWarning(`streamlab: charts are drawn on the main thread, the SVG worker could not start: ${(err as Error).message}`);
    workerBroken = true;
  }
  return worker;
}

/** True when drawings go to the worker thread. */
export function svgWorkerAvailable(): boolean {
  return getWorker() !== undefined;
}

/** Draw a vega-lite spec to SVG in the worker thread (or here, when there is no worker). */
export function renderSvgOffThread(spec: VegaLiteSpec): Promise<string> {
  const w = getWorker();
  if (!w) return renderSvg(spec);
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Only while a drawing is pending does the worker keep the process alive, so a notebook run waits for it.
    w.ref();
    const done = () => {
      if (pending.size === 0) w.unref();
    };
    const entry = pending.get(id)!;
    pending.set(id, {
      resolve: (svg) => {
        entry.resolve(svg);
        done();
      },
      reject: (err) => {
        entry.reject(err);
        done();
      },
    });
    try {
      w.postMessage({ id, spec });
    } catch (err) {
      // A spec that cannot be cloned (it should always be plain JSON): draw it here instead.
      pending.delete(id);
      done();
      renderSvg(spec).then(resolve, reject);
    }
  });
}

/** Stop the worker (tests, shutdown); the next drawing starts a new one. */
export async function stopSvgWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
