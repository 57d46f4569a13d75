/** AddOffsetsToTxn v0-4: the group's offsets may be committed in the open transaction (TxnOffsetCommit). */
import { defineApi } from "../protocol/api";
import { AddOffsetsToTxn } from "../../protocol/messages";
import { fencedFor } from "./txn-errors";

export const addOffsetsToTxn = defineApi(AddOffsetsToTxn, {
  versions: [0, 4],
  handle(req, ctx) {
    return { errorCode: fencedFor(ctx.core.txns.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId), ctx.version, 2) };
  },
});
