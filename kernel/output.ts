/**
 * Output routing: which cell a piece of output belongs to, one capture of process.stdout/stderr shared by the
 * Jupyter server and the headless runner, and the stream coalescer that turns a flood of small writes into a
 * few bounded IOPub messages (as ipykernel's OutStream does: flush by time and by size).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CellSink, StreamName } from "./cell";

/**
 * The cell that owns output produced right now. Work a cell starts (timers, promises, sockets) carries the
 * cell with it through AsyncLocalStorage; output from nowhere in particular goes to the running cell, else
 * to the last one.
 */
export class OutputRouter {
  private readonly context = new AsyncLocalStorage<CellSink>();
  private runningCell?: { sink: CellSink; count: number };
  private lastCell?: CellSink;

  /** The sink for output produced right now, or undefined before any cell ran. */
  current(): CellSink | undefined {
    return this.context.getStore() ?? this.runningCell?.sink ?? this.lastCell;
  }

  /** The running cell (execution count and sink), if any. */
  get running(): { sink: CellSink; count: number } | undefined {
    return this.runningCell;
  }

  /** Where updates of live displays go when idle: the running cell, else the last one (as ipykernel does). */
  updateTarget(): CellSink | undefined {
    return this.runningCell?.sink ?? this.lastCell;
  }

  /** Mark a cell as running; `remember` false keeps the last visible cell (hidden, countless runs). */
  begin(sink: CellSink, count: number, remember: boolean): void {
    this.runningCell = { sink, count };
    if (remember) this.lastCell = sink;
  }

  end(): void {
    this.runningCell = undefined;
  }

  /** Run fn with sink as the owner of everything it starts. */
  runIn<T>(sink: CellSink, fn: () => T): T {
    return this.context.run(sink, fn);
  }

  /** Send text to the owning cell; false when there is no cell to send it to. */
  write(name: StreamName, text: string): boolean {
    const sink = this.current();
    if (!sink) return false;
    sink.stream(name, text);
    return true;
  }
}

type WriteFn = typeof process.stdout.write;

/**
 * Route process.stdout/stderr writes (console.log, process.stdout.write) through `route`; text that `route`
 * declines (returns false) goes to the original stream. Returns a function that restores both streams.
 */
export function captureProcessOutput(route: (name: StreamName, text: string) => boolean): () => void {
  type Write = (...args: unknown[]) => boolean;
  const saved: Record<StreamName, Write> = {
    stdout: process.stdout.write.bind(process.stdout) as Write,
    stderr: process.stderr.write.bind(process.stderr) as Write,
  };
  // The functions themselves, to put back unchanged.
  const previous = { stdout: Reflect.get(process.stdout, "write"), stderr: Reflect.get(process.stderr, "write") };
  const redirect = (name: StreamName): WriteFn => {
    const original = saved[name];
    const write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (route(name, text)) {
        const callback = rest.find((r): r is () => void => typeof r === "function");
        callback?.();
        return true;
      }
      return original(chunk, ...rest);
    };
    return write;
  };
  process.stdout.write = redirect("stdout");
  process.stderr.write = redirect("stderr");
  return () => {
    process.stdout.write = previous.stdout;
    process.stderr.write = previous.stderr;
  };
}

export interface CoalescerOptions {
  /** Flush pending text this long after its first write (ms; default 50). */
  intervalMs?: number;
  /** Largest text in one emitted message (bytes; default 64 KiB); a longer flush is split at line ends. */
  maxMessageBytes?: number;
  /** Most text kept from the start of one flush window (bytes; default 1 MiB). */
  maxHeadBytes?: number;
  /** Most text kept from the end of a window once the head is full (bytes; default 256 KiB). */
  maxTailBytes?: number;
  /** Timers (tests pass their own). */
  setTimer?: (fn: () => void, ms: number) => { unref?: () => unknown };
  clearTimer?: (timer: unknown) => void;
}

interface Pending<K> {
  owner: K;
  name: StreamName;
  head: string[];
  headBytes: number;
  tail: string[];
  tailBytes: number;
  /** Newlines in the dropped text (a dropped piece of one line counts as one line). */
  droppedLines: number;
  dropped: boolean;
}

