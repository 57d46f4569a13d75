/** FindCoordinator v0-2: this broker coordinates every group (and would every transaction). */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleFindCoordinator(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  r.string(); // key
  if (v >= 1) r.int8(); // key_type
  const w = new Writer();
  if (v >= 1) w.int32(0);
  w.int16(ErrorCode.NONE);
  if (v >= 1) w.nullableString(null);
  w.int32(ctx.core.nodeId).string(ctx.core.host).int32(ctx.core.port);
  return w;
}
