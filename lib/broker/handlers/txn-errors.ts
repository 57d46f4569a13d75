/** Error codes of the transaction APIs as each request version knows them. */
import { ErrorCode } from "../../protocol/apis";

/**
 * PRODUCER_FENCED (90) exists from AddPartitionsToTxn/AddOffsetsToTxn/EndTxn v2 and InitProducerId v4 on; older
 * versions get INVALID_PRODUCER_EPOCH (47), as Kafka answers them.
 */
export function fencedFor(errorCode: number, version: number, firstVersionWithFenced: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
