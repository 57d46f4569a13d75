/** SyncGroup v0-3: the leader hands in assignments; every member waits for its own. */
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export async function handleSyncGroup(ctx: RequestContext, r: Reader): Promise<Writer> {
  const v = ctx.version;
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (v >= 3) r.nullableString();
  const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
  const res = await ctx.core.groups.sync(groupId, generationId, memberId, assignments);
  const w = new Writer();
  if (v >= 1) w.int32(0);
  w.int16(res.errorCode).bytes(res.assignment);
  return w;
}
