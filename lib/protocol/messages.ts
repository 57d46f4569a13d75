/**
 * The messages this broker serves, declared as data after Apache Kafka's message specs
 * (clients/src/main/resources/common/message/*.json): every field with the versions it exists in, the versions
 * it may be null in, its tag when it is a tagged field, and its default when the spec gives one. Field names are
 * the camelCase of Kafka's. Only what the broker serves is declared; see codec.ts for the encoding.
 */
import { array, arrayOf, bool, bytes, int16, int32, int64, int8, message, narray, narrayOf, nstr, nstruct, records, str, struct, uuid } from "./codec";

const leaderIdAndEpoch = [int32("leaderId", "0+", { default: -1 }), int32("leaderEpoch", "0+", { default: -1 })] as const;
const nodeEndpoint = [int32("nodeId", "0+"), str("host", "0+"), int32("port", "0+"), nstr("rack", "0+", "0+")] as const;

export const Produce = message(
  0,
  "Produce",
  "0-13",
  "9+",
  [
    nstr("transactionalId", "3+", "3+"),
    int16("acks", "0+"),
    int32("timeoutMs", "0+"),
    // v13 (Kafka 4.1, KIP-516) names topics by id instead of by name.
    array("topicData", "0+", [str("name", "0-12"), uuid("topicId", "13+"), array("partitionData", "0+", [int32("index", "0+"), records("records", "0+")])]),
  ],
  [
    array("responses", "0+", [
      str("name", "0-12"),
      uuid("topicId", "13+"),
      array("partitionResponses", "0+", [
        int32("index", "0+"),
        int16("errorCode", "0+"),
        int64("baseOffset", "0+"),
        int64("logAppendTimeMs", "2+", { default: -1 }),
        int64("logStartOffset", "5+", { default: -1 }),
        array("recordErrors", "8+", [int32("batchIndex", "8+"), nstr("batchIndexErrorMessage", "8+", "8+")]),
        nstr("errorMessage", "8+", "8+"),
        struct("currentLeader", "10+", leaderIdAndEpoch, { tag: 0 }),
      ]),
    ]),
    int32("throttleTimeMs", "1+"),
    array("nodeEndpoints", "10+", nodeEndpoint, { tag: 0 }),
  ],
);

export const Fetch = message(
  1,
  "Fetch",
  "0-18",
  "12+",
  [
    nstr("clusterId", "12+", "12+", { tag: 0 }),
    int32("replicaId", "0-14", { default: -1 }),
    struct("replicaState", "15+", [int32("replicaId", "15+", { default: -1 }), int64("replicaEpoch", "15+", { default: -1 })], { tag: 1 }),
    int32("maxWaitMs", "0+"),
    int32("minBytes", "0+"),
    int32("maxBytes", "3+", { default: 0x7fffffff }),
    int8("isolationLevel", "4+"),
    int32("sessionId", "7+"),
    int32("sessionEpoch", "7+", { default: -1 }),
    array("topics", "0+", [
      str("topic", "0-12"),
      uuid("topicId", "13+"),
      array("partitions", "0+", [
        int32("partition", "0+"),
        int32("currentLeaderEpoch", "9+", { default: -1 }),
        int64("fetchOffset", "0+"),
        int32("lastFetchedEpoch", "12+", { default: -1 }),
        int64("logStartOffset", "5+", { default: -1 }),
        int32("partitionMaxBytes", "0+"),
        uuid("replicaDirectoryId", "17+", { tag: 0 }),
        // v18 (Kafka 4.1, KIP-1166): the follower's high watermark; consumers leave it at Long.MAX_VALUE (not sent).
        int64("highWatermark", "18+", { tag: 1, default: Number.MAX_SAFE_INTEGER }),
      ]),
    ]),
    array("forgottenTopicsData", "7+", [str("topic", "7-12"), uuid("topicId", "13+"), arrayOf("partitions", "int32", "7+")]),
    str("rackId", "11+"),
  ],
  [
    int32("throttleTimeMs", "1+"),
    int16("errorCode", "7+"),
    int32("sessionId", "7+"),
    array("responses", "0+", [
      str("topic", "0-12"),
      uuid("topicId", "13+"),
      array("partitions", "0+", [
        int32("partitionIndex", "0+"),
        int16("errorCode", "0+"),
        int64("highWatermark", "0+"),
        int64("lastStableOffset", "4+", { default: -1 }),
        int64("logStartOffset", "5+", { default: -1 }),
        struct("divergingEpoch", "12+", [int32("epoch", "12+", { default: -1 }), int64("endOffset", "12+", { default: -1 })], { tag: 0 }),
        struct("currentLeader", "12+", leaderIdAndEpoch, { tag: 1 }),
        struct("snapshotId", "12+", [int64("endOffset", "0+", { default: -1 }), int32("epoch", "0+", { default: -1 })], { tag: 2 }),
        narray("abortedTransactions", "4+", "4+", [int64("producerId", "4+"), int64("firstOffset", "4+")]),
        int32("preferredReadReplica", "11+", { default: -1 }),
        records("records", "0+"),
      ]),
    ]),
    array("nodeEndpoints", "16+", nodeEndpoint, { tag: 0 }),
  ],
);

