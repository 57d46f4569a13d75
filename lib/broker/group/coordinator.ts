/**
 * The group coordinator for the classic consumer-group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup),
 * with the same state machine as Kafka's GroupCoordinator: Empty -> PreparingRebalance -> CompletingRebalance
 * -> Stable, a new generation at every completed join, members dropped when their session times out or they
 * fail to rejoin within the rebalance timeout, and committed offsets and group metadata kept as Kafka keeps
 * them: records in the compacted internal topic __consumer_offsets, read back at start.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode } from "../../protocol/apis";
import { batchBaseOffset, batchLastOffsetDelta, batchRecords, buildBatch, isControlBatch } from "../log/record-batch";
import type { Topic, TopicStore } from "../log/topics";
import {
  DEFAULT_OFFSETS_PARTITIONS,
  OFFSETS_SEGMENT_BYTES,
  OFFSETS_TOPIC,
  decodeOffsetsRecord,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
  partitionFor,
  type OffsetsRecord,
  type StoredMember,
} from "./offsets-topic";
import { isConsumerGroupRecord } from "./consumer-group-records";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  clientId: string;
  clientHost: string;
  /**
   * JoinGroup v4+ (KIP-394): a member joining without an id is given one with MEMBER_ID_REQUIRED and joins for
   * real only when it comes back with that id, so a client that retries a lost JoinGroup leaves no ghost member.
   */
  requireKnownMemberId?: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  sessionDeadline: number;
  pendingJoin?: (r: JoinResult) => void;
  pendingSync?: (r: { errorCode: number; assignment: Buffer }) => void;
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export class Group {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType = "";
  protocolName = "";
  leaderId = "";
  readonly members = new Map<string, Member>();
  readonly offsets = new Map<string, CommittedOffset>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pendingMemberIds = new Set<string>();
  rebalanceTimer: NodeJS.Timeout | undefined;
  constructor(readonly groupId: string) {}
}

const EMPTY = Buffer.alloc(0);
/** Kafka's offset.metadata.max.bytes default. */
export const OFFSET_METADATA_MAX_BYTES = 4096;
/** Characters of the client id kept in a generated member id. */
const MAX_CLIENT_ID_IN_MEMBER_ID = 255;

export function offsetKey(topic: string, partition: number): string {
  return topic + "\0" + partition;
}

export interface CoordinatorOptions {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Partitions of __consumer_offsets when the coordinator creates it (Kafka's offsets.topic.num.partitions, 50). */
  offsetsTopicPartitions?: number;
  /** Receives one line when offsets are loaded or migrated. */
  log?: (line: string) => void;
}

export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  /** The KIP-848 consumer group records read at start (consumer-group.ts replays them, then clears this). */
  readonly consumerGroupRecords: { key: Buffer; value: Buffer | null }[] = [];
  private readonly sweep: NodeJS.Timeout;

  /**
   * Committed offsets and group metadata live in the compacted internal topic __consumer_offsets of `topics`,
   * in Kafka's record format; with a data directory that topic is on disk and is read back here at start.
   * Without `topics` (unit tests) the coordinator keeps them in memory only.
   */
  constructor(
    dataDir: string | undefined,
    private readonly opts: CoordinatorOptions,
    private readonly topics?: TopicStore,
  ) {
    const existing = topics?.get(OFFSETS_TOPIC);
    if (existing) this.load(existing);
    if (dataDir && topics) this.migrateLegacy(path.join(dataDir, "groups", "offsets.jsonl"));
    this.sweep = setInterval(() => this.expireSessions(Date.now()), 200);
    this.sweep.unref();
  }

