/** LeaveGroup v0-5 (v3+ leaves several members at once). */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { LeaveGroup } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";

export const leaveGroup = defineApi(LeaveGroup, {
  versions: [0, 5],
  handle(req, ctx) {
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const members = ctx.version >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
    const codes = ctx.core.groups.leave(req.groupId, members.map((m) => m.memberId));
    if (ctx.version < 3) return { errorCode: codes[0] };
    return { errorCode: 0, members: members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: codes[i] })) };
  },
});
