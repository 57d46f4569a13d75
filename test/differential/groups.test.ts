/**
 * Differential scenarios, part 2: consumer groups (the classic protocol's state machine and its error codes,
 * offset commit/fetch, commits during a rebalance, eager rebalances with kafkajs, cooperative rebalances with
 * librdkafka), the group admin operations, the idempotent producer and transactions. Each scenario runs against
 * Apache Kafka and the embedded broker and the observations must be equal (see runner.ts).
 */
import { describe } from "vitest";
import { tool } from "../support/tools";
import { venvPython } from "../support/venv";
import { canonical, differential, outcome, run, type Target } from "./runner";
import * as wire from "./wire";
import { RawConnection, withConn, createReady as create } from "./wire";

async function fill(c: RawConnection, topic: string, partition: number, n: number): Promise<void> {
  const r = await wire.produce(c, topic, partition, wire.buildBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }))));
  if (r === "closed" || r.error) throw new Error(`produce: ${JSON.stringify(r)}`);
}

/** Retries a call while the broker answers COORDINATOR_LOAD_IN_PROGRESS (14), COORDINATOR_NOT_AVAILABLE (15) or NOT_COORDINATOR (16), as clients do. */
async function whileLoading<T>(call: () => Promise<T>, code: (r: T) => number): Promise<T> {
  for (let i = 0; ; i++) {
    const r = await call();
    if ((code(r) !== 14 && code(r) !== 15 && code(r) !== 16) || i > 100) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** A connection that has found the group's coordinator (Kafka creates __consumer_offsets on the first lookup). */
async function coordinated(t: Target, group: string): Promise<RawConnection> {
  const c = await RawConnection.open(t.bootstrap);
  const f = await wire.findCoordinator(c, group);
  if (f.error) throw new Error(`FindCoordinator: ${f.error}`);
  // Kafka answers FindCoordinator before the offsets partition is loaded: wait until the group answers.
  await whileLoading(() => wire.fetchOffset(c, group, "-", 0), (r) => r.topError);
  // ... and the group APIs too (a heartbeat of nobody answers UNKNOWN_MEMBER_ID once the coordinator is ready).
  await whileLoading(() => wire.heartbeat(c, group, 0, "nobody"), (r) => r);
  return c;
}

/** Joins (JoinGroup v3) and syncs a single-member group; returns its member id and generation. */
async function soloMember(c: RawConnection, group: string, topic: string): Promise<{ memberId: string; generation: number }> {
  const j = await wire.joinGroup(c, group, "", { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription([topic]) }] });
  if (j.error) throw new Error(`JoinGroup: ${j.error}`);
  const s = await wire.syncGroup(c, group, j.generation, j.memberId, [{ memberId: j.memberId, assignment: wire.consumerAssignment({ [topic]: [0] }) }]);
  if (s.error) throw new Error(`SyncGroup: ${s.error}`);
  return { memberId: j.memberId, generation: j.generation };
}