export const ListOffsets = message(
  2,
  "ListOffsets",
  "0-10",
  "6+",
  [
    int32("replicaId", "0+"),
    int8("isolationLevel", "2+"),
    array("topics", "0+", [
      str("name", "0+"),
      array("partitions", "0+", [int32("partitionIndex", "0+"), int32("currentLeaderEpoch", "4+", { default: -1 }), int64("timestamp", "0+"), int32("maxNumOffsets", "0", { default: 1 })]),
    ]),
    int32("timeoutMs", "10+"),
  ],
  [
    int32("throttleTimeMs", "2+"),
    array("topics", "0+", [
      str("name", "0+"),
      array("partitions", "0+", [
        int32("partitionIndex", "0+"),
        int16("errorCode", "0+"),
        arrayOf("oldStyleOffsets", "int64", "0"),
        int64("timestamp", "1+", { default: -1 }),
        int64("offset", "1+", { default: -1 }),
        int32("leaderEpoch", "4+", { default: -1 }),
      ]),
    ]),
  ],
);

export const Metadata = message(
  3,
  "Metadata",
  "0-12",
  "9+",
  [
    narray("topics", "0+", "1+", [uuid("topicId", "10+"), nstr("name", "0+", "10+")]),
    bool("allowAutoTopicCreation", "4+", { default: true }),
    bool("includeClusterAuthorizedOperations", "8-10"),
    bool("includeTopicAuthorizedOperations", "8+"),
  ],
  [
    int32("throttleTimeMs", "3+"),
    array("brokers", "0+", [int32("nodeId", "0+"), str("host", "0+"), int32("port", "0+"), nstr("rack", "1+", "1+")]),
    nstr("clusterId", "2+", "2+"),
    int32("controllerId", "1+", { default: -1 }),
    array("topics", "0+", [
      int16("errorCode", "0+"),
      nstr("name", "0+", "12+"),
      uuid("topicId", "10+"),
      bool("isInternal", "1+"),
      array("partitions", "0+", [
        int16("errorCode", "0+"),
        int32("partitionIndex", "0+"),
        int32("leaderId", "0+"),
        int32("leaderEpoch", "7+", { default: -1 }),
        arrayOf("replicaNodes", "int32", "0+"),
        arrayOf("isrNodes", "int32", "0+"),
        arrayOf("offlineReplicas", "int32", "5+"),
      ]),
      int32("topicAuthorizedOperations", "8+", { default: -2147483648 }),
    ]),
    int32("clusterAuthorizedOperations", "8-10", { default: -2147483648 }),
  ],
);

