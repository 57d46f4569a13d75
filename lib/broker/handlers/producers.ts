/**
 * Producer ids and transactions: InitProducerId v0-5 for idempotent and transactional producers (the
 * transaction coordinator in ../txn bumps epochs and fences), and the read-only transaction APIs
 * (DescribeProducers v0 from each partition's producer state, ListTransactions v0-1, DescribeTransactions v0).
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { DescribeProducers, DescribeTransactions, InitProducerId, ListTransactions } from "../../protocol/messages";
import { AclOperation, clusterAllowed, topicAllowed, transactionalIdAllowed } from "../acl/check";
import { TRANSACTION_STATES } from "../txn/coordinator";
import { producerState } from "../txn/producer-state";
import { fencedFor } from "./txn-errors";

export const initProducerId = defineApi(InitProducerId, {
  versions: [0, 5],
  handle(req, ctx) {
    const expected = req.producerId >= 0 ? { producerId: req.producerId, epoch: req.producerEpoch } : undefined;
    if (req.transactionalId !== null) {
      if (!transactionalIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      const r = ctx.core.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      return { ...r, errorCode: fencedFor(r.errorCode, ctx.version, 4) };
    }
    // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (Kafka 3.0+).
    if (ctx.core.authorizer && !clusterAllowed(ctx, AclOperation.IDEMPOTENT_WRITE) && ![...ctx.core.topics.topics.keys()].some((t) => topicAllowed(ctx, AclOperation.WRITE, t)))
      return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    // An idempotent producer asking to bump its epoch (v3+) keeps its id with the next epoch; others get a fresh id.
    if (expected && req.producerEpoch >= 0 && req.producerEpoch < 32766) return { errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    return { errorCode: ErrorCode.NONE, producerId: ctx.core.allocateProducerId(), producerEpoch: 0 };
  },
});

export const describeProducers = defineApi(DescribeProducers, {
  versions: [0, 0],
  handle(req, ctx) {
    return {
      topics: req.topics.map((t) => {
        const topic = ctx.core.topics.get(t.name);
        // With an authorizer: READ on the topic (TOPIC_AUTHORIZATION_FAILED for each partition), as Kafka.
        const readable = topicAllowed(ctx, AclOperation.READ, t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((p) =>
            !readable
              ? { partitionIndex: p, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] }
              : topic?.partitions[p]
              ? {
                  partitionIndex: p,
                  errorCode: ErrorCode.NONE,
                  errorMessage: null,
                  activeProducers: producerState(topic.partitions[p]).active().map((e) => ({
                    producerId: e.producerId,
                    producerEpoch: e.epoch,
                    lastSequence: e.batches.length ? e.batches[e.batches.length - 1].lastSeq : -1,
                    lastTimestamp: e.lastTimestamp,
                    coordinatorEpoch: e.coordinatorEpoch,
                    currentTxnStartOffset: e.currentTxnFirstOffset,
                  })),
                }
              : { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition.", activeProducers: [] },
          ),
        };
      }),
    };
  },
});

const KNOWN_STATES = new Set<string>(TRANSACTION_STATES);

export const listTransactions = defineApi(ListTransactions, {
  versions: [0, 1],
  handle(req, ctx) {
    const now = Date.now();
    const states = [...ctx.core.txns.txns.values()].filter(
      (t) =>
        (req.stateFilters.length === 0 || req.stateFilters.includes(t.state)) &&
        (req.producerIdFilters.length === 0 || req.producerIdFilters.includes(t.producerId)) &&
        // v1 (KIP-994): only transactions open longer than the duration.
        (req.durationFilter < 0 || (t.state === "Ongoing" && now - t.startTimeMs > req.durationFilter)) &&
        // With an authorizer: only the transactional ids the principal may describe, as Kafka.
        transactionalIdAllowed(ctx, AclOperation.DESCRIBE, t.transactionalId),
    );
    return {
      errorCode: ErrorCode.NONE,
      unknownStateFilters: req.stateFilters.filter((s) => !KNOWN_STATES.has(s)),
      transactionStates: states.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
});

export const describeTransactions = defineApi(DescribeTransactions, {
  versions: [0, 0],
  handle(req, ctx) {
    return {
      transactionStates: req.transactionalIds.map((transactionalId) => {
        // With an authorizer: DESCRIBE on the transactional id, and only the topics one may describe, as Kafka.
        if (!transactionalIdAllowed(ctx, AclOperation.DESCRIBE, transactionalId))
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
        const t = ctx.core.txns.txns.get(transactionalId);
        if (!t)
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
        const byTopic = new Map<string, number[]>();
        for (const k of t.partitions) {
          const [topic, p] = k.split("\0");
          if (!topicAllowed(ctx, AclOperation.DESCRIBE, topic)) continue;
          if (!byTopic.has(topic)) byTopic.set(topic, []);
          byTopic.get(topic)!.push(Number(p));
        }
        return {
          errorCode: ErrorCode.NONE,
          transactionalId,
          transactionState: t.state,
          transactionTimeoutMs: t.timeoutMs,
          transactionStartTimeMs: t.state === "Ongoing" ? t.startTimeMs : -1,
          producerId: t.producerId,
          producerEpoch: t.epoch,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
});
