/** LeaveGroup v0-3 (v3 leaves several members at once). */
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleLeaveGroup(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const groupId = r.string();
  const members = v >= 3 ? r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() })) : [{ memberId: r.string(), groupInstanceId: null }];
  const codes = ctx.core.groups.leave(groupId, members.map((m) => m.memberId));
  const w = new Writer();
  if (v >= 1) w.int32(0);
  if (v < 3) return w.int16(codes[0]);
  w.int16(0);
  w.int32(members.length);
  members.forEach((m, i) => w.string(m.memberId).nullableString(m.groupInstanceId).int16(codes[i]));
  return w;
}
