/**
 * Differential scenarios, part 3: the transaction protocol on the wire (InitProducerId with a transactional id,
 * AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), fencing, the last stable offset and
 * read_committed fetches of open, committed and aborted transactions, transaction timeouts, and the idempotent
 * producer's epoch checks. Each scenario runs against Apache Kafka and the embedded broker (see runner.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe } from "vitest";
import { tool } from "../support/tools";
import { differential, run, type Target } from "./runner";
import * as wire from "./wire";
import { RawConnection, withConn, createReady as create } from "./wire";

/** A transactional (or idempotent) batch of values from a sequence number. */
function batch(values: string[], producerId: number, producerEpoch: number, baseSequence: number, transactional: boolean): Buffer {
  return wire.buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch, baseSequence, transactional, baseTimestamp: Date.now() });
}

/** Finds the transaction coordinator of an id (Kafka creates __transaction_state on the first lookup). */
async function coordinator(c: RawConnection, transactionalId: string): Promise<void> {
  const f = await wire.findCoordinator(c, transactionalId, 1);
  if (f.error) throw new Error(`FindCoordinator(transaction): ${f.error}`);
}

/** Produce of a transactional batch: the request names the transactional id, as clients send it. */
function produceTxn(c: RawConnection, transactionalId: string, topic: string, b: Buffer) {
  return wire.produce(c, topic, 0, b, { transactionalId });
}

/** What a read_committed and a read_uncommitted consumer see of partition 0. */
async function view(c: RawConnection, topic: string) {
  const committed = await wire.fetchPartition(c, topic, 0, 0, { isolation: 1 });
  const uncommitted = await wire.fetchPartition(c, topic, 0, 0, { isolation: 0 });
  if (committed === "closed" || uncommitted === "closed") return "closed";
  return {
    highWatermark: uncommitted.highWatermark,
    lastStableOffset: committed.lastStableOffset,
    readCommitted: committed.records.map((r) => r.value),
    readUncommitted: uncommitted.records.map((r) => r.value),
    abortedTransactions: committed.abortedTransactions,
    batches: uncommitted.batches.map((b) => `${b.control ? "control" : b.transactional ? "txn" : "plain"}@${b.baseOffset}`),
  };
}

