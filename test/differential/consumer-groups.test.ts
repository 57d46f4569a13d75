/**
 * Differential scenarios of the KIP-848 consumer group protocol (ConsumerGroupHeartbeat, ConsumerGroupDescribe,
 * OffsetCommit/OffsetFetch v9 with member epochs), played against Apache Kafka and the embedded broker: raw wire
 * sessions (wire-kip848.ts) and real clients with group.protocol=consumer (the Java client and confluent-kafka).
 * Member ids are made by the test (KIP-1082), so they are left out of the observations; which partitions a member
 * gets depends on ids, so the observations hold counts and unions.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe } from "vitest";
import { tool } from "../support/tools";
import { venvPython } from "../support/venv";
import { differential, run, type Target } from "./runner";
import * as wire from "./wire";
import { RawConnection, createReady as create } from "./wire";
import { decodeConsumerGroupRecord, isConsumerGroupRecord } from "../../lib/broker/group/consumer-group-records";
import { partitionFor } from "../../lib/broker/group/offsets-topic";
import { commitV9, txnCommitV3, consumerGroupDescribe, consumerGroupHeartbeat, describeGroupV5, fetchOffsetsV9, listGroupsV5, type HeartbeatAnswer, type HeartbeatArgs, type TopicPartitions } from "./wire-kip848";

/** Retries while the coordinator is loading or moving (14, 15, 16), as clients do. */
async function hb(c: RawConnection, a: HeartbeatArgs): Promise<HeartbeatAnswer> {
  for (let i = 0; ; i++) {
    const r = await consumerGroupHeartbeat(c, a);
    if (![14, 15, 16].includes(r.error) || i > 100) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function coordinated(t: Target, group: string): Promise<RawConnection> {
  const c = await RawConnection.open(t.bootstrap);
  const f = await wire.findCoordinator(c, group);
  if (f.error) throw new Error(`FindCoordinator: ${f.error}`);
  return c;
}

const count = (a: TopicPartitions[] | null) => (a === null ? null : a.reduce((n, t) => n + t.partitions.length, 0));
const join = (group: string, memberId: string, topics: string[], more: Partial<HeartbeatArgs> = {}): HeartbeatArgs => ({ group, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30_000, topics, owned: [], ...more });
/** What a heartbeat answer shows, without the member id (made by the test) or topic ids (random per broker). */
const seen = (r: HeartbeatAnswer) => ({ error: r.error, memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs, assigned: count(r.assignment) });
const describeShape = async (c: RawConnection, group: string) =>
  (await consumerGroupDescribe(c, [group])).map((g) => ({
    error: g.error,
    state: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignorName,
    members: g.members
      .map((m) => ({ memberEpoch: m.memberEpoch, subscribed: m.subscribedTopicNames, assigned: m.assignment.reduce((n, t) => n + t.partitions.length, 0), target: m.targetAssignment.reduce((n, t) => n + t.partitions.length, 0) }))
      .sort((a, b) => a.memberEpoch - b.memberEpoch || a.assigned - b.assigned || a.target - b.target),
  }));

describe.runIf(tool("kafka-reference"))("differential: KIP-848 consumer groups", () => {
  const { scenario } = differential("consumer-groups", { embeddedPartitions: 1 });

  scenario("ApiVersions advertises ConsumerGroupHeartbeat (68) and ConsumerGroupDescribe (69)", async (t) => {
    const c = await RawConnection.open(t.bootstrap);
    try {
      const v = (await wire.apiVersions(c)).versions;
      return { heartbeat: v.get(68)?.[0] ?? "absent", describe: v.get(69)?.[0] ?? "absent", offsetCommitHas9: (v.get(8)?.[1] ?? 0) >= 9, offsetFetchHas9: (v.get(9)?.[1] ?? 0) >= 9 };
    } finally {
      c.close();
    }
  });

  scenario("two members split a topic: revocation before reassignment, member epochs, commits, leave", async (t) => {
    const group = "kip848-split";
    const topic = "kip848-split-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 4);
      const A = randomUUID();
      const B = randomUUID();
      const a1 = await hb(c, join(group, A, [topic]));
      const topicId = a1.assignment?.[0]?.topicId;
      if (!topicId) return { a1: seen(a1) };
      const afterA = await describeShape(c, group);
      const b1 = await hb(c, join(group, B, [topic]));
      const afterB = await describeShape(c, group);
      // A still owns all four: it is asked to give two up and keeps its epoch until it has.
      const a2 = await hb(c, { group, memberId: A, memberEpoch: a1.memberEpoch, owned: a1.assignment });
      const kept = a2.assignment ?? [];
      const keptPartitions = kept.flatMap((x) => x.partitions);
      const whileRevoking = await describeShape(c, group);
      // B cannot have them before A revoked them.
      const b2 = await hb(c, { group, memberId: B, memberEpoch: b1.memberEpoch, owned: [] });
      // Commits with the member epoch (v9): the current one is taken, another is STALE_MEMBER_EPOCH.
      const commitStale = await commitV9(c, group, a2.memberEpoch + 1, A, topic, keptPartitions[0], 7);
      const commitOk = await commitV9(c, group, a2.memberEpoch, A, topic, keptPartitions[0], 7);
      const commitNobody = await commitV9(c, group, -1, "", topic, keptPartitions[0], 8);
      const a3 = await hb(c, { group, memberId: A, memberEpoch: a2.memberEpoch, owned: kept });
      const b3 = await hb(c, { group, memberId: B, memberEpoch: b2.memberEpoch, owned: [] });
      const b3Partitions = (b3.assignment ?? []).flatMap((x) => x.partitions);
      const stable = await describeShape(c, group);
      const fetchStale = await fetchOffsetsV9(c, group, A, a3.memberEpoch + 5, topic, [keptPartitions[0]]);
      const fetchOk = await fetchOffsetsV9(c, group, A, a3.memberEpoch, topic, [keptPartitions[0]]);
      const fetchAdmin = await fetchOffsetsV9(c, group, null, -1, topic, [keptPartitions[0]]);
      const fetchUnknown = await fetchOffsetsV9(c, group, randomUUID(), 1, topic, [keptPartitions[0]]);
      const fencedAhead = await hb(c, { group, memberId: A, memberEpoch: a3.memberEpoch + 10, owned: kept });
      const fencedBehind = await hb(c, { group, memberId: A, memberEpoch: 1, owned: [{ topicId, partitions: [0, 1, 2, 3] }] });
      const unknown = await hb(c, { group, memberId: randomUUID(), memberEpoch: 3, owned: [] });
      const listed = (await listGroupsV5(c)).groups.filter((g) => g.groupId === group);
      const listedConsumerOnly = (await listGroupsV5(c, ["consumer"])).groups.filter((g) => g.groupId === group).length;
      const listedClassicOnly = (await listGroupsV5(c, ["classic"])).groups.filter((g) => g.groupId === group).length;
      const classicDescribe = await describeGroupV5(c, group);
      // A leaves (epoch -1): B takes the whole topic at its next heartbeat.
      const leave = await hb(c, { group, memberId: A, memberEpoch: -1 });
      const b4 = await hb(c, { group, memberId: B, memberEpoch: b3.memberEpoch, owned: b3.assignment ?? [] });
      const afterLeave = await describeShape(c, group);
      return {
        a1: seen(a1),
        afterA,
        b1: seen(b1),
        afterB,
        a2: seen(a2),
        whileRevoking,
        b2: seen(b2),
        commits: { commitStale, commitOk, commitNobody },
        a3: seen(a3),
        b3: seen(b3),
        disjoint: b3Partitions.every((p) => !keptPartitions.includes(p)),
        stable,
        // Which partition A kept depends on the member ids: the offsets are compared without it.
        fetch: { stale: fetchStale.error, ok: [fetchOk.error, Object.values(fetchOk.offsets)], admin: [fetchAdmin.error, Object.values(fetchAdmin.offsets)], unknown: fetchUnknown.error },
        fencedAhead: seen(fencedAhead),
        fencedBehind: seen(fencedBehind),
        unknown: seen(unknown),
        listed,
        listedConsumerOnly,
        listedClassicOnly,
        classicDescribe,
        leave: { error: leave.error, memberEpoch: leave.memberEpoch },
        b4: seen(b4),
        afterLeave,
      };
    } finally {
      c.close();
    }
  });

  scenario("ConsumerGroupHeartbeat request checks: INVALID_REQUEST, UNSUPPORTED_ASSIGNOR, unknown groups and members", async (t) => {
    const group = "kip848-checks";
    const topic = "kip848-checks-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 1);
      const m = randomUUID();
      return {
        noSubscription: seen(await hb(c, { group, memberId: m, memberEpoch: 0, rebalanceTimeoutMs: 30_000, topics: null, owned: [] })),
        noRebalanceTimeout: seen(await hb(c, { group, memberId: m, memberEpoch: 0, topics: [topic], owned: [] })),
        ownedWhenJoining: seen(await hb(c, join(group, m, [topic], { owned: null }))),
        emptyMemberIdV1: seen(await hb(c, join(group, "", [topic]))),
        badEpoch: seen(await hb(c, { group, memberId: m, memberEpoch: -3 })),
        unsupportedAssignor: seen(await hb(c, join(group, m, [topic], { assignor: "sticky" }))),
        emptyGroupId: seen(await hb(c, join("", m, [topic]))),
        unknownGroupHeartbeat: seen(await hb(c, { group: "kip848-nowhere", memberId: m, memberEpoch: 3, owned: [] })),
        unknownGroupLeave: seen(await hb(c, { group: "kip848-nowhere", memberId: m, memberEpoch: -1 })),
        describeMissing: (await consumerGroupDescribe(c, ["kip848-nowhere"])).map((g) => ({ error: g.error, state: g.state })),
        joins: seen(await hb(c, join(group, m, [topic]))),
        unknownMember: seen(await hb(c, { group, memberId: randomUUID(), memberEpoch: 1, owned: [] })),
        unknownMemberLeave: seen(await hb(c, { group, memberId: randomUUID(), memberEpoch: -1 })),
      };
    } finally {
      c.close();
    }
  });

  scenario("a classic group and a consumer group cannot share an id", async (t) => {
    const classic = "kip848-classic-owned";
    const modern = "kip848-modern-owned";
    const topic = "kip848-ids-t";
    const c = await coordinated(t, classic);
    const c2 = await coordinated(t, modern);
    try {
      await create(c, topic, 2);
      // A classic group in use (a non-consumer protocol type, which Kafka never upgrades): no consumer member.
      const j1 = await wire.joinGroup(c, classic, "", { version: 3, protocolType: "connect", protocols: [{ name: "default", metadata: Buffer.from("x") }] });
      const s1 = await wire.syncGroup(c, classic, j1.generation, j1.memberId, [{ memberId: j1.memberId, assignment: Buffer.from("y") }]);
      const heartbeatIntoClassic = seen(await hb(c, join(classic, randomUUID(), [topic])));
      const describeClassic = (await consumerGroupDescribe(c, [classic])).map((g) => ({ error: g.error, state: g.state }));
      // A consumer group in use: a classic member of another protocol type cannot join it.
      const m = randomUUID();
      const joined = seen(await hb(c2, join(modern, m, [topic])));
      const joinIntoModern = await wire.joinGroup(c2, modern, "", { version: 3, protocolType: "connect", protocols: [{ name: "default", metadata: Buffer.from("x") }] });
      const classicHeartbeatIntoModern = await wire.heartbeat(c2, modern, 1, m);
      const listed = (await listGroupsV5(c)).groups.filter((g) => g.groupId === classic || g.groupId === modern).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
      // The consumer group empties; then it is deleted (DeleteGroups through the classic API's group list).
      const left = seen(await hb(c2, { group: modern, memberId: m, memberEpoch: -1 }));
      const afterLeave = (await consumerGroupDescribe(c2, [modern])).map((g) => ({ error: g.error, state: g.state, members: g.members.length }));
      return { classicSync: s1.error, heartbeatIntoClassic, describeClassic, joined, joinIntoModern: joinIntoModern.error, classicHeartbeatIntoModern, listed, left, afterLeave };
    } finally {
      c.close();
      c2.close();
    }
  });

  scenario("static members: epoch -2 keeps the assignment for the next instance; an unreleased instance id is refused", async (t) => {
    const group = "kip848-static";
    const topic = "kip848-static-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 2);
      const first = randomUUID();
      const j = await hb(c, join(group, first, [topic], { instanceId: "instance-1" }));
      const taken = seen(await hb(c, join(group, randomUUID(), [topic], { instanceId: "instance-1" })));
      const away = await hb(c, { group, memberId: first, memberEpoch: -2, instanceId: "instance-1" });
      const whileAway = await describeShape(c, group);
      const second = randomUUID();
      const back = await hb(c, join(group, second, [topic], { instanceId: "instance-1" }));
      const afterBack = await describeShape(c, group);
      const oldOne = seen(await hb(c, { group, memberId: first, memberEpoch: j.memberEpoch, instanceId: "instance-1", owned: j.assignment }));
      return { joined: seen(j), taken, away: { error: away.error, memberEpoch: away.memberEpoch }, whileAway, back: seen(back), sameEpochBack: back.memberEpoch === j.memberEpoch, afterBack, oldOne };
    } finally {
      c.close();
    }
  });

  scenario("the range server assignor: contiguous ranges per topic", async (t) => {
    const group = "kip848-range";
    const topic = "kip848-range-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 5);
      const A = randomUUID();
      const B = randomUUID();
      const a1 = await hb(c, join(group, A, [topic], { assignor: "range" }));
      const b1 = await hb(c, join(group, B, [topic], { assignor: "range" }));
      const a2 = await hb(c, { group, memberId: A, memberEpoch: a1.memberEpoch, owned: a1.assignment });
      await hb(c, { group, memberId: A, memberEpoch: a2.memberEpoch, owned: a2.assignment });
      await hb(c, { group, memberId: B, memberEpoch: b1.memberEpoch, owned: [] });
      const [g] = await consumerGroupDescribe(c, [group]);
      const ranges = g.members.map((m) => m.assignment.flatMap((x) => x.partitions).sort((x, y) => x - y));
      const contiguous = ranges.every((ps) => ps.every((p, i) => i === 0 || p === ps[i - 1] + 1));
      // Members in member-id order get the ranges: the first one (by id) starts at partition 0 and holds 3.
      const byId = [...g.members].sort((x, y) => (x.memberId < y.memberId ? -1 : 1)).map((m) => m.assignment.flatMap((x) => x.partitions).sort((x, y) => x - y));
      return { a1: seen(a1), b1: seen(b1), sizes: ranges.map((r) => r.length).sort(), contiguous, byId, described: await describeShape(c, group) };
    } finally {
      c.close();
    }
  });

  scenario("the consumer group records in __consumer_offsets (Kafka's types 3, 5, 6, 7, 8), latest per key", async (t) => {
    const group = "kip848-records";
    const topic = "kip848-records-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 2);
      const A = randomUUID();
      const B = randomUUID();
      const a1 = await hb(c, join(group, A, [topic], { instanceId: "inst-a" }));
      const b1 = await hb(c, join(group, B, [topic]));
      const a2 = await hb(c, { group, memberId: A, memberEpoch: a1.memberEpoch, owned: a1.assignment });
      await hb(c, { group, memberId: A, memberEpoch: a2.memberEpoch, owned: a2.assignment });
      await hb(c, { group, memberId: B, memberEpoch: b1.memberEpoch, owned: [] });
      await hb(c, { group, memberId: B, memberEpoch: -1 });
      const md = await wire.metadata(c, ["__consumer_offsets"], false);
      const partition = partitionFor(group, md.topics[0].partitions.length);
      const f = await wire.fetchPartition(c, "__consumer_offsets", partition, 0);
      if (f === "closed") return "closed";
      const latest = new Map<string, { key: Buffer; value: Buffer | null }>();
      for (const r of f.records) {
        const key = r.key?.startsWith("base64:") ? Buffer.from(r.key.slice(7), "base64") : Buffer.from(r.key ?? "", "latin1");
        if (!isConsumerGroupRecord(key)) continue;
        latest.set(key.toString("hex"), { key, value: r.value === null ? null : r.value.startsWith("base64:") ? Buffer.from(r.value.slice(7), "base64") : Buffer.from(r.value, "latin1") });
      }
      const who = (m: string) => (m === A ? "A" : m === B ? "B" : "?");
      const count = (tps: { partitions: number[] }[]) => tps.reduce((n, x) => n + x.partitions.length, 0);
      return [...latest.values()]
        .map(({ key, value }) => decodeConsumerGroupRecord(key, value))
        .filter((r) => r !== undefined && r.groupId === group)
        .map((r) => {
          const member = "memberId" in r! ? who(r.memberId) : undefined;
          const v = r!.value;
          if (v === null) return { type: r!.type, member, tombstone: true };
          if (r!.type === 5) {
            const m = v as { instanceId: string | null; subscribedTopicNames: string[]; subscribedTopicRegex: string | null; rebalanceTimeoutMs: number; serverAssignor: string | null; clientId: string };
            return { type: 5, member, instanceId: m.instanceId, topics: m.subscribedTopicNames, regex: m.subscribedTopicRegex, rebalanceTimeoutMs: m.rebalanceTimeoutMs, assignor: m.serverAssignor, clientId: m.clientId };
          }
          if (r!.type === 7) return { type: 7, member, target: count((v as { topicPartitions: { partitions: number[] }[] }).topicPartitions) };
          if (r!.type === 8) {
            const a = v as { memberEpoch: number; previousMemberEpoch: number; state: number; assignedPartitions: { partitions: number[] }[]; partitionsPendingRevocation: { partitions: number[] }[] };
            return { type: 8, member, memberEpoch: a.memberEpoch, previousMemberEpoch: a.previousMemberEpoch, state: a.state, assigned: count(a.assignedPartitions), pending: count(a.partitionsPendingRevocation) };
          }
          return { type: r!.type, ...v };
        })
        .sort((x, y) => x.type - y.type || String(x.member).localeCompare(String(y.member)));
    } finally {
      c.close();
    }
  });

  scenario("TxnOffsetCommit v3 from a consumer group member: its member epoch is checked", async (t) => {
    const group = "kip848-txn";
    const topic = "kip848-txn-t";
    const c = await coordinated(t, group);
    try {
      await create(c, topic, 1);
      const m = randomUUID();
      const j = await hb(c, join(group, m, [topic]));
      const txnId = "kip848-txn-app";
      const tc = await wire.findCoordinator(c, txnId, 1); // Kafka makes __transaction_state at the first lookup
      if (tc.error) throw new Error(`FindCoordinator(transaction): ${tc.error}`);
      const p = await wire.initProducerId(c, txnId);
      const added = await wire.addOffsetsToTxn(c, txnId, p.producerId, p.epoch, group);
      const commit = (epoch: number, memberId: string) => txnCommitV3(c, txnId, group, p.producerId, p.epoch, epoch, memberId, topic, 0, 5);
      return {
        join: j.error,
        added,
        current: await commit(j.memberEpoch, m),
        stale: await commit(j.memberEpoch + 3, m),
        unknownMember: await commit(j.memberEpoch, randomUUID()),
        noMember: await commit(-1, ""),
      };
    } finally {
      c.close();
    }
  });

  // ---- real clients with group.protocol=consumer ----

  /** The Java client (kafka-clients 4.x, its AsyncKafkaConsumer): test/clients/java ConsumerGroupCheck. */
  if (tool("java-client")) {
    scenario(
      "Java client, group.protocol=consumer: two consumers split, one leaves, the other takes over and resumes from the commits",
      async (t) => {
        const dir = path.join(__dirname, "..", "clients", "java", "target");
        const cp = [path.join(dir, "client-check-1.jar"), fs.readFileSync(path.join(dir, "classpath.txt"), "utf8").trim()].join(":");
        const r = await run("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp, "dev.streamlab.clients.ConsumerGroupCheck", t.bootstrap, "kip848-java", "60"], undefined, 170_000);
        if (r.code !== 0) return { exit: r.code, stderr: r.stderr.split("\n").filter((l) => /Exception|Error/.test(l)).slice(0, 5) };
        return JSON.parse(r.stdout.trim().split("\n").pop()!) as unknown;
      },
      { timeoutMs: 180_000 },
    );
  }

  /** confluent-kafka (librdkafka 2.x) with group.protocol=consumer: test/differential/kip848_confluent.py. */
  const python = venvPython();
  if (python && tool("venv-kafka-clients")) {
    scenario(
      "confluent-kafka, group.protocol=consumer: two consumers split, one leaves, the other takes over and resumes from the commits",
      async (t) => {
        const r = await run(python, [path.join(__dirname, "kip848_confluent.py"), t.bootstrap, "kip848-py", "60"], undefined, 170_000);
        if (r.code !== 0) return { exit: r.code, stderr: r.stderr.split("\n").slice(-5) };
        return JSON.parse(r.stdout.trim().split("\n").pop()!) as unknown;
      },
      { timeoutMs: 180_000 },
    );
  }
});
