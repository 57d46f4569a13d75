/**
 * Several sources read as one (a union's inputs, later a join's sides): the offset is the array of each
 * source's offset, so the checkpoint's offsets log records all of them for every batch and a restarted query
 * re-reads exactly the same rows of each. A batch carries each source's rows as `parts`.
 */
import type { StructType } from "../types";
import type { Offset, SourceBatch, SourceProvider, StreamSource } from "./types";

export class MultiSourceProvider implements SourceProvider {
  readonly name: string;
  constructor(readonly providers: SourceProvider[], readonly schema: StructType) {
    this.name = `Union[${providers.map((p) => p.name).join(", ")}]`;
  }
  create(): StreamSource {
    return new MultiSource(this.providers.map((p) => p.create()), this.schema);
  }
}

const at = (o: Offset, i: number): Offset => (Array.isArray(o) ? (o as Offset[])[i] : undefined);

export class MultiSource implements StreamSource {
  private waiting: (string | null)[];
  onWaiting?: (message: string | null) => void;

  constructor(readonly sources: StreamSource[], readonly schema: StructType) {
    this.waiting = sources.map(() => null);
    sources.forEach((s, i) => {
      s.onWaiting = (m) => {
        this.waiting[i] = m;
        this.onWaiting?.(this.waiting.find((w) => w !== null) ?? null);
      };
    });
  }
  description(): string {
    return `Union[${this.sources.map((s) => s.description()).join(", ")}]`;
  }
  async start(): Promise<void> {
    for (const s of this.sources) await s.start?.();
  }
  async initialOffset(): Promise<Offset> {
    return Promise.all(this.sources.map((s) => s.initialOffset()));
  }
  async latestOffset(start: Offset, limit: { target?: Offset; uncapped?: boolean }): Promise<Offset> {
    return Promise.all(this.sources.map((s, i) => s.latestOffset(at(start, i), { target: limit.target === undefined ? undefined : at(limit.target, i), uncapped: limit.uncapped })));
  }
  hasData(start: Offset, end: Offset): boolean {
    return this.sources.some((s, i) => s.hasData(at(start, i), at(end, i)));
  }
  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const parts = await Promise.all(
      this.sources.map((s, i) => (s.hasData(at(start, i), at(end, i)) ? s.getBatch(at(start, i), at(end, i)) : Promise.resolve<SourceBatch>({ numRows: 0, columns: s.schema.fields.map(() => []) }))),
    );
    return { numRows: parts.reduce((n, p) => n + p.numRows, 0), columns: this.schema.fields.map(() => []), parts };
  }
  lag(end: Offset): number | undefined {
    let total = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const l = this.sources[i].lag?.(at(end, i));
      if (l === undefined) return undefined;
      total += l;
    }
    return total;
  }
  reportLatestOffset(): Offset {
    if (this.sources.some((s) => !s.reportLatestOffset)) return undefined;
    return this.sources.map((s) => s.reportLatestOffset!());
  }
  isExhausted(end: Offset): boolean {
    return this.sources.every((s, i) => s.isExhausted?.(at(end, i)) ?? false);
  }
  commit(end: Offset): void {
    this.sources.forEach((s, i) => s.commit?.(at(end, i)));
  }
  async stop(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.stop()));
  }
  idleReason(): string | null {
    for (const s of this.sources) {
      const r = s.idleReason?.();
      if (r) return r;
    }
    return null;
  }
}
