/**
 * What the protocol layer keeps about topics beyond their logs:
 * - topic ids (KIP-516) for Metadata v10+, Fetch v13+, CreateTopics v7+ and DeleteTopics v6+. Each topic gets a
 *   random UUID the first time it is seen; a deleted and re-created topic gets a new id, as in Kafka.
 * - the configs set explicitly on a topic (at creation or by AlterConfigs), as given, so DescribeConfigs reports
 *   them with source TOPIC_CONFIG, as Kafka does, also for configs this broker accepts without acting on them.
 * With a data directory both are kept in `topic-ids.json` and `topic-configs.json`, so a restart keeps them.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BrokerCore } from "../core";

function readJson<T>(file: string | undefined): T | undefined {
  if (!file || !fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined; // a torn file: ids are regenerated (clients refresh their metadata), explicit configs forgotten
  }
}

function writeJson(file: string | undefined, value: unknown): void {
  if (!file) return;
  fs.writeFileSync(file + ".tmp", JSON.stringify(value));
  fs.renameSync(file + ".tmp", file);
}

class TopicMeta {
  private byName = new Map<string, string>();
  private byId = new Map<string, string>();
  private readonly file: string | undefined;
  private readonly configsFile: string | undefined;
  private explicit = new Map<string, Record<string, string | null>>();

  constructor(private readonly core: BrokerCore) {
    const dir = core.options.dataDir;
    this.file = dir ? path.join(dir, "topic-ids.json") : undefined;
    this.configsFile = dir ? path.join(dir, "topic-configs.json") : undefined;
    for (const [name, id] of Object.entries(readJson<Record<string, string>>(this.file) ?? {})) this.set(name, id);
    for (const [name, c] of Object.entries(readJson<Record<string, Record<string, string | null>>>(this.configsFile) ?? {})) this.explicit.set(name, c);
  }

  /** Configs set explicitly on a topic, by Kafka name. */
  explicitConfigs(name: string): Record<string, string | null> {
    return this.core.topics.get(name) ? this.explicit.get(name) ?? {} : {};
  }

  setExplicitConfigs(name: string, configs: Record<string, string | null>): void {
    if (Object.keys(configs).length === 0) this.explicit.delete(name);
    else this.explicit.set(name, configs);
    writeJson(this.configsFile, Object.fromEntries(this.explicit));
  }

  private set(name: string, id: string): void {
    this.byName.set(name, id);
    this.byId.set(id, name);
  }

  private save(): void {
    writeJson(this.file, Object.fromEntries(this.byName));
  }

  idOf(name: string): string {
    let id = this.byName.get(name);
    if (!id) {
      id = randomUUID();
      this.set(name, id);
      this.save();
    }
    return id;
  }

  /** The topic name of an id, if that topic still exists. */
  nameOf(id: string): string | undefined {
    const name = this.byId.get(id);
    return name !== undefined && this.core.topics.get(name) ? name : undefined;
  }

  /** A deleted topic: its id and explicit configs go. */
  forget(name: string): void {
    if (this.explicit.delete(name)) writeJson(this.configsFile, Object.fromEntries(this.explicit));
    const id = this.byName.get(name);
    if (id === undefined) return;
    this.byName.delete(name);
    this.byId.delete(id);
    this.save();
  }
}

const perCore = new WeakMap<BrokerCore, TopicMeta>();

export function topicMeta(core: BrokerCore): TopicMeta {
  let m = perCore.get(core);
  if (!m) perCore.set(core, (m = new TopicMeta(core)));
  return m;
}
