// The throttle's logic, on a manual clock: how many renders a burst costs, when they happen, the final state.
import { describe, expect, it } from "vitest";
import { ThrottledUpdater } from "../../lib/render/throttle";
import type { MimeBundle } from "../../lib/core";
import { ManualClock, settle } from "./support";

function setup(maxPerSecond = 4) {
  const clock = new ManualClock();
  let state = 0;
  const rendered: { state: number; final: boolean; at: number }[] = [];
  const sent: MimeBundle[] = [];
  const updater = new ThrottledUpdater(
    ({ final }) => {
      rendered.push({ state, final, at: clock.now() });
      return { "text/plain": `state ${state}${final ? " (final)" : ""}` };
    },
    (b) => sent.push(b),
    { maxPerSecond, clock },
  );
  return { clock, updater, rendered, sent, set: (v: number) => (state = v) };
}

describe("ThrottledUpdater", () => {
  it("coalesces a burst of requests into one render of the latest state", async () => {
    const t = setup();
    for (let i = 1; i <= 1000; i++) {
      t.set(i);
      t.updater.request();
    }
    await t.clock.advance(0);
    expect(t.rendered).toEqual([{ state: 1000, final: false, at: 0 }]);
    expect(t.sent).toEqual([{ "text/plain": "state 1000" }]);
    expect(t.clock.pending).toBe(0);
  });

  it("sends at most maxPerSecond updates per second, the newest state each time", async () => {
    const t = setup(4);
    // A request every 10 ms for 2 seconds.
    for (let ms = 0; ms < 2000; ms += 10) {
      t.set(ms);
      t.updater.request();
      await t.clock.advance(10);
    }
    await t.clock.advance(1000);
    const times = t.rendered.map((r) => r.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(250);
    expect(times.length).toBeGreaterThanOrEqual(8);
    expect(times.length).toBeLessThanOrEqual(9);
    // The last render shows the last state: nothing requested is lost.
    expect(t.rendered.at(-1)?.state).toBe(1990);
    expect(t.updater.stats.requests).toBe(200);
  });

  it("honours another rate", async () => {
    const t = setup(1);
    for (let ms = 0; ms < 3000; ms += 50) {
      t.updater.request();
      await t.clock.advance(50);
    }
    const times = t.rendered.map((r) => r.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
    expect(times).toEqual([0, 1000, 2000, 3000]);
  });

  it("always sends the final state on finish, even with nothing new, and ignores later requests", async () => {
    const t = setup();
    t.set(1);
    t.updater.request();
    await t.clock.advance(0);
    t.set(2);
    t.updater.request(); // throttled: would be sent at 250 ms
    await t.updater.finish();
    expect(t.sent.map((b) => b["text/plain"])).toEqual(["state 1", "state 2 (final)"]);
    expect(t.clock.pending).toBe(0);
    t.updater.request();
    await t.clock.advance(5000);
    expect(t.sent).toHaveLength(2);
    await t.updater.finish();
    expect(t.sent).toHaveLength(2);
  });

  it("sends the final state of a display that never had an update", async () => {
    const t = setup();
    await t.updater.finish();
    expect(t.sent.map((b) => b["text/plain"])).toEqual(["state 0 (final)"]);
  });

  it("runs one render at a time: requests during a slow render wait for it", async () => {
    const clock = new ManualClock();
    let release: () => void = () => {};
    let renders = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const updater = new ThrottledUpdater(
      async () => {
        renders++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise<void>((r) => (release = r));
        concurrent--;
        return { "text/plain": String(renders) };
      },
      () => {},
      { maxPerSecond: 4, clock },
    );
    updater.request();
    await clock.advance(0);
    for (let i = 0; i < 50; i++) {
      updater.request();
      await clock.advance(100);
    }
    expect(renders).toBe(1);
    release();
    await settle();
    await clock.advance(0);
    expect(renders).toBe(2);
    release();
    const done = updater.finish();
    await settle();
    release();
    await done;
    expect(maxConcurrent).toBe(1);
  });

  it("keeps going after a render throws, reporting the error", async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    let fail = true;
    const sent: MimeBundle[] = [];
    const updater = new ThrottledUpdater(
      () => {
        if (fail) throw new Error("bad render");
        return { "text/plain": "ok" };
      },
      (b) => sent.push(b),
      { clock, onError: (e) => errors.push(e.message) },
    );
    updater.request();
    await clock.advance(0);
    fail = false;
    updater.request();
    await clock.advance(300);
    expect(errors).toEqual(["bad render"]);
    expect(sent).toEqual([{ "text/plain": "ok" }]);
  });

  it("rejects a rate that is not positive", () => {
    expect(() => new ThrottledUpdater(() => ({}), () => {}, { maxPerSecond: 0 })).toThrow(/positive number/);
  });
});
