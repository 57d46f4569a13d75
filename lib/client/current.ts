/**
 * "The notebook's current cluster": what `%kafka` shows and what every magic, generator and streaming source
 * uses when no bootstrap address is given. An explicit `%kafka connect` sets it; otherwise the first use asks
 * the provider, which (in the kernel and the runner) starts the embedded broker and says so in one line.
 */
import { embeddedClusterProvider } from "./embedded";
import type { ClusterConfig } from "./types";

export type ClusterProvider = () => Promise<ClusterConfig>;

let current: ClusterConfig | undefined;
let provider: ClusterProvider | undefined = embeddedClusterProvider;
let pending: Promise<ClusterConfig> | undefined;

export function setCurrentCluster(config: ClusterConfig | undefined): void {
  current = config;
  pending = undefined;
}

/** Replace the provider (default: start or reuse the embedded broker); undefined makes a missing cluster an error. */
export function setClusterProvider(next: ClusterProvider | undefined): void {
  provider = next;
}

/** The current cluster if one is set (or given by $STREAMLAB_BOOTSTRAP), without starting anything. */
export function peekCurrentCluster(): ClusterConfig | undefined {
  if (!current && process.env.STREAMLAB_BOOTSTRAP) current = { bootstrap: process.env.STREAMLAB_BOOTSTRAP.split(",") };
  return current;
}

export async function currentCluster(): Promise<ClusterConfig> {
  if (current) return current;
  if (process.env.STREAMLAB_BOOTSTRAP) {
    current = { bootstrap: process.env.STREAMLAB_BOOTSTRAP.split(",") };
    return current;
  }
  if (!provider) throw new Error("no Kafka cluster: run %kafka start for the embedded broker, or %kafka connect HOST:PORT");
  if (!pending) {
    pending = provider().then(
      (c) => (current = c),
      (err) => {
        pending = undefined;
        throw err;
      },
    );
  }
  return pending;
}
