/**
 * The transaction coordinator (Kafka's TransactionCoordinator, transaction protocol versions 1 and 2): producer ids
 * for transactional ids with epoch bumps that fence older producers, the partitions and groups of the open
 * transaction (AddPartitionsToTxn, AddOffsetsToTxn), offsets committed inside it (TxnOffsetCommit, applied to
 * the group coordinator only at commit), EndTxn writing COMMIT or ABORT markers to every partition, and
 * transactions past their timeout aborted with a bumped epoch.
 *
 * This broker is the only one, so the markers are written synchronously and no transaction is ever seen in
 * PrepareCommit/PrepareAbort (no CONCURRENT_TRANSACTIONS). With a data dir the state (and the next producer id
 * block) is kept in `transactions/state.json`, rewritten at every change, so a restart keeps open transactions,
 * their pending offsets and the producer ids handed out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { GroupCoordinator } from "../group/coordinator";
import type { TopicStore } from "../log/topics";
import { ErrorCode } from "../../protocol/apis";
import { writeMarker } from "./markers";
import { saveSnapshots } from "./producer-state";

export type TxnState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort" | "Dead" | "PrepareEpochFence";

export const TRANSACTION_STATES: readonly TxnState[] = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"];

/** Kafka's transaction.max.timeout.ms default. */
export const TRANSACTION_MAX_TIMEOUT_MS = 900_000;
/** Producer ids handed out per block written to disk (Kafka's controller allocates blocks of 1000). */
const ID_BLOCK = 1000;
const MAX_EPOCH = 32767;

export interface PendingOffset {
  offset: number;
  metadata: string | null;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  epoch: number;
  /** The epoch before the last bump (a producer that timed out may recover with it, KIP-360). */
  lastEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** "topic\0partition" of the open transaction. */
  partitions: Set<string>;
  /** Groups added with AddOffsetsToTxn, with the offsets committed in the transaction so far. */
  groups: Map<string, Map<string, PendingOffset>>;
  startTimeMs: number;
  lastUpdateMs: number;
}

export interface TxnDeps {
  topics: TopicStore;
  groups: GroupCoordinator;
  dataDir?: string;
  log?: (line: string) => void;
}

const pkey = (topic: string, partition: number) => topic + "\0" + partition;