/** The marker that replaces output dropped from the middle of a flood. */
export function droppedMarker(lines: number): string {
  return `[... ${lines} line${lines === 1 ? "" : "s"} dropped ...]\n`;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Cut text into pieces of at most max bytes, at a line end when one is in reach. */
export function splitMessages(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    // Characters are at most 4 bytes: maxBytes/4 characters always fit; prefer more when the text is ASCII.
    let cut = Math.min(rest.length, maxBytes);
    while (cut > 1 && Buffer.byteLength(rest.slice(0, cut)) > maxBytes) cut = Math.floor(cut * 0.9);
    const newline = rest.lastIndexOf("\n", cut - 1);
    if (newline > 0) cut = newline + 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Stream text per (owner, stream name), emitted `intervalMs` after the first write of a window, in order of
 * first write. A window that receives more than maxHeadBytes keeps its head and its last maxTailBytes, with
 * a "[... N lines dropped ...]" marker between them: memory stays bounded whatever a cell prints, and a
 * frontend gets a few messages instead of one per console.log. `flush()` emits everything now (the server
 * calls it before any other IOPub message, so order is kept).
 */
export class StreamCoalescer<K> {
  private readonly pending: Pending<K>[] = [];
  private timer: unknown;
  private readonly intervalMs: number;
  private readonly maxMessageBytes: number;
  private readonly maxHeadBytes: number;
  private readonly maxTailBytes: number;
  private readonly setTimer: NonNullable<CoalescerOptions["setTimer"]>;
  private readonly clearTimer: NonNullable<CoalescerOptions["clearTimer"]>;

  constructor(
    private readonly emit: (owner: K, name: StreamName, text: string) => void,
    options: CoalescerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 50;
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    this.maxHeadBytes = options.maxHeadBytes ?? 1024 * 1024;
    this.maxTailBytes = options.maxTailBytes ?? 256 * 1024;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  /** Bytes held right now (for tests and diagnostics). */
  get bufferedBytes(): number {
    return this.pending.reduce((sum, p) => sum + p.headBytes + p.tailBytes, 0);
  }

  write(owner: K, name: StreamName, text: string): void {
    if (!text) return;
    let entry = this.pending.find((p) => p.owner === owner && p.name === name);
    if (!entry) {
      entry = { owner, name, head: [], headBytes: 0, tail: [], tailBytes: 0, droppedLines: 0, dropped: false };
      this.pending.push(entry);
    }
    const bytes = Buffer.byteLength(text);
    if (entry.tail.length === 0 && !entry.dropped && entry.headBytes + bytes <= this.maxHeadBytes) {
      entry.head.push(text);
      entry.headBytes += bytes;
    } else {
      entry.tail.push(text);
      entry.tailBytes += bytes;
      while (entry.tailBytes > this.maxTailBytes && entry.tail.length > 1) this.dropOldest(entry);
      if (entry.tailBytes > this.maxTailBytes) {
        // One piece larger than the whole tail: keep its end.
        const only = entry.tail[0];
        const keep = only.slice(-this.maxTailBytes);
        const cut = only.slice(0, only.length - keep.length);
        entry.droppedLines += countLines(cut);
        entry.dropped = true;
        entry.tail[0] = keep;
        entry.tailBytes = Buffer.byteLength(keep);
      }
    }
    this.schedule();
  }

  private dropOldest(entry: Pending<K>): void {
    const piece = entry.tail.shift() ?? "";
    entry.tailBytes -= Buffer.byteLength(piece);
    entry.droppedLines += countLines(piece);
    entry.dropped = true;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const timer = this.setTimer(() => {
      this.timer = undefined;
      this.flush();
    }, this.intervalMs);
    timer.unref?.();
    this.timer = timer;
  }

  /** Emit everything pending now, in order of first write. */
  flush(): void {
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    const entries = this.pending.splice(0);
    for (const entry of entries) {
      let text = entry.head.join("");
      if (entry.dropped) {
        if (text && !text.endsWith("\n")) text += "\n";
        text += droppedMarker(Math.max(1, entry.droppedLines));
      }
      text += entry.tail.join("");
      for (const part of splitMessages(text, this.maxMessageBytes)) this.emit(entry.owner, entry.name, part);
    }
  }

  /** Flush and stop the timer (shutdown). */
  close(): void {
    this.flush();
  }
}
