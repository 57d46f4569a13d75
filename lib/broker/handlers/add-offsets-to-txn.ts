/** AddOffsetsToTxn v0-4: the group's offsets may be committed in the open transaction (TxnOffsetCommit). */
import { defineApi } from "../protocol/api";
import { AddOffsetsToTxn } from "../../protocol/messages";
import { fencedFor } from "./txn-errors";
import { ErrorCode } from "../../protocol/apis";
import { AclOperation, groupAllowed, transactionalIdAllowed } from "../acl/check";

export const addOffsetsToTxn = defineApi(AddOffsetsToTxn, {
  versions: [0, 4],
  handle(req, ctx) {
    if (!transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { errorCode: fencedFor(ctx.core.txns.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId), ctx.version, 2) };
  },
});
