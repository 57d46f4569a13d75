/**
 * A small StreamTest for porting Spark's streaming suites to streamlab: a query over a MemoryStream writing to
 * the memory sink, one micro-batch per addData() (then processAllAvailable(), as Spark's AddData + Check*),
 * and Spark's answer checks: CheckAnswer (the whole sink), CheckNewAnswer (rows since the last check),
 * CheckLastBatch (the last batch). Rows are compared as arrays in column order, as Spark compares tuples;
 * timestamps become ISO strings. `port()` registers a case and records it in the conformance report.
 */
import { it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, type DataFrame, type MemoryStream, type StreamingQuery } from "../../lib/stream";
import { memoryTable } from "../../lib/stream/sinks/memory";
import { norm } from "./support";
import type { ConformanceLog } from "./conformance";

export type Row = unknown[];
let tableCounter = 0;
const open: StreamTest[] = [];

/** Stops every query the cases started (afterEach). */
export async function disposeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((t) => t.dispose()));
}

export class StreamTest {
  query: StreamingQuery | null = null;
  readonly table = `ported_${++tableCounter}`;
  readonly checkpoint = mkdtempSync(join(tmpdir(), "streamlab-ported-"));
  /** Batches already returned by CheckNewAnswer. */
  private seenBatches = new Set<number>();

  constructor(private readonly df: DataFrame, readonly mode: "append" | "update" | "complete" = "append") {
    open.push(this);
  }

  start(trigger: { once?: boolean; processingTime?: string } = { processingTime: "0 seconds" }): this {
    this.query = this.df.writeStream.format("memory").queryName(this.table).outputMode(this.mode)
      .option("checkpointLocation", this.checkpoint).trigger(trigger).start();
    return this;
  }
  async stop(): Promise<void> {
    await this.query?.stop();
  }
  async dispose(): Promise<void> {
    await this.query?.stop().catch(() => undefined);
    rmSync(this.checkpoint, { recursive: true, force: true });
  }
  /** AddData: one micro-batch, processed before returning (with the no-data batch it may cause). */
  async addData(source: MemoryStream, ...rows: unknown[]): Promise<void> {
    if (!this.query) this.start();
    source.addData(rows.map((r) => (Array.isArray(r) ? r : [r])));
    await this.query!.processAllAvailable();
  }
  async processAll(): Promise<void> {
    await this.query!.processAllAvailable();
  }

  private batches(): [number, Row[]][] {
    const t = memoryTable(this.table);
    if (!t) return [];
    return [...t.batches.entries()].sort((a, b) => a[0] - b[0]).map(([id, cols]) => {
      const n = cols[0]?.length ?? 0;
      const rows: Row[] = [];
      for (let r = 0; r < n; r++) rows.push(cols.map((c) => c[r]));
      return [id, rows];
    });
  }
  /** CheckAnswer: everything in the sink (complete mode: the last batch). */
  checkAnswer(...expected: Row[]): void {
    const bs = this.batches();
    const all = this.mode === "complete" ? (bs.length ? bs[bs.length - 1][1] : []) : bs.flatMap(([, r]) => r);
    bs.forEach(([id]) => this.seenBatches.add(id));
    same(all, expected, "CheckAnswer");
  }
  /** CheckNewAnswer: rows of the batches since the last check. */
  checkNewAnswer(...expected: Row[]): void {
    const bs = this.batches().filter(([id]) => !this.seenBatches.has(id));
    bs.forEach(([id]) => this.seenBatches.add(id));
    const rows = this.mode === "complete" ? (bs.length ? bs[bs.length - 1][1] : []) : bs.flatMap(([, r]) => r);
    same(rows, expected, "CheckNewAnswer");
  }
  /** CheckLastBatch: the rows of the last batch run. */
  checkLastBatch(...expected: Row[]): void {
    const bs = this.batches();
    bs.forEach(([id]) => this.seenBatches.add(id));
    const lastId = this.query?.lastProgress?.batchId;
    const last = bs.find(([id]) => id === lastId) ?? [0, []];
    same(lastId === undefined ? [] : last[1], expected, "CheckLastBatch");
  }
  /** The query and recentProgress index of the last stateRows() check (Spark's lastCheckedRecentProgressIndex). */
  private lastChecked: { query: StreamingQuery | null; index: number } = { query: null, index: -1 };
  /**
   * Spark's assertNumStateRows (StateStoreMetricsTest), one entry per stateful operator in Spark's order: the
   * total from the last progress, the updated / dropped / removed counts summed over every progress since the
   * last check (so the data batch's updates still count after the no-data batch that followed it).
   */
  stateRows(): { total: number[]; updated: number[]; dropped: number[]; removed: number[] } {
    const q = this.query!;
    const recent = q.recentProgress;
    if (this.lastChecked.query !== q) this.lastChecked = { query: q, index: -1 };
    // Spark lists state operators from the sink side (the last one first); streamlab from the source side.
    const opsOf = (p: (typeof recent)[number]) => [...p.stateOperators].reverse();
    const last = opsOf(recent[recent.length - 1]);
    const since = recent.slice(this.lastChecked.index + 1).map(opsOf).filter((ops) => ops.length === last.length);
    this.lastChecked.index = recent.length - 1;
    const sum = (f: (o: (typeof last)[number]) => number) => last.map((_, j) => since.reduce((s, ops) => s + f(ops[j]), 0));
    return { total: last.map((o) => o.numRowsTotal), updated: sum((o) => o.numRowsUpdated), dropped: sum((o) => o.numRowsDroppedByWatermark), removed: sum((o) => o.numRowsRemoved) };
  }
  /** Spark's assertEventStats: eventTime of the last progress with input rows, in seconds. */
  eventStats(): Record<string, string | undefined> {
    const p = this.query!.recentProgress.filter((x) => x.numInputRows > 0).pop();
    return p ? (p.eventTime as Record<string, string | undefined>) : {};
  }
}

