/** Heartbeat v0-3: keeps a member's session alive and tells it when a rebalance has begun. */
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleHeartbeat(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (v >= 3) r.nullableString();
  const w = new Writer();
  if (v >= 1) w.int32(0);
  w.int16(ctx.core.groups.heartbeat(groupId, generationId, memberId));
  return w;
}
