/** JoinGroup v0-5: answered when the rebalance completes (every member rejoined, or the timeout passed). */
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export async function handleJoinGroup(ctx: RequestContext, r: Reader): Promise<Writer> {
  const v = ctx.version;
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = v >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
  const res = await ctx.core.groups.join({ groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols, clientId: ctx.clientId, clientHost: ctx.clientHost });
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.array(res.members, (w, m) => {
    w.string(m.memberId);
    if (v >= 5) w.nullableString(m.groupInstanceId);
    w.bytes(m.metadata);
  });
  return w;
}
