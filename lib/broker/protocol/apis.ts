/**
 * The APIs this broker answers and the version ranges it advertises. Only non-flexible versions: every range
 * stops just below the version that introduced compact encodings and tagged fields (KIP-482), which every
 * client falls back from gracefully.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
} as const;

export const API_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ApiKey).map(([k, v]) => [v, k]));

/** [min, max] advertised per API key. */
export const SUPPORTED_VERSIONS: Record<number, [number, number]> = {
  [ApiKey.Produce]: [3, 8],
  [ApiKey.Fetch]: [4, 11],
  [ApiKey.ListOffsets]: [0, 5],
  [ApiKey.Metadata]: [0, 8],
  [ApiKey.OffsetCommit]: [0, 7],
  [ApiKey.OffsetFetch]: [0, 5],
  [ApiKey.FindCoordinator]: [0, 2],
  [ApiKey.JoinGroup]: [0, 5],
  [ApiKey.Heartbeat]: [0, 3],
  [ApiKey.LeaveGroup]: [0, 3],
  [ApiKey.SyncGroup]: [0, 3],
  [ApiKey.DescribeGroups]: [0, 4],
  [ApiKey.ListGroups]: [0, 2],
  [ApiKey.ApiVersions]: [0, 2],
  [ApiKey.CreateTopics]: [0, 4],
  [ApiKey.DeleteTopics]: [0, 3],
  [ApiKey.InitProducerId]: [0, 1],
  [ApiKey.DescribeConfigs]: [0, 3],
};

/** Kafka error codes used here (org.apache.kafka.common.protocol.Errors). */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  INVALID_CONFIG: 40,
  UNKNOWN_SERVER_ERROR: -1,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  INVALID_RECORD: 87,
} as const;
