/**
 * The embedded Kafka-compatible broker: `startBroker({port: 0, dataDir})` for tests, the kernel and the CLI.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import * as fs from "node:fs";
import * as path from "node:path";
import { BrokerCore } from "./core";
import type { AuthorizerOptions } from "./acl/authorizer";
import { Connection } from "./server";
import { saveSnapshots } from "./txn/producer-state";
import { topicMeta } from "./handlers/topic-meta";

/** Kafka's message.max.bytes default: 1 MiB plus the record batch overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1048588;

export interface BrokerOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** TCP port; 0 (the default here) picks a free one. */
  port?: number;
  /** Host name given to clients in metadata; defaults to the listen host (127.0.0.1 for a wildcard). */
  advertisedHost?: string;
  /** Directory for segment files and committed offsets; memory-only when absent. */
  dataDir?: string;
  /** Partitions of auto-created topics and of CreateTopics with -1. Default 1, as Kafka's num.partitions. */
  defaultPartitions?: number;
  /** Create unknown topics on metadata and produce requests. Default true. */
  autoCreateTopics?: boolean;
  /** Largest request frame accepted; bigger ones close the connection. Default 100 MiB. */
  maxRequestBytes?: number;
  /** Default retention per partition in bytes, -1 for none. Default 1 GiB in memory, none with a data dir. */
  retentionBytes?: number;
  /** Default retention by age in ms, -1 for none. Default 7 days. */
  retentionMs?: number;
  /** Segment size. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * Largest record batch accepted per topic by default (Kafka's message.max.bytes; a topic's max.message.bytes
   * overrides it). Default 1048588, Kafka's: a batch that a real cluster would refuse is refused here too.
   */
  maxMessageBytes?: number;
  /** How often retention runs. Default 30 s. */
  retentionCheckIntervalMs?: number;
  /** Partitions of the internal topic __consumer_offsets, made at the first group request (Kafka's offsets.topic.num.partitions). Default 50. */
  offsetsTopicPartitions?: number;
  /** How often the log cleaner looks for compacted partitions to clean (Kafka's log.cleaner.backoff.ms). Default 15 s. */
  logCleanerIntervalMs?: number;
  /**
   * How often the segments written are flushed and `recovery-point-offset-checkpoint` and the producer-state
   * snapshots are written (Kafka's log.flush.offset.checkpoint.interval.ms). After a crash a start reads only
   * what was written after the last one. Default 60 s.
   */
  recoveryPointCheckpointIntervalMs?: number;
  /** Delay before the first generation of a new group, letting more members join it. Default 0. */
  initialRebalanceDelayMs?: number;
  /** KIP-848 consumer groups: the heartbeat interval given to members (Kafka's group.consumer.heartbeat.interval.ms). Default 5000. */
  consumerGroupHeartbeatIntervalMs?: number;
  /** KIP-848 consumer groups: a member's session (Kafka's group.consumer.session.timeout.ms). Default 45000. */
  consumerGroupSessionTimeoutMs?: number;
  /**
   * SASL users (name -> password). When given, every connection must authenticate with SASL/PLAIN or
   * SASL/SCRAM-SHA-256/512 before anything but ApiVersions (a SASL_PLAINTEXT listener, or SASL_SSL with `tls`).
   */
  users?: Record<string, string>;
  /**
   * Enforce ACLs as Kafka's StandardAuthorizer (`{ superUsers: ["User:admin"], allowEveryoneIfNoAclFound }`);
   * the ACL APIs then manage them. Without it there are no ACLs and every client may do everything.
   */
  authorizer?: AuthorizerOptions;
  /** TLS: PEM certificate chain and private key; the listener then speaks TLS (SSL, or SASL_SSL with `users`). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Partitions over all topics; CreateTopics past it gets POLICY_VIOLATION. Default 50,000. */
  maxPartitions?: number;
  /** Partitions of one topic; more get INVALID_PARTITIONS. Default 10,000. */
  maxPartitionsPerTopic?: number;
  /** Long-polling fetches waiting at once; beyond it a fetch answers at once. Default 10,000. */
  maxWaitingFetches?: number;
  /** connections.max.idle.ms. Default 600,000 (10 minutes). */
  idleTimeoutMs?: number;
  /** Time a partly received request may take to arrive whole before its connection closes. Default 30,000. */
  partialRequestTimeoutMs?: number;
  /** Unread response bytes per connection after which the broker stops reading from it. Default 16 MiB. */
  maxBufferedResponseBytes?: number;
  /** Receives one line per connection dropped for bad input, and recovery and storage-fault lines. */
  log?: (line: string) => void;
}

export interface RunningBroker {
  /** "127.0.0.1:PORT", for a client's bootstrap list. */
  bootstrap: string;
  host: string;
  port: number;
  dataDir: string | undefined;
  /** Counters of what the broker holds, for tests and monitoring. */
  stats(): BrokerStats;
  stop(): Promise<void>;
}

