/**
 * EndTxn v0-5: commit or abort the open transaction; COMMIT/ABORT markers go to every partition in it and, on
 * commit, its offsets to their groups. v5 is transaction protocol version 2 (KIP-890 part 2, `transaction.version`
 * 2 finalized in ApiVersions): the epoch is bumped at every end and the answer carries the producer id and epoch
 * for the next transaction.
 */
import { defineApi } from "../protocol/api";
import { EndTxn } from "../../protocol/messages";
import { fencedFor } from "./txn-errors";
import { ErrorCode } from "../../protocol/apis";
import { AclOperation, transactionalIdAllowed } from "../acl/check";

export const endTxn = defineApi(EndTxn, {
  versions: [0, 5],
  handle(req, ctx) {
    if (!transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const r = ctx.core.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, ctx.version >= 5);
    return { errorCode: fencedFor(r.errorCode, ctx.version, 2), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
});
