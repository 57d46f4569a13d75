/**
 * What the registry suites share: an embedded broker with a schema registry beside it (its `_schemas` topic on
 * that broker) and a client, started once per file; and a clock that makes generated records reproducible.
 */
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect, type KafkaClient } from "../../lib/client";
import { startRegistry, type RunningRegistry } from "../../lib/registry";

export interface RegistryStack {
  broker: RunningBroker;
  registry: RunningRegistry;
  client: KafkaClient;
}

export async function startStack(): Promise<RegistryStack> {
  const broker = await startBroker({ port: 0 });
  const registry = await startRegistry({ bootstrap: [broker.bootstrap] });
  return { broker, registry, client: connect(broker.bootstrap) };
}

/** Stops what started, even if start-up failed half way (afterAll runs after a failed beforeAll). */
export async function stopStack(s: Partial<RegistryStack>): Promise<void> {
  await s.client?.close();
  await s.registry?.stop();
  await s.broker?.stop();
}

/** A clock that ticks one second per record from a fixed instant: the same records on every run. */
export const tickingClock = () => {
  let t = Date.UTC(2026, 0, 1, 12, 0, 0);
  return () => (t += 1000);
};
