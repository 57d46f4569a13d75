/**
 * Differential scenarios, part 4: transaction protocol version 2 (KIP-890 part 2), as a Kafka 4.1 cluster serves
 * it to a client that finds `transaction.version` 2 finalized: Produce v12+ adds the partition to the
 * transaction by itself (no AddPartitionsToTxn), EndTxn v5 bumps the epoch at every commit and abort and answers
 * the producer id and epoch to use next, TxnOffsetCommit v5, the verify-only AddPartitionsToTxn v5, and what a
 * zombie with the previous epoch gets. Requests are sent with lib/protocol's codec (flexible versions).
 */
import * as path from "node:path";
import { describe } from "vitest";
import { tool } from "../support/tools";
import { differential, run, type Target } from "./runner";
import * as wire from "./wire";
import { Connection } from "../../lib/client/wire/connection";
import { AddOffsetsToTxn, AddPartitionsToTxn, ApiVersions, EndTxn, FindCoordinator, InitProducerId, Produce, TxnOffsetCommit } from "../../lib/protocol/messages";

async function open(t: Target): Promise<Connection> {
  const [host, port] = t.bootstrap.split(":");
  return Connection.open(host, Number(port), { bootstrap: [t.bootstrap], clientId: "differential-v2" });
}

async function withCodec<T>(t: Target, fn: (c: Connection, raw: wire.RawConnection) => Promise<T>): Promise<T> {
  const c = await open(t);
  try {
    return await wire.withConn(t, (raw) => fn(c, raw));
  } finally {
    c.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries a call while it answers a retriable coordinator error (loading, not coordinator, concurrent transactions). */
async function retried<T>(call: () => Promise<T>, code: (r: T) => number): Promise<T> {
  for (let i = 0; ; i++) {
    const r = await call();
    if (![14, 15, 16, 51].includes(code(r)) || i > 100) return r;
    await sleep(100);
  }
}

async function txnCoordinator(c: Connection, id: string): Promise<void> {
  await retried(() => c.request(FindCoordinator, 4, { keyType: 1, coordinatorKeys: [id] }), (r) => r.coordinators[0]?.errorCode ?? 0);
}

async function initPid(c: Connection, id: string, producerId = -1, producerEpoch = -1) {
  const r = await retried(() => c.request(InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId, producerEpoch }), (r) => r.errorCode);
  return { error: r.errorCode, producerId: r.producerId, epoch: r.producerEpoch };
}

function batch(values: string[], producerId: number, producerEpoch: number, baseSequence: number): Buffer {
  return wire.buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch, baseSequence, transactional: true, baseTimestamp: Date.now() });
}

async function produceTxn(c: Connection, version: number, id: string, topic: string, b: Buffer) {
  const r = await c.request(Produce, version, { transactionalId: id, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: b }] }] });
  const p = r.responses[0].partitionResponses[0];
  return { error: p.errorCode, baseOffset: p.baseOffset };
}

async function endTxn(c: Connection, version: number, id: string, producerId: number, epoch: number, committed: boolean) {
  const r = await retried(() => c.request(EndTxn, version, { transactionalId: id, producerId, producerEpoch: epoch, committed }), (r) => r.errorCode);
  return { error: r.errorCode, producerId: r.producerId, epoch: r.producerEpoch };
}

/** What read_committed and read_uncommitted see of partition 0 (with the control batches). */
async function view(raw: wire.RawConnection, topic: string) {
  const committed = await wire.fetchPartition(raw, topic, 0, 0, { isolation: 1 });
  const uncommitted = await wire.fetchPartition(raw, topic, 0, 0, { isolation: 0 });
  if (committed === "closed" || uncommitted === "closed") return "closed";
  return {
    lastStableOffset: committed.lastStableOffset,
    highWatermark: uncommitted.highWatermark,
    readCommitted: committed.records.map((r) => r.value),
    abortedTransactions: committed.abortedTransactions,
    batches: uncommitted.batches.map((b) => `${b.control ? "control" : "txn"}@${b.baseOffset}`),
  };
}

