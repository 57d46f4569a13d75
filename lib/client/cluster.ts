/**
 * A client for the notebook's current cluster, shared by the magics and notebooks (`await currentClient()`),
 * and the topics table `%kafka topics` shows.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { onShutdown } from "../core";
import { currentCluster } from "./current";
import { Table } from "./html";
import { connect, type KafkaClient } from "./kafkajs";
import type { ClusterConfig, TopicPartitionOffsets } from "./types";

// The kernel's client connections close on shutdown; the embedded broker itself outlives the kernel.
onShutdown(async () => {
  const c = cachedClient?.client;
  cachedClient = undefined;
  await c?.close();
}, "%kafka client");

let cachedClient: { config: ClusterConfig; client: KafkaClient } | undefined;

/** Close and forget the shared client (after `%kafka stop`, its cluster is gone). */
export async function dropCurrentClient(): Promise<void> {
  const old = cachedClient?.client;
  cachedClient = undefined;
  await old?.close().catch(() => undefined);
}

/** A client for the current cluster (starting the embedded one if there is none), reused across magics. */
export async function currentClient(): Promise<KafkaClient> {
  const config = await currentCluster();
  if (cachedClient?.config !== config) {
    const old = cachedClient?.client;
    cachedClient = { config, client: connect(config) };
    void old?.close().catch(() => undefined);
  }
  return cachedClient.client;
}

/**
 * On-disk size of a topic of the embedded broker (its segment files under DATA_DIR/topics/NAME/P/*.log), or
 * undefined when unknown (external cluster, memory-only broker). The Kafka client API has no log sizes.
 */
export function embeddedTopicBytes(dataDir: string | undefined, topic: string): number | undefined {
  if (!dataDir) return undefined;
  const dir = path.join(dataDir, "topics", topic);
  if (!existsSync(dir)) return undefined;
  let total = 0;
  try {
    for (const p of readdirSync(dir)) {
      const pdir = path.join(dir, p);
      if (!statSync(pdir).isDirectory()) continue;
      for (const f of readdirSync(pdir)) if (f.endsWith(".log")) total += statSync(path.join(pdir, f)).size;
    }
  } catch {
    return undefined;
  }
  return total;
}

export async function topicsTable(client: KafkaClient, title?: string): Promise<Table> {
  const topics = (await client.listTopics()).filter((t) => t.name !== "__consumer_offsets");
  const dataDir = client.config.embedded?.dataDir;
  const rows: unknown[][] = [];
  for (const t of topics) {
    const offsets: TopicPartitionOffsets[] = await client.topicOffsets(t.name).catch(() => []);
    const messages = offsets.reduce((s, o) => s + (Number(o.high) - Number(o.low)), 0);
    const bytes = embeddedTopicBytes(dataDir, t.name);
    rows.push([t.name, t.partitions, messages, bytes === undefined ? "n/a" : bytes, offsets.map((o) => `${o.partition}:${o.high}`).join(" ")]);
  }
  return new Table(["topic", "partitions", "messages", "bytes", "end offsets"], rows, {
    title,
    numericColumns: ["partitions", "messages", "bytes"],
    note: `messages = end offset - start offset, summed over partitions; bytes: ${dataDir ? "log files on disk" : "not reported by Kafka clients (n/a)"}`,
  });
}
