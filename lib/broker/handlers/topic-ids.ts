/**
 * Topic ids (KIP-516) for Metadata v10+, Fetch v13+, CreateTopics v7+ and DeleteTopics v6+. Each topic gets a
 * random UUID the first time it is seen; with a data directory the ids are kept in `topic-ids.json` so a restart
 * keeps them (a client holding an id would otherwise get UNKNOWN_TOPIC_ID and refresh its metadata). A deleted
 * and re-created topic gets a new id, as in Kafka.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BrokerCore } from "../core";

class TopicIds {
  private byName = new Map<string, string>();
  private byId = new Map<string, string>();
  private readonly file: string | undefined;

  constructor(private readonly core: BrokerCore) {
    this.file = core.options.dataDir ? path.join(core.options.dataDir, "topic-ids.json") : undefined;
    if (this.file && fs.existsSync(this.file)) {
      try {
        const saved = JSON.parse(fs.readFileSync(this.file, "utf8")) as Record<string, string>;
        for (const [name, id] of Object.entries(saved)) this.set(name, id);
      } catch {
        // A torn file: ids are regenerated, clients refresh their metadata.
      }
    }
  }

  private set(name: string, id: string): void {
    this.byName.set(name, id);
    this.byId.set(id, name);
  }

  private save(): void {
    if (!this.file) return;
    const tmp = this.file + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.byName)));
    fs.renameSync(tmp, this.file);
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

  forget(name: string): void {
    const id = this.byName.get(name);
    if (id === undefined) return;
    this.byName.delete(name);
    this.byId.delete(id);
    this.save();
  }
}

const perCore = new WeakMap<BrokerCore, TopicIds>();

export function topicIds(core: BrokerCore): TopicIds {
  let ids = perCore.get(core);
  if (!ids) perCore.set(core, (ids = new TopicIds(core)));
  return ids;
}