// v9: the first version for KIP-848 consumer groups (member epoch checks: STALE_MEMBER_EPOCH); v10 (Kafka 4.2,
// unstable in 4.1) names topics by id instead of by name.
export const OffsetCommit = message(
  8,
  "OffsetCommit",
  "0-10",
  "8+",
  [
    str("groupId", "0+"),
    int32("generationIdOrMemberEpoch", "1+", { default: -1 }),
    str("memberId", "1+"),
    nstr("groupInstanceId", "7+", "7+"),
    int64("retentionTimeMs", "2-4", { default: -1 }),
    array("topics", "0+", [
      str("name", "0-9"),
      uuid("topicId", "10+"),
      array("partitions", "0+", [
        int32("partitionIndex", "0+"),
        int64("committedOffset", "0+"),
        int32("committedLeaderEpoch", "6+", { default: -1 }),
        int64("commitTimestamp", "1", { default: -1 }),
        nstr("committedMetadata", "0+", "0+"),
      ]),
    ]),
  ],
  [int32("throttleTimeMs", "3+"), array("topics", "0+", [str("name", "0-9"), uuid("topicId", "10+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int16("errorCode", "0+")])])],
);

const offsetFetchPartition = (v: string) => [int32("partitionIndex", v), int64("committedOffset", v), int32("committedLeaderEpoch", v === "0-7" ? "5-7" : v, { default: -1 }), nstr("metadata", v, v), int16("errorCode", v)] as const;

// v9: member id and epoch of a KIP-848 consumer group member; v10 (Kafka 4.2, unstable in 4.1): topic ids.
export const OffsetFetch = message(
  9,
  "OffsetFetch",
  "0-10",
  "6+",
  [
    str("groupId", "0-7"),
    narray("topics", "0-7", "2-7", [str("name", "0-7"), arrayOf("partitionIndexes", "int32", "0-7")]),
    array("groups", "8+", [
      str("groupId", "8+"),
      nstr("memberId", "9+", "9+"),
      int32("memberEpoch", "9+", { default: -1 }),
      narray("topics", "8+", "8+", [str("name", "8-9"), uuid("topicId", "10+"), arrayOf("partitionIndexes", "int32", "8+")]),
    ]),
    bool("requireStable", "7+"),
  ],
  [
    int32("throttleTimeMs", "3+"),
    array("topics", "0-7", [str("name", "0-7"), array("partitions", "0-7", offsetFetchPartition("0-7"))]),
    int16("errorCode", "2-7"),
    array("groups", "8+", [str("groupId", "8+"), array("topics", "8+", [str("name", "8-9"), uuid("topicId", "10+"), array("partitions", "8+", offsetFetchPartition("8+"))]), int16("errorCode", "8+")]),
  ],
);

export const FindCoordinator = message(
  10,
  "FindCoordinator",
  "0-6",
  "3+",
  [str("key", "0-3"), int8("keyType", "1+"), arrayOf("coordinatorKeys", "string", "4+")],
  [
    int32("throttleTimeMs", "1+"),
    int16("errorCode", "0-3"),
    nstr("errorMessage", "1-3", "1-3"),
    int32("nodeId", "0-3"),
    str("host", "0-3"),
    int32("port", "0-3"),
    array("coordinators", "4+", [str("key", "4+"), int32("nodeId", "4+"), str("host", "4+"), int32("port", "4+"), int16("errorCode", "4+"), nstr("errorMessage", "4+", "4+")]),
  ],
);

export const JoinGroup = message(
  11,
  "JoinGroup",
  "0-9",
  "6+",
  [
    str("groupId", "0+"),
    int32("sessionTimeoutMs", "0+"),
    int32("rebalanceTimeoutMs", "1+", { default: -1 }),
    str("memberId", "0+"),
    nstr("groupInstanceId", "5+", "5+"),
    str("protocolType", "0+"),
    array("protocols", "0+", [str("name", "0+"), bytes("metadata", "0+")]),
    nstr("reason", "8+", "8+"),
  ],
  [
    int32("throttleTimeMs", "2+"),
    int16("errorCode", "0+"),
    int32("generationId", "0+", { default: -1 }),
    nstr("protocolType", "7+", "7+"),
    nstr("protocolName", "0+", "7+"),
    str("leader", "0+"),
    bool("skipAssignment", "9+"),
    str("memberId", "0+"),
    array("members", "0+", [str("memberId", "0+"), nstr("groupInstanceId", "5+", "5+"), bytes("metadata", "0+")]),
  ],
);

export const Heartbeat = message(
  12,
  "Heartbeat",
  "0-4",
  "4+",
  [str("groupId", "0+"), int32("generationId", "0+"), str("memberId", "0+"), nstr("groupInstanceId", "3+", "3+")],
  [int32("throttleTimeMs", "1+"), int16("errorCode", "0+")],
);

export const LeaveGroup = message(
  13,
  "LeaveGroup",
  "0-5",
  "4+",
  [str("groupId", "0+"), str("memberId", "0-2"), array("members", "3+", [str("memberId", "3+"), nstr("groupInstanceId", "3+", "3+"), nstr("reason", "5+", "5+")])],
  [int32("throttleTimeMs", "1+"), int16("errorCode", "0+"), array("members", "3+", [str("memberId", "3+"), nstr("groupInstanceId", "3+", "3+"), int16("errorCode", "3+")])],
);

export const SyncGroup = message(
  14,
  "SyncGroup",
  "0-5",
  "4+",
  [
    str("groupId", "0+"),
    int32("generationId", "0+"),
    str("memberId", "0+"),
    nstr("groupInstanceId", "3+", "3+"),
    nstr("protocolType", "5+", "5+"),
    nstr("protocolName", "5+", "5+"),
    array("assignments", "0+", [str("memberId", "0+"), bytes("assignment", "0+")]),
  ],
  [int32("throttleTimeMs", "1+"), int16("errorCode", "0+"), nstr("protocolType", "5+", "5+"), nstr("protocolName", "5+", "5+"), bytes("assignment", "0+")],
);

export const DescribeGroups = message(
  15,
  "DescribeGroups",
  "0-6",
  "5+",
  [arrayOf("groups", "string", "0+"), bool("includeAuthorizedOperations", "3+")],
  [
    int32("throttleTimeMs", "1+"),
    array("groups", "0+", [
      int16("errorCode", "0+"),
      // Kafka 4.0 (KIP-1043): version 6 adds an error message and answers GROUP_ID_NOT_FOUND for unknown groups.
      nstr("errorMessage", "6+", "6+"),
      str("groupId", "0+"),
      str("groupState", "0+"),
      str("protocolType", "0+"),
      str("protocolData", "0+"),
      array("members", "0+", [str("memberId", "0+"), nstr("groupInstanceId", "4+", "4+"), str("clientId", "0+"), str("clientHost", "0+"), bytes("memberMetadata", "0+"), bytes("memberAssignment", "0+")]),
      int32("authorizedOperations", "3+", { default: -2147483648 }),
    ]),
  ],
);

export const ListGroups = message(
  16,
  "ListGroups",
  "0-5",
  "3+",
  [arrayOf("statesFilter", "string", "4+"), arrayOf("typesFilter", "string", "5+")],
  [int32("throttleTimeMs", "1+"), int16("errorCode", "0+"), array("groups", "0+", [str("groupId", "0+"), str("protocolType", "0+"), str("groupState", "4+"), str("groupType", "5+")])],
);

export const ApiVersions = message(
  18,
  "ApiVersions",
  "0-4",
  "3+",
  [str("clientSoftwareName", "3+"), str("clientSoftwareVersion", "3+")],
  [
    int16("errorCode", "0+"),
    array("apiKeys", "0+", [int16("apiKey", "0+"), int16("minVersion", "0+"), int16("maxVersion", "0+")]),
    int32("throttleTimeMs", "1+"),
    array("supportedFeatures", "3+", [str("name", "3+"), int16("minVersion", "3+"), int16("maxVersion", "3+")], { tag: 0 }),
    int64("finalizedFeaturesEpoch", "3+", { tag: 1, default: -1 }),
    array("finalizedFeatures", "3+", [str("name", "3+"), int16("maxVersionLevel", "3+"), int16("minVersionLevel", "3+")], { tag: 2 }),
    bool("zkMigrationReady", "3+", { tag: 3 }),
  ],
);

const creatableTopicConfigs = [str("name", "5+"), nstr("value", "5+", "5+"), bool("readOnly", "5+"), int8("configSource", "5+", { default: -1 }), bool("isSensitive", "5+")] as const;

export const CreateTopics = message(
  19,
  "CreateTopics",
  "0-7",
  "5+",
  [
    array("topics", "0+", [
      str("name", "0+"),
      int32("numPartitions", "0+"),
      int16("replicationFactor", "0+"),
      array("assignments", "0+", [int32("partitionIndex", "0+"), arrayOf("brokerIds", "int32", "0+")]),
      array("configs", "0+", [str("name", "0+"), nstr("value", "0+", "0+")]),
    ]),
    int32("timeoutMs", "0+", { default: 60000 }),
    bool("validateOnly", "1+"),
  ],
  [
    int32("throttleTimeMs", "2+"),
    array("topics", "0+", [
      str("name", "0+"),
      uuid("topicId", "7+"),
      int16("errorCode", "0+"),
      nstr("errorMessage", "1+", "0+"),
      int16("topicConfigErrorCode", "5+", { tag: 0 }),
      int32("numPartitions", "5+", { default: -1 }),
      int16("replicationFactor", "5+", { default: -1 }),
      narray("configs", "5+", "5+", creatableTopicConfigs),
    ]),
  ],
);

export const DeleteTopics = message(
  20,
  "DeleteTopics",
  "0-6",
  "4+",
  [array("topics", "6+", [nstr("name", "6+", "6+"), uuid("topicId", "6+")]), arrayOf("topicNames", "string", "0-5"), int32("timeoutMs", "0+")],
  [int32("throttleTimeMs", "1+"), array("responses", "0+", [nstr("name", "0+", "6+"), uuid("topicId", "6+"), int16("errorCode", "0+"), nstr("errorMessage", "5+", "5+")])],
);

export const DeleteRecords = message(
  21,
  "DeleteRecords",
  "0-2",
  "2+",
  [array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int64("offset", "0+")])]), int32("timeoutMs", "0+")],
  [int32("throttleTimeMs", "0+"), array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int64("lowWatermark", "0+"), int16("errorCode", "0+")])])],
);

