/**
 * The broker's state shared by every handler: identity (single node 0), topics, the group coordinator and
 * the options it was started with.
 */
import { GroupCoordinator } from "./group/coordinator";
import { TopicStore, type Topic, type TopicConfig } from "./log/topics";
import type { Reader, Writer } from "./protocol/primitives";

export interface BrokerCoreOptions {
  host: string;
  port: number;
  dataDir?: string;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  topicDefaults: TopicConfig;
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
}

export class BrokerCore {
  readonly nodeId = 0;
  readonly clusterId = "streamlab-embedded";
  readonly topics: TopicStore;
  readonly groups: GroupCoordinator;
  private nextProducerId = Date.now() % 1_000_000_000;

  constructor(readonly options: BrokerCoreOptions) {
    this.topics = new TopicStore(options.dataDir, options.topicDefaults);
    this.groups = new GroupCoordinator(options.dataDir, options);
  }

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.options.port;
  }

  /** The topic, created with the default partition count when auto-creation is on and the name is valid. */
  topicOrAutoCreate(name: string, allowAutoCreate: boolean): Topic | undefined {
    const existing = this.topics.get(name);
    if (existing || !allowAutoCreate || !this.options.autoCreateTopics) return existing;
    try {
      return this.topics.create(name, this.options.defaultPartitions);
    } catch {
      return undefined;
    }
  }

  allocateProducerId(): number {
    return this.nextProducerId++;
  }

  close(): void {
    this.groups.close();
    this.topics.close();
  }
}

export interface RequestContext {
  core: BrokerCore;
  apiKey: number;
  version: number;
  correlationId: number;
  clientId: string;
  clientHost: string;
}

/** A handler decodes its request body from the reader and returns the response body; undefined sends nothing. */
export type Handler = (ctx: RequestContext, r: Reader) => Writer | undefined | Promise<Writer | undefined>;

/** Kafka's "no authorized operations requested" marker. */
export const NO_AUTHORIZED_OPERATIONS = -2147483648;
