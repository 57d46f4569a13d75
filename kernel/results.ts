/**
 * Results display: a cell's last value as a rich result, and the display bridge lib/ calls for live displays
 * (display, update by display_id, print), routed to the owning cell by the OutputRouter.
 */
import * as util from "node:util";
import type * as DisplayModule from "../lib/core";
import type { CellSink, MimeBundle } from "./cell";
import { describeError, errorText } from "./errors";
import type { OutputRouter } from "./output";

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** A value as a mime bundle: its own toMimeBundle() when it has one, else util.inspect as text/plain. */
export function resultBundle(display: typeof DisplayModule, value: unknown): MimeBundle {
  let bundle: MimeBundle = display.isDisplayable(value)
    ? value.toMimeBundle()
    : { "text/plain": util.inspect(value, { depth: 4, colors: false, maxArrayLength: 100 }) };
  if (bundle["text/plain"] === undefined) bundle = { ...bundle, "text/plain": util.inspect(value, { depth: 2 }) };
  return bundle;
}

/** Nothing to show: undefined, null, and timer handles (`setInterval(...)` as a cell's last line). */
export function isSilentResult(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  const ctorName = (value as { constructor?: { name?: string } }).constructor?.name;
  return typeof value === "object" && (ctorName === "Timeout" || ctorName === "Immediate");
}

export class ResultDisplay {
  /** display_id -> the sink of the cell that created it (fallback when no cell has run yet). */
  private readonly displayOwners = new Map<string, CellSink>();

  constructor(
    private readonly display: typeof DisplayModule,
    private readonly router: OutputRouter,
    private readonly log: (line: string) => void,
  ) {}

  /** Show a cell's last value in the running cell as execute_result. */
  showResult(value: unknown): void {
    const running = this.router.running;
    if (!running || isSilentResult(value)) return;
    let bundle: MimeBundle;
    try {
      bundle = resultBundle(this.display, value);
    } catch (err) {
      const d = describeError(err);
      running.sink.error(d.ename, `could not display the result: ${d.evalue}`, d.traceback);
      return;
    }
    running.sink.result(running.count, bundle, {});
  }

  /** The bridge lib/ displays through. Display calls come from background work at any time: a failure is logged, never thrown into it. */
  bridge(): DisplayModule.DisplayBridge {
    const guard =
      <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
      (...args: A): void => {
        try {
          fn(...args);
        } catch (err) {
          this.log(`display ${what} failed: ${errorText(err)}`);
        }
      };
    return {
      display: guard("display", (bundle: MimeBundle, displayId?: string, metadata?: Record<string, unknown>) => {
        const sink = this.router.current();
        if (!sink) return;
        if (displayId) {
          this.displayOwners.set(displayId, sink);
          // Bound the map: the oldest displays stop being tracked long after they matter.
          if (this.displayOwners.size > 10_000) this.displayOwners.delete(this.displayOwners.keys().next().value as string);
        }
        sink.display(bundle, metadata ?? {}, displayId);
      }),
      update: guard("update", (displayId: string, bundle: MimeBundle, metadata?: Record<string, unknown>) => {
        // As ipykernel does: an update is parented to the request running now, or the last one when idle.
        // nbclient listens only to the running request and classic Notebook only to the last one (both then
        // apply the update by display_id anywhere); JupyterLab routes by display_id whatever the parent.
        const sink = this.router.updateTarget() ?? this.displayOwners.get(displayId);
        sink?.update(displayId, bundle, metadata ?? {});
      }),
      print: guard("print", (text: string) => {
        this.router.current()?.stream("stdout", text.endsWith("\n") ? text : text + "\n");
      }),
    };
  }
}