export const InitProducerId = message(
  22,
  "InitProducerId",
  "0-5",
  "2+",
  [nstr("transactionalId", "0+", "0+"), int32("transactionTimeoutMs", "0+"), int64("producerId", "3+", { default: -1 }), int16("producerEpoch", "3+", { default: -1 })],
  [int32("throttleTimeMs", "0+"), int16("errorCode", "0+"), int64("producerId", "0+", { default: -1 }), int16("producerEpoch", "0+")],
);

export const OffsetForLeaderEpoch = message(
  23,
  "OffsetForLeaderEpoch",
  "0-4",
  "4+",
  [
    int32("replicaId", "3+", { default: -2 }),
    array("topics", "0+", [str("topic", "0+"), array("partitions", "0+", [int32("partition", "0+"), int32("currentLeaderEpoch", "2+", { default: -1 }), int32("leaderEpoch", "0+")])]),
  ],
  [
    int32("throttleTimeMs", "2+"),
    array("topics", "0+", [str("topic", "0+"), array("partitions", "0+", [int16("errorCode", "0+"), int32("partition", "0+"), int32("leaderEpoch", "1+", { default: -1 }), int64("endOffset", "0+", { default: -1 })])]),
  ],
);

const describeConfigsSynonym = [str("name", "1+"), nstr("value", "1+", "0+"), int8("source", "1+")] as const;