  /** Replays __consumer_offsets: the latest record per key wins, tombstones delete. */
  private load(topic: Topic): void {
    let records = 0;
    for (const log of topic.partitions) {
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const { chunks } = log.read(offset, 8 << 20, true);
        if (chunks.length === 0) break;
        const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        let next = offset;
        for (const info of iterateBatches(buf)) {
          next = batchBaseOffset(info) + batchLastOffsetDelta(info) + 1;
          if (isControlBatch(info)) continue;
          for (const r of batchRecords(info)?.records ?? []) {
            if (!r.key) continue;
            records++;
            this.apply(r.key, r.value);
          }
        }
        if (next <= offset) break;
        offset = next;
      }
    }
    let offsets = 0;
    for (const g of this.groups.values()) offsets += g.offsets.size;
    if (records > 0) this.opts.log?.(`group coordinator: loaded ${offsets} committed offsets of ${this.groups.size} groups from ${OFFSETS_TOPIC} (${records} records)`);
  }

  private apply(key: Buffer, value: Buffer | null): void {
    // KIP-848 consumer group records: kept, in order, for the consumer group coordinator to replay.
    if (isConsumerGroupRecord(key)) {
      this.consumerGroupRecords.push({ key, value });
      return;
    }
    let rec: OffsetsRecord;
    try {
      rec = decodeOffsetsRecord(key, value);
    } catch {
      return; // a record this coordinator cannot read is left for Kafka's tools
    }
    if (rec.type === "offset") {
      const k = offsetKey(rec.topic, rec.partition);
      if (rec.value) this.group(rec.group).offsets.set(k, { offset: rec.value.offset, metadata: rec.value.metadata });
      else this.groups.get(rec.group)?.offsets.delete(k);
    } else if (rec.type === "group") {
      if (!rec.value) {
        const g = this.groups.get(rec.group);
        if (g && g.offsets.size === 0) this.groups.delete(rec.group);
        else if (g) {
          g.generationId = 0;
          g.members.clear();
          g.state = "Empty";
        }
        return;
      }
      // As Kafka's coordinator loads a group: its last completed generation with its members and their
      // assignments, Stable, each member's session starting now; members that do not come back expire and
      // the others rebalance, members that do go on heartbeating without a rebalance.
      const g = this.group(rec.group);
      const v = rec.value;
      g.generationId = v.generation;
      g.protocolType = v.protocolType;
      g.protocolName = v.protocol ?? "";
      g.leaderId = v.leader ?? "";
      g.members.clear();
      const now = Date.now();
      for (const m of v.members)
        g.members.set(m.memberId, {
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          sessionTimeoutMs: m.sessionTimeoutMs,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs >= 0 ? m.rebalanceTimeoutMs : m.sessionTimeoutMs,
          protocolType: v.protocolType,
          protocols: [{ name: g.protocolName, metadata: m.subscription }],
          assignment: m.assignment,
          sessionDeadline: now + m.sessionTimeoutMs,
        });
      g.state = g.members.size > 0 && g.protocolName ? "Stable" : "Empty";
      if (g.state === "Empty") g.members.clear();
    }
  }

  /** Offsets committed by an older version of this broker (groups/offsets.jsonl) move into __consumer_offsets. */
  private migrateLegacy(file: string): void {
    if (!fs.existsSync(file)) return;
    const latest = new Map<string, { g: string; t: string; p: number; o: number; m: string | null } | null>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line) continue;
      try {
        const rec = JSON.parse(line) as { g: string; t: string; p: number; o: number; m: string | null; d?: boolean };
        latest.set(`${rec.g}\0${rec.t}\0${rec.p}`, rec.d ? null : rec);
      } catch {
        // a line torn by a crash: the commit it held was never acknowledged
      }
    }
    const byGroup = new Map<string, { topic: string; partition: number; offset: number; metadata: string | null }[]>();
    for (const rec of latest.values()) {
      if (!rec) continue;
      if (!byGroup.has(rec.g)) byGroup.set(rec.g, []);
      byGroup.get(rec.g)!.push({ topic: rec.t, partition: rec.p, offset: rec.o, metadata: rec.m });
    }
    for (const [g, offsets] of byGroup) if (this.commit(g, offsets) !== 0) return; // kept for the next start
    fs.rmSync(file, { force: true });
    this.opts.log?.(`group coordinator: moved ${latest.size} committed offsets from ${file} into ${OFFSETS_TOPIC}`);
  }

  /** __consumer_offsets, created (compacted, as in Kafka) the first time a group needs it. */
  offsetsTopic(): Topic | undefined {
    if (!this.topics) return undefined;
    const t = this.topics.get(OFFSETS_TOPIC);
    if (t) return t;
    return this.topics.create(OFFSETS_TOPIC, this.opts.offsetsTopicPartitions ?? DEFAULT_OFFSETS_PARTITIONS, { cleanupPolicy: "compact", segmentBytes: OFFSETS_SEGMENT_BYTES });
  }

  /**
   * Appends records of one group to its partition of __consumer_offsets; 0, or COORDINATOR_NOT_AVAILABLE
   * (retriable) when the topic cannot be created or written (a full disk): nothing is then stored.
   */
  private store(groupId: string, records: { key: Buffer; value: Buffer | null }[]): number {
    if (!this.topics || records.length === 0) return 0;
    try {
      const topic = this.offsetsTopic()!;
      const p = partitionFor(groupId, topic.partitions.length);
      topic.partitions[p].append([buildBatch(records, Date.now())]);
      this.topics.notifyAppend(OFFSETS_TOPIC, p);
      return 0;
    } catch (err) {
      this.opts.log?.(`group coordinator: could not store ${records.length} record(s) of group ${groupId}: ${(err as Error).message}`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Appends records of a group (the KIP-848 consumer group coordinator's): 0 or COORDINATOR_NOT_AVAILABLE. */
  storeRecords(groupId: string, records: { key: Buffer; value: Buffer | null }[]): number {
    return this.store(groupId, records);
  }

  /** Writes the group's metadata record (after a generation completes, or when it empties). */
  private storeGroup(g: Group): void {
    const members: StoredMember[] = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
      assignment: m.assignment,
    }));
    this.store(g.groupId, [
      {
        key: groupMetadataKey(g.groupId),
        value: groupMetadataValue({ protocolType: g.protocolType, generation: g.generationId, protocol: g.protocolName || null, leader: g.leaderId || null, currentStateTimestamp: Date.now(), members }),
      },
    ]);
  }

  group(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new Group(groupId);
      this.groups.set(groupId, g);
    }
    return g;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResult> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: "", leader: "", memberId, members: [] });
    if (checkGroupId(req.groupId)) return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.opts.minSessionTimeoutMs || req.sessionTimeoutMs > this.opts.maxSessionTimeoutMs) return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    const g = this.group(req.groupId);
    if (g.members.size > 0) {
      if (req.protocolType !== g.protocolType) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      const common = this.commonProtocols(g, req.protocols.map((p) => p.name), req.memberId);
      if (common.length === 0) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    let member = req.memberId ? g.members.get(req.memberId) : undefined;
    const pending = !member && g.pendingMemberIds.delete(req.memberId);
    if (req.memberId && !member && !pending) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (!req.memberId && req.requireKnownMemberId) {
      const id = `${(req.clientId || "member").slice(0, 255)}-${randomUUID()}`;
      g.pendingMemberIds.add(id);
      return fail(ErrorCode.MEMBER_ID_REQUIRED, id);
    }
    const now = Date.now();
    if (!member) {
      member = {
        // Kafka's form (client id, then a UUID), with the client id cut so the id stays a short string.
        memberId: pending ? req.memberId : `${(req.clientId || "member").slice(0, MAX_CLIENT_ID_IN_MEMBER_ID)}-${randomUUID()}`,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        assignment: EMPTY,
        sessionDeadline: now + req.sessionTimeoutMs,
      };
      g.members.set(member.memberId, member);
      if (g.members.size === 1) g.protocolType = req.protocolType;
    } else {
      const unchanged = sameProtocols(member.protocols, req.protocols);
      member.protocols = req.protocols;
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      member.sessionDeadline = now + req.sessionTimeoutMs;
      // A follower rejoining a stable group with nothing changed gets the current generation back, as in Kafka.
      if (g.state === "Stable" && unchanged && member.memberId !== g.leaderId) {
        return Promise.resolve({ errorCode: 0, generationId: g.generationId, protocolName: g.protocolName, leader: g.leaderId, memberId: member.memberId, members: [] });
      }
      if (member.pendingJoin) member.pendingJoin({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, generationId: -1, protocolName: "", leader: "", memberId: member.memberId, members: [] });
    }
    const m = member;
    const result = new Promise<JoinResult>((resolve) => (m.pendingJoin = resolve));
    if (g.state !== "PreparingRebalance") this.prepareRebalance(g);
    else this.maybeCompleteJoin(g);
    return result;
  }

  private commonProtocols(g: Group, candidate: string[] | undefined, exceptMember?: string): string[] {
    let names: string[] | undefined = candidate;
    for (const m of g.members.values()) {
      if (m.memberId === exceptMember) continue;
      const mine = new Set(m.protocols.map((p) => p.name));
      names = names ? names.filter((n) => mine.has(n)) : m.protocols.map((p) => p.name);
    }
    return names ?? [];
  }

  private prepareRebalance(g: Group): void {
    // Members waiting in SyncGroup learn that the generation they synced for is gone.
    for (const m of g.members.values()) {
      if (m.pendingSync) {
        m.pendingSync({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.pendingSync = undefined;
      }
    }
    const wasEmpty = g.state === "Empty";
    g.state = "PreparingRebalance";
    let timeout = 0;
    for (const m of g.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    if (wasEmpty) timeout = Math.min(timeout, this.opts.initialRebalanceDelayMs);
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = setTimeout(() => this.completeJoin(g, true), timeout);
    g.rebalanceTimer.unref();
    if (!wasEmpty || this.opts.initialRebalanceDelayMs === 0) this.maybeCompleteJoin(g);
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state !== "PreparingRebalance") return;
    for (const m of g.members.values()) if (!m.pendingJoin) return;
    this.completeJoin(g, false);
  }

  private completeJoin(g: Group, timedOut: boolean): void {
    if (g.state !== "PreparingRebalance") return;
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = undefined;
    if (timedOut) for (const m of [...g.members.values()]) if (!m.pendingJoin) g.members.delete(m.memberId);
    g.generationId++;
    if (g.members.size === 0) {
      g.state = "Empty";
      g.protocolName = "";
      g.leaderId = "";
      this.storeGroup(g);
      return;
    }
    const protocols = this.commonProtocols(g, undefined);
    if (!g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!;
    const leader = g.members.get(g.leaderId)!;
    // The leader's preference order decides among the protocols every member supports.
    g.protocolName = leader.protocols.map((p) => p.name).find((n) => protocols.includes(n)) ?? protocols[0] ?? "";
    g.state = "CompletingRebalance";
    const now = Date.now();
    const all = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
    }));
    for (const m of g.members.values()) {
      m.assignment = EMPTY;
      m.sessionDeadline = now + m.sessionTimeoutMs;
      const reply = m.pendingJoin!;
      m.pendingJoin = undefined;
      reply({
        errorCode: 0,
        generationId: g.generationId,
        protocolName: g.protocolName,
        leader: g.leaderId,
        memberId: m.memberId,
        members: m.memberId === g.leaderId ? all : [],
      });
    }
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ errorCode: number; assignment: Buffer }> {
    const g = this.groups.get(groupId);
    const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY });
    const m = g?.members.get(memberId);
    if (!g || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== g.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    m.sessionDeadline = Date.now() + m.sessionTimeoutMs;
    if (g.state === "PreparingRebalance" || g.state === "Empty") return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    if (g.state === "Stable") return Promise.resolve({ errorCode: 0, assignment: m.assignment });
    const result = new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => (m.pendingSync = resolve));
    if (memberId === g.leaderId) {
      for (const a of assignments) {
        const target = g.members.get(a.memberId);
        if (target) target.assignment = a.assignment;
      }
      g.state = "Stable";
      this.storeGroup(g);
      for (const member of g.members.values()) {
        if (member.pendingSync) {
          member.pendingSync({ errorCode: 0, assignment: member.assignment });
          member.pendingSync = undefined;
        }
      }
    }
    return result;
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    m.sessionDeadline = Date.now() + m.sessionTimeoutMs;
    if (g.state === "PreparingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return 0;
  }

  leave(groupId: string, memberIds: string[]): number[] {
    const g = this.groups.get(groupId);
    const codes = memberIds.map((id) => (g && g.members.has(id) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID));
    if (!g) return codes;
    let removed = false;
    for (const id of memberIds) removed = this.removeMember(g, id) || removed;
    if (removed) this.afterMembershipLoss(g);
    return codes;
  }

  private removeMember(g: Group, memberId: string): boolean {
    const m = g.members.get(memberId);
    if (!m) return false;
    g.members.delete(memberId);
    m.pendingJoin?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, generationId: -1, protocolName: "", leader: "", memberId, members: [] });
    m.pendingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    return true;
  }

  private afterMembershipLoss(g: Group): void {
    if (g.state === "Stable" || g.state === "CompletingRebalance") this.prepareRebalance(g);
    else if (g.state === "PreparingRebalance") this.maybeCompleteJoin(g);
  }

  private expireSessions(now: number): void {
    for (const g of this.groups.values()) {
      let removed = false;
      for (const m of [...g.members.values()]) {
        // A member blocked in JoinGroup is waiting on the coordinator, not silent.
        if (m.pendingJoin) continue;
        if (m.sessionDeadline < now) removed = this.removeMember(g, m.memberId) || removed;
      }
      if (removed) this.afterMembershipLoss(g);
    }
  }

  /**
   * Checks one committed offset against Kafka's limits: metadata up to offset.metadata.max.bytes (4096, else
   * OFFSET_METADATA_TOO_LARGE). Kafka stores any offset, negative ones too (kafkajs resetOffsets commits -2 for
   * "earliest"); here it must also be exactly representable (below 2^53 in size, else INVALID_COMMIT_OFFSET_SIZE)
   * so that it reads back as committed. 0 when it may be stored.
   */
  validateCommit(offset: number, metadata: string | null): number {
    if (metadata !== null && Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) return 12; // OFFSET_METADATA_TOO_LARGE
    if (!Number.isSafeInteger(offset)) return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    return 0;
  }

  /**
   * The KIP-848 consumer groups' own check (consumer-group.ts), for commits naming a member of one of them, as
   * TxnOffsetCommit does with the member epoch in its generation field; undefined when the id is not such a group.
   */
  consumerGroupCommitCheck?: (groupId: string, memberEpoch: number, memberId: string) => number | undefined;

  /** Checks a commit's membership; 0 when the offsets may be stored. */
  checkCommit(groupId: string, generationId: number, memberId: string): number {
    if (checkGroupId(groupId)) return ErrorCode.INVALID_GROUP_ID;
    const modern = this.consumerGroupCommitCheck?.(groupId, generationId, memberId);
    if (modern !== undefined) return modern;
    const g = this.groups.get(groupId);
    // A commit outside group management (generation -1, no member), as admin tools and simple consumers do:
    // Kafka takes it only while the group has no members, so an admin cannot move a live consumer's offsets.
    if (generationId < 0 && !memberId) return g && g.members.size > 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0;
    // A generation for a group that does not exist (Kafka: ILLEGAL_GENERATION before OffsetCommit v9).
    if (!g) return ErrorCode.ILLEGAL_GENERATION;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    // As in Kafka: a member of the current generation may commit while the group prepares a rebalance (the
    // generation only moves on when the join completes), which is how a consumer commits what it read before it
    // gives its partitions up; refusing it makes the next owner read those records again. Only between the join
    // and the sync (CompletingRebalance) does the member hold a generation whose assignment it has not seen.
    if (g.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    m.sessionDeadline = Date.now() + m.sessionTimeoutMs;
    return 0;
  }

  /**
   * Stores offsets: they are appended to __consumer_offsets (the page cache, so a killed broker keeps them)
   * before the commit is acknowledged. 0, or COORDINATOR_NOT_AVAILABLE when they could not be written.
   */
  commit(groupId: string, offsets: { topic: string; partition: number; offset: number; metadata: string | null }[]): number {
    const now = Date.now();
    const failed = this.store(
      groupId,
      offsets.map((o) => ({ key: offsetCommitKey(groupId, o.topic, o.partition), value: offsetCommitValue(o.offset, o.metadata, now) })),
    );
    if (failed) return failed;
    const g = this.group(groupId);
    for (const o of offsets) g.offsets.set(offsetKey(o.topic, o.partition), { offset: o.offset, metadata: o.metadata });
    return 0;
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.offsets.get(offsetKey(topic, partition));
  }

  /** Deletes committed offsets (OffsetDelete, DeleteGroups): tombstones in __consumer_offsets. */
  deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[]): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    const tombstones: { key: Buffer; value: null }[] = [];
    for (const { topic, partition } of partitions) if (g.offsets.delete(offsetKey(topic, partition))) tombstones.push({ key: offsetCommitKey(groupId, topic, partition), value: null });
    this.store(groupId, tombstones);
  }

  /** DeleteGroups: the group's offsets and metadata go (tombstones), and the group with them. */
  deleteGroup(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    const tombstones: { key: Buffer; value: null }[] = [...g.offsets.keys()].map((k) => {
      const i = k.lastIndexOf("\0");
      return { key: offsetCommitKey(groupId, k.slice(0, i), Number(k.slice(i + 1))), value: null };
    });
    tombstones.push({ key: groupMetadataKey(groupId), value: null });
    this.store(groupId, tombstones);
    this.groups.delete(groupId);
  }

  /**
   * An empty classic group gives its id to a KIP-848 consumer group (Kafka deletes it then): its generation and
   * protocol go (a GroupMetadata tombstone), its committed offsets stay.
   */
  forgetEmptyGroup(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g || g.members.size > 0 || (g.generationId === 0 && !g.protocolType)) return;
    g.generationId = 0;
    g.protocolType = "";
    g.protocolName = "";
    g.leaderId = "";
    g.state = "Empty";
    this.store(groupId, [{ key: groupMetadataKey(groupId), value: null }]);
  }

  /** Topics the members of a consumer group subscribe to (from their ConsumerProtocolSubscription metadata). */
  subscribedTopics(groupId: string): Set<string> {
    const out = new Set<string>();
    const g = this.groups.get(groupId);
    if (!g || g.protocolType !== "consumer") return out;
    for (const m of g.members.values()) {
      const meta = m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata;
      if (!meta || meta.length < 6) continue;
      try {
        let pos = 2; // version
        const n = meta.readInt32BE(pos);
        pos += 4;
        for (let i = 0; i < n; i++) {
          const len = meta.readInt16BE(pos);
          pos += 2;
          out.add(meta.toString("utf8", pos, pos + len));
          pos += len;
        }
      } catch {
        // Unreadable metadata: treat as subscribing to nothing.
      }
    }
    return out;
  }

  /** Forgets committed offsets of a deleted topic. */
  dropTopic(topic: string): void {
    for (const g of this.groups.values()) {
      const dropped: { topic: string; partition: number }[] = [];
      for (const k of g.offsets.keys()) if (k.startsWith(topic + "\0")) dropped.push({ topic, partition: Number(k.slice(topic.length + 1)) });
      if (dropped.length) this.deleteOffsets(g.groupId, dropped);
    }
  }

  describe(groupId: string): { state: GroupState; protocolType: string; protocolName: string; members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[] } {
    const g = this.groups.get(groupId);
    if (!g) return { state: "Dead", protocolType: "", protocolName: "", members: [] };
    return {
      state: g.state,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  close(): void {
    clearInterval(this.sweep);
    for (const g of this.groups.values()) {
      clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) {
        m.pendingJoin?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, generationId: -1, protocolName: "", leader: "", memberId: m.memberId, members: [] });
        m.pendingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
        m.pendingJoin = undefined;
        m.pendingSync = undefined;
      }
    }
  }
}

/** Longest group id: it is a key field of __consumer_offsets records, an int16-length string, as in Kafka. */
export const MAX_GROUP_ID_BYTES = 32767;

/** INVALID_GROUP_ID for an empty group id or one too long to be stored; 0 otherwise. */
export function checkGroupId(groupId: string): number {
  if (!groupId || Buffer.byteLength(groupId) > MAX_GROUP_ID_BYTES) return ErrorCode.INVALID_GROUP_ID;
  return 0;
}

/** The batches of a buffer of whole stored batches. */
function* iterateBatches(buf: Buffer): Generator<Buffer> {
  let pos = 0;
  while (buf.length - pos >= 12) {
    const len = 12 + buf.readInt32BE(pos + 8);
    if (pos + len > buf.length) return;
    yield buf.subarray(pos, pos + len);
    pos += len;
  }
}

function sameProtocols(a: { name: string; metadata: Buffer }[], b: { name: string; metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}
