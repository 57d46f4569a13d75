/**
 * InitProducerId v0-1, for idempotent producers (librdkafka's enable.idempotence). Each call gets a fresh
 * producer id; sequence numbers are not checked, which is safe on one node with no leader changes.
 */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleInitProducerId(ctx: RequestContext, r: Reader): Writer {
  r.nullableString(); // transactional_id
  r.int32(); // transaction_timeout_ms
  return new Writer().int32(0).int16(ErrorCode.NONE).int64(ctx.core.allocateProducerId()).int16(0);
}