export const DescribeConfigs = message(
  32,
  "DescribeConfigs",
  "0-4",
  "4+",
  [array("resources", "0+", [int8("resourceType", "0+"), str("resourceName", "0+"), narrayOf("configurationKeys", "string", "0+", "0+")]), bool("includeSynonyms", "1+"), bool("includeDocumentation", "3+")],
  [
    int32("throttleTimeMs", "0+"),
    array("results", "0+", [
      int16("errorCode", "0+"),
      nstr("errorMessage", "0+", "0+"),
      int8("resourceType", "0+"),
      str("resourceName", "0+"),
      array("configs", "0+", [
        str("name", "0+"),
        nstr("value", "0+", "0+"),
        bool("readOnly", "0+"),
        bool("isDefault", "0"),
        int8("configSource", "1+", { default: -1 }),
        bool("isSensitive", "0+"),
        array("synonyms", "1+", describeConfigsSynonym),
        int8("configType", "3+"),
        nstr("documentation", "3+", "0+"),
      ]),
    ]),
  ],
);

const alterConfigsResponse = [int32("throttleTimeMs", "0+"), array("responses", "0+", [int16("errorCode", "0+"), nstr("errorMessage", "0+", "0+"), int8("resourceType", "0+"), str("resourceName", "0+")])] as const;

export const AlterConfigs = message(
  33,
  "AlterConfigs",
  "0-2",
  "2+",
  [array("resources", "0+", [int8("resourceType", "0+"), str("resourceName", "0+"), array("configs", "0+", [str("name", "0+"), nstr("value", "0+", "0+")])]), bool("validateOnly", "0+")],
  alterConfigsResponse,
);

export const DescribeLogDirs = message(
  35,
  "DescribeLogDirs",
  "0-4",
  "2+",
  [narray("topics", "0+", "0+", [str("topic", "0+"), arrayOf("partitions", "int32", "0+")])],
  [
    int32("throttleTimeMs", "0+"),
    int16("errorCode", "3+"),
    array("results", "0+", [
      int16("errorCode", "0+"),
      str("logDir", "0+"),
      array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int64("partitionSize", "0+"), int64("offsetLag", "0+"), bool("isFutureKey", "0+")])]),
      int64("totalBytes", "4+", { default: -1 }),
      int64("usableBytes", "4+", { default: -1 }),
    ]),
  ],
);

