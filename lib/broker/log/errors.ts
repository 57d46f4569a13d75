/**
 * Failures of the log layer as Kafka error codes, so a handler can answer with the code instead of closing the
 * connection. The numbers are Kafka's (org.apache.kafka.common.protocol.Errors).
 */
export const LogErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  INVALID_TIMESTAMP: 32,
  INVALID_PARTITIONS: 37,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  KAFKA_STORAGE_ERROR: 56,
  INVALID_RECORD: 87,
} as const;

export class LogError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps an error thrown while touching the disk to KAFKA_STORAGE_ERROR, keeping LogErrors as they are. */
export function asLogError(err: unknown, what: string): LogError {
  if (err instanceof LogError) return err;
  const e = err as NodeJS.ErrnoException;
  return new LogError(e?.code ? LogErrorCode.KAFKA_STORAGE_ERROR : LogErrorCode.UNKNOWN_SERVER_ERROR, `${what}: ${e?.message ?? String(err)}`);
}
