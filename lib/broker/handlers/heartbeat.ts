/** Heartbeat v0-4: keeps a member's session alive and tells it when a rebalance has begun. */
import { defineApi } from "../protocol/api";
import { Heartbeat } from "../../protocol/messages";

export const heartbeat = defineApi(Heartbeat, {
  versions: [0, 4],
  handle(req, ctx) {
    return { errorCode: ctx.core.groups.heartbeat(req.groupId, req.generationId, req.memberId) };
  },
});
