/** spark.streams: the active queries of this process. */
import type { StreamingQuery } from "./types";
import type { StreamingQueryImpl } from "./query";
import { onShutdown } from "../../core";

export class StreamingQueryManager {
  private readonly queries = new Map<string, StreamingQueryImpl>();
  private readonly startedListeners = new Set<(q: StreamingQuery) => void>();
  private anyTerminated: (() => void)[] = [];
  private readonly shutdownHooks = new Map<string, () => void>();

  get active(): StreamingQuery[] {
    return [...this.queries.values()].filter((q) => q.isActive);
  }
  get(id: string): StreamingQuery | undefined {
    return this.queries.get(id) ?? [...this.queries.values()].find((q) => q.name === id);
  }
  /** lib/render's %streams dashboard follows new queries with this. */
  onQueryStarted(listener: (q: StreamingQuery) => void): () => void {
    this.startedListeners.add(listener);
    return () => this.startedListeners.delete(listener);
  }
  register(q: StreamingQueryImpl): void {
    if (q.name && [...this.queries.values()].some((o) => o.isActive && o.name === q.name)) {
      throw new Error(`Cannot start query with name ${q.name} as a query with that name is already active; stop it first (spark.streams.get("${q.name}").stop())`);
    }
    this.queries.set(q.id, q);
    // Kernel shutdown and restart stop every query (and close its Kafka connections) before exiting.
    this.shutdownHooks.set(q.runId, onShutdown(() => q.stop(), `query ${q.name ?? q.id}`));
    for (const l of this.startedListeners) {
      try {
        l(q);
      } catch {
        // listeners never break a query start
      }
    }
  }
  deregister(q: StreamingQueryImpl): void {
    if (this.queries.get(q.id) === q) this.queries.delete(q.id);
    this.shutdownHooks.get(q.runId)?.();
    this.shutdownHooks.delete(q.runId);
    const waiters = this.anyTerminated;
    this.anyTerminated = [];
    for (const w of waiters) w();
  }
  awaitAnyTermination(timeoutMs?: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.anyTerminated.push(() => {
        if (timer) clearTimeout(timer);
        resolve(true);
      });
      if (timeoutMs !== undefined) timer = setTimeout(() => resolve(false), timeoutMs);
    });
  }
  /** Stop every query (kernel shutdown and restart call this). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.queries.values()].map((q) => q.stop()));
  }
}
