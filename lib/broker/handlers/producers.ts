/**
 * Producer ids and transactions: InitProducerId v0-5 for idempotent producers, and the read-only transaction
 * APIs (DescribeProducers v0, ListTransactions v0-1, DescribeTransactions v0). Transactions themselves are not
 * implemented: a transactional producer is refused at InitProducerId with TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * a fatal error every client reports at once, instead of hanging until its transaction timeout.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { DescribeProducers, DescribeTransactions, InitProducerId, ListTransactions } from "../../protocol/messages";

export const initProducerId = defineApi(InitProducerId, {
  versions: [0, 5],
  handle(req, ctx) {
    if (req.transactionalId !== null) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    // A producer asking to bump its epoch (v3+) keeps its id with the next epoch; others get a fresh id.
    if (req.producerId >= 0 && req.producerEpoch >= 0) return { errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: (req.producerEpoch + 1) & 0x7fff };
    return { errorCode: ErrorCode.NONE, producerId: ctx.core.allocateProducerId(), producerEpoch: 0 };
  },
});

export const describeProducers = defineApi(DescribeProducers, {
  versions: [0, 0],
  handle(req, ctx) {
    // Producer state (sequence numbers per producer) is not tracked, so no producer is active in this sense.
    return {
      topics: req.topics.map((t) => {
        const topic = ctx.core.topics.get(t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((p) =>
            topic?.partitions[p]
              ? { partitionIndex: p, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] }
              : { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition.", activeProducers: [] },
          ),
        };
      }),
    };
  },
});

const TRANSACTION_STATES = new Set(["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"]);

export const listTransactions = defineApi(ListTransactions, {
  versions: [0, 1],
  handle(req) {
    return { errorCode: ErrorCode.NONE, unknownStateFilters: req.stateFilters.filter((s) => !TRANSACTION_STATES.has(s)), transactionStates: [] };
  },
});

export const describeTransactions = defineApi(DescribeTransactions, {
  versions: [0, 0],
  handle(req) {
    return {
      transactionStates: req.transactionalIds.map((transactionalId) => ({
        errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
        transactionalId,
        transactionState: "",
        transactionTimeoutMs: 0,
        transactionStartTimeMs: -1,
        producerId: -1,
        producerEpoch: -1,
        topics: [],
      })),
    };
  },
});