export const CreatePartitions = message(
  37,
  "CreatePartitions",
  "0-3",
  "2+",
  [array("topics", "0+", [str("name", "0+"), int32("count", "0+"), narray("assignments", "0+", "0+", [arrayOf("brokerIds", "int32", "0+")])]), int32("timeoutMs", "0+"), bool("validateOnly", "0+")],
  [int32("throttleTimeMs", "0+"), array("results", "0+", [str("name", "0+"), int16("errorCode", "0+"), nstr("errorMessage", "0+", "0+")])],
);

export const DeleteGroups = message(
  42,
  "DeleteGroups",
  "0-2",
  "2+",
  [arrayOf("groupsNames", "string", "0+")],
  [int32("throttleTimeMs", "0+"), array("results", "0+", [str("groupId", "0+"), int16("errorCode", "0+")])],
);

export const IncrementalAlterConfigs = message(
  44,
  "IncrementalAlterConfigs",
  "0-1",
  "1+",
  [
    array("resources", "0+", [int8("resourceType", "0+"), str("resourceName", "0+"), array("configs", "0+", [str("name", "0+"), int8("configOperation", "0+"), nstr("value", "0+", "0+")])]),
    bool("validateOnly", "0+"),
  ],
  alterConfigsResponse,
);

export const OffsetDelete = message(
  47,
  "OffsetDelete",
  "0",
  "none",
  [str("groupId", "0+"), array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+")])])],
  [int16("errorCode", "0+"), int32("throttleTimeMs", "0+"), array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int16("errorCode", "0+")])])],
);

export const DescribeCluster = message(
  60,
  "DescribeCluster",
  "0-1",
  "0+",
  [bool("includeClusterAuthorizedOperations", "0+"), int8("endpointType", "1+", { default: 1 })],
  [
    int32("throttleTimeMs", "0+"),
    int16("errorCode", "0+"),
    nstr("errorMessage", "0+", "0+"),
    int8("endpointType", "1+", { default: 1 }),
    str("clusterId", "0+"),
    int32("controllerId", "0+", { default: -1 }),
    array("brokers", "0+", [int32("brokerId", "0+"), str("host", "0+"), int32("port", "0+"), nstr("rack", "0+", "0+")]),
    int32("clusterAuthorizedOperations", "0+", { default: -2147483648 }),
  ],
);

export const DescribeProducers = message(
  61,
  "DescribeProducers",
  "0",
  "0+",
  [array("topics", "0+", [str("name", "0+"), arrayOf("partitionIndexes", "int32", "0+")])],
  [
    int32("throttleTimeMs", "0+"),
    array("topics", "0+", [
      str("name", "0+"),
      array("partitions", "0+", [
        int32("partitionIndex", "0+"),
        int16("errorCode", "0+"),
        nstr("errorMessage", "0+", "0+"),
        array("activeProducers", "0+", [
          int64("producerId", "0+"),
          int32("producerEpoch", "0+"),
          int32("lastSequence", "0+", { default: -1 }),
          int64("lastTimestamp", "0+", { default: -1 }),
          int32("coordinatorEpoch", "0+"),
          int64("currentTxnStartOffset", "0+", { default: -1 }),
        ]),
      ]),
    ]),
  ],
);

export const DescribeTransactions = message(
  65,
  "DescribeTransactions",
  "0",
  "0+",
  [arrayOf("transactionalIds", "string", "0+")],
  [
    int32("throttleTimeMs", "0+"),
    array("transactionStates", "0+", [
      int16("errorCode", "0+"),
      str("transactionalId", "0+"),
      str("transactionState", "0+"),
      int32("transactionTimeoutMs", "0+"),
      int64("transactionStartTimeMs", "0+"),
      int64("producerId", "0+"),
      int16("producerEpoch", "0+"),
      array("topics", "0+", [str("topic", "0+"), arrayOf("partitions", "int32", "0+")]),
    ]),
  ],
);

export const ListTransactions = message(
  66,
  "ListTransactions",
  "0-1",
  "0+",
  [arrayOf("stateFilters", "string", "0+"), arrayOf("producerIdFilters", "int64", "0+"), int64("durationFilter", "1+", { default: -1 })],
  [int32("throttleTimeMs", "0+"), int16("errorCode", "0+"), arrayOf("unknownStateFilters", "string", "0+"), array("transactionStates", "0+", [str("transactionalId", "0+"), int64("producerId", "0+"), str("transactionState", "0+")])],
);

