/** FindCoordinator v0-6 (v4+ batched): this broker coordinates every group and every transactional id. */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { FindCoordinator } from "../../protocol/messages";

export const findCoordinator = defineApi(FindCoordinator, {
  versions: [0, 6],
  handle(req, ctx) {
    const { core } = ctx;
    const me = { nodeId: core.nodeId, host: core.host, port: core.port, errorCode: ErrorCode.NONE, errorMessage: null };
    if (ctx.version >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, ...me })) };
    return me;
  },
});
