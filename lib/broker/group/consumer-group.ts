/**
 * The consumer group protocol of KIP-848 (ConsumerGroupHeartbeat), beside the classic one (coordinator.ts), with
 * the semantics of Kafka's group coordinator (GroupMetadataManager.consumerGroupHeartbeat, CurrentAssignmentBuilder):
 *
 * - The group has an epoch, bumped whenever its membership, a member's subscription or the partitions of a
 *   subscribed topic change. A target assignment is computed by the server-side assignor ("uniform", the default,
 *   or "range") for every new group epoch; its epoch is the assignment epoch.
 * - Each member has its own epoch and reconciles towards its target one heartbeat at a time: partitions it must
 *   give up are first only taken away (the member keeps its epoch until it reports them revoked in its owned
 *   partitions), and a partition is handed to its new owner only once no other member owns it or still has it
 *   pending revocation. A member that does not revoke within its rebalance timeout is fenced, as is one whose
 *   session (45 s, Kafka's group.consumer.session.timeout.ms) runs out.
 * - Member epochs fence stale members: a heartbeat with an epoch ahead of the member's, or behind it (other than
 *   the previous epoch with owned partitions within the current assignment, a lost response), gets
 *   FENCED_MEMBER_EPOCH; OffsetCommit v9+ and OffsetFetch v9+ check the epoch (STALE_MEMBER_EPOCH).
 * - Leaving: member epoch -1 (the member is removed and the group epoch bumped), -2 for a static member (one
 *   with an instance id) that will come back: it keeps its assignment for the session timeout, and a new member
 *   with the same instance id takes its place and partitions.
 *
 * The state machine knows topics by name; the handlers translate the topic ids of the wire.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../protocol/apis";
import {
  currentAssignmentKey,
  currentAssignmentValue,
  decodeConsumerGroupRecord,
  groupMetadataKey,
  groupMetadataValue,
  memberMetadataKey,
  memberMetadataValue,
  targetMemberKey,
  targetMemberValue,
  targetMetadataKey,
  targetMetadataValue,
  type CurrentMemberAssignment,
  type MemberMetadata,
  type TopicIdPartitions,
} from "./consumer-group-records";

export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable";
type MemberState = "stable" | "unrevoked" | "unreleased";
/** topic -> partitions */
export type TopicPartitions = Map<string, Set<number>>;

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const SERVER_ASSIGNORS = ["uniform", "range"] as const;

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: TopicPartitions;
  pendingRevocation: TopicPartitions;
  sessionDeadline: number;
  /** Set while the member has partitions to revoke: past it, the member is fenced (its rebalance timeout). */
  revocationDeadline?: number;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** memberId -> its target assignment at the assignment epoch. */
  target = new Map<string, TopicPartitions>();
  /** The subscribed topics' partition counts the target was computed for ("t:n,..."). */
  subscriptionMetadata = "";
  /** What this group last wrote to __consumer_offsets: record key (hex) -> value (hex). */
  readonly written = new Map<string, string>();
  /** The epochs at the last write: when they change, every member's records are written again. */
  writtenEpochs = "";
  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.assignmentEpoch) return "Assigning";
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== "stable") return "Reconciling";
    return "Stable";
  }

  /** The assignor the group uses: the one most members ask for, "uniform" when none asks. */
  get assignor(): string {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    let best = "uniform";
    let n = 0;
    for (const [a, c] of counts) if (c > n) [best, n] = [a, c];
    return best;
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m;
    return undefined;
  }
}

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** Owned partitions by topic name (ids the broker does not know are left out); null when not sent. */
  owned: { topic: string; partitions: number[] }[] | null;
  clientId: string;
  clientHost: string;
  version: number;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topic: string; partitions: number[] }[] | null;
}

export interface ConsumerCoordinatorOptions {
  /** Kafka's group.consumer.heartbeat.interval.ms (5000). */
  heartbeatIntervalMs?: number;
  /** Kafka's group.consumer.session.timeout.ms (45000). */
  sessionTimeoutMs?: number;
  /** Kafka's group.consumer.max.size (unbounded by default). */
  maxSize?: number;
}

