/** Heartbeat v0-4: keeps a member's session alive and tells it when a rebalance has begun. */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { Heartbeat } from "../../protocol/messages";
import { AclOperation, groupAllowed } from "../acl/check";

export const heartbeat = defineApi(Heartbeat, {
  versions: [0, 4],
  handle(req, ctx) {
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { errorCode: ctx.core.groups.heartbeat(req.groupId, req.generationId, req.memberId) };
  },
});
