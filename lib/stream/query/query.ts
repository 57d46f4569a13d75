/**
 * A running streaming query: the trigger loop, micro-batch execution, checkpointing, progress reports.
 * Runs in the background on the event loop; a failure ends this query only, never the process.
 */
import { randomUUID } from "node:crypto";
import { linearize, type PlanNode } from "../plan/nodes";
import { allOperators, buildPipeline, runPipeline, type PipelineEnv } from "../exec/pipeline";
import { sourceProviderOf } from "../exec/union";
import { WatermarkTracker, watermarkPolicy } from "../exec/watermark";
import type { PhysicalOperator } from "../exec/operator";
import { emptyStats, toOutputBatch, type Batch, type ExecContext } from "../exec/batch";
import { getSinkFormat, type Sink, type OutputMode, type SinkFactory, type OutputBatch } from "../sinks/registry";
import { LateRowLog } from "./late";
import { inspectState } from "./state-view";
import type { QueryStateView, StateInspectOptions } from "./state-types";
import type { LateRow } from "./late-row";
import type { StreamSource, Offset } from "../sources/types";
import { Checkpoint } from "../state/checkpoint";
import type { StatefulOperator } from "../exec/operator";
import { conf } from "../conf";
import { streamClock, type Clock } from "./clock";
import { caseInsensitive } from "../options";
import type { StreamingQuery, StreamingQueryProgress, StreamingQueryStatus, StreamingQueryException, StateOperatorProgress } from "./types";
import { escapeHtml, getDisplayBridge, type MimeBundle } from "../../core";

/** How long a trigger that found no new data waits before looking again (Spark's spark.sql.streaming.pollingDelay). */
const POLLING_DELAY_MS = 10;

export type Trigger = { kind: "processingTime"; intervalMs: number } | { kind: "once" } | { kind: "availableNow" };

export interface QuerySpec {
  /** The analysed logical plan the query runs. */
  plan: PlanNode;
  name: string | null;
  outputMode: OutputMode;
  trigger: Trigger;
  format: string;
  options: Record<string, string>;
  sinkFactory: SinkFactory;
  checkpointLocation?: string;
}

interface Manager {
  register(q: StreamingQueryImpl): void;
  deregister(q: StreamingQueryImpl): void;
}

const MAX_PROGRESS = 100;
const POLICY = "spark.sql.streaming.multipleWatermarkPolicy";

function iso(ms: number): string {
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString();
}