describe.runIf(tool("kafka-reference"))("differential: consumer groups, offsets, idempotence, transactions", () => {
  const { scenario } = differential("groups");

  // ---- JoinGroup ----
  scenario("JoinGroup with an empty group id: INVALID_GROUP_ID", async (t) => {
    const c = await RawConnection.open(t.bootstrap);
    try {
      return (await wire.joinGroup(c, "", "", { version: 3 })).error;
    } finally {
      c.close();
    }
  });

  for (const [label, ms] of [["too short", 10], ["too long", 2_000_000]] as const) {
    scenario(`JoinGroup with a session timeout ${label}: INVALID_SESSION_TIMEOUT`, async (t) => {
      const c = await coordinated(t, `g-session-${label}`);
      try {
        return (await wire.joinGroup(c, `g-session-${label}`, "", { version: 3, sessionTimeoutMs: ms })).error;
      } finally {
        c.close();
      }
    });
  }

  scenario("JoinGroup v4 asks for a member id first (MEMBER_ID_REQUIRED), then joins", async (t) => {
    const c = await coordinated(t, "g-v4");
    try {
      const first = await wire.joinGroup(c, "g-v4", "", { version: 4 });
      const second = await wire.joinGroup(c, "g-v4", first.memberId, { version: 4 });
      return canonical({ first: { error: first.error, memberIdGiven: first.memberId !== "" }, second: { ...second, sameMember: second.memberId === first.memberId, leaderIsSelf: second.leader === second.memberId } }, ["memberId", "leader", "members"]);
    } finally {
      c.close();
    }
  });

  scenario("JoinGroup with an unknown member id: UNKNOWN_MEMBER_ID", async (t) => {
    const c = await coordinated(t, "g-unknown-member");
    try {
      return (await wire.joinGroup(c, "g-unknown-member", "nobody-1234", { version: 3 })).error;
    } finally {
      c.close();
    }
  });

  scenario("JoinGroup with a different protocol type than the members': INCONSISTENT_GROUP_PROTOCOL", async (t) => {
    const c = await coordinated(t, "g-proto");
    const d = await coordinated(t, "g-proto");
    try {
      await create(c, "t-proto", 1);
      await soloMember(c, "g-proto", "t-proto");
      return (await wire.joinGroup(d, "g-proto", "", { version: 3, protocolType: "connect", protocols: [{ name: "x", metadata: Buffer.alloc(0) }] })).error;
    } finally {
      c.close();
      d.close();
    }
  });

  // ---- a full single-member cycle ----
  scenario("one member: join, sync, heartbeat, describe, commit, fetch, leave", async (t) => {
    const c = await coordinated(t, "g-cycle");
    try {
      await create(c, "t-cycle", 1);
      await fill(c, "t-cycle", 0, 5);
      const j = await wire.joinGroup(c, "g-cycle", "", { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-cycle"]) }] });
      const s = await wire.syncGroup(c, "g-cycle", j.generation, j.memberId, [{ memberId: j.memberId, assignment: wire.consumerAssignment({ "t-cycle": [0] }) }]);
      const hb = await wire.heartbeat(c, "g-cycle", j.generation, j.memberId);
      const described = await wire.describeGroup(c, "g-cycle");
      const commit = await wire.commitOffset(c, "g-cycle", j.generation, j.memberId, "t-cycle", 0, 3);
      const fetched = await wire.fetchOffset(c, "g-cycle", "t-cycle", 0);
      const leave = await wire.leaveGroup(c, "g-cycle", j.memberId);
      const after = await wire.describeGroup(c, "g-cycle");
      const fetchedAfter = await wire.fetchOffset(c, "g-cycle", "t-cycle", 0);
      return canonical({ join: j, sync: { error: s.error, assignment: s.assignment?.equals(wire.consumerAssignment({ "t-cycle": [0] })) }, hb, described, commit, fetched, leave, after, fetchedAfter }, ["memberId", "leader", "members"]);
    } finally {
      c.close();
    }
  });

  // ---- error codes of the group APIs ----
  scenario("Heartbeat, SyncGroup, LeaveGroup with an unknown member or a wrong generation", async (t) => {
    const c = await coordinated(t, "g-errors");
    try {
      await create(c, "t-errors", 1);
      const m = await soloMember(c, "g-errors", "t-errors");
      return {
        heartbeatUnknownMember: await wire.heartbeat(c, "g-errors", m.generation, "nobody"),
        heartbeatWrongGeneration: await wire.heartbeat(c, "g-errors", m.generation + 5, m.memberId),
        syncWrongGeneration: (await wire.syncGroup(c, "g-errors", m.generation + 5, m.memberId, [])).error,
        syncUnknownMember: (await wire.syncGroup(c, "g-errors", m.generation, "nobody", [])).error,
        leaveUnknownMember: await wire.leaveGroup(c, "g-errors", "nobody"),
      };
    } finally {
      c.close();
    }
  });

  scenario("Heartbeat and LeaveGroup for a group that does not exist", async (t) => {
    const c = await coordinated(t, "g-nonexistent");
    try {
      return { heartbeat: await wire.heartbeat(c, "g-nonexistent", 1, "nobody"), leave: await wire.leaveGroup(c, "g-nonexistent", "nobody") };
    } finally {
      c.close();
    }
  });

  scenario("OffsetCommit with an unknown member or a wrong generation", async (t) => {
    const c = await coordinated(t, "g-commit-errors");
    try {
      await create(c, "t-commit-errors", 1);
      const m = await soloMember(c, "g-commit-errors", "t-commit-errors");
      return {
        unknownMember: await wire.commitOffset(c, "g-commit-errors", m.generation, "nobody", "t-commit-errors", 0, 1),
        wrongGeneration: await wire.commitOffset(c, "g-commit-errors", m.generation + 1, m.memberId, "t-commit-errors", 0, 1),
        unknownTopic: await wire.commitOffset(c, "g-commit-errors", m.generation, m.memberId, "no-such-topic-commit", 0, 1),
        simpleWhileActive: await wire.commitOffset(c, "g-commit-errors", -1, "", "t-commit-errors", 0, 1),
        committed: await wire.fetchOffset(c, "g-commit-errors", "t-commit-errors", 0),
      };
    } finally {
      c.close();
    }
  });

  scenario("OffsetCommit with a generation to a group that does not exist", async (t) => {
    const c = await coordinated(t, "g-commit-nogroup");
    try {
      await create(c, "t-commit-nogroup", 1);
      return { v2: await wire.commitOffset(c, "g-commit-nogroup", 3, "someone", "t-commit-nogroup", 0, 1, 2), v7: await wire.commitOffset(c, "g-commit-nogroup", 3, "someone", "t-commit-nogroup", 0, 1, 7) };
    } finally {
      c.close();
    }
  });

  scenario("simple (no group management) commit and fetch, with metadata", async (t) => {
    const c = await coordinated(t, "g-simple");
    try {
      await create(c, "t-simple", 2);
      const commits = [await wire.commitOffset(c, "g-simple", -1, "", "t-simple", 0, 7), await wire.commitOffset(c, "g-simple", -1, "", "t-simple", 1, 0)];
      const described = await wire.describeGroup(c, "g-simple");
      return { commits, p0: await wire.fetchOffset(c, "g-simple", "t-simple", 0), p1: await wire.fetchOffset(c, "g-simple", "t-simple", 1), described };
    } finally {
      c.close();
    }
  });

  scenario("OffsetFetch for an unknown group and for an uncommitted partition", async (t) => {
    const c = await coordinated(t, "g-never");
    try {
      await create(c, "t-never", 1);
      return { unknownGroup: await wire.fetchOffset(c, "g-never", "t-never", 0), unknownTopic: await wire.fetchOffset(c, "g-never", "no-such-topic-of", 0) };
    } finally {
      c.close();
    }
  });

  scenario("DescribeGroups of a group that does not exist", async (t) => withConn(t, async (c) => {
    await wire.findCoordinator(c, "g-describe-none");
    return wire.describeGroup(c, "g-describe-none");
  }));

  scenario("FindCoordinator for a group and for a transactional id", async (t) =>
    withConn(t, async (c) => ({ group: await wire.findCoordinator(c, "g-find"), txn: await wire.findCoordinator(c, "txn-find", 1) })),
  );

  // ---- rebalances, and commits during them ----
  scenario("a second member joining: the first member's heartbeat says REBALANCE_IN_PROGRESS, both get generation 2", async (t) => {
    const a = await coordinated(t, "g-two");
    const b = await coordinated(t, "g-two");
    try {
      await create(a, "t-two", 2);
      const m = await soloMember(a, "g-two", "t-two");
      const bJoin = wire.joinGroup(b, "g-two", "", { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-two"]) }] });
      let hb = 0;
      for (let i = 0; i < 50 && hb === 0; i++) {
        hb = await wire.heartbeat(a, "g-two", m.generation, m.memberId);
        if (hb === 0) await new Promise((r) => setTimeout(r, 100));
      }
      const state = (await wire.describeGroup(a, "g-two")).state;
      const aJoin = await wire.joinGroup(a, "g-two", m.memberId, { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-two"]) }] });
      const bj = await bJoin;
      return canonical({ hb, state, a: { error: aJoin.error, generation: aJoin.generation, members: aJoin.members.length }, b: { error: bj.error, generation: bj.generation, members: bj.members.length }, sameLeader: aJoin.leader === bj.leader }, ["memberId", "leader"]);
    } finally {
      a.close();
      b.close();
    }
  });

  scenario("OffsetCommit during a rebalance (PreparingRebalance, current generation) is accepted", async (t) => {
    const a = await coordinated(t, "g-commit-rebalance");
    const b = await coordinated(t, "g-commit-rebalance");
    try {
      await create(a, "t-commit-rebalance", 1);
      await fill(a, "t-commit-rebalance", 0, 10);
      const m = await soloMember(a, "g-commit-rebalance", "t-commit-rebalance");
      const bJoin = wire.joinGroup(b, "g-commit-rebalance", "", { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-commit-rebalance"]) }] });
      let state = "";
      for (let i = 0; i < 50 && state !== "PreparingRebalance"; i++) {
        state = (await wire.describeGroup(a, "g-commit-rebalance")).state;
        if (state !== "PreparingRebalance") await new Promise((r) => setTimeout(r, 100));
      }
      // The first member commits what it read before it rejoins, as a consumer's onPartitionsRevoked does.
      const commit = await wire.commitOffset(a, "g-commit-rebalance", m.generation, m.memberId, "t-commit-rebalance", 0, 10);
      const committed = await wire.fetchOffset(b, "g-commit-rebalance", "t-commit-rebalance", 0);
      const aJoin = await wire.joinGroup(a, "g-commit-rebalance", m.memberId, { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-commit-rebalance"]) }] });
      await bJoin;
      return { state, commit, committed: committed.offset, generation: aJoin.generation };
    } finally {
      a.close();
      b.close();
    }
  });

  scenario("OffsetCommit between join and sync (CompletingRebalance): REBALANCE_IN_PROGRESS", async (t) => {
    const a = await coordinated(t, "g-commit-completing");
    try {
      await create(a, "t-commit-completing", 1);
      const j = await wire.joinGroup(a, "g-commit-completing", "", { version: 3, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-commit-completing"]) }] });
      // (Not DescribeGroups here: Kafka 4 describes from its last committed group state, which may not show the join yet.)
      return { join: j.error, commit: await wire.commitOffset(a, "g-commit-completing", j.generation, j.memberId, "t-commit-completing", 0, 1) };
    } finally {
      a.close();
    }
  });

  scenario("a member that stops heartbeating is removed after its session timeout", async (t) => {
    const a = await coordinated(t, "g-expire");
    try {
      await create(a, "t-expire", 1);
      const j = await wire.joinGroup(a, "g-expire", "", { version: 3, sessionTimeoutMs: 1000, protocols: [{ name: "range", metadata: wire.consumerSubscription(["t-expire"]) }] });
      await wire.syncGroup(a, "g-expire", j.generation, j.memberId, [{ memberId: j.memberId, assignment: wire.consumerAssignment({ "t-expire": [0] }) }]);
      let d = await wire.describeGroup(a, "g-expire");
      for (let i = 0; i < 100 && d.state !== "Empty"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        d = await wire.describeGroup(a, "g-expire");
      }
      return { state: d.state, members: d.members, heartbeat: await wire.heartbeat(a, "g-expire", j.generation, j.memberId) };
    } finally {
      a.close();
    }
  });

  // ---- kafkajs groups (eager rebalance) ----
  scenario("kafkajs: two consumers share 4 partitions, every record once", async (t) => {
    const topic = "kjs-group-4";
    await withConn(t, (c) => create(c, topic, 4));
    const kafka = t.kafkajs();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    const seen = new Map<string, number>();
    const assigned: Record<string, number[]> = {};
    const consumers = [kafka.consumer({ groupId: "kjs-g4", sessionTimeout: 10_000, heartbeatInterval: 500 }), kafka.consumer({ groupId: "kjs-g4", sessionTimeout: 10_000, heartbeatInterval: 500 })];
    for (const [i, consumer] of consumers.entries()) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => { assigned[i] = (e.payload.memberAssignment[topic] ?? []).slice().sort(); if (process.env.DBG) console.log(t.name, Date.now(), "JOIN", i, JSON.stringify(assigned[i])); });
      if (process.env.DBG) consumer.on(consumer.events.REBALANCING, () => console.log(t.name, Date.now(), "REBALANCING", i));
      if (process.env.DBG) consumer.on(consumer.events.CRASH, (e) => console.log(t.name, Date.now(), "CRASH", i, String(e.payload.error), (e.payload.error as { type?: string }).type));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.set(String(message.value), (seen.get(String(message.value)) ?? 0) + 1) });
    }
    await producer.send({ topic, messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i + 200}`, value: `v${i + 200}` })) });
    for (let i = 0; i < 300 && (seen.size < 400 || Object.values(assigned).flat().length !== 4 || Object.keys(assigned).length < 2); i++) await new Promise((r) => setTimeout(r, 100));
    // Snapshot before disconnecting: the first consumer's LeaveGroup rebalances the second onto every partition.
    const final = Object.values(assigned).map((a) => [...a]);
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    for (const c of consumers) await c.disconnect();
    await producer.disconnect();
    return { distinct: seen.size, duplicates, partitionsPerMember: final.map((a) => a.length).sort(), allAssigned: final.flat().sort() };
  });

  scenario("kafkajs: no record delivered twice when a consumer joins and then leaves", async (t) => {
    const topic = "kjs-redeliver";
    await withConn(t, (c) => create(c, topic, 2));
    const kafka = t.kafkajs();
    const producer = kafka.producer();
    await producer.connect();
    const deliveries = new Map<string, number>();
    const consumer = (id: string) => kafka.consumer({ groupId: "kjs-redeliver-g", sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000, retry: { retries: 10 } });
    const a = consumer("a");
    await a.connect();
    await a.subscribe({ topic, fromBeginning: true });
    await a.run({ autoCommitInterval: null, eachMessage: async ({ message }) => void deliveries.set(String(message.value), (deliveries.get(String(message.value)) ?? 0) + 1) });
    const sendBatch = async (from: number) => producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
    const waitFor = async (n: number) => {
      for (let i = 0; i < 300 && deliveries.size < n; i++) await new Promise((r) => setTimeout(r, 100));
    };
    await sendBatch(0);
    await waitFor(50);
    const b = consumer("b");
    await b.connect();
    await b.subscribe({ topic, fromBeginning: true });
    await b.run({ eachMessage: async ({ message }) => void deliveries.set(String(message.value), (deliveries.get(String(message.value)) ?? 0) + 1) });
    await sendBatch(50);
    await waitFor(100);
    await b.disconnect();
    await sendBatch(100);
    await waitFor(150);
    await a.disconnect();
    await producer.disconnect();
    return { distinct: deliveries.size, redelivered: [...deliveries.values()].filter((n) => n > 1).length };
  }, { timeoutMs: 90_000 });

  // ---- cooperative rebalances (librdkafka's cooperative-sticky) ----
  const COOPERATIVE = String.raw`
import json, sys, time
from confluent_kafka import Consumer, Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": bootstrap})
for i in range(120):
    p.produce(topic, key=f"k{i}", value=f"v{i}")
p.flush(30)
events = {"a": [], "b": []}
def consumer(name):
    def on_assign(c, parts):
        events[name].append(["assign", sorted(tp.partition for tp in parts)])
    def on_revoke(c, parts):
        events[name].append(["revoke", sorted(tp.partition for tp in parts)])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "coop-" + topic, "auto.offset.reset": "earliest", "partition.assignment.strategy": "cooperative-sticky", "enable.auto.commit": True, "auto.commit.interval.ms": 200, "session.timeout.ms": 10000, "heartbeat.interval.ms": 300})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c
seen = {}
def poll(c, until):
    while time.time() < until:
        m = c.poll(0.1)
        if m is not None and not m.error():
            seen[m.value().decode()] = seen.get(m.value().decode(), 0) + 1
a = consumer("a")
poll(a, time.time() + 4)
b = consumer("b")
deadline = time.time() + 30
while time.time() < deadline:
    poll(a, time.time() + 0.2); poll(b, time.time() + 0.2)
    if len(a.assignment()) + len(b.assignment()) == 4 and len(a.assignment()) == 2 and len(seen) >= 120:
        break
sizes = sorted([len(a.assignment()), len(b.assignment())])
a.close(); b.close()
revoked_a = [e for e in events["a"] if e[0] == "revoke"]
print(json.dumps({"sizes": sizes, "distinct": len(seen), "aRevokedAll": any(len(e[1]) == 4 for e in revoked_a), "bAssigns": len([e for e in events["b"] if e[0] == "assign" and e[1]])}))
`;
  scenario("librdkafka cooperative-sticky: the second member takes 2 of 4 partitions incrementally", async (t) => {
    await withConn(t, (c) => create(c, "coop4", 4));
    const py = venvPython() ?? "/usr/bin/python3";
    const r = await run(py, ["-c", COOPERATIVE, t.bootstrap, "coop4"], undefined, 90_000);
    if (r.code !== 0) throw new Error(r.stderr.slice(-500));
    return JSON.parse(r.stdout);
  }, { timeoutMs: 100_000 });

  // ---- group admin (kafkajs) ----
  scenario("kafkajs admin: listGroups, describeGroups, fetchOffsets, setOffsets, resetOffsets, deleteGroups", async (t) => {
    const topic = "kjs-group-admin";
    await withConn(t, async (c) => {
      await create(c, topic, 2);
      await fill(c, topic, 0, 5);
      await fill(c, topic, 1, 3);
    });
    const kafka = t.kafkajs();
    const consumer = kafka.consumer({ groupId: "kjs-admin-g" });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await consumer.run({ eachMessage: async () => void n++ });
    for (let i = 0; i < 200 && n < 8; i++) await new Promise((r) => setTimeout(r, 100));
    const admin = kafka.admin();
    await admin.connect();
    await consumer.commitOffsets([{ topic, partition: 0, offset: "5" }, { topic, partition: 1, offset: "3" }]);
    const whileActive = (await admin.describeGroups(["kjs-admin-g"])).groups.map((g) => ({ state: g.state, protocolType: g.protocolType, protocol: g.protocol, members: g.members.length, errorCode: g.errorCode }));
    const setWhileActive = await outcome(() => admin.setOffsets({ groupId: "kjs-admin-g", topic, partitions: [{ partition: 0, offset: "1" }] }));
    await consumer.disconnect();
    const listed = (await admin.listGroups()).groups.filter((g) => g.groupId === "kjs-admin-g");
    const fetched = await admin.fetchOffsets({ groupId: "kjs-admin-g", topics: [topic] });
    await admin.setOffsets({ groupId: "kjs-admin-g", topic, partitions: [{ partition: 0, offset: "2" }] });
    const afterSet = await admin.fetchOffsets({ groupId: "kjs-admin-g", topics: [topic] });
    await admin.resetOffsets({ groupId: "kjs-admin-g", topic, earliest: true });
    const afterReset = await admin.fetchOffsets({ groupId: "kjs-admin-g", topics: [topic] });
    const emptyState = (await admin.describeGroups(["kjs-admin-g"])).groups.map((g) => g.state);
    const deleted = await outcome(() => admin.deleteGroups(["kjs-admin-g"]));
    const afterDelete = (await admin.describeGroups(["kjs-admin-g"])).groups.map((g) => g.state);
    await admin.disconnect();
    const sortP = (x: { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[]) => x.map((tp) => ({ topic: tp.topic, partitions: tp.partitions.map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition) }));
    return { whileActive, setWhileActive: setWhileActive ?? "ok", listed, fetched: sortP(fetched), afterSet: sortP(afterSet), afterReset: sortP(afterReset), emptyState, deleted, afterDelete };
  }, { timeoutMs: 60_000 });

  // ---- the idempotent producer ----
  scenario("InitProducerId without a transactional id", async (t) =>
    withConn(t, async (c) => {
      const r = await whileLoading(
        () => c.call(wire.API.InitProducerId, 1, (w) => w.string(null).int32(60_000)),
        (r) => r.buf.readInt16BE(4),
      );
      r.pos = 4;
      const error = r.int16();
      const producerId = r.int64();
      const epoch = r.int16();
      return { error, producerIdAssigned: producerId >= 0, epoch };
    }),
  );

  scenario("idempotent producer: a retried batch is not written twice; a sequence gap is refused", async (t) =>
    withConn(t, async (c) => {
      await create(c, "idem", 1);
      const r = await whileLoading(
        () => c.call(wire.API.InitProducerId, 1, (w) => w.string(null).int32(60_000)),
        (r) => r.buf.readInt16BE(4),
      );
      r.pos = 6;
      const producerId = r.int64();
      const producerEpoch = r.int16();
      const batch = (seq: number, n: number) => wire.buildBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`s${seq + i}`) })), { producerId, producerEpoch, baseSequence: seq });
      const first = await wire.produce(c, "idem", 0, batch(0, 3));
      const retry = await wire.produce(c, "idem", 0, batch(0, 3));
      const next = await wire.produce(c, "idem", 0, batch(3, 2));
      const gap = await wire.produce(c, "idem", 0, batch(10, 1));
      const end = await wire.listOffset(c, "idem", 0, -1);
      return { first, retry, next, gap, end: end.offset };
    }),
  );

  scenario("kafkajs idempotent producer: stored batches carry a producer id", async (t) => {
    await withConn(t, (c) => create(c, "kjs-idem", 1));
    const producer = t.kafkajs().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(...(await producer.send({ topic: "kjs-idem", acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }, { key: `k${i}b`, value: `v${i}b` }] })));
    await producer.disconnect();
    const f = await withConn(t, (c) => wire.fetchPartition(c, "kjs-idem", 0, 0));
    return { acks, batches: f === "closed" ? f : f.batches.map((b) => ({ records: b.records, producerIdSet: b.producerId >= 0, transactional: b.transactional })) };
  });

  // ---- transactions ----
  async function transactional(t: Target, topic: string, commit: boolean) {
    await withConn(t, (c) => create(c, topic, 1));
    const kafka = t.kafkajs({ retry: { retries: 3, initialRetryTime: 100 } });
    const producer = kafka.producer({ transactionalId: `txn-${topic}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10_000 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key: "a", value: "1" }, { key: "b", value: "2" }] });
    if (commit) await txn.commit();
    else await txn.abort();
    // Kafka answers EndTxn once the outcome is logged and writes the markers afterwards: wait until the partition's
    // last stable offset reaches its end (the marker is in), so the next write's place does not depend on that race.
    await withConn(t, async (c) => {
      for (let i = 0; i < 100; i++) {
        const f = await wire.fetchPartition(c, topic, 0, 0, { isolation: 1 });
        if (f !== "closed" && f.lastStableOffset === f.highWatermark && f.batches.some((b) => b.control)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await producer.send({ topic, messages: [{ key: "c", value: "after" }] }).catch(() => undefined);
    await producer.disconnect();
    return withConn(t, async (c) => {
      const committed = await wire.fetchPartition(c, topic, 0, 0, { isolation: 1 });
      const uncommitted = await wire.fetchPartition(c, topic, 0, 0, { isolation: 0 });
      if (committed === "closed" || uncommitted === "closed") return "closed";
      return {
        readCommitted: committed.records.map((r) => r.value),
        readUncommitted: uncommitted.records.map((r) => r.value),
        lastStableOffset: committed.lastStableOffset,
        abortedTransactions: committed.abortedTransactions,
        batches: uncommitted.batches.map((b) => ({ transactional: b.transactional, control: b.control, records: b.records })),
      };
    });
  }

  scenario("kafkajs transaction committed: read_committed sees it, a control batch follows", (t) => transactional(t, "txn-commit", true), { timeoutMs: 40_000 });
  scenario("kafkajs transaction aborted: read_committed skips it", (t) => transactional(t, "txn-abort", false), { timeoutMs: 40_000 });

  scenario("kafkajs consume-transform-produce: offsets committed with the transaction", async (t) => {
    await withConn(t, async (c) => {
      await create(c, "ctp-in", 1);
      await create(c, "ctp-out", 1);
      await fill(c, "ctp-in", 0, 4);
    });
    const kafka = t.kafkajs({ retry: { retries: 3, initialRetryTime: 100 } });
    const producer = kafka.producer({ transactionalId: "txn-ctp", idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10_000 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: "ctp-out", messages: [{ value: "transformed" }] });
    await txn.sendOffsets({ consumerGroupId: "ctp-g", topics: [{ topic: "ctp-in", partitions: [{ partition: 0, offset: "4" }] }] });
    await txn.commit();
    await producer.disconnect();
    return withConn(t, async (c) => {
      await wire.findCoordinator(c, "ctp-g");
      const out = await wire.fetchPartition(c, "ctp-out", 0, 0, { isolation: 1 });
      return { committed: await wire.fetchOffset(c, "ctp-g", "ctp-in", 0), out: out === "closed" ? out : out.records.map((r) => r.value) };
    });
  }, { timeoutMs: 40_000 });
});