/** Waits until no transaction is open in partition 0 (its markers written: Kafka writes them after EndTxn answers). */
async function settled(c: RawConnection, topic: string, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const f = await wire.fetchPartition(c, topic, 0, 0, { isolation: 1 });
    if (f !== "closed" && f.lastStableOffset === f.highWatermark) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(tool("kafka-reference"))("differential: transactions", () => {
  // Kafka checks for timed-out transactions every 10 s by default; 500 ms keeps the timeout scenario short.
  const { scenario } = differential("transactions", { kafkaProperties: { "transaction.abort.timed.out.transaction.cleanup.interval.ms": 500 } });

  scenario("InitProducerId with a transactional id: the epoch moves on at each init, the id stays; a timeout over the maximum is refused", async (t) =>
    withConn(t, async (c) => {
      await coordinator(c, "init-twice");
      const first = await wire.initProducerId(c, "init-twice");
      const second = await wire.initProducerId(c, "init-twice");
      const tooLong = await wire.initProducerId(c, "init-too-long", 900_001);
      return { first: { error: first.error, epoch: first.epoch }, second: { error: second.error, epoch: second.epoch }, sameId: first.producerId === second.producerId, tooLong: tooLong.error };
    }),
  );

  scenario("transaction APIs with an unknown transactional id, a wrong producer id, a stale epoch, nothing open", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-errors", 1);
      await coordinator(c, "txn-errors-id");
      const p = await wire.initProducerId(c, "txn-errors-id");
      return {
        unknownId: await wire.addPartitionsToTxn(c, "never-initialised", p.producerId, p.epoch, "txn-errors", [0]),
        wrongProducerId: await wire.addPartitionsToTxn(c, "txn-errors-id", p.producerId + 1000, p.epoch, "txn-errors", [0]),
        staleEpoch: await wire.addPartitionsToTxn(c, "txn-errors-id", p.producerId, p.epoch - 1, "txn-errors", [0]),
        endWithNothingOpen: await wire.endTxn(c, "txn-errors-id", p.producerId, p.epoch, true),
        unknownPartition: await wire.addPartitionsToTxn(c, "txn-errors-id", p.producerId, p.epoch, "txn-errors", [0, 7]),
      };
    }),
  );

  scenario("an open transaction holds back read_committed at its first offset; commit releases it", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-open", 1);
      await coordinator(c, "txn-open-id");
      const p = await wire.initProducerId(c, "txn-open-id");
      const plain = await wire.initProducerId(c, null);
      const added = await wire.addPartitionsToTxn(c, "txn-open-id", p.producerId, p.epoch, "txn-open", [0]);
      const before = await wire.produce(c, "txn-open", 0, batch(["before"], plain.producerId, plain.epoch, 0, false));
      const inTxn = await produceTxn(c, "txn-open-id", "txn-open", batch(["t1", "t2"], p.producerId, p.epoch, 0, true));
      const withoutId = await wire.produce(c, "txn-open", 0, batch(["t3"], p.producerId, p.epoch, 2, true));
      const after = await wire.produce(c, "txn-open", 0, batch(["after"], plain.producerId, plain.epoch, 1, false));
      const open = await view(c, "txn-open");
      const latestCommitted = await c.call(wire.API.ListOffsets, 2, (w) => w.int32(-1).int8(1).array(["txn-open"], (w, tp) => w.string(tp).array([0], (w, pp) => w.int32(pp).int64(-1))));
      latestCommitted.int32();
      latestCommitted.int32();
      latestCommitted.string();
      latestCommitted.int32();
      latestCommitted.int32();
      const lcError = latestCommitted.int16();
      latestCommitted.int64();
      const lcOffset = latestCommitted.int64();
      const ended = await wire.endTxn(c, "txn-open-id", p.producerId, p.epoch, true);
      await settled(c, "txn-open");
      return { added, before, inTxn, withoutId, after, open, listOffsetsReadCommitted: { error: lcError, offset: lcOffset }, ended, committed: await view(c, "txn-open") };
    }),
  );

  scenario("an aborted transaction: read_committed skips it, the aborted list names it; a later transaction commits", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-abort-raw", 1);
      await coordinator(c, "txn-abort-raw-id");
      const p = await wire.initProducerId(c, "txn-abort-raw-id");
      await wire.addPartitionsToTxn(c, "txn-abort-raw-id", p.producerId, p.epoch, "txn-abort-raw", [0]);
      const first = await produceTxn(c, "txn-abort-raw-id", "txn-abort-raw", batch(["a1", "a2"], p.producerId, p.epoch, 0, true));
      const aborted = await wire.endTxn(c, "txn-abort-raw-id", p.producerId, p.epoch, false);
      await settled(c, "txn-abort-raw");
      const again = await wire.addPartitionsToTxn(c, "txn-abort-raw-id", p.producerId, p.epoch, "txn-abort-raw", [0]);
      const second = await produceTxn(c, "txn-abort-raw-id", "txn-abort-raw", batch(["c1"], p.producerId, p.epoch, 2, true));
      const committed = await wire.endTxn(c, "txn-abort-raw-id", p.producerId, p.epoch, true);
      await settled(c, "txn-abort-raw");
      return { first, aborted, again, second, committed, view: await view(c, "txn-abort-raw") };
    }),
  );

  scenario("a second InitProducerId fences the first producer: its open transaction is aborted, its writes and EndTxn refused", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-fence", 1);
      await coordinator(c, "txn-fence-id");
      const old = await wire.initProducerId(c, "txn-fence-id");
      await wire.addPartitionsToTxn(c, "txn-fence-id", old.producerId, old.epoch, "txn-fence", [0]);
      const oldWrite = await produceTxn(c, "txn-fence-id", "txn-fence", batch(["zombie"], old.producerId, old.epoch, 0, true));
      const fresh = await wire.initProducerId(c, "txn-fence-id");
      await settled(c, "txn-fence");
      const zombieWrite = await produceTxn(c, "txn-fence-id", "txn-fence", batch(["zombie2"], old.producerId, old.epoch, 1, true));
      const zombieEnd = await wire.endTxn(c, "txn-fence-id", old.producerId, old.epoch, true);
      return { oldWrite, fresh: { error: fresh.error, sameId: fresh.producerId === old.producerId, epochStep: fresh.epoch - old.epoch }, zombieWrite, zombieEnd, view: await view(c, "txn-fence") };
    }),
  );

  scenario("a transaction open past its timeout is aborted and its producer fenced", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-timeout", 1);
      await coordinator(c, "txn-timeout-id");
      const p = await wire.initProducerId(c, "txn-timeout-id", 1000);
      await wire.addPartitionsToTxn(c, "txn-timeout-id", p.producerId, p.epoch, "txn-timeout", [0]);
      const write = await produceTxn(c, "txn-timeout-id", "txn-timeout", batch(["late"], p.producerId, p.epoch, 0, true));
      await new Promise((r) => setTimeout(r, 1500));
      await settled(c, "txn-timeout");
      const end = await wire.endTxn(c, "txn-timeout-id", p.producerId, p.epoch, true);
      return { write, end, view: await view(c, "txn-timeout") };
    }),
    { timeoutMs: 60_000 },
  );

  scenario("offsets committed in a transaction: visible only after commit, dropped on abort", async (t) =>
    withConn(t, async (c) => {
      await create(c, "txn-offsets", 1);
      await wire.findCoordinator(c, "txn-offsets-g");
      await coordinator(c, "txn-offsets-id");
      const p = await wire.initProducerId(c, "txn-offsets-id");
      const addOffsets = await wire.addOffsetsToTxn(c, "txn-offsets-id", p.producerId, p.epoch, "txn-offsets-g");
      const commitInTxn = await wire.txnOffsetCommit(c, "txn-offsets-id", "txn-offsets-g", p.producerId, p.epoch, "txn-offsets", 0, 7);
      const duringTxn = await wire.fetchOffset(c, "txn-offsets-g", "txn-offsets", 0);
      const committed = await wire.endTxn(c, "txn-offsets-id", p.producerId, p.epoch, true);
      let afterCommit = await wire.fetchOffset(c, "txn-offsets-g", "txn-offsets", 0);
      for (let i = 0; i < 50 && afterCommit.offset !== 7; i++) {
        await new Promise((r) => setTimeout(r, 100));
        afterCommit = await wire.fetchOffset(c, "txn-offsets-g", "txn-offsets", 0);
      }
      const addAgain = await wire.addOffsetsToTxn(c, "txn-offsets-id", p.producerId, p.epoch, "txn-offsets-g");
      const commitAgain = await wire.txnOffsetCommit(c, "txn-offsets-id", "txn-offsets-g", p.producerId, p.epoch, "txn-offsets", 0, 9);
      const aborted = await wire.endTxn(c, "txn-offsets-id", p.producerId, p.epoch, false);
      await new Promise((r) => setTimeout(r, 500));
      const afterAbort = await wire.fetchOffset(c, "txn-offsets-g", "txn-offsets", 0);
      return { addOffsets, commitInTxn, duringTxn: duringTxn.offset, committed, afterCommit: afterCommit.offset, addAgain, commitAgain, aborted, afterAbort: afterAbort.offset };
    }),
  );

  scenario("idempotent producer: an older epoch is refused, a new epoch starts at sequence 0", async (t) =>
    withConn(t, async (c) => {
      await create(c, "idem-epochs", 1);
      const p = await wire.initProducerId(c, null);
      const e1 = await wire.produce(c, "idem-epochs", 0, batch(["e1"], p.producerId, 1, 0, false));
      const e0 = await wire.produce(c, "idem-epochs", 0, batch(["e0"], p.producerId, 0, 1, false));
      const e2NotZero = await wire.produce(c, "idem-epochs", 0, batch(["e2x"], p.producerId, 2, 5, false));
      const e2Zero = await wire.produce(c, "idem-epochs", 0, batch(["e2"], p.producerId, 2, 0, false));
      const olderDuplicate = await wire.produce(c, "idem-epochs", 0, batch(["e1"], p.producerId, 1, 0, false));
      return { e1, e0, e2NotZero, e2Zero, olderDuplicate };
    }),
  );

  scenario("idempotent producer: a duplicate of one of the last 5 batches is acknowledged, an older one is not", async (t) =>
    withConn(t, async (c) => {
      await create(c, "idem-window", 1);
      const p = await wire.initProducerId(c, null);
      const acks = [];
      for (let i = 0; i < 7; i++) acks.push(await wire.produce(c, "idem-window", 0, batch([`v${i}`], p.producerId, p.epoch, i, false)));
      const recent = await wire.produce(c, "idem-window", 0, batch(["v2"], p.producerId, p.epoch, 2, false));
      const old = await wire.produce(c, "idem-window", 0, batch(["v1"], p.producerId, p.epoch, 1, false));
      const end = await wire.listOffset(c, "idem-window", 0, -1);
      return { acks, recent, old, end: end.offset };
    }),
  );

  // The Java client (kafka-clients 4.x; flexible versions of every transaction API) doing exactly-once
  // consume-transform-produce, an aborted transaction, a fenced zombie and a read_committed reader: test/clients/java TxnCheck.
  async function javaTxnCheck(t: Target, prefix: string): Promise<{ fenced: string } | { exit: number | null; stderr: string[] }> {
    const dir = path.join(__dirname, "..", "clients", "java", "target");
    const cp = [path.join(dir, "client-check-1.jar"), fs.readFileSync(path.join(dir, "classpath.txt"), "utf8").trim()].join(":");
    const r = await run("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp, "dev.streamlab.clients.TxnCheck", t.bootstrap, prefix, "40"], undefined, 150_000);
    if (r.code !== 0) return { exit: r.code, stderr: r.stderr.split("\n").filter((l) => /Exception/.test(l)).slice(0, 3) };
    return JSON.parse(r.stdout) as { fenced: string };
  }
  if (tool("java-client")) {
    scenario("Java client: exactly-once consume-transform-produce, an aborted transaction, a fenced zombie", async (t) => {
      const res = await javaTxnCheck(t, "java-eos");
      // Which exception the zombie gets depends on the transaction protocol version (next scenario); here: refused.
      return "fenced" in res ? { ...res, fenced: res.fenced !== "not fenced" } : res;
    }, { timeoutMs: 160_000 });
    scenario("Java client: the exception a fenced zombie producer gets", async (t) => {
      const res = await javaTxnCheck(t, "java-zombie");
      return "fenced" in res ? res.fenced : res;
    }, { timeoutMs: 160_000 });
  }
});
