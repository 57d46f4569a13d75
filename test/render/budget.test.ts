// The rendering budget shared by all live views, on a manual clock: fifty busy views cannot take the kernel's
// main thread, every view still shows its newest state, and a stopped view's final state is sent at once.
import { describe, expect, it } from "vitest";
import { RenderBudget, ThrottledUpdater } from "../../lib/render/throttle";
import { ManualClock } from "./support";

function views(n: number, clock: ManualClock, budget: RenderBudget, costMs: number) {
  return Array.from({ length: n }, (_, i) => {
    const v = { state: 0, shown: -1, renders: 0, updater: undefined as unknown as ThrottledUpdater };
    v.updater = new ThrottledUpdater(
      ({ final }) => {
        clock.spend(costMs);
        v.renders++;
        return { "text/plain": `view ${i} state ${v.state}${final ? " final" : ""}` };
      },
      () => (v.shown = v.state),
      { maxPerSecond: 4, clock, budget },
    );
    return v;
  });
}

describe("RenderBudget", () => {
  it("bounds the renders of fifty views that update every 10 ms to the budget's rate and CPU share", async () => {
    const clock = new ManualClock();
    const budget = new RenderBudget(clock, 20, 0.25);
    const vs = views(50, clock, budget, 20);
    for (let ms = 0; ms < 10_000; ms += 10) {
      for (const v of vs) {
        v.state = ms;
        v.updater.request();
      }
      await clock.advance(10);
    }
    // Alone, each view would render 4 times a second: 50 x 4 x 10 s = 2,000 renders of 20 ms = 40 s of work in 10 s.
    // Shared: 20 ms renders followed by 60 ms pauses keep rendering at 25% of the main thread.
    expect(budget.stats.renders).toBeLessThanOrEqual(10_000 / 80 + 1);
    expect(budget.stats.busyMs / clock.now()).toBeLessThanOrEqual(0.25 + 0.01);
    // Fair: every view was updated, none more than twice as often as another.
    const counts = vs.map((v) => v.renders);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2 * Math.min(...counts));
    // Once the producers go quiet, every view catches up to its newest state.
    await clock.advance(10_000);
    expect(vs.every((v) => v.shown === 9990)).toBe(true);
  });

  it("caps the total rate even when renders cost nothing", async () => {
    const clock = new ManualClock();
    const budget = new RenderBudget(clock, 20, 0.25);
    const vs = views(50, clock, budget, 0);
    for (let ms = 0; ms < 5_000; ms += 10) {
      for (const v of vs) v.updater.request();
      await clock.advance(10);
    }
    expect(budget.stats.renders).toBeLessThanOrEqual(5_000 / 50 + 1);
  });

  it("sends a stopped view's final state without waiting its turn", async () => {
    const clock = new ManualClock();
    const budget = new RenderBudget(clock, 1, 0.5);
    const vs = views(10, clock, budget, 5);
    for (const v of vs) {
      v.state = 1;
      v.updater.request();
    }
    await clock.advance(0);
    expect(budget.waiting).toBeGreaterThan(5);
    const last = vs[9];
    last.state = 2;
    const before = clock.now();
    await last.updater.finish();
    expect(clock.now() - before).toBeLessThanOrEqual(5);
    expect(last.shown).toBe(2);
    // Its turn in the queue comes later and does nothing more.
    const rendersAfterFinal = last.renders;
    await clock.advance(60_000);
    expect(last.renders).toBe(rendersAfterFinal);
  });
});
