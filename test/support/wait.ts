/** Polling helpers for tests that wait on real servers: poll a condition, never sleep for an assumed time. */
import net from "node:net";

/**
 * Resolves with the first value of `check()` that is neither undefined nor false; fails naming `what` after
 * `timeoutMs`. Generous defaults: these machines are shared and slow under load.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 90_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A free loopback port, for servers that cannot be told to pick one (jupyter server prints port 0 literally). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
