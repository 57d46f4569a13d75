/**
 * The SVG renderer's worker thread: charts are drawn here so that a slow drawing (tens to hundreds of
 * milliseconds, see bench/results/render.md) never blocks the kernel's event loop, where queries run.
 */
import { parentPort } from "node:worker_threads";
import { renderSvg } from "./svg";
import type { VegaLiteSpec } from "./spec";

interface RenderJob {
  id: number;
  spec: VegaLiteSpec;
}

parentPort?.on("message", (job: RenderJob) => {
  renderSvg(job.spec).then(
    (svg) => parentPort!.postMessage({ id: job.id, svg }),
    (err: Error) => parentPort!.postMessage({ id: job.id, error: String(err?.message ?? err) }),
  );
});
