/**
 * Throttled, coalescing updates of a live display.
 *
 * Producers call `request()` as often as they like (every micro-batch, every progress event). The updater
 * renders the *current* state at most `maxPerSecond` times a second, one render at a time, so a burst of
 * requests costs one render and memory does not grow with the number of requests. `finish()` always renders
 * and sends the final state, even when nothing changed since the last update.
 */
import type { MimeBundle } from "../core";

/** Time source and timers; tests pass a manual clock to check the logic without real time. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending display refresh must not keep a Node program (or a finished notebook run) alive.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RenderRequest {
  /** True for the last render, after the source stopped. */
  final: boolean;
}

export interface ThrottleOptions {
  /** Most updates per second (default 4). */
  maxPerSecond?: number;
  clock?: Clock;
  /** Called when a render or send throws; the updater keeps going. Defaults to a process warning. */
  onError?: (err: Error) => void;
}

export class ThrottledUpdater {
  readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly onError: (err: Error) => void;
  private dirty = false;
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private lastStart = -Infinity;
  private finished = false;
  private finalDone: Promise<void> | null = null;
  /** Counters, for tests and benchmarks. */
  readonly stats = { requests: 0, renders: 0, sent: 0, errors: 0 };

  constructor(
    private readonly render: (req: RenderRequest) => MimeBundle | Promise<MimeBundle>,
    private readonly send: (bundle: MimeBundle) => void,
    options: ThrottleOptions = {},
  ) {
    const rate = options.maxPerSecond ?? 4;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`updates per second must be a positive number, got ${rate}`);
    this.intervalMs = 1000 / rate;
    this.clock = options.clock ?? realClock;
    this.onError = options.onError ?? ((err) => process.emitWarning(`streamlab: live display update failed: ${err.message}`));
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The state changed: send an update soon (coalesced with other requests). */
  request(): void {
    if (this.finished) return;
    this.stats.requests++;
    this.dirty = true;
    this.arm();
  }

  private arm(): void {
    if (this.timer !== null || this.inFlight !== null || this.finished || !this.dirty) return;
    const wait = Math.max(0, this.lastStart + this.intervalMs - this.clock.now());
    // Even with no wait, go through a timer: requests made in the same tick then cost one render.
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.flush(false);
    }, wait);
  }

  private flush(final: boolean): Promise<void> {
    this.dirty = false;
    this.lastStart = this.clock.now();
    const run = (async () => {
      try {
        this.stats.renders++;
        const bundle = await this.render({ final });
        this.send(bundle);
        this.stats.sent++;
      } catch (err) {
        this.stats.errors++;
        this.onError(err as Error);
      }
    })();
    this.inFlight = run.then(() => {
      this.inFlight = null;
      this.arm();
    });
    return this.inFlight;
  }

  /** Render and send the final state, once; later requests are ignored. Resolves when it was sent. */
  finish(): Promise<void> {
    if (this.finalDone) return this.finalDone;
    this.finished = true;
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const pending = this.inFlight ?? Promise.resolve();
    this.finalDone = pending.then(() => this.flush(true));
    return this.finalDone;
  }
}
