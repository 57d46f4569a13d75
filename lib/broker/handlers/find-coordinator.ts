/** FindCoordinator v0-6 (v4+ batched): this broker coordinates every group and every transactional id. */
import { ErrorCode } from "../protocol/apis";
import { defineApi } from "../protocol/api";
import { FindCoordinator } from "../protocol/messages";

export const findCoordinator = defineApi(FindCoordinator, {
  versions: [0, 6],
  handle(req, ctx) {
    const { core } = ctx;
    // Kafka creates __consumer_offsets at the first group coordinator lookup.
    const forGroup = ctx.version >= 4 ? req.keyType === 0 && req.coordinatorKeys.length > 0 : req.keyType === 0;
    if (forGroup) {
      try {
        core.groups.offsetsTopic();
      } catch {
        // a full disk or the partition limit: commits answer COORDINATOR_NOT_AVAILABLE until it can be made
      }
    }
    const me = { nodeId: core.nodeId, host: core.host, port: core.port, errorCode: ErrorCode.NONE, errorMessage: null };
    if (ctx.version >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, ...me })) };
    return me;
  },
});