/** Waits until the partition has no open transaction (Kafka writes markers just after EndTxn answers). */
async function settled(raw: wire.RawConnection, topic: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; ) {
    const f = await wire.fetchPartition(raw, topic, 0, 0, { isolation: 1 });
    if (f !== "closed" && f.lastStableOffset === f.highWatermark) return;
    await sleep(100);
  }
}

describe.runIf(tool("kafka-reference"))("differential: transaction protocol version 2", () => {
  const { scenario } = differential("transactions-v2");

  scenario("ApiVersions v4: transaction.version finalized at 2, the KIP-890 versions served", async (t) => {
    const c = await open(t);
    try {
      const r = await c.request(ApiVersions, 4, { clientSoftwareName: "streamlab-differential", clientSoftwareVersion: "1" });
      const max = (key: number) => r.apiKeys.find((k) => k.apiKey === key)?.maxVersion;
      return {
        error: r.errorCode,
        transactionVersion: r.finalizedFeatures.filter((f) => f.name === "transaction.version"),
        supportedTransactionVersion: r.supportedFeatures.filter((f) => f.name === "transaction.version"),
        atLeast: { produce12: (max(0) ?? 0) >= 12, endTxn5: (max(26) ?? 0) >= 5, txnOffsetCommit5: (max(28) ?? 0) >= 5, addPartitionsToTxn5: (max(24) ?? 0) >= 5 },
      };
    } finally {
      c.close();
    }
  });

  scenario("Produce v12 adds the partition by itself; EndTxn v5 bumps the epoch at commit and abort", async (t) =>
    withCodec(t, async (c, raw) => {
      const topic = "tv2-implicit";
      await wire.createReady(raw, topic, 1);
      await txnCoordinator(c, "tv2-implicit-id");
      const p = await initPid(c, "tv2-implicit-id");
      const first = await produceTxn(c, 12, "tv2-implicit-id", topic, batch(["a", "b"], p.producerId, p.epoch, 0));
      const commit = await endTxn(c, 5, "tv2-implicit-id", p.producerId, p.epoch, true);
      await settled(raw, topic);
      const afterCommit = await view(raw, topic);
      const second = await produceTxn(c, 12, "tv2-implicit-id", topic, batch(["c"], commit.producerId, commit.epoch, 0));
      const abort = await endTxn(c, 5, "tv2-implicit-id", commit.producerId, commit.epoch, false);
      await settled(raw, topic);
      const afterAbort = await view(raw, topic);
      const staleProduce = await produceTxn(c, 12, "tv2-implicit-id", topic, batch(["zombie"], p.producerId, p.epoch, 1));
      const staleEnd = await endTxn(c, 5, "tv2-implicit-id", p.producerId, p.epoch, true);
      const retriedAbort = await endTxn(c, 5, "tv2-implicit-id", commit.producerId, commit.epoch, false);
      const idle = await endTxn(c, 5, "tv2-implicit-id", abort.producerId, abort.epoch, false);
      return {
        first,
        commit: { error: commit.error, sameId: commit.producerId === p.producerId, epochStep: commit.epoch - p.epoch },
        afterCommit,
        second,
        abort: { error: abort.error, sameId: abort.producerId === p.producerId, epochStep: abort.epoch - commit.epoch },
        afterAbort,
        staleProduce,
        staleEnd: staleEnd.error,
        retriedAbort: { error: retriedAbort.error, epochStep: retriedAbort.epoch - abort.epoch },
        idle: { error: idle.error, epochStep: idle.epoch - abort.epoch },
      };
    }),
  );

  scenario("Produce v11 and v12 without AddPartitionsToTxn; EndTxn v4 after a v12 produce", async (t) =>
    withCodec(t, async (c, raw) => {
      const topic = "tv2-versions";
      await wire.createReady(raw, topic, 1);
      await txnCoordinator(c, "tv2-versions-id");
      const p = await initPid(c, "tv2-versions-id");
      const v11 = await produceTxn(c, 11, "tv2-versions-id", topic, batch(["v11"], p.producerId, p.epoch, 0));
      const p2 = await initPid(c, "tv2-versions-id");
      const v12 = await produceTxn(c, 12, "tv2-versions-id", topic, batch(["v12"], p2.producerId, p2.epoch, 0));
      const endV4 = await endTxn(c, 4, "tv2-versions-id", p2.producerId, p2.epoch, true);
      await settled(raw, topic);
      return { v11, v12, endV4: { error: endV4.error }, view: await view(raw, topic) };
    }),
  );

  scenario("TxnOffsetCommit v5 with and without AddOffsetsToTxn; AddPartitionsToTxn v5 verify-only", async (t) =>
    withCodec(t, async (c, raw) => {
      const topic = "tv2-offsets";
      const group = "tv2-offsets-g";
      const id = "tv2-offsets-id";
      await wire.createReady(raw, topic, 1);
      await wire.findCoordinator(raw, group);
      await txnCoordinator(c, id);
      const p = await initPid(c, id);
      const commitOffsets = (epoch: number, offset: number) =>
        retried(() => c.request(TxnOffsetCommit, 5, { transactionalId: id, groupId: group, producerId: p.producerId, producerEpoch: epoch, generationId: -1, memberId: "", groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] }), (r) => r.topics[0].partitions[0].errorCode).then((r) => r.topics[0].partitions[0].errorCode);
      const verify = (epoch: number) =>
        c.request(AddPartitionsToTxn, 5, { transactions: [{ transactionalId: id, producerId: p.producerId, producerEpoch: epoch, verifyOnly: true, topics: [{ name: topic, partitions: [0] }] }] }).then((r) => ({ error: r.errorCode, partitions: r.resultsByTransaction.flatMap((x) => x.topicResults.flatMap((tr) => tr.resultsByPartition.map((q) => q.partitionErrorCode))) }));
      const withoutAddOffsets = await commitOffsets(p.epoch, 3);
      const verifyBefore = await verify(p.epoch);
      const produced = await produceTxn(c, 12, id, topic, batch(["x"], p.producerId, p.epoch, 0));
      const verifyAfter = await verify(p.epoch);
      const addOffsets = await retried(() => c.request(AddOffsetsToTxn, 4, { transactionalId: id, producerId: p.producerId, producerEpoch: p.epoch, groupId: group }), (r) => r.errorCode);
      const withAddOffsets = await commitOffsets(p.epoch, 5);
      const end = await endTxn(c, 5, id, p.producerId, p.epoch, true);
      let committed = await wire.fetchOffset(raw, group, topic, 0);
      for (let i = 0; i < 50 && committed.offset === -1; i++) {
        await sleep(100);
        committed = await wire.fetchOffset(raw, group, topic, 0);
      }
      const staleCommit = await commitOffsets(p.epoch, 9);
      return { withoutAddOffsets, verifyBefore, produced, verifyAfter, addOffsets: addOffsets.errorCode, withAddOffsets, end: end.error, committed: committed.offset, staleCommit };
    }),
  );

  // franz-go (test/clients/go/cmd/franztxn) uses transaction protocol version 2 when the cluster finalizes it:
  // a GroupTransactSession doing exactly-once consume-transform-produce, an aborted transaction and a fenced zombie.
  if (tool("franz-go")) {
    scenario("franz-go GroupTransactSession: exactly-once consume-transform-produce, an aborted transaction, a fenced zombie", async (t) => {
      const r = await run(path.join(__dirname, "..", "clients", "go", "bin", "franztxn"), [t.bootstrap, "franz-eos", "30"], undefined, 150_000);
      if (r.code !== 0) return { exit: r.code, stderr: r.stderr.split("\n").slice(-3) };
      return JSON.parse(r.stdout) as unknown;
    }, { timeoutMs: 160_000 });
  }
});
