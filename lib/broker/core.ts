/**
 * The broker's state shared by every handler: identity (single node 0), topics, the group coordinator and
 * the options it was started with.
 */
import { GroupCoordinator } from "./group/coordinator";
import { ConsumerGroupCoordinator } from "./group/consumer-group";
import { TopicStore, isInternalTopic, type PartitionLimits, type Topic, type TopicConfig } from "./log/topics";
import { TransactionCoordinator } from "./txn/coordinator";
import { Authorizer, type AuthorizerOptions } from "./acl/authorizer";

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
  /** SASL users (name -> password): when set, every connection must authenticate (PLAIN or SCRAM-SHA-256/512). */
  users?: Record<string, string>;
  /** ACLs enforced (Kafka's StandardAuthorizer); without it every client may do everything. */
  authorizer?: AuthorizerOptions;
  /** Partition limits (POLICY_VIOLATION past them). */
  partitionLimits?: Partial<PartitionLimits>;
  /** Long-polling fetches waiting at once. */
  maxWaiters?: number;
  /** Partitions of __consumer_offsets (Kafka's offsets.topic.num.partitions, default 50). */
  offsetsTopicPartitions?: number;
  /** KIP-848 consumer groups: heartbeat interval and session timeout (Kafka's group.consumer.*). */
  consumerGroupHeartbeatIntervalMs?: number;
  consumerGroupSessionTimeoutMs?: number;
  /** Recovery and storage-fault lines. */
  log?: (line: string) => void;
}

export class BrokerCore {
  readonly nodeId = 0;
  readonly clusterId = "streamlab-embedded";
  readonly topics: TopicStore;
  readonly groups: GroupCoordinator;
  /** KIP-848 consumer groups (ConsumerGroupHeartbeat); their committed offsets are kept by `groups`. */
  readonly consumerGroups: ConsumerGroupCoordinator;
  /** Transactional ids, their open transactions, and the producer ids handed out. */
  readonly txns: TransactionCoordinator;
  /** The ACLs, when the broker runs with an authorizer. */
  readonly authorizer: Authorizer | undefined;

  constructor(readonly options: BrokerCoreOptions) {
    this.topics = new TopicStore(options.dataDir, options.topicDefaults, { log: options.log, limits: options.partitionLimits, maxWaiters: options.maxWaiters });
    this.groups = new GroupCoordinator(options.dataDir, options, this.topics);
    this.consumerGroups = new ConsumerGroupCoordinator(
      {
        partitions: (t) => this.topics.get(t)?.partitions.length,
        topicNames: () => [...this.topics.topics.keys()].filter((t) => !isInternalTopic(t)),
        classicGroupInUse: (id) => (this.groups.groups.get(id)?.members.size ?? 0) > 0,
        dropEmptyClassicGroup: (id) => this.groups.forgetEmptyGroup(id),
      },
      { heartbeatIntervalMs: options.consumerGroupHeartbeatIntervalMs, sessionTimeoutMs: options.consumerGroupSessionTimeoutMs },
    );
    // Transactional commits (TxnOffsetCommit) of consumer group members go through the classic check: delegate.
    this.groups.consumerGroupCommitCheck = (id, epoch, memberId) => {
      const g = this.consumerGroups.groups.get(id);
      return g && this.consumerGroups.checkTransactionalCommit(g, memberId, epoch);
    };
    this.authorizer = options.authorizer ? new Authorizer(options.authorizer, options.dataDir) : undefined;
    this.txns = new TransactionCoordinator({ topics: this.topics, groups: this.groups, dataDir: options.dataDir, log: options.log });
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
    // Names starting with "__" are internal, as in Kafka: never created by a metadata or produce request.
    if (existing || !allowAutoCreate || !this.options.autoCreateTopics || isInternalTopic(name)) return existing;
    try {
      return this.topics.create(name, this.options.defaultPartitions);
    } catch {
      return undefined;
    }
  }

  allocateProducerId(): number {
    return this.txns.allocateProducerId();
  }

  close(): void {
    this.txns.close();
    this.consumerGroups.close();
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
  /** Aborted when the connection closes, so a long poll can stop waiting for it. */
  signal?: AbortSignal;
  /** The connection's authentication state (SASL). */
  session?: SaslSession;
}

/** Kafka's "no authorized operations requested" marker. */
export const NO_AUTHORIZED_OPERATIONS = -2147483648;

/** A connection's authentication state (handlers/sasl.ts moves it along). */
export interface SaslSession {
  /** "User:name" once authenticated; "User:ANONYMOUS" on a listener without SASL. */
  principal: string | null;
  mechanism?: string;
  scram?: { user: string; clientFirstBare: string; serverFirst: string; nonce: string; salt: Buffer; hash: "sha256" | "sha512" };
  /** Set when the connection must close after the response (a failed authentication). */
  closeAfterResponse?: string;
}
