/**
 * EndTxn v0-4: commit or abort the open transaction; COMMIT/ABORT markers go to every partition in it and, on
 * commit, its offsets to their groups. v5 (an epoch bump per transaction, transaction.version 2) is not served:
 * this broker finalizes no transaction.version, so clients use version 1 of the protocol.
 */
import { defineApi } from "../protocol/api";
import { EndTxn } from "../../protocol/messages";
import { fencedFor } from "./txn-errors";
import { ErrorCode } from "../../protocol/apis";
import { AclOperation, transactionalIdAllowed } from "../acl/check";

export const endTxn = defineApi(EndTxn, {
  versions: [0, 4],
  handle(req, ctx) {
    if (!transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    return { errorCode: fencedFor(ctx.core.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed), ctx.version, 2) };
  },
});