/** What the coordinator needs to know of the broker: topics and the classic groups sharing the id space. */
export interface ConsumerCoordinatorEnv {
  /** Partition count of a topic, undefined when it does not exist. */
  partitions(topic: string): number | undefined;
  /** Every topic name (for regular-expression subscriptions; internal topics are left out). */
  topicNames(): string[];
  /**
   * A classic group with this id that is in use (has members): the id cannot become a consumer group.
   * An empty classic group is dropped (its committed offsets stay) when a consumer group takes the id.
   */
  classicGroupInUse(groupId: string): boolean;
  dropEmptyClassicGroup(groupId: string): void;
}

class HeartbeatError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const fail = (code: number, message: string): never => {
  throw new HeartbeatError(code, message);
};

/** Where the groups are kept: __consumer_offsets (through the classic coordinator) and the topic ids. */
export interface ConsumerGroupStore {
  /** Appends records of one group; 0, or an error code when they could not be written. */
  append(groupId: string, records: { key: Buffer; value: Buffer | null }[]): number;
  idOf(topic: string): string;
  nameOf(topicId: string): string | undefined;
}

const STATE_CODES: Record<MemberState, number> = { stable: 0, unrevoked: 1, unreleased: 2 };

export class ConsumerGroupCoordinator {
  readonly groups = new Map<string, ConsumerGroup>();
  private store: ConsumerGroupStore | undefined;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly env: ConsumerCoordinatorEnv,
    private readonly opts: ConsumerCoordinatorOptions = {},
  ) {
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 5000;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45000;
    this.sweep = setInterval(() => this.expire(Date.now()), 200);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
  }

  heartbeat(req: HeartbeatRequest): HeartbeatResult {
    try {
      this.validate(req);
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req);
      return this.join(req);
    } catch (e) {
      if (!(e instanceof HeartbeatError)) throw e;
      return { errorCode: e.code, errorMessage: e.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
  }

  /** As Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
  private validate(req: HeartbeatRequest): void {
    const invalid = (m: string) => fail(ErrorCode.INVALID_REQUEST, m);
    // KIP-1082: from version 1 the client makes its member id (a UUID) itself.
    if (req.version >= 1 && !req.memberId) invalid("MemberId can't be empty.");
    if (!req.groupId) invalid("GroupId can't be empty.");
    if (req.instanceId === "") invalid("InstanceId can't be empty.");
    if (req.rackId === "") invalid("RackId can't be empty.");
    if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (!req.memberId) invalid("MemberId can't be empty.");
    } else if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) invalid("RebalanceTimeoutMs must be provided in first request.");
      if (req.owned === null || req.owned.length > 0) invalid("TopicPartitions must be empty when (re-)joining.");
      if (!req.subscribedTopicNames?.length && !req.subscribedTopicRegex) invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (!req.memberId) invalid("MemberId can't be empty.");
      if (req.instanceId === null) invalid("InstanceId can't be null.");
    } else invalid("MemberEpoch is invalid.");
    // An empty regex is no regex (librdkafka sends "" beside topic names), as Kafka takes it.
    if (req.subscribedTopicRegex) {
      try {
        new RegExp(req.subscribedTopicRegex);
      } catch {
        fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
      }
    }
    if (req.serverAssignor !== null && !(SERVER_ASSIGNORS as readonly string[]).includes(req.serverAssignor))
      fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${SERVER_ASSIGNORS.join(", ")}.`);
  }

  /** The consumer group, or an error as Kafka's getOrMaybeCreateConsumerGroup. */
  private groupFor(groupId: string, create: boolean): ConsumerGroup {
    const g = this.groups.get(groupId);
    if (g) return g;
    if (!create) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    if (this.env.classicGroupInUse(groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    this.env.dropEmptyClassicGroup(groupId);
    const created = new ConsumerGroup(groupId);
    this.groups.set(groupId, created);
    return created;
  }

  private join(req: HeartbeatRequest): HeartbeatResult {
    const now = Date.now();
    const create = req.memberEpoch === 0;
    if (!create && !this.groups.has(req.groupId) && this.env.classicGroupInUse(req.groupId)) fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
    const g = this.groupFor(req.groupId, create);
    const memberId = req.memberId || randomUUID();
    if (this.opts.maxSize !== undefined && g.members.size >= this.opts.maxSize && !g.members.has(memberId))
      fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.opts.maxSize} members.`);

    const found = this.memberFor(g, memberId, req, create);
    let member = found.member;
    const isNew = found.isNew;
    const before = { topics: member.subscribedTopicNames.join("\0"), regex: member.subscribedTopicRegex, assignor: member.serverAssignor };
    if (req.instanceId !== null) member.instanceId = req.instanceId;
    if (req.rackId !== null) member.rackId = req.rackId;
    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.serverAssignor !== null) member.serverAssignor = req.serverAssignor;
    if (req.subscribedTopicNames !== null) member.subscribedTopicNames = [...req.subscribedTopicNames].sort();
    if (req.subscribedTopicRegex !== null) member.subscribedTopicRegex = req.subscribedTopicRegex || null;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    member.sessionDeadline = now + this.sessionTimeoutMs;
    g.members.set(member.memberId, member);

    // 1. A new member, a changed subscription or changed partitions of the subscribed topics: a new group epoch.
    let bump = isNew || before.topics !== member.subscribedTopicNames.join("\0") || before.regex !== member.subscribedTopicRegex || before.assignor !== member.serverAssignor;
    const metadata = this.subscriptionMetadata(g);
    if (metadata !== g.subscriptionMetadata) {
      g.subscriptionMetadata = metadata;
      bump = true;
    }
    if (bump) g.groupEpoch++;
    // 2. A new target assignment for a new group epoch.
    if (g.groupEpoch > g.assignmentEpoch) this.computeTarget(g);
    // 3. The member's reconciliation towards its target.
    const assignedBefore = key(member.assigned);
    member = this.reconcile(g, member, req.owned);
    g.members.set(member.memberId, member);
    if (member.state === "unrevoked") member.revocationDeadline ??= now + member.rebalanceTimeoutMs;
    else member.revocationDeadline = undefined;

    this.persist(g, member.memberId);
    const full = req.memberEpoch === 0 || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.owned !== null);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      assignment: full || assignedBefore !== key(member.assigned) ? toList(member.assigned) : null,
    };
  }

  /** The member a heartbeat is for, created when joining; epoch and instance checks as Kafka's. */
  private memberFor(g: ConsumerGroup, memberId: string, req: HeartbeatRequest, create: boolean): { member: ConsumerMember; isNew: boolean } {
    if (req.instanceId === null) {
      const m = g.members.get(memberId);
      if (!m) {
        if (!create) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${g.groupId}.`);
        return { member: newMember(memberId), isNew: true };
      }
      // Epoch 0 from a known member (the client keeps its member id, KIP-1082): it rejoins with nothing owned.
      if (req.memberEpoch === 0) return { member: resetMember(m), isNew: false };
      checkEpoch(m, req);
      return { member: m, isNew: false };
    }
    const existing = g.staticMember(req.instanceId);
    if (create) {
      if (!existing) {
        const m = g.members.get(memberId);
        return m ? { member: resetMember(m), isNew: false } : { member: newMember(memberId), isNew: true };
      }
      if (existing.memberId === memberId) return { member: resetMember(existing), isNew: false };
      // The instance is taken over only once the previous member said it would come back (epoch -2).
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH)
        fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${existing.memberId} with instance id ${req.instanceId} is not released yet.`);
      // The new member takes the previous one's place and its assignment, at epoch 0, without a new group epoch.
      g.members.delete(existing.memberId);
      const target = g.target.get(existing.memberId);
      g.target.delete(existing.memberId);
      if (target) g.target.set(memberId, target);
      return { member: { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0, pendingRevocation: new Map(), state: "stable", revocationDeadline: undefined }, isNew: false };
    }
    if (!existing) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (existing.memberId !== memberId) fail(82 /* FENCED_INSTANCE_ID */, `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${existing.memberId}.`);
    checkEpoch(existing, req);
    return { member: existing, isNew: false };
  }

  private leave(req: HeartbeatRequest): HeartbeatResult {
    const g = this.groups.get(req.groupId);
    if (!g) return fail(ErrorCode.GROUP_ID_NOT_FOUND, this.env.classicGroupInUse(req.groupId) ? `Group ${req.groupId} is not a consumer group.` : `Consumer group ${req.groupId} not found.`);
    let m: ConsumerMember | undefined;
    if (req.instanceId === null) {
      m = g.members.get(req.memberId);
      if (!m) fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${g.groupId}.`);
    } else {
      m = g.staticMember(req.instanceId);
      if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (m.memberId !== req.memberId) fail(82 /* FENCED_INSTANCE_ID */, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${m.memberId}.`);
      if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        // It comes back soon: it keeps its assignment, and its partitions stay its own, until its session ends.
        m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
        m.pendingRevocation = new Map();
        m.revocationDeadline = undefined;
        this.persist(g, m.memberId);
        return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: m.memberId, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, heartbeatIntervalMs: 0, assignment: null };
      }
    }
    this.removeMember(g, m!.memberId);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /** A member leaves or is fenced: its partitions are free, and the group moves to a new epoch. */
  private removeMember(g: ConsumerGroup, memberId: string): void {
    if (!g.members.delete(memberId)) return;
    g.target.delete(memberId);
    g.groupEpoch++;
    // The new target assignment is computed at the next heartbeat of a member, as Kafka does (Assigning until then).
    this.persist(g);
  }

  private expire(now: number): void {
    for (const g of this.groups.values())
      for (const m of [...g.members.values()]) if (m.sessionDeadline < now || (m.revocationDeadline !== undefined && m.revocationDeadline < now)) this.removeMember(g, m.memberId);
  }

  /** The topics a member subscribes to: its names and the existing topics its regular expression matches. */
  private subscribedTopics(m: ConsumerMember): string[] {
    if (m.subscribedTopicRegex === null) return m.subscribedTopicNames;
    const re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
    return [...new Set([...m.subscribedTopicNames, ...this.env.topicNames().filter((t) => re.test(t))])].sort();
  }

  private subscriptionMetadata(g: ConsumerGroup): string {
    const topics = new Set<string>();
    for (const m of g.members.values()) for (const t of this.subscribedTopics(m)) topics.add(t);
    return [...topics]
      .sort()
      .map((t) => `${t}:${this.env.partitions(t) ?? 0}`)
      .join(",");
  }

  private computeTarget(g: ConsumerGroup): void {
    const members = [...g.members.values()].map((m) => ({ id: m.memberId, instanceId: m.instanceId, topics: new Set(this.subscribedTopics(m).filter((t) => (this.env.partitions(t) ?? 0) > 0)) }));
    const partitions = new Map<string, number>();
    for (const m of members) for (const t of m.topics) partitions.set(t, this.env.partitions(t)!);
    g.target = g.assignor === "range" ? assignRange(members, partitions) : assignUniform(members, partitions, g.target);
    g.assignmentEpoch = g.groupEpoch;
  }

  /** Kafka's CurrentAssignmentBuilder: moves a member one step towards its target assignment. */
  private reconcile(g: ConsumerGroup, m: ConsumerMember, owned: { topic: string; partitions: number[] }[] | null): ConsumerMember {
    const target = g.target.get(m.memberId) ?? new Map<string, Set<number>>();
    const ownsAny = (tp: TopicPartitions): boolean => {
      if (owned === null) return true;
      return owned.some((o) => o.partitions.some((p) => tp.get(o.topic)?.has(p)));
    };
    const next = (epoch: number): ConsumerMember => {
      const assigned: TopicPartitions = new Map();
      const revoke: TopicPartitions = new Map();
      const pending: TopicPartitions = new Map();
      let unreleased = false;
      for (const topic of new Set([...target.keys(), ...m.assigned.keys()])) {
        const want = target.get(topic) ?? new Set<number>();
        const have = m.assigned.get(topic) ?? new Set<number>();
        const keep = new Set([...have].filter((p) => want.has(p)));
        const gone = new Set([...have].filter((p) => !keep.has(p)));
        const add = new Set<number>();
        for (const p of want) {
          if (keep.has(p)) continue;
          if (this.ownedByOther(g, m.memberId, topic, p)) unreleased = true;
          else add.add(p);
        }
        if (keep.size) assigned.set(topic, keep);
        if (gone.size) revoke.set(topic, gone);
        if (add.size) pending.set(topic, add);
      }
      const moved = (state: MemberState, memberEpoch: number, a: TopicPartitions, r: TopicPartitions): ConsumerMember => ({
        ...m,
        state,
        previousMemberEpoch: memberEpoch !== m.memberEpoch ? m.memberEpoch : m.previousMemberEpoch,
        memberEpoch,
        assigned: a,
        pendingRevocation: r,
      });
      if (revoke.size > 0 && ownsAny(revoke)) return moved("unrevoked", epoch, assigned, revoke);
      for (const [t, ps] of pending) assigned.set(t, new Set([...(assigned.get(t) ?? []), ...ps]));
      return moved(unreleased ? "unreleased" : "stable", g.assignmentEpoch, assigned, new Map());
    };
    switch (m.state) {
      case "stable":
        return m.memberEpoch !== g.assignmentEpoch ? next(m.memberEpoch) : m;
      case "unrevoked":
        return ownsAny(m.pendingRevocation) ? m : next(m.memberEpoch + 1);
      case "unreleased":
        return next(m.memberEpoch);
    }
  }

  /** Whether another member holds the partition (assigned, or not yet revoked): Kafka's partition epoch. */
  private ownedByOther(g: ConsumerGroup, memberId: string, topic: string, p: number): boolean {
    for (const o of g.members.values()) {
      if (o.memberId === memberId) continue;
      if (o.assigned.get(topic)?.has(p) || o.pendingRevocation.get(topic)?.has(p)) return true;
    }
    return false;
  }

  /**
   * OffsetCommit's membership check for a consumer group (Kafka's ConsumerGroup.validateOffsetCommit):
   * 0 when the commit may be stored.
   */
  checkCommit(g: ConsumerGroup, memberId: string, memberEpoch: number, version: number): number {
    // The admin client or a consumer without group management: only while the group has no members.
    if (memberEpoch < 0 && g.members.size === 0) return 0;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (version < 9) return ErrorCode.UNSUPPORTED_VERSION;
    return memberEpoch === m.memberEpoch ? 0 : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /**
   * TxnOffsetCommit's check for a consumer group (Kafka's validateOffsetCommit with isTransactional): no member
   * named is fine; a member must be known and give its current epoch (ILLEGAL_GENERATION otherwise, the error the
   * transactional clients know).
   */
  checkTransactionalCommit(g: ConsumerGroup, memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && g.members.size === 0) return 0;
    if (memberEpoch === -1 && !memberId) return 0;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === m.memberEpoch ? 0 : ErrorCode.ILLEGAL_GENERATION;
  }

  /** OffsetFetch v9+'s check (Kafka's ConsumerGroup.validateOffsetFetch). */
  checkFetch(g: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return 0;
    const m = memberId === null ? undefined : g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === m.memberEpoch ? 0 : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /** Topics the members subscribe to (OffsetDelete refuses to delete their offsets). */
  subscribedTopicsOf(groupId: string): Set<string> {
    const out = new Set<string>();
    for (const m of this.groups.get(groupId)?.members.values() ?? []) for (const t of this.subscribedTopics(m)) out.add(t);
    return out;
  }

  /** An empty consumer group makes way (DeleteGroups, or a classic member joining): its records are tombstoned. */
  delete(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    this.groups.delete(groupId);
    this.persist(g, undefined, true);
  }

  /**
   * Keeps the groups in __consumer_offsets from now on, and rebuilds those its records (read at start, in log
   * order) describe, as Kafka's coordinator loads them: members with their epochs and assignments, each
   * session starting now (members that do not come back expire and the others are reassigned).
   */
  attach(store: ConsumerGroupStore, records: { key: Buffer; value: Buffer | null }[]): void {
    this.store = store;
    type Loaded = { epoch?: number; assignmentEpoch?: number; members: Map<string, MemberMetadata>; targets: Map<string, TopicIdPartitions>; current: Map<string, CurrentMemberAssignment> };
    const loaded = new Map<string, Loaded>();
    const at = (id: string) => {
      let l = loaded.get(id);
      if (!l) loaded.set(id, (l = { members: new Map(), targets: new Map(), current: new Map() }));
      return l;
    };
    for (const { key: k, value } of records) {
      let rec;
      try {
        rec = decodeConsumerGroupRecord(k, value);
      } catch {
        continue; // a record this broker cannot read is left for Kafka's tools
      }
      if (!rec) continue;
      const l = at(rec.groupId);
      if (rec.type === 3) {
        if (rec.value) l.epoch = rec.value.epoch;
        else loaded.delete(rec.groupId);
      } else if (rec.type === 6) l.assignmentEpoch = rec.value?.assignmentEpoch;
      else if (rec.type === 5) {
        if (rec.value) l.members.set(rec.memberId, rec.value);
        else l.members.delete(rec.memberId);
      } else if (rec.type === 7) {
        if (rec.value) l.targets.set(rec.memberId, rec.value.topicPartitions);
        else l.targets.delete(rec.memberId);
      } else if (rec.value) l.current.set(rec.memberId, rec.value);
      else l.current.delete(rec.memberId);
    }
    const names = (tps: TopicIdPartitions | undefined): TopicPartitions => {
      const out: TopicPartitions = new Map();
      for (const t of tps ?? []) {
        const name = store.nameOf(t.topicId);
        if (name !== undefined && t.partitions.length) out.set(name, new Set(t.partitions));
      }
      return out;
    };
    const now = Date.now();
    for (const [groupId, l] of loaded) {
      if (l.epoch === undefined) continue;
      const g = new ConsumerGroup(groupId);
      g.groupEpoch = l.epoch;
      g.assignmentEpoch = l.assignmentEpoch ?? 0;
      for (const [memberId, md] of l.members) {
        const cur = l.current.get(memberId);
        const state = (Object.keys(STATE_CODES) as MemberState[]).find((s) => STATE_CODES[s] === cur?.state) ?? "stable";
        g.members.set(memberId, {
          ...newMember(memberId),
          instanceId: md.instanceId,
          rackId: md.rackId,
          clientId: md.clientId,
          clientHost: md.clientHost,
          rebalanceTimeoutMs: md.rebalanceTimeoutMs,
          subscribedTopicNames: [...md.subscribedTopicNames].sort(),
          subscribedTopicRegex: md.subscribedTopicRegex || null,
          serverAssignor: md.serverAssignor,
          memberEpoch: cur?.memberEpoch ?? 0,
          previousMemberEpoch: cur?.previousMemberEpoch ?? 0,
          state,
          assigned: names(cur?.assignedPartitions),
          pendingRevocation: names(cur?.partitionsPendingRevocation),
          sessionDeadline: now + this.sessionTimeoutMs,
          revocationDeadline: state === "unrevoked" ? now + md.rebalanceTimeoutMs : undefined,
        });
        g.target.set(memberId, names(l.targets.get(memberId)));
      }
      g.subscriptionMetadata = this.subscriptionMetadata(g);
      this.groups.set(groupId, g);
      this.persist(g, undefined, false, true);
    }
  }

  /**
   * Writes what changed in a group since its last write (only `memberId`'s records while the epochs stay);
   * `deleted` tombstones all it wrote; `remember` only notes the records as written (after a load).
   */
  private persist(g: ConsumerGroup, memberId?: string, deleted = false, remember = false): void {
    const store = this.store;
    if (!store) return;
    const desired = new Map<string, Buffer | null>();
    const ids = (tp: TopicPartitions | undefined) => toList(tp ?? new Map<string, Set<number>>()).map((t) => ({ topicId: store.idOf(t.topic), partitions: t.partitions }));
    const epochs = `${g.groupEpoch}/${g.assignmentEpoch}`;
    const all = deleted || epochs !== g.writtenEpochs || memberId === undefined;
    const keyed = new Map<string, Buffer>();
    const want = (k: Buffer, v: Buffer | null) => {
      const hex = k.toString("hex");
      keyed.set(hex, k);
      desired.set(hex, v);
    };
    if (!deleted) {
      want(groupMetadataKey(g.groupId), groupMetadataValue(g.groupEpoch));
      want(targetMetadataKey(g.groupId), targetMetadataValue(g.assignmentEpoch));
      for (const m of g.members.values()) {
        if (!all && m.memberId !== memberId) continue;
        want(
          memberMetadataKey(g.groupId, m.memberId),
          memberMetadataValue({ instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex ?? "", rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor }),
        );
        want(targetMemberKey(g.groupId, m.memberId), targetMemberValue(ids(g.target.get(m.memberId))));
        want(
          currentAssignmentKey(g.groupId, m.memberId),
          currentAssignmentValue({ memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: STATE_CODES[m.state], assignedPartitions: ids(m.assigned), partitionsPendingRevocation: ids(m.pendingRevocation) }),
        );
      }
    }
    const records: { key: Buffer; value: Buffer | null }[] = [];
    for (const [hex, v] of desired) if (g.written.get(hex) !== v?.toString("hex")) records.push({ key: keyed.get(hex)!, value: v });
    // Records of members gone (or of the whole group, deleted): tombstones, member records before the group's.
    if (all)
      for (const hex of [...g.written.keys()].reverse())
        if (!desired.has(hex)) records.push({ key: Buffer.from(hex, "hex"), value: null });
    if (records.length === 0) return;
    if (!remember && store.append(g.groupId, records) !== 0) return; // kept as unwritten: tried again at the next change
    for (const r of records) {
      const hex = r.key.toString("hex");
      if (r.value) g.written.set(hex, r.value.toString("hex"));
      else g.written.delete(hex);
    }
    g.writtenEpochs = epochs;
  }
}

function newMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: "",
    clientHost: "",
    rebalanceTimeoutMs: 300000,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: "stable",
    assigned: new Map(),
    pendingRevocation: new Map(),
    sessionDeadline: 0,
  };
}

function resetMember(m: ConsumerMember): ConsumerMember {
  return { ...m, memberEpoch: 0, previousMemberEpoch: 0, state: "stable", assigned: new Map(), pendingRevocation: new Map(), revocationDeadline: undefined };
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
function checkEpoch(m: ConsumerMember, req: HeartbeatRequest): void {
  if (req.memberEpoch > m.memberEpoch)
    fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  if (req.memberEpoch < m.memberEpoch) {
    // The previous epoch with partitions within the current assignment: the response that bumped it was lost.
    const subset = req.owned !== null && req.owned.every((o) => o.partitions.every((p) => m.assigned.get(o.topic)?.has(p)));
    if (req.memberEpoch !== m.previousMemberEpoch || !subset)
      fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
}

function key(tp: TopicPartitions): string {
  return [...tp]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([t, ps]) => `${t}:${[...ps].sort((a, b) => a - b).join(",")}`)
    .join(";");
}

export function toList(tp: TopicPartitions): { topic: string; partitions: number[] }[] {
  return [...tp]
    .filter(([, ps]) => ps.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
}

interface AssignorMember {
  id: string;
  topics: Set<string>;
  instanceId?: string | null;
}

/**
 * The uniform assignor (Kafka's default server assignor): every partition of the subscribed topics goes to one
 * of its subscribers, the members' counts differ by at most one where subscriptions allow, and partitions stay
 * with their previous target owner as far as that balance allows (sticky).
 */
export function assignUniform(members: AssignorMember[], partitions: Map<string, number>, previous: Map<string, TopicPartitions>): Map<string, TopicPartitions> {
  const out = new Map<string, TopicPartitions>(members.map((m) => [m.id, new Map()]));
  const count = new Map<string, number>(members.map((m) => [m.id, 0]));
  const byId = new Map(members.map((m) => [m.id, m]));
  const owner = new Map<string, string>();
  const add = (id: string, t: string, p: number) => {
    const tp = out.get(id)!;
    if (!tp.has(t)) tp.set(t, new Set());
    tp.get(t)!.add(p);
    count.set(id, count.get(id)! + 1);
    owner.set(`${t}\0${p}`, id);
  };
  const remove = (id: string, t: string, p: number) => {
    out.get(id)!.get(t)!.delete(p);
    count.set(id, count.get(id)! - 1);
  };
  const all: [string, number][] = [];
  for (const t of [...partitions.keys()].sort()) for (let p = 0; p < partitions.get(t)!; p++) all.push([t, p]);
  const eligible = (t: string) => members.filter((m) => m.topics.has(t));
  // Sticky: each partition stays with its previous owner while that member still subscribes to its topic.
  for (const [id, tp] of previous) {
    const m = byId.get(id);
    if (!m) continue;
    for (const [t, ps] of tp) if (m.topics.has(t) && partitions.has(t)) for (const p of ps) if (p < partitions.get(t)! && !owner.has(`${t}\0${p}`)) add(id, t, p);
  }
  const least = (cands: AssignorMember[]) => cands.reduce((a, b) => (count.get(b.id)! < count.get(a.id)! || (count.get(b.id) === count.get(a.id) && b.id < a.id) ? b : a));
  for (const [t, p] of all) {
    if (owner.has(`${t}\0${p}`)) continue;
    const cands = eligible(t);
    if (cands.length) add(least(cands).id, t, p);
  }
  // Balance: move a partition from a member to a subscriber of its topic holding at least two fewer.
  for (let moved = true; moved; ) {
    moved = false;
    for (const [t, p] of all) {
      const from = owner.get(`${t}\0${p}`);
      if (from === undefined) continue;
      const to = least(eligible(t));
      if (count.get(to.id)! < count.get(from)! - 1) {
        remove(from, t, p);
        add(to.id, t, p);
        moved = true;
      }
    }
  }
  return out;
}

/**
 * The range assignor: per topic, members in Kafka's order (instance id, then member id) get contiguous ranges,
 * the first ones one more.
 */
export function assignRange(members: AssignorMember[], partitions: Map<string, number>): Map<string, TopicPartitions> {
  const out = new Map<string, TopicPartitions>(members.map((m) => [m.id, new Map()]));
  for (const [t, n] of partitions) {
    // Kafka's order: members with an instance id first (by instance id), then the others by member id.
    const subs = members
      .filter((m) => m.topics.has(t))
      .sort((a, b) => {
        if (a.instanceId && b.instanceId) return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
        if (a.instanceId) return -1;
        if (b.instanceId) return 1;
        return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      });
    if (subs.length === 0) continue;
    const base = Math.floor(n / subs.length);
    const extra = n % subs.length;
    let p = 0;
    subs.forEach((m, i) => {
      const k = base + (i < extra ? 1 : 0);
      if (k > 0) out.get(m.id)!.set(t, new Set(Array.from({ length: k }, (_, j) => p + j)));
      p += k;
    });
  }
  return out;
}