export interface BrokerStats {
  connections: number;
  /** Long-polling fetches waiting for data. */
  waitingFetches: number;
  /** Response bytes written but not yet taken by clients, over all connections. */
  bufferedResponseBytes: number;
  /** Segment files open (bounded, whatever the number of partitions). */
  openSegmentFiles: number;
  partitions: number;
  /** Partitions the log cleaner is cleaning right now. */
  cleaningPartitions: number;
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? "127.0.0.1";
  const defaultPartitions = options.defaultPartitions ?? 1;
  if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) throw new Error(`defaultPartitions must be a positive integer, got ${defaultPartitions}`);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const advertisedHost = options.advertisedHost ?? (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host);
  const core = new BrokerCore({
    host: advertisedHost,
    port: 0,
    dataDir,
    defaultPartitions,
    autoCreateTopics: options.autoCreateTopics ?? true,
    topicDefaults: {
      retentionBytes: options.retentionBytes ?? (dataDir ? -1 : 1 << 30),
      retentionMs: options.retentionMs ?? 7 * 24 * 3600 * 1000,
      segmentBytes: options.segmentBytes ?? 64 << 20,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    },
    initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 0,
    minSessionTimeoutMs: 100,
    maxSessionTimeoutMs: 1_800_000, // Kafka's group.max.session.timeout.ms default
    users: options.users,
    authorizer: options.authorizer,
    partitionLimits: { maxPartitions: options.maxPartitions, maxPartitionsPerTopic: options.maxPartitionsPerTopic },
    maxWaiters: options.maxWaitingFetches,
    offsetsTopicPartitions: options.offsetsTopicPartitions,
    consumerGroupHeartbeatIntervalMs: options.consumerGroupHeartbeatIntervalMs,
    consumerGroupSessionTimeoutMs: options.consumerGroupSessionTimeoutMs,
    log: options.log,
  });
  // KIP-848 consumer groups are kept in __consumer_offsets too (Kafka's records, topics by id): replay them.
  const ids = topicMeta(core);
  core.consumerGroups.attach({ append: (g, records) => core.groups.storeRecords(g, records), idOf: (t) => ids.idOf(t), nameOf: (id) => ids.nameOf(id) }, core.groups.consumerGroupRecords.splice(0));
  const connections = new Set<Connection>();
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const conn = new Connection(socket, core, {
      maxRequestBytes: options.maxRequestBytes ?? 100 << 20,
      idleTimeoutMs: options.idleTimeoutMs,
      partialRequestTimeoutMs: options.partialRequestTimeoutMs,
      maxBufferedResponseBytes: options.maxBufferedResponseBytes,
      log: options.log,
    });
    connections.add(conn);
    socket.on("close", () => connections.delete(conn));
  };
  // A TLS listener hands over the decrypted socket once the handshake is done.
  const server = options.tls ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onSocket) : net.createServer(onSocket);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    core.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") throw new Error(`port ${options.port} on ${host} is already in use: choose another with --port, or 0 for any free port`);
    throw err;
  }
  // After listening, errors such as running out of file descriptors on accept are logged, never fatal.
  server.on("error", (err: Error) => options.log?.(`listener error: ${err.message}`));
  const port = (server.address() as net.AddressInfo).port;
  core.options.port = port;
  const retention = setInterval(() => core.topics.applyRetention(), options.retentionCheckIntervalMs ?? 30_000);
  retention.unref();
  let cleaning = false;
  const cleaner = setInterval(() => {
    if (cleaning) return;
    cleaning = true;
    core.topics
      .cleanAll()
      .then((done) => {
        for (const d of done) options.log?.(`cleaner: ${d.partition}: ${d.stats.bytesBefore} -> ${d.stats.bytesAfter} bytes, ${d.stats.recordsRemoved} records, ${d.stats.tombstonesRemoved} tombstones and ${d.stats.markersRemoved} transaction markers removed`);
      })
      .catch((err: Error) => options.log?.(`cleaner: ${err.message}`))
      .finally(() => (cleaning = false));
  }, options.logCleanerIntervalMs ?? 15_000);
  cleaner.unref();
  const checkpoint = setInterval(() => {
    saveSnapshots(core.topics);
    void core.topics.checkpointRecoveryPoints();
  }, options.recoveryPointCheckpointIntervalMs ?? 60_000);
  checkpoint.unref();
  let stopped: Promise<void> | undefined;
  return {
    bootstrap: `${advertisedHost}:${port}`,
    host: advertisedHost,
    port,
    dataDir,
    stats() {
      let buffered = 0;
      for (const s of sockets) buffered += s.writableLength;
      return {
        connections: sockets.size,
        waitingFetches: core.topics.waiting,
        bufferedResponseBytes: buffered,
        openSegmentFiles: core.topics.fds.size,
        partitions: core.topics.totalPartitions,
        cleaningPartitions: core.topics.cleaningPartitions,
      };
    },
    stop() {
      if (!stopped) {
        stopped = new Promise<void>((resolve) => {
          clearInterval(retention);
          clearInterval(cleaner);
          clearInterval(checkpoint);
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
          core.close();
        });
      }
      return stopped;
    },
  };
}
