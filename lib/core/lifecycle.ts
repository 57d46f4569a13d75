/**
 * Shutdown hooks: every part of streamlab that starts background work (queries, generators, Kafka clients,
 * live displays) registers a hook here, and the host (Jupyter kernel on shutdown/restart, `streamlab run` after
 * the last cell) runs them all before it closes its sockets. Part of lib/core, so every room and the kernel share
 * one instance: `import { onShutdown } from "streamlab"`, or inside lib/ from "../core" (kernel/: "../lib/core").
 */

export type ShutdownHook = () => void | Promise<void>;

const hooks = new Set<{ name: string; hook: ShutdownHook }>();
let shuttingDown: Promise<void> | undefined;

/** Register a hook; returns a function that unregisters it (call it when the work ends by itself). */
export function onShutdown(hook: ShutdownHook, name = hook.name || "anonymous"): () => void {
  const entry = { name, hook };
  hooks.add(entry);
  return () => {
    hooks.delete(entry);
  };
}

export function isShuttingDown(): boolean {
  return shuttingDown !== undefined;
}

/**
 * Run every hook concurrently; each gets `timeoutMs` before we stop waiting for it. Errors are reported through `log`, never thrown: one stuck query must not keep the kernel alive.
 */
export function runShutdownHooks(timeoutMs = 5000, log: (line: string) => void = () => undefined): Promise<void> {
  if (shuttingDown) return shuttingDown;
  const entries = [...hooks].reverse();
  hooks.clear();
  shuttingDown = Promise.all(
    entries.map(async ({ name, hook }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
        timer.unref?.();
      });
      try {
        const result = await Promise.race([Promise.resolve().then(hook), timeout]);
        if (result === "timeout") log(`shutdown hook ${name} did not finish within ${timeoutMs} ms; going on`);
      } catch (err) {
        log(`shutdown hook ${name} failed: ${(err as Error)?.message ?? String(err)}`);
      } finally {
        if (timer) clearTimeout(timer);
      }
    }),
  ).then(() => undefined);
  const done = shuttingDown;
  // A host that keeps running afterwards (tests, a runner executing several notebooks) may shut down again.
  void done.then(() => {
    if (shuttingDown === done) shuttingDown = undefined;
  });
  return done;
}