export const SaslHandshake = message(17, "SaslHandshake", "0-1", "none", [str("mechanism", "0+")], [int16("errorCode", "0+"), arrayOf("mechanisms", "string", "0+")]);

export const SaslAuthenticate = message(
  36,
  "SaslAuthenticate",
  "0-2",
  "2+",
  [bytes("authBytes", "0+")],
  [int16("errorCode", "0+"), nstr("errorMessage", "0+", "0+"), bytes("authBytes", "0+"), int64("sessionLifetimeMs", "1+")],
);

const addPartitionsToTxnTopic = [str("name", "0+"), arrayOf("partitions", "int32", "0+")] as const;
const addPartitionsToTxnTopicResult = [str("name", "0+"), array("resultsByPartition", "0+", [int32("partitionIndex", "0+"), int16("partitionErrorCode", "0+")])] as const;

export const AddPartitionsToTxn = message(
  24,
  "AddPartitionsToTxn",
  "0-5",
  "3+",
  [
    array("transactions", "4+", [str("transactionalId", "4+"), int64("producerId", "4+"), int16("producerEpoch", "4+"), bool("verifyOnly", "4+"), array("topics", "4+", addPartitionsToTxnTopic)]),
    str("v3AndBelowTransactionalId", "0-3"),
    int64("v3AndBelowProducerId", "0-3"),
    int16("v3AndBelowProducerEpoch", "0-3"),
    array("v3AndBelowTopics", "0-3", addPartitionsToTxnTopic),
  ],
  [
    int32("throttleTimeMs", "0+"),
    int16("errorCode", "4+"),
    array("resultsByTransaction", "4+", [str("transactionalId", "4+"), array("topicResults", "4+", addPartitionsToTxnTopicResult)]),
    array("resultsByTopicV3AndBelow", "0-3", addPartitionsToTxnTopicResult),
  ],
);

export const AddOffsetsToTxn = message(
  25,
  "AddOffsetsToTxn",
  "0-4",
  "3+",
  [str("transactionalId", "0+"), int64("producerId", "0+"), int16("producerEpoch", "0+"), str("groupId", "0+")],
  [int32("throttleTimeMs", "0+"), int16("errorCode", "0+")],
);

export const EndTxn = message(
  26,
  "EndTxn",
  "0-5",
  "3+",
  [str("transactionalId", "0+"), int64("producerId", "0+"), int16("producerEpoch", "0+"), bool("committed", "0+")],
  [int32("throttleTimeMs", "0+"), int16("errorCode", "0+"), int64("producerId", "5+", { default: -1 }), int16("producerEpoch", "5+", { default: -1 })],
);

export const TxnOffsetCommit = message(
  28,
  "TxnOffsetCommit",
  "0-5",
  "3+",
  [
    str("transactionalId", "0+"),
    str("groupId", "0+"),
    int64("producerId", "0+"),
    int16("producerEpoch", "0+"),
    int32("generationId", "3+", { default: -1 }),
    str("memberId", "3+"),
    nstr("groupInstanceId", "3+", "3+"),
    array("topics", "0+", [
      str("name", "0+"),
      array("partitions", "0+", [int32("partitionIndex", "0+"), int64("committedOffset", "0+"), int32("committedLeaderEpoch", "2+", { default: -1 }), nstr("committedMetadata", "0+", "0+")]),
    ]),
  ],
  [int32("throttleTimeMs", "0+"), array("topics", "0+", [str("name", "0+"), array("partitions", "0+", [int32("partitionIndex", "0+"), int16("errorCode", "0+")])])],
);

const aclFilter = [
  int8("resourceTypeFilter", "0+"),
  nstr("resourceNameFilter", "0+", "0+"),
  int8("patternTypeFilter", "1+", { default: 3 }),
  nstr("principalFilter", "0+", "0+"),
  nstr("hostFilter", "0+", "0+"),
  int8("operation", "0+"),
  int8("permissionType", "0+"),
] as const;

export const DescribeAcls = message(
  29,
  "DescribeAcls",
  "0-3",
  "2+",
  aclFilter,
  [
    int32("throttleTimeMs", "0+"),
    int16("errorCode", "0+"),
    nstr("errorMessage", "0+", "0+"),
    array("resources", "0+", [
      int8("resourceType", "0+"),
      str("resourceName", "0+"),
      int8("patternType", "1+", { default: 3 }),
      array("acls", "0+", [str("principal", "0+"), str("host", "0+"), int8("operation", "0+"), int8("permissionType", "0+")]),
    ]),
  ],
);