export class TransactionCoordinator {
  readonly txns = new Map<string, TxnMetadata>();
  private nextProducerId = 0;
  private idBlockEnd = 0;
  private readonly file: string | undefined;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly deps: TxnDeps) {
    if (deps.dataDir) {
      const dir = path.join(deps.dataDir, "transactions");
      fs.mkdirSync(dir, { recursive: true });
      this.file = path.join(dir, "state.json");
      this.load();
    }
    this.sweep = setInterval(() => this.abortTimedOut(Date.now()), 500);
    this.sweep.unref();
  }

  private load(): void {
    if (!this.file || !fs.existsSync(this.file)) return;
    try {
      const saved = JSON.parse(fs.readFileSync(this.file, "utf8")) as { idBlockEnd: number; txns: (Omit<TxnMetadata, "partitions" | "groups"> & { partitions: string[]; groups: [string, [string, PendingOffset][]][] })[] };
      // Ids of the block in use when the broker stopped may have been handed out: start at the next block.
      this.nextProducerId = this.idBlockEnd = saved.idBlockEnd;
      for (const t of saved.txns) this.txns.set(t.transactionalId, { ...t, partitions: new Set(t.partitions), groups: new Map(t.groups.map(([g, o]) => [g, new Map(o)])) });
    } catch (err) {
      this.deps.log?.(`transactions: ${this.file} unreadable, starting without transaction state: ${(err as Error).message}`);
    }
  }

  private save(): void {
    if (!this.file) return;
    const txns = [...this.txns.values()].map((t) => ({ ...t, partitions: [...t.partitions], groups: [...t.groups].map(([g, o]) => [g, [...o]]) }));
    try {
      fs.writeFileSync(this.file + ".tmp", JSON.stringify({ idBlockEnd: this.idBlockEnd, txns }));
      fs.renameSync(this.file + ".tmp", this.file);
    } catch (err) {
      // A full disk: the state stays in memory (and is written at the next change); one line says so.
      this.deps.log?.(`transactions: could not write ${this.file}: ${(err as Error).message}`);
    }
  }

  /** A producer id never handed out before (also across restarts with a data dir). */
  allocateProducerId(): number {
    if (this.nextProducerId >= this.idBlockEnd) {
      this.idBlockEnd = this.nextProducerId + ID_BLOCK;
      this.save();
    }
    return this.nextProducerId++;
  }

  /**
   * InitProducerId with a transactional id: a new id gets a producer id at epoch 0; a known one gets its epoch
   * bumped (fencing the producer that used the old one), aborting its open transaction first. With
   * `expected` (v3+, KIP-360) the caller must hold the current or the previous epoch, else PRODUCER_FENCED.
   */
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | undefined): { errorCode: number; producerId: number; producerEpoch: number } {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (!transactionalId) return fail(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > TRANSACTION_MAX_TIMEOUT_MS) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const now = Date.now();
    let t = this.txns.get(transactionalId);
    if (!t) {
      t = { transactionalId, producerId: this.allocateProducerId(), epoch: 0, lastEpoch: -1, timeoutMs, state: "Empty", partitions: new Set(), groups: new Map(), startTimeMs: -1, lastUpdateMs: now };
      this.txns.set(transactionalId, t);
      this.save();
      return { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.epoch };
    }
    if (expected && expected.producerId >= 0) {
      const current = expected.producerId === t.producerId && (expected.epoch === t.epoch || expected.epoch === t.lastEpoch);
      if (!current) return fail(ErrorCode.PRODUCER_FENCED);
    }
    // An open transaction is aborted with a bumped epoch (Kafka's PrepareEpochFence), then the epoch moves on again.
    if (t.state === "Ongoing") this.complete(t, false, true, now);
    if (t.epoch >= MAX_EPOCH - 1) {
      t.producerId = this.allocateProducerId();
      t.lastEpoch = -1;
      t.epoch = 0;
    } else {
      t.lastEpoch = t.epoch;
      t.epoch++;
    }
    t.timeoutMs = timeoutMs;
    t.state = "Empty";
    t.partitions.clear();
    t.groups.clear();
    t.lastUpdateMs = now;
    this.save();
    return { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.epoch };
  }

  /** 0 when the producer may act on the transaction; the error otherwise. */
  private validate(t: TxnMetadata | undefined, producerId: number, epoch: number): number {
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== t.epoch) return ErrorCode.PRODUCER_FENCED;
    if (t.state === "PrepareCommit" || t.state === "PrepareAbort") return ErrorCode.CONCURRENT_TRANSACTIONS;
    return 0;
  }

  private begin(t: TxnMetadata, now: number): void {
    if (t.state !== "Ongoing") {
      t.state = "Ongoing";
      t.startTimeMs = now;
      t.partitions.clear();
      t.groups.clear();
    }
    t.lastUpdateMs = now;
  }

  /** AddPartitionsToTxn: one error per partition (unknown ones UNKNOWN_TOPIC_OR_PARTITION, the rest then OPERATION_NOT_ATTEMPTED). */
  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: { topic: string; partition: number }[]): number[] {
    const t = this.txns.get(transactionalId);
    const err = this.validate(t, producerId, epoch);
    if (err) return partitions.map(() => err);
    const unknown = partitions.map(({ topic, partition }) => !this.deps.topics.get(topic)?.partitions[partition]);
    if (unknown.some(Boolean)) return unknown.map((u) => (u ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    this.begin(t!, Date.now());
    for (const p of partitions) t!.partitions.add(pkey(p.topic, p.partition));
    this.save();
    return partitions.map(() => ErrorCode.NONE);
  }

  /** AddOffsetsToTxn: the group's offsets may then be committed in the transaction. */
  addOffsets(transactionalId: string, producerId: number, epoch: number, groupId: string): number {
    const t = this.txns.get(transactionalId);
    const err = this.validate(t, producerId, epoch);
    if (err) return err;
    this.begin(t!, Date.now());
    if (!t!.groups.has(groupId)) t!.groups.set(groupId, new Map());
    this.save();
    return ErrorCode.NONE;
  }

  /** TxnOffsetCommit: offsets kept with the transaction until it ends. 0 or the error for every partition. */
  commitOffsets(transactionalId: string, groupId: string, producerId: number, epoch: number, offsets: { topic: string; partition: number; offset: number; metadata: string | null }[]): number {
    const t = this.txns.get(transactionalId);
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== t.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    const pending = t.state === "Ongoing" ? t.groups.get(groupId) : undefined;
    if (!pending) return ErrorCode.INVALID_TXN_STATE; // the group was not added with AddOffsetsToTxn
    for (const o of offsets) pending.set(pkey(o.topic, o.partition), { offset: o.offset, metadata: o.metadata });
    t.lastUpdateMs = Date.now();
    this.save();
    return ErrorCode.NONE;
  }

  /**
   * EndTxn: markers to every partition, offsets to the groups on commit. Version 1 of the protocol (EndTxn v0-4):
   * a retried EndTxn of the same outcome answers NONE. Version 2 (EndTxn v5, KIP-890 part 2): the epoch is bumped
   * at every end (markers carry the new epoch, so the producer's older epoch is fenced from the partitions) and
   * the answer names the producer id and epoch for the next transaction; a retry comes with the previous epoch;
   * an abort with nothing open still bumps the epoch; an epoch about to overflow moves to a new producer id.
   */
  endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean, v2 = false): { errorCode: number; producerId: number; producerEpoch: number } {
    const t = this.txns.get(transactionalId);
    const answer = (errorCode: number) => ({ errorCode, producerId: errorCode || !t ? -1 : t.producerId, producerEpoch: errorCode || !t ? -1 : t.epoch });
    if (v2) {
      if (!t || t.producerId !== producerId) return answer(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
      if (epoch !== t.epoch) {
        const retry = epoch === t.lastEpoch && t.state === (commit ? "CompleteCommit" : "CompleteAbort");
        return answer(retry ? ErrorCode.NONE : ErrorCode.PRODUCER_FENCED);
      }
      const now = Date.now();
      if (t.state === "Ongoing") this.complete(t, commit, true, now);
      else if (!commit && (t.state === "Empty" || t.state === "CompleteCommit" || t.state === "CompleteAbort")) {
        this.bump(t);
        t.state = "CompleteAbort";
        t.lastUpdateMs = now;
      } else return answer(ErrorCode.INVALID_TXN_STATE);
      if (t.epoch >= MAX_EPOCH) {
        t.producerId = this.allocateProducerId();
        t.lastEpoch = -1;
        t.epoch = 0;
      }
      this.save();
      return answer(ErrorCode.NONE);
    }
    const err = this.validate(t, producerId, epoch);
    if (err) return answer(err);
    if (t!.state === "CompleteCommit" && commit) return answer(ErrorCode.NONE);
    if (t!.state === "CompleteAbort" && !commit) return answer(ErrorCode.NONE);
    if (t!.state !== "Ongoing") return answer(ErrorCode.INVALID_TXN_STATE);
    this.complete(t!, commit, false, Date.now());
    this.save();
    return answer(ErrorCode.NONE);
  }

  private bump(t: TxnMetadata): void {
    if (t.epoch < MAX_EPOCH) {
      t.lastEpoch = t.epoch;
      t.epoch++;
    }
  }

  /**
   * Ends the open transaction: markers to its partitions (with a bumped epoch when fencing, so the old
   * producer's later writes and EndTxn are refused), pending offsets committed or dropped.
   */
  private complete(t: TxnMetadata, commit: boolean, bumpEpoch: boolean, now: number): void {
    if (bumpEpoch) this.bump(t);
    for (const k of t.partitions) {
      const [topic, p] = k.split("\0");
      const log = this.deps.topics.get(topic)?.partitions[Number(p)];
      if (!log) continue; // the topic was deleted meanwhile
      try {
        writeMarker(log, t.producerId, t.epoch, commit, 0, now);
        this.deps.topics.notifyAppend(topic, Number(p));
      } catch (e) {
        this.deps.log?.(`transactions: could not write the ${commit ? "COMMIT" : "ABORT"} marker of '${t.transactionalId}' to ${topic}-${p}: ${(e as Error).message}`);
      }
    }
    if (commit)
      for (const [groupId, offsets] of t.groups) {
        const list = [...offsets].map(([k, o]) => {
          const [topic, p] = k.split("\0");
          return { topic, partition: Number(p), offset: o.offset, metadata: o.metadata };
        });
        if (list.length) this.deps.groups.commit(groupId, list);
      }
    t.state = commit ? "CompleteCommit" : "CompleteAbort";
    t.partitions.clear();
    t.groups.clear();
    t.lastUpdateMs = now;
  }

  /** Aborts (with an epoch bump) every transaction open longer than its timeout, as Kafka's coordinator does. */
  abortTimedOut(now: number): void {
    let changed = false;
    for (const t of this.txns.values()) {
      if (t.state === "Ongoing" && now - t.startTimeMs > t.timeoutMs) {
        this.complete(t, false, true, now);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** Whether the producer has an open transaction including this partition (for transactional produce). */
  inTransaction(producerId: number, epoch: number, topic: string, partition: number): boolean {
    for (const t of this.txns.values()) if (t.producerId === producerId && t.epoch === epoch && t.state === "Ongoing" && t.partitions.has(pkey(topic, partition))) return true;
    return false;
  }

  /** Whether an open transaction holds an offset for the group's partition (OffsetFetch with require_stable). */
  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    for (const t of this.txns.values()) if (t.state === "Ongoing" && t.groups.get(groupId)?.has(pkey(topic, partition))) return true;
    return false;
  }

  /** Stops the timeout sweep and snapshots the producer state of the partitions (the logs close after this). */
  close(): void {
    clearInterval(this.sweep);
    saveSnapshots(this.deps.topics);
  }
}
