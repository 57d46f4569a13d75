/**
 * The clock a streaming query reads its batch time from (Spark's triggerClock): the batch timestamp,
 * current_timestamp(), processing-time timers and timeouts, state TTLs. The system clock unless a test (or a
 * notebook that wants reproducible processing time) installs a ManualClock, as Spark's StreamTest does with
 * StreamManualClock: a query takes the clock installed when it starts.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told (Spark's StreamManualClock). */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  /** Move forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance(${ms}): a clock moves forward only; give a number of ms >= 0`);
    this.time += ms;
  }
  setTime(ms: number): void {
    this.time = ms;
  }
}

let current: Clock = systemClock;

/** Queries started from now on read `clock` (null: the system clock again). Returns the clock installed. */
export function setStreamClock(clock: Clock | null): Clock {
  current = clock ?? systemClock;
  return current;
}

export function streamClock(): Clock {
  return current;
}