export const CreateAcls = message(
  30,
  "CreateAcls",
  "0-3",
  "2+",
  [
    array("creations", "0+", [
      int8("resourceType", "0+"),
      str("resourceName", "0+"),
      int8("resourcePatternType", "1+", { default: 3 }),
      str("principal", "0+"),
      str("host", "0+"),
      int8("operation", "0+"),
      int8("permissionType", "0+"),
    ]),
  ],
  [int32("throttleTimeMs", "0+"), array("results", "0+", [int16("errorCode", "0+"), nstr("errorMessage", "0+", "0+")])],
);

export const DeleteAcls = message(
  31,
  "DeleteAcls",
  "0-3",
  "2+",
  [array("filters", "0+", aclFilter)],
  [
    int32("throttleTimeMs", "0+"),
    array("filterResults", "0+", [
      int16("errorCode", "0+"),
      nstr("errorMessage", "0+", "0+"),
      array("matchingAcls", "0+", [
        int16("errorCode", "0+"),
        nstr("errorMessage", "0+", "0+"),
        int8("resourceType", "0+"),
        str("resourceName", "0+"),
        int8("patternType", "1+", { default: 3 }),
        str("principal", "0+"),
        str("host", "0+"),
        int8("operation", "0+"),
        int8("permissionType", "0+"),
      ]),
    ]),
  ],
);

// ---- KIP-848: the consumer group protocol ----

// v1 adds the regular-expression subscription (KIP-848); from v1 the client makes its own member id (KIP-1082).
export const ConsumerGroupHeartbeat = message(
  68,
  "ConsumerGroupHeartbeat",
  "0-1",
  "0+",
  [
    str("groupId", "0+"),
    str("memberId", "0+"),
    int32("memberEpoch", "0+"),
    nstr("instanceId", "0+", "0+"),
    nstr("rackId", "0+", "0+"),
    int32("rebalanceTimeoutMs", "0+", { default: -1 }),
    narrayOf("subscribedTopicNames", "string", "0+", "0+"),
    nstr("subscribedTopicRegex", "1+", "1+"),
    nstr("serverAssignor", "0+", "0+"),
    narray("topicPartitions", "0+", "0+", [uuid("topicId", "0+"), arrayOf("partitions", "int32", "0+")]),
  ],
  [
    int32("throttleTimeMs", "0+"),
    int16("errorCode", "0+"),
    nstr("errorMessage", "0+", "0+"),
    nstr("memberId", "0+", "0+"),
    int32("memberEpoch", "0+"),
    int32("heartbeatIntervalMs", "0+"),
    nstruct("assignment", "0+", "0+", [array("topicPartitions", "0+", [uuid("topicId", "0+"), arrayOf("partitions", "int32", "0+")])]),
  ],
);

const describedAssignment = [array("topicPartitions", "0+", [uuid("topicId", "0+"), str("topicName", "0+"), arrayOf("partitions", "int32", "0+")])] as const;

// v1 adds each member's type (KIP-1099: 0 classic, 1 consumer).
export const ConsumerGroupDescribe = message(
  69,
  "ConsumerGroupDescribe",
  "0-1",
  "0+",
  [arrayOf("groupIds", "string", "0+"), bool("includeAuthorizedOperations", "0+")],
  [
    int32("throttleTimeMs", "0+"),
    array("groups", "0+", [
      int16("errorCode", "0+"),
      nstr("errorMessage", "0+", "0+"),
      str("groupId", "0+"),
      str("groupState", "0+"),
      int32("groupEpoch", "0+"),
      int32("assignmentEpoch", "0+"),
      str("assignorName", "0+"),
      array("members", "0+", [
        str("memberId", "0+"),
        nstr("instanceId", "0+", "0+"),
        nstr("rackId", "0+", "0+"),
        int32("memberEpoch", "0+"),
        str("clientId", "0+"),
        str("clientHost", "0+"),
        arrayOf("subscribedTopicNames", "string", "0+"),
        nstr("subscribedTopicRegex", "0+", "0+"),
        struct("assignment", "0+", describedAssignment),
        struct("targetAssignment", "0+", describedAssignment),
        int8("memberType", "1+", { default: -1 }),
      ]),
      int32("authorizedOperations", "0+", { default: -2147483648 }),
    ]),
  ],
);
