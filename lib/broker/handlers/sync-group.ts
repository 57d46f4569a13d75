/** SyncGroup v0-5: the leader hands in assignments; every member waits for its own. */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { SyncGroup } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";

export const syncGroup = defineApi(SyncGroup, {
  versions: [0, 5],
  async handle(req, ctx) {
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) };
    const assignments = req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) }));
    const res = await ctx.core.groups.sync(req.groupId, req.generationId, req.memberId, assignments);
    const g = ctx.core.groups.groups.get(req.groupId);
    const ok = res.errorCode === ErrorCode.NONE;
    return { errorCode: res.errorCode, protocolType: ok ? g?.protocolType ?? null : null, protocolName: ok ? g?.protocolName ?? null : null, assignment: res.assignment };
  },
});
