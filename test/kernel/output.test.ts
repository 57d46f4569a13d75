/** Output routing without Jupyter: the stream coalescer, the owner of output, the shared stdout capture. */
import { describe, expect, it } from "vitest";
import type { CellSink, StreamName } from "../../kernel/cell";
import { captureProcessOutput, droppedMarker, OutputRouter, splitMessages, StreamCoalescer } from "../../kernel/output";

type Emitted = { owner: string; name: StreamName; text: string };

/** Timers the test fires by hand: what runs when the event loop would turn. */
function manualTimers() {
  const pending: Array<() => void> = [];
  return {
    setTimer: (fn: () => void) => {
      pending.push(fn);
      return {};
    },
    clearTimer: () => {
      pending.splice(0);
    },
    fire: () => {
      for (const fn of pending.splice(0)) fn();
    },
    get scheduled() {
      return pending.length;
    },
  };
}

function coalescer(options: ConstructorParameters<typeof StreamCoalescer<string>>[1] = {}) {
  const emitted: Emitted[] = [];
  const timers = manualTimers();
  const c = new StreamCoalescer<string>((owner, name, text) => emitted.push({ owner, name, text }), { ...timers, ...options });
  return { c, emitted, timers };
}

describe("StreamCoalescer", () => {
  it("turns many writes into one message per stream and owner, emitted when the timer fires, in order", () => {
    const { c, emitted, timers } = coalescer();
    for (let i = 0; i < 1000; i++) c.write("cell1", "stdout", `line ${i}\n`);
    c.write("cell1", "stderr", "oops\n");
    c.write("cell2", "stdout", "other\n");
    expect(emitted).toEqual([]);
    expect(timers.scheduled).toBe(1);
    timers.fire();
    expect(emitted.map((e) => [e.owner, e.name])).toEqual([["cell1", "stdout"], ["cell1", "stderr"], ["cell2", "stdout"]]);
    expect(emitted[0].text).toBe(Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(""));
    expect(c.bufferedBytes).toBe(0);
  });

  it("flush() emits at once (before a status or result message) and cancels the timer", () => {
    const { c, emitted, timers } = coalescer();
    c.write("a", "stdout", "x");
    c.flush();
    expect(emitted).toEqual([{ owner: "a", name: "stdout", text: "x" }]);
    timers.fire();
    expect(emitted).toHaveLength(1);
  });

  it("splits a large flush into messages of bounded size at line ends, keeping every line in order", () => {
    const { c, emitted, timers } = coalescer({ maxMessageBytes: 1000 });
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`);
    for (const l of lines) c.write("cell", "stdout", l);
    timers.fire();
    expect(emitted.length).toBeGreaterThan(50);
    expect(emitted.every((e) => Buffer.byteLength(e.text) <= 1000 && e.text.endsWith("\n"))).toBe(true);
    expect(emitted.map((e) => e.text).join("")).toBe(lines.join(""));
  });

  it("bounds what it buffers: a flood keeps its head and tail with a dropped-lines marker between", () => {
    const { c, emitted, timers } = coalescer({ maxHeadBytes: 10_000, maxTailBytes: 2_000 });
    const n = 1_000_000;
    let maxBuffered = 0;
    for (let i = 0; i < n; i++) {
      c.write("cell", "stdout", `line ${i}\n`);
      if (i % 1000 === 0) maxBuffered = Math.max(maxBuffered, c.bufferedBytes);
    }
    expect(maxBuffered).toBeLessThanOrEqual(12_000);
    timers.fire();
    const text = emitted.map((e) => e.text).join("");
    const out = text.split("\n").filter(Boolean);
    expect(out[0]).toBe("line 0");
    expect(out.at(-1)).toBe(`line ${n - 1}`);
    const marker = out.find((l) => l.startsWith("[..."));
    const m = /^\[\.\.\. (\d+) lines dropped \.\.\.\]$/.exec(marker ?? "");
    expect(m, marker).not.toBeNull();
    // Every line is either shown or counted as dropped.
    expect(out.length - 1 + Number(m![1])).toBe(n);
    // Shown lines are in order around the marker.
    const numbers = out.filter((l) => l.startsWith("line ")).map((l) => Number(l.slice(5)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("starts a new window after a flush: a later burst is kept whole", () => {
    const { c, emitted, timers } = coalescer({ maxHeadBytes: 100, maxTailBytes: 50 });
    for (let i = 0; i < 100; i++) c.write("cell", "stdout", `${i}\n`);
    timers.fire();
    emitted.splice(0);
    c.write("cell", "stdout", "after\n");
    timers.fire();
    expect(emitted).toEqual([{ owner: "cell", name: "stdout", text: "after\n" }]);
    expect(droppedMarker(1)).toBe("[... 1 line dropped ...]\n");
  });

  it("splitMessages cuts multi-byte text without breaking characters", () => {
    const text = "é".repeat(5000);
    const parts = splitMessages(text, 1001);
    expect(parts.join("")).toBe(text);
    expect(parts.every((p) => Buffer.byteLength(p) <= 1001)).toBe(true);
  });

  it("uses real timers by default and emits within the interval", async () => {
    const emitted: string[] = [];
    const c = new StreamCoalescer<string>((_o, _n, text) => emitted.push(text), { intervalMs: 10 });
    c.write("x", "stdout", "a");
    c.write("x", "stdout", "b");
    await new Promise((r) => setTimeout(r, 60));
    expect(emitted).toEqual(["ab"]);
  });
});

function recordingSink(name: string, into: string[]): CellSink {
  return {
    stream: (stream, text) => into.push(`${name}:${stream}:${text}`),
    display: () => undefined,
    update: () => undefined,
    result: () => undefined,
    error: () => undefined,
  };
}

describe("OutputRouter", () => {
  it("sends output of work a cell started to that cell, after it ended and while another runs", async () => {
    const router = new OutputRouter();
    const out: string[] = [];
    const one = recordingSink("one", out);
    const two = recordingSink("two", out);
    expect(router.write("stdout", "nobody\n")).toBe(false);
    router.begin(one, 1, true);
    let later!: Promise<void>;
    router.runIn(one, () => {
      later = new Promise<void>((resolve) =>
        setTimeout(() => {
          router.write("stdout", "from one's timer\n");
          resolve();
        }, 20),
      );
    });
    router.end();
    router.begin(two, 2, true);
    router.runIn(two, () => router.write("stdout", "two runs\n"));
    await later;
    // Output from nowhere in particular goes to the running cell, then to the last one.
    router.write("stderr", "unowned\n");
    router.end();
    router.write("stderr", "idle\n");
    expect(out).toEqual(["two:stdout:two runs\n", "one:stdout:from one's timer\n", "two:stderr:unowned\n", "two:stderr:idle\n"]);
    expect(router.updateTarget()).toBe(two);
  });

  it("a countless (hidden) run does not become the last cell", () => {
    const router = new OutputRouter();
    const out: string[] = [];
    router.begin(recordingSink("visible", out), 1, true);
    router.end();
    router.begin(recordingSink("hidden", out), 1, false);
    router.end();
    router.write("stdout", "x");
    expect(out).toEqual(["visible:stdout:x"]);
  });
});

describe("captureProcessOutput", () => {
  it("routes console.log and process.stdout.write, passes declined text through, and restores", () => {
    const routed: string[] = [];
    let accept = true;
    const before = process.stdout.write;
    const restore = captureProcessOutput((name, text) => {
      if (!accept) return false;
      routed.push(`${name}:${text}`);
      return true;
    });
    try {
      // vitest replaces the global console; a Console on the process streams is what cells use.
      const cellConsole = new console.Console(process.stdout, process.stderr);
      cellConsole.log("hello", 42);
      cellConsole.error("bad");
      let called = false;
      process.stdout.write("raw", () => (called = true));
      expect(called).toBe(true);
      accept = false;
      process.stdout.write(""); // declined: goes to the real stdout (empty, so nothing shows)
    } finally {
      restore();
    }
    expect(process.stdout.write).toBe(before);
    expect(routed).toEqual(["stdout:hello 42\n", "stderr:bad\n", "stdout:raw"]);
  });
});
