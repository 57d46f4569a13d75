/**
 * Cluster-level APIs: ApiVersions v0-4 (the table built from the registered handlers, with the features a
 * Kafka 4.0 KRaft broker finalizes), DescribeCluster v0-1, DescribeLogDirs v1-4 and OffsetForLeaderEpoch v2-4.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi, type ApiRegistry } from "../protocol/api";
import { ApiVersions, DescribeCluster, DescribeLogDirs, OffsetForLeaderEpoch } from "../../protocol/messages";
import { NO_AUTHORIZED_OPERATIONS } from "../core";

/** metadata.version of Kafka 4.0 (4.0-IV3). No transaction.version is finalized, so clients use the classic
 * transaction protocol. */
const METADATA_VERSION = 25;
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
          { name: "group.version", minVersion: 0, maxVersion: GROUP_VERSION },
        ],
        finalizedFeaturesEpoch: 0,
        finalizedFeatures: [
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
      clusterAuthorizedOperations: NO_AUTHORIZED_OPERATIONS,
    };
  },
});

export const describeLogDirs = defineApi(DescribeLogDirs, {
  versions: [1, 4],
  handle(req, ctx) {
    const { core } = ctx;
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
    // One leader epoch (0) for the whole life of every partition: its end offset is the log end.
    return {
      topics: req.topics.map((t) => {
        const topic = ctx.core.topics.get(t.topic);
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const log = topic?.partitions[p.partition];
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
