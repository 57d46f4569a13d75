/** FindCoordinator v0-6 (v4+ batched): this broker coordinates every group and every transactional id. */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { FindCoordinator } from "../../protocol/messages";
import { AclOperation, groupAllowed, transactionalIdAllowed } from "../acl/check";

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
    // With an authorizer: DESCRIBE on the group (key type 0) or the transactional id (key type 1).
    const answer = (key: string) => {
      if (req.keyType === 1 && !transactionalIdAllowed(ctx, AclOperation.DESCRIBE, key))
        return { nodeId: -1, host: "", port: -1, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: "Transactional Id authorization failed." };
      if (req.keyType === 0 && !groupAllowed(ctx, AclOperation.DESCRIBE, key))
        return { nodeId: -1, host: "", port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: "Group authorization failed." };
      return me;
    };
    if (ctx.version >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, ...answer(key) })) };
    return answer(req.key);
  },
});