export class StreamingQueryImpl implements StreamingQuery {
  readonly id: string;
  readonly runId = randomUUID();
  readonly name: string | null;
  private readonly plan: PlanNode;
  private readonly ops: PhysicalOperator[];
  private readonly source: StreamSource;
  private sink!: Sink;
  private readonly checkpoint?: Checkpoint;
  private readonly watermarkDelayMs: number | null;
  private readonly watermarks: WatermarkTracker;
  private readonly stateful: boolean;
  private active = true;
  private stopRequested = false;
  private error: StreamingQueryException | null = null;
  private progress: StreamingQueryProgress[] = [];
  private statusValue: StreamingQueryStatus = { message: "Initializing sources", isDataAvailable: false, isTriggerActive: false };
  private progressListeners = new Set<(p: StreamingQueryProgress) => void>();
  private terminatedListeners = new Set<(q: StreamingQuery) => void>();
  private terminationWaiters: (() => void)[] = [];
  private wake: (() => void) | null = null;
  private loop: Promise<void>;
  private iteration = 0;
  private lastIdleIteration = -1;
  private idleWaiters: { after: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  // Position in the stream.
  private committedOffset: Offset = undefined;
  private nextBatchId = 0;
  /** The watermark the next batch runs with. */
  private nextWatermark = -Infinity;
  /** The watermark the last batch ran with. */
  private lastBatchWatermark = -Infinity;
  private lastTriggerStart = 0;
  private keyColumns?: string[];
  private sourceStopped = false;
  private readonly late = new LateRowLog();
  /** Batch time comes from this clock (query/clock.ts: a ManualClock in tests). */
  private readonly clock: Clock = streamClock();
  private lateSink?: Sink;

  constructor(private readonly spec: QuerySpec, private readonly manager: Manager) {
    this.plan = spec.plan;
    this.name = spec.name;
    const nodes = linearize(this.plan);
    const sourceNode = nodes[0];
    const provider = sourceProviderOf(sourceNode);
    const env: PipelineEnv = { watermarkDelaysMs: [] };
    this.ops = buildPipeline(this.plan, env);
    this.watermarkDelayMs = env.watermarkDelaysMs.length ? Math.min(...env.watermarkDelaysMs) : null;
    this.watermarks = new WatermarkTracker(env.watermarkDelaysMs, watermarkPolicy(conf.get(POLICY)));
    const agg = nodes.filter((n): n is Extract<PlanNode, { op: "aggregate" }> => n.op === "aggregate").pop();
    const outNames = new Set(this.plan.schema.fields.map((f) => f.name));
    if (agg && agg.keyNames.length && agg.keyNames.every((k) => outNames.has(k))) this.keyColumns = agg.keyNames;
    this.stateful = allOperators(this.ops).some((o) => o.state);
    this.checkpoint = spec.checkpointLocation ? new Checkpoint(spec.checkpointLocation) : undefined;
    this.id = this.checkpoint ? this.checkpoint.queryId(randomUUID()) : randomUUID();
    this.source = provider.create();
    let before: StreamingQueryStatus | undefined;
    this.source.onWaiting = (message) => {
      // The status says why the query is not progressing, and goes back to what it said once the source reads again.
      if (message === null) {
        if (before) this.statusValue = before;
        before = undefined;
        return;
      }
      before ??= this.statusValue;
      this.statusValue = { message, isDataAvailable: false, isTriggerActive: true };
    };
    const recovering = this.checkpoint?.latestOffsets() !== undefined;
    // Sinks read their options case-insensitively, as Spark's (numRows, NUMROWS...).
    this.sink = spec.sinkFactory({ query: this, options: caseInsensitive({ ...spec.options, ...(recovering ? { __recovering: "true" } : {}) }), outputMode: spec.outputMode });
    const lateTopic = caseInsensitive({ ...spec.options }).lateRowsTopic;
    if (lateTopic) {
      const kafka = getSinkFormat("kafka")!;
      const kafkaOptions = Object.fromEntries(Object.entries(spec.options).filter(([k]) => k.toLowerCase().startsWith("kafka.")));
      // The dead-letter sink writes one JSON `value` per late row: it checks that schema, not the query's.
      const asValue = Object.create(this, { schema: { value: { kind: "struct", fields: [{ name: "value", type: { kind: "string" }, nullable: true }] } } }) as StreamingQuery;
      this.lateSink = kafka({ query: asValue, options: caseInsensitive({ ...kafkaOptions, topic: lateTopic }), outputMode: "append" });
    }
    manager.register(this);
    this.loop = this.run();
  }

  get isActive(): boolean {
    return this.active;
  }
  get status(): StreamingQueryStatus {
    return { ...this.statusValue };
  }
  get lastProgress(): StreamingQueryProgress | null {
    return this.progress.length ? this.progress[this.progress.length - 1] : null;
  }
  get recentProgress(): StreamingQueryProgress[] {
    return this.progress.slice();
  }
  exception(): StreamingQueryException | null {
    return this.error;
  }
  /** The most recent rows the watermark dropped (at most 100), with their event time and the watermark then. */
  lateRows(): LateRow[] {
    return this.late.rows();
  }
  /**
   * What each stateful operator holds now (keys and values, paged and searchable), its open windows and what
   * the next watermark evicts, its size, and rows evicted per recent batch (query/state-view.ts; %state shows it).
   */
  state(options: StateInspectOptions = {}): QueryStateView {
    return inspectState({ id: this.id, name: this.name, stateful: this.statefulOps, watermarkOf: this.operatorWatermarks(), watermarkMs: this.lastBatchWatermark, nextWatermarkMs: this.nextWatermark, progress: this.progress }, options);
  }
  /** The sink instance (lib/render reads its display). */
  get sinkInstance(): Sink {
    return this.sink;
  }
  get outputMode(): OutputMode {
    return this.spec.outputMode;
  }
  get format(): string {
    return this.spec.format;
  }
  get schema() {
    return this.plan.schema;
  }

  onProgress(listener: (p: StreamingQueryProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }
  onTerminated(listener: (q: StreamingQuery) => void): () => void {
    if (!this.active) {
      queueMicrotask(() => listener(this));
      return () => undefined;
    }
    this.terminatedListeners.add(listener);
    return () => this.terminatedListeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake?.();
    // A batch may be waiting on an unreachable broker: after a grace period, stop the source under it, which
    // aborts its reads (the batch is not committed, so a restart from the checkpoint runs it again).
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"grace">((resolve) => (timer = setTimeout(() => resolve("grace"), 2000)));
    if ((await Promise.race([this.loop, grace])) === "grace") {
      this.sourceStopped = true;
      await this.source.stop().catch(() => undefined);
      await this.loop;
    }
    clearTimeout(timer);
  }

  awaitTermination(timeoutMs?: number): Promise<boolean> {
    const outcome = (): boolean => {
      if (this.error) throw Object.assign(new Error(`query ${this.name ?? this.id} failed: ${this.error.message}`), { cause: this.error.cause });
      return true;
    };
    if (!this.active) return Promise.resolve().then(outcome);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        try {
          resolve(outcome());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      this.terminationWaiters.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.terminationWaiters = this.terminationWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  processAllAvailable(): Promise<void> {
    if (!this.active) return this.error ? Promise.reject(new Error(this.error.message)) : Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.idleWaiters.push({ after: this.iteration, resolve, reject });
      this.wake?.();
    });
  }

  toMimeBundle(): MimeBundle {
    if (this.sink.toMimeBundle) return this.sink.toMimeBundle();
    const p = this.lastProgress;
    const state = this.error ? `failed: ${this.error.message}` : this.active ? this.statusValue.message : "stopped";
    const text = `StreamingQuery ${this.name ?? ""} [id=${this.id}, runId=${this.runId}] ${state}` + (p ? `; batch ${p.batchId}, ${p.numInputRows} rows, ${p.processedRowsPerSecond.toFixed(0)} rows/s` : "");
    return { "text/plain": text, "text/html": `<div class="streamlab-query"><b>${escapeHtml(this.name ?? "query")}</b> <code>${escapeHtml(this.id)}</code>: ${escapeHtml(state)}${p ? ` &middot; batch ${p.batchId} &middot; ${p.numInputRows} rows` : ""}</div>` };
  }

  toString(): string {
    return String(this.toMimeBundle()["text/plain"]);
  }

  // ---- the trigger loop --------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    try {
      await this.source.start?.();
      await this.recover();
      const trigger = this.spec.trigger;
      let target: Offset;
      if (trigger.kind === "availableNow") target = this.source.reportLatestOffset?.() ?? (await this.source.latestOffset(this.committedOffset, {}));
      while (!this.stopRequested) {
        const started = Date.now();
        this.iteration++;
        const iteration = this.iteration;
        const ran = await this.runTrigger(trigger.kind === "availableNow" ? target : undefined, trigger.kind === "once");
        if (!ran) this.markIdle(iteration);
        // Once: exactly one batch (Spark's SingleBatchExecutor): a data batch, or a no-data batch when only the
        // watermark moved. State closed by the new watermark is flushed by the next start, as in Spark.
        if (trigger.kind === "once") break;
        if (trigger.kind === "availableNow") {
          if (!ran) break;
          continue;
        }
        if (ran && this.idleWaiters.length) continue;
        // A trigger that found no data waits at least Spark's polling delay (spark.sql.streaming.pollingDelay,
        // 10 ms), so processingTime 0 over an idle in-memory source does not spin and starve the event loop.
        const wait = Math.max(ran ? 0 : POLLING_DELAY_MS, trigger.intervalMs - (Date.now() - started));
        if (wait > 0 && !this.stopRequested) await this.sleep(wait);
        else if (!this.stopRequested) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      // Errors caused by stopping (aborted reads) are not failures.
      if (!this.stopRequested) this.fail(err as Error);
    } finally {
      await this.cleanup();
    }
  }

  private markIdle(iteration: number): void {
    this.lastIdleIteration = iteration;
    const ready = this.idleWaiters.filter((w) => iteration > w.after);
    this.idleWaiters = this.idleWaiters.filter((w) => iteration <= w.after);
    for (const w of ready) w.resolve();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /**
   * Each stateful operator's watermark from the query's, in statefulOps order: the operators after one with its
   * own output watermark (a time-interval join) run with it (exec/pipeline.ts runPipeline).
   */
  private operatorWatermarks(): ((wm: number) => number)[] {
    const fns: ((wm: number) => number)[] = [];
    let adjust = (wm: number) => wm;
    for (const o of this.ops) {
      for (const c of allOperators(o.children?.() ?? [])) if (c.state) fns.push((wm) => wm);
      if (o.state) fns.push(adjust);
      if (o.outputWatermark) {
        const before = adjust;
        const out = o.outputWatermark.bind(o);
        adjust = (wm) => out(before(wm));
      }
    }
    return fns;
  }

  private get statefulOps(): StatefulOperator[] {
    return allOperators(this.ops).filter((o) => o.state).map((o) => o.state!);
  }

  private async recover(): Promise<void> {
    const cp = this.checkpoint;
    if (cp && this.stateful) cp.openState(this.statefulOps, conf.getBoolean("spark.sql.streaming.stateStore.stateSchemaCheck"));
    const latest = cp?.latestOffsets();
    if (!cp || !latest) {
      this.committedOffset = await this.source.initialOffset();
      return;
    }
    // The watermark policy the query started with (Spark: min for a checkpoint that recorded none).
    this.watermarks.policy = watermarkPolicy(latest.conf?.[POLICY] ?? "min");
    const wmOf = (v: number | null | undefined) => (v === null || v === undefined ? -Infinity : v);
    const committed = cp.commit(latest.batchId);
    if (committed) {
      this.restoreState(latest.batchId);
      this.committedOffset = latest.offsets[0];
      this.nextBatchId = latest.batchId + 1;
      this.lastBatchWatermark = wmOf(latest.batchWatermarkMs);
      this.nextWatermark = wmOf(committed.nextBatchWatermarkMs);
      return;
    }
    // The last batch was planned but not committed: run it again with the same offsets, watermark and time.
    if (latest.batchId > 0) this.restoreState(latest.batchId - 1);
    this.nextBatchId = latest.batchId;
    this.committedOffset = latest.startOffsets[0];
    this.nextWatermark = wmOf(latest.batchWatermarkMs);
    // Late rows are judged by the previous batch's watermark, read from its offsets-log entry (Spark's
    // late-events watermark); when that entry is purged, by this batch's.
    const previous = latest.batchId > 0 ? cp.offsets(latest.batchId - 1) : undefined;
    this.lastBatchWatermark = latest.batchId === 0 ? -Infinity : previous ? wmOf(previous.batchWatermarkMs) : this.nextWatermark;
    await this.executeBatch(latest.batchId, latest.startOffsets[0], latest.offsets[0], wmOf(latest.batchWatermarkMs), latest.batchTimestampMs, Date.now(), 0);
  }

  private restoreState(batchId: number): void {
    if (!this.stateful) return;
    // The state after batch N is version N + 1 of each operator's store.
    this.checkpoint!.loadState(this.statefulOps, batchId + 1);
  }

  /** One trigger: plan a batch if there is data (or the watermark moved), run it. False when idle. */
  private async runTrigger(target: Offset, uncapped: boolean): Promise<boolean> {
    const t0 = Date.now();
    this.statusValue = { message: "Getting offsets from " + this.source.description(), isDataAvailable: false, isTriggerActive: true };
    const start = this.committedOffset;
    let end: Offset;
    if (uncapped && target !== undefined) end = target;
    else end = await this.source.latestOffset(start, { target, uncapped });
    const tLatest = Date.now();
    const hasData = this.source.hasData(start, end);
    const watermarkMoved = this.watermarkDelayMs !== null && this.nextWatermark > this.lastBatchWatermark && this.spec.outputMode !== "complete";
    // Or an operator has work without data: a processing-time timer or timeout due, a TTL expired.
    const noDataBatch = this.stateful && (watermarkMoved || this.statefulOps.some((o) => o.wantsNoDataBatch?.(this.clock.now(), this.nextWatermark) === true));
    if (!hasData && !noDataBatch) {
      this.statusValue = { message: this.source.idleReason?.() ?? "Waiting for data to arrive", isDataAvailable: false, isTriggerActive: false };
      if (this.source.isExhausted?.(start) && this.spec.trigger.kind === "processingTime") {
        // endingOffsets reached: a bounded Kafka read ends like a batch job.
        this.stopRequested = true;
      }
      return false;
    }
    const batchId = this.nextBatchId;
    const batchTs = this.clock.now();
    this.checkpoint?.writeOffsets({ batchId, batchWatermarkMs: Number.isFinite(this.nextWatermark) ? this.nextWatermark : (null as unknown as number), batchTimestampMs: batchTs, offsets: [hasData ? end : start], startOffsets: [start], conf: { [POLICY]: this.watermarks.policy } });
    const tWal = Date.now();
    await this.executeBatch(batchId, start, hasData ? end : start, this.nextWatermark, batchTs, t0, tLatest - t0, tWal - tLatest);
    return true;
  }

  private async executeBatch(batchId: number, start: Offset, end: Offset, watermarkMs: number, batchTs: number, triggerStart: number, latestOffsetMs = 0, walMs = 0): Promise<void> {
    this.statusValue = { message: "Processing new data", isDataAvailable: true, isTriggerActive: true };
    const t0 = Date.now();
    const hasData = this.source.hasData(start, end);
    const sb = hasData ? await this.source.getBatch(start, end) : { numRows: 0, columns: this.source.schema.fields.map(() => []) };
    const tGet = Date.now();
    const ctx: ExecContext = {
      batchId,
      now: batchTs,
      watermarkMs,
      lateWatermarkMs: Math.min(this.lastBatchWatermark, watermarkMs),
      mode: this.spec.outputMode,
      streaming: true,
      eventTime: emptyStats(),
      eventTimes: this.watermarks.delaysMs.map(() => emptyStats()),
      describeRow: (r) => (sb as { describeRow?: (r: number) => string }).describeRow?.(r) ?? `row ${r} of batch ${batchId}`,
    };
    ctx.onLate = (b, row, et, schema, columns) => this.late.record(b, row, et, schema, batchId, watermarkMs, (r) => ctx.describeRow(r), columns);
    const input: Batch = { n: sb.numRows, cols: sb.columns, rowIds: null, parts: sb.parts };
    const stateOps = allOperators(this.ops).filter((o) => o.state);
    let ob: OutputBatch;
    let tExec: number;
    try {
      const out = runPipeline(this.ops, input, ctx);
      tExec = Date.now();
      ob = toOutputBatch(out, this.plan.schema, batchId, this.spec.outputMode);
      if (this.keyColumns) ob.keyColumns = this.keyColumns;
      await this.sink.addBatch(ob);
      await this.late.flush(this.lateSink, batchId);
    } catch (err) {
      // The batch failed: its state changes are abandoned (a restart replays it from the checkpoint).
      for (const o of stateOps) o.state!.abort();
      throw err;
    }
    const tSink = Date.now();
    // With a checkpoint, each store writes the delta of this batch (what it touched), before the commit log.
    for (const o of stateOps) o.state!.commit();
    // The global watermark (min over the query's watermarks by default, multipleWatermarkPolicy=max: max).
    this.nextWatermark = this.watermarks.update(this.nextWatermark, ctx.eventTimes!);
    this.checkpoint?.writeCommit({ batchId, nextBatchWatermarkMs: Number.isFinite(this.nextWatermark) ? this.nextWatermark : (null as unknown as number) });
    const retain = conf.getInt("spark.sql.streaming.minBatchesToRetain");
    if (this.checkpoint && batchId % 10 === 0) this.checkpoint.purge(retain, batchId);
    const tCommit = Date.now();
    if (this.checkpoint && this.stateful) this.checkpoint.maintainState(this.statefulOps, conf.getInt("spark.sql.streaming.stateStore.minDeltasForSnapshot"), retain);
    this.committedOffset = end;
    this.nextBatchId = batchId + 1;
    this.lastBatchWatermark = watermarkMs;
    this.source.commit?.(end);
    this.reportProgress({ batchId, start, end, sb: sb.numRows, ctx, stateOps, out: ob.numRows, triggerStart, latestOffsetMs, walMs, getMs: tGet - t0, execMs: tExec - tGet, sinkMs: tSink - tExec, commitMs: tCommit - tSink, total: tCommit - triggerStart, batchTs });
  }

  private reportProgress(r: {
    batchId: number; start: Offset; end: Offset; sb: number; ctx: ExecContext; stateOps: PhysicalOperator[]; out: number; triggerStart: number;
    latestOffsetMs: number; walMs: number; getMs: number; execMs: number; sinkMs: number; commitMs: number; total: number; batchTs: number;
  }): void {
    const sinceLast = this.lastTriggerStart ? (r.triggerStart - this.lastTriggerStart) / 1000 : 0;
    this.lastTriggerStart = r.triggerStart;
    const inputRate = sinceLast > 0 ? r.sb / sinceLast : 0;
    const processedRate = r.total > 0 ? r.sb / (r.total / 1000) : r.sb > 0 ? r.sb * 1000 : 0;
    const stateOperators: StateOperatorProgress[] = r.stateOps.map((o) => ({
      operatorName: o.state!.operatorName,
      numRowsTotal: o.state!.numRowsTotal(),
      numRowsUpdated: o.state!.metrics.updated,
      numRowsRemoved: o.state!.metrics.removed,
      numRowsDroppedByWatermark: o.state!.metrics.dropped,
      commitTimeMs: Math.round(o.state!.stateStores().reduce((t, b) => t + b.store.lastCommit.ms, 0)),
      numStateStoreInstances: o.state!.stateStores().length,
      ...(o.state!.customMetrics ? { customMetrics: { ...o.state!.customMetrics } } : {}),
    }));
    const et = r.ctx.eventTime;
    const eventTime: StreamingQueryProgress["eventTime"] = {};
    if (this.watermarkDelayMs !== null) {
      if (et.count) Object.assign(eventTime, { min: iso(et.min), max: iso(et.max), avg: iso(et.sum / et.count) });
      eventTime.watermark = iso(r.ctx.watermarkMs);
    }
    const lag = this.source.lag?.(r.end);
    const p: StreamingQueryProgress = {
      id: this.id,
      runId: this.runId,
      name: this.name,
      timestamp: iso(r.batchTs),
      batchId: r.batchId,
      batchDuration: r.total,
      numInputRows: r.sb,
      inputRowsPerSecond: inputRate,
      processedRowsPerSecond: processedRate,
      durationMs: { latestOffset: r.latestOffsetMs, walCommit: r.walMs, getBatch: r.getMs, queryPlanning: 0, execution: r.execMs, addBatch: r.execMs + r.sinkMs, commitOffsets: r.commitMs, triggerExecution: r.total },
      eventTime,
      stateOperators,
      sources: [{
        description: this.source.description(),
        startOffset: r.start ?? null,
        endOffset: r.end ?? null,
        latestOffset: this.source.reportLatestOffset?.() ?? r.end ?? null,
        numInputRows: r.sb,
        inputRowsPerSecond: inputRate,
        processedRowsPerSecond: processedRate,
        ...(lag !== undefined ? { metrics: { avgOffsetsBehindLatest: String(lag), maxOffsetsBehindLatest: String(lag) } } : {}),
      }],
      sink: { description: this.spec.format, numOutputRows: r.out },
      numRowsDroppedByWatermark: stateOperators.reduce((s, o) => s + o.numRowsDroppedByWatermark, 0),
      ...(lag !== undefined ? { consumerLag: lag } : {}),
    };
    this.progress.push(p);
    if (this.progress.length > MAX_PROGRESS) this.progress.shift();
    this.statusValue = { message: "Waiting for next trigger", isDataAvailable: true, isTriggerActive: false };
    for (const l of this.progressListeners) {
      try {
        l(p);
      } catch (err) {
        process.emitWarning(`streamlab: a progress listener of query ${this.name ?? this.id} threw: ${(err as Error).message}`);
      }
    }
  }

  private fail(err: Error): void {
    this.error = { message: err.message, cause: err };
    this.statusValue = { message: `Terminated with exception: ${err.message}`, isDataAvailable: false, isTriggerActive: false };
    try {
      getDisplayBridge().print(`streamlab: query ${this.name ? `'${this.name}' ` : ""}[${this.id}] failed: ${err.message}`);
    } catch {
      // No host to print to: the error stays available from exception().
    }
  }

  private async cleanup(): Promise<void> {
    this.active = false;
    for (const o of this.statefulOps) {
      try {
        o.close?.();
      } catch (err) {
        process.emitWarning(`streamlab: closing a stateful operator of query ${this.name ?? this.id}: ${(err as Error).message}`);
      }
    }
    if (!this.error) this.statusValue = { message: "Stopped", isDataAvailable: false, isTriggerActive: false };
    for (const step of [() => (this.sourceStopped ? undefined : this.source.stop()), () => this.sink.stop?.(), () => this.lateSink?.stop?.()]) {
      try {
        await step();
      } catch (err) {
        process.emitWarning(`streamlab: stopping query ${this.name ?? this.id}: ${(err as Error).message}`);
      }
    }
    this.manager.deregister(this);
    for (const w of this.idleWaiters) {
      if (this.error) w.reject(new Error(this.error.message));
      else w.resolve();
    }
    this.idleWaiters = [];
    for (const w of this.terminationWaiters) w();
    this.terminationWaiters = [];
    for (const l of this.terminatedListeners) {
      try {
        l(this);
      } catch {
        // A listener's failure must not affect the query's shutdown.
      }
    }
  }
}