const canon = (rows: Row[]) => rows.map((r) => JSON.stringify(norm(r))).sort();

export class AnswerMismatch extends Error {}

function same(actual: Row[], expected: Row[], what: string): void {
  const a = canon(actual);
  const e = canon(expected);
  if (JSON.stringify(a) !== JSON.stringify(e)) throw new AnswerMismatch(`${what}: expected [${e.join(", ")}] but streamlab gave [${a.join(", ")}]`);
}

export function check(cond: boolean, message: string): void {
  if (!cond) throw new AnswerMismatch(message);
}

/** Seconds -> ISO (Spark's formatTimestamp in the watermark suites). */
export const iso = (sec: number) => new Date(sec * 1000).toISOString();

export interface PortOptions {
  /** The case cannot run on streamlab (a feature it lacks): recorded as unsupported, not run. */
  unsupported?: string;
  /** Known difference from Spark: the case runs and must still fail (recorded as fail with the difference). */
  known?: string;
  /** The case makes streamlab loop without end (the event loop blocks, no timeout can stop it): recorded as a
   *  failure with this reason and not run, so the rest of the suite can. */
  hangs?: string;
  /** How the port differs from Spark's test (written beside the status). */
  note?: string;
}

/** Known differences by "Suite > case name" (the ported file fills it): such a case must still fail. */
export const KNOWN: Record<string, string> = {};

/** Registers one ported case: it(name) runs `body` and records the outcome in the conformance report. */
export function port(log: ConformanceLog, suite: string, name: string, body: (() => Promise<void>) | null, opts: PortOptions = {}): void {
  const note = opts.note ? ` (port: ${opts.note})` : "";
  if (opts.hangs) {
    log.record({ suite, name, status: "fail", reason: `hangs: ${opts.hangs}${note}` });
    it.skip(`${suite} > ${name} [fails: hangs]`, () => undefined);
    return;
  }
  if (opts.unsupported || !body) {
    log.record({ suite, name, status: "unsupported", reason: (opts.unsupported ?? "not ported") + note });
    it.skip(`${suite} > ${name} [unsupported: ${opts.unsupported}]`, () => undefined);
    return;
  }
  opts = { ...opts, known: opts.known ?? KNOWN[`${suite} > ${name}`] };
  it(`${suite} > ${name}`, async () => {
    let error: Error | undefined;
    try {
      await body();
    } catch (err) {
      error = err as Error;
    }
    const message = error ? error.message.split("\n")[0] : undefined;
    log.record({ suite, name, status: error ? "fail" : "pass", reason: error ? `${opts.known ? opts.known + ": " : ""}${message}${note}` : opts.note });
    if (opts.known) {
      if (!error) throw new Error(`'${name}' now passes: remove its 'known' mark`);
      return;
    }
    if (error) throw error;
  });
}

export function memoryStream(ddl: string): MemoryStream {
  return spark.memoryStream(ddl);
}

/** Runs `fn` and returns the error it throws (or fails when it does not throw). */
export async function intercept(fn: () => unknown | Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new AnswerMismatch("expected an error, but none was thrown");
}
