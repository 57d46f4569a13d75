/** Helpers for lib/render tests: hand-made output batches, a recording display bridge, a manual clock. */
import type { DisplayBridge, MimeBundle } from "../../lib/core";
import type { OutputBatch, SchemaField } from "../../lib/render/contract";
import type { Clock } from "../../lib/render/throttle";

/** An OutputBatch like lib/stream's: column-major values plus rows() on demand. */
export function makeBatch(batchId: number, mode: OutputBatch["mode"], schema: SchemaField[], rows: Record<string, unknown>[], keyColumns?: string[]): OutputBatch {
  const columns = schema.map((f) => rows.map((r) => r[f.name]));
  return {
    batchId,
    mode,
    schema,
    numRows: rows.length,
    columns,
    rows: () => rows.map((r) => ({ ...r })),
    ...(keyColumns ? { keyColumns } : {}),
  };
}

export interface RecordedOutput {
  kind: "display" | "update" | "print";
  displayId?: string;
  bundle?: MimeBundle;
  text?: string;
}

export class RecordingBridge implements DisplayBridge {
  readonly outputs: RecordedOutput[] = [];
  display(bundle: MimeBundle, displayId?: string): void {
    this.outputs.push({ kind: "display", displayId, bundle });
  }
  update(displayId: string, bundle: MimeBundle): void {
    this.outputs.push({ kind: "update", displayId, bundle });
  }
  print(text: string): void {
    this.outputs.push({ kind: "print", text });
  }
  updates(): RecordedOutput[] {
    return this.outputs.filter((o) => o.kind === "update");
  }
  last(): MimeBundle | undefined {
    return [...this.outputs].reverse().find((o) => o.bundle)?.bundle;
  }
}

/** A clock whose time moves only when a test says so; timers fire in order as time passes. */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Time passes without firing timers: synchronous work (a render) that costs ms. */
  spend(ms: number): void {
    this.time += ms;
  }
  /** Advance time by ms, firing due timers (and letting the promises they start settle). */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
    }
    this.time = target;
    await settle();
  }
}

/** Let pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

export const revenueSchema: SchemaField[] = [
  { name: "window", type: "struct<start:timestamp,end:timestamp>" },
  { name: "region", type: "string" },
  { name: "revenue", type: "double" },
  { name: "orders", type: "bigint" },
];

export function revenueRow(minute: number, region: string, revenue: number, orders = 1): Record<string, unknown> {
  const start = new Date(Date.UTC(2026, 10, 24, 16, minute, 0));
  return { window: { start, end: new Date(start.getTime() + 60_000) }, region, revenue, orders };
}
