/** DescribeGroups v0-4 and ListGroups v0-2, for admin clients and `kcat -L`-style tools. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import { NO_AUTHORIZED_OPERATIONS, type RequestContext } from "../core";

export function handleDescribeGroups(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const ids = r.array((r) => r.string());
  if (v >= 3) r.bool();
  const w = new Writer();
  if (v >= 1) w.int32(0);
  w.array(ids, (w, id) => {
    const d = ctx.core.groups.describe(id);
    w.int16(ErrorCode.NONE).string(id).string(d.state).string(d.protocolType).string(d.protocolName);
    w.array(d.members, (w, m) => {
      w.string(m.memberId);
      if (v >= 4) w.nullableString(m.groupInstanceId);
      w.string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
    });
    if (v >= 3) w.int32(NO_AUTHORIZED_OPERATIONS);
  });
  return w;
}

export function handleListGroups(ctx: RequestContext): Writer {
  const w = new Writer();
  if (ctx.version >= 1) w.int32(0);
  w.int16(ErrorCode.NONE);
  const groups = [...ctx.core.groups.groups.values()].filter((g) => g.members.size > 0 || g.offsets.size > 0);
  w.array(groups, (w, g) => w.string(g.groupId).string(g.protocolType || "consumer"));
  return w;
}
