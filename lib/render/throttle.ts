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

/**
 * One rendering budget shared by every live view of the kernel. Each view already coalesces its own updates;
 * the budget bounds what all of them together cost, so fifty live views do not starve the kernel: one render
 * at a time, at most `maxPerSecond` renders a second in all, and after each render a pause long enough that
 * rendering takes at most `share` of the main thread's time. Views wait in arrival order, so a busy view cannot
 * starve a quiet one; what piles up meanwhile is coalesced by each view (it renders its newest state once).
 * Final renders (a query stopped) do not wait.
 */
export class RenderBudget {
  private readonly queue: (() => Promise<void>)[] = [];
  private running = false;
  private timer: unknown = null;
  private nextAt = -Infinity;
  readonly stats = { renders: 0, busyMs: 0 };

  /**
   * `busyMs` tells how much main-thread time has been spent so far: on the real clock the event loop's active
   * time, so a chart drawn in the SVG worker thread (awaited, not computed here) does not count against the
   * budget; on a test clock, the clock itself.
   */
  constructor(
    private readonly clock: Clock = realClock,
    readonly maxPerSecond = 20,
    readonly share = 0.25,
    private readonly busyMs: () => number = clock === realClock ? () => performance.eventLoopUtilization().active : () => clock.now(),
  ) {
    if (!(maxPerSecond > 0) || !(share > 0 && share <= 1)) throw new Error(`a render budget needs maxPerSecond > 0 and 0 < share <= 1, got ${maxPerSecond} and ${share}`);
  }

  /** Views waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Run `job` (one view's render and send) when the budget allows. */
  enqueue(job: () => Promise<void>): void {
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    if (this.running || this.timer !== null || !this.queue.length) return;
    const wait = Math.max(0, this.nextAt - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.runNext();
    }, wait);
  }

  private async runNext(): Promise<void> {
    const job = this.queue.shift();
    if (!job) return;
    this.running = true;
    const busyBefore = this.busyMs();
    try {
      await job();
    } finally {
      const end = this.clock.now();
      const cost = Math.max(0, this.busyMs() - busyBefore);
      this.stats.renders++;
      this.stats.busyMs += cost;
      this.nextAt = end + Math.max(1000 / this.maxPerSecond, (cost * (1 - this.share)) / this.share);
      this.running = false;
      this.pump();
    }
  }
}

/** The kernel's one budget for views on the real clock (views on a test clock have none unless given one). */
export const sharedRenderBudget = new RenderBudget(realClock);

export interface ThrottleOptions {
  /** Most updates per second (default 4). */
  maxPerSecond?: number;
  clock?: Clock;
  /** The budget shared with other views; by default the kernel's on the real clock, none on another clock. */
  budget?: RenderBudget | null;
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
  /** Waiting for its turn in the shared budget. */
  private queued = false;
  private readonly budget: RenderBudget | null;
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
    this.budget = options.budget !== undefined ? options.budget : this.clock === realClock ? sharedRenderBudget : null;
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
    if (this.timer !== null || this.inFlight !== null || this.queued || this.finished || !this.dirty) return;
    const wait = Math.max(0, this.lastStart + this.intervalMs - this.clock.now());
    // Even with no wait, go through a timer: requests made in the same tick then cost one render.
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.budget) return void this.flush(false);
      this.queued = true;
      this.budget.enqueue(() => {
        this.queued = false;
        // finish() rendered the final state meanwhile: nothing left to do.
        return this.finished ? Promise.resolve() : this.flush(false);
      });
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
