/**
 * AddPartitionsToTxn v0-5: partitions join the producer's open transaction (the first one opens it). v0-3 are
 * the client versions (one transaction); v4+ carry several transactions and a verify-only flag (KIP-890), which
 * checks membership without adding (a partition not in the transaction: TRANSACTION_ABORTABLE, as Kafka 4.1).
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { AddPartitionsToTxn } from "../../protocol/messages";
import { fencedFor } from "./txn-errors";
import { AclOperation, topicAllowed, transactionalIdAllowed } from "../acl/check";
import type { RequestContext } from "../core";

type Topics = { name: string; partitions: number[] }[];

function addOne(ctx: RequestContext, version: number, transactionalId: string, producerId: number, producerEpoch: number, topics: Topics, verifyOnly: boolean) {
  const { core } = ctx;
  const flat = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  // With an authorizer: WRITE on the transactional id, then WRITE on each topic (the others OPERATION_NOT_ATTEMPTED).
  const deniedTopic = flat.map((p) => !topicAllowed(ctx, AclOperation.WRITE, p.topic));
  const errors = !transactionalIdAllowed(ctx, AclOperation.WRITE, transactionalId)
    ? flat.map(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    : deniedTopic.some(Boolean)
      ? deniedTopic.map((d) => (d ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED))
      : verifyOnly
    ? flat.map((p) => (core.txns.inTransaction(producerId, producerEpoch, p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE))
    : core.txns.addPartitions(transactionalId, producerId, producerEpoch, flat);
  let i = 0;
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: fencedFor(errors[i++], version, 2) })),
  }));
}

export const addPartitionsToTxn = defineApi(AddPartitionsToTxn, {
  versions: [0, 5],
  handle(req, ctx) {
    if (ctx.version <= 3) return { resultsByTopicV3AndBelow: addOne(ctx, ctx.version, req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false) };
    return {
      errorCode: ErrorCode.NONE,
      resultsByTransaction: req.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: addOne(ctx, ctx.version, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly) })),
    };
  },
});
