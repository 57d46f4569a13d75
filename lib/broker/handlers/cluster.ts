/**
 * Cluster-level APIs: ApiVersions v0-4 (the table built from the registered handlers, with the features a
 * Kafka 4.0 KRaft broker finalizes), DescribeCluster v0-1, DescribeLogDirs v1-4 and OffsetForLeaderEpoch v2-4.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi, type ApiRegistry } from "../protocol/api";
import { ApiVersions, DescribeCluster, DescribeLogDirs, OffsetForLeaderEpoch } from "../../protocol/messages";
import { NO_AUTHORIZED_OPERATIONS } from "../core";
import { AclOperation, clusterAllowed, clusterAuthorizedOperations, topicAllowed } from "../acl/check";

/** metadata.version of Kafka 4.0 (4.0-IV3). */
const METADATA_VERSION = 25;
/**
 * transaction.version 2 finalized, as a new Kafka 4.x cluster does: clients that know KIP-890 part 2 (the Java
 * client 4.x) use transaction protocol version 2 (Produce v12+ adding partitions, EndTxn v5 bumping the epoch);
 * the others keep version 1, which is served beside it.
 */
const TRANSACTION_VERSION = 2;
/** group.version 1 (KIP-848): the consumer group protocol (ConsumerGroupHeartbeat) is on, as in Kafka 4.x. */
const GROUP_VERSION = 1;

export function apiVersions(registry: ApiRegistry) {
  return defineApi(ApiVersions, {
    versions: [0, 4],
    handle() {
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: registry.versionTable(),
        throttleTimeMs: 0,
        supportedFeatures: [
          { name: "metadata.version", minVersion: 1, maxVersion: METADATA_VERSION },
          { name: "transaction.version", minVersion: 0, maxVersion: TRANSACTION_VERSION },
          { name: "group.version", minVersion: 0, maxVersion: GROUP_VERSION },
        ],
        finalizedFeaturesEpoch: 0,
        finalizedFeatures: [
          { name: "transaction.version", maxVersionLevel: TRANSACTION_VERSION, minVersionLevel: TRANSACTION_VERSION },
          { name: "metadata.version", maxVersionLevel: METADATA_VERSION, minVersionLevel: METADATA_VERSION },
          { name: "group.version", maxVersionLevel: GROUP_VERSION, minVersionLevel: GROUP_VERSION },
        ],
        zkMigrationReady: false,
      };
    },
  });
}

export const describeCluster = defineApi(DescribeCluster, {
  versions: [0, 1],
  handle(req, ctx) {
    const { core } = ctx;
    // Endpoint type 2 asks for controllers (KIP-919); this node is both.
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: req.endpointType,
      clusterId: core.clusterId,
      controllerId: core.nodeId,
      brokers: [{ brokerId: core.nodeId, host: core.host, port: core.port, rack: null }],
      // Anyone may describe the cluster (as Kafka); its authorized operations when asked: 0 without DESCRIBE on it.
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NO_AUTHORIZED_OPERATIONS,
    };
  },
});

export const describeLogDirs = defineApi(DescribeLogDirs, {
  versions: [1, 4],
  handle(req, ctx) {
    const { core } = ctx;
    // With an authorizer: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED and no results (as Kafka).
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const asked = req.topics ?? [...core.topics.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((_, i) => i) }));
    const topics = asked
      .map((t) => {
        const topic = core.topics.get(t.topic);
        const partitions = t.partitions.filter((p) => topic?.partitions[p]).map((p) => ({ partitionIndex: p, partitionSize: topic!.partitions[p].size, offsetLag: 0, isFutureKey: false }));
        return { name: t.topic, partitions };
      })
      .filter((t) => t.partitions.length > 0);
    return { errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: core.options.dataDir ?? "(memory)", topics, totalBytes: -1, usableBytes: -1 }] };
  },
});

export const offsetForLeaderEpoch = defineApi(OffsetForLeaderEpoch, {
  versions: [2, 4],
  handle(req, ctx) {
    // One leader epoch (0) for the whole life of every partition: its end offset is the log end. With an
    // authorizer: CLUSTER_ACTION on the cluster or DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED), as Kafka.
    const mayAll = clusterAllowed(ctx, AclOperation.CLUSTER_ACTION);
    return {
      topics: req.topics.map((t) => {
        const topic = ctx.core.topics.get(t.topic);
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const log = topic?.partitions[p.partition];
            if (!mayAll && !topicAllowed(ctx, AclOperation.DESCRIBE, t.topic)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
            if (!log) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
            if (p.currentLeaderEpoch > 0) return { errorCode: 74 /* FENCED_LEADER_EPOCH */, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
            if (p.leaderEpoch > 0) return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
            return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: 0, endOffset: log.highWatermark };
          }),
        };
      }),
    };
  },
});
