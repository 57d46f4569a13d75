/**
 * KIP-848 on the embedded broker, below the clients: the frames of ConsumerGroupHeartbeat (68) and
 * ConsumerGroupDescribe (69) as Kafka's message specs lay them out (written by hand in
 * test/differential/wire-kip848.ts, apart from lib/protocol) decoded by the broker's declarations and back to the
 * same bytes; live exchanges over TCP (v0's coordinator-made member id, v1's member type); the server assignors;
 * and the timers a differential session cannot wait for (session timeout, rebalance timeout).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { assignRange, assignUniform } from "../../lib/broker/group/consumer-group";
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from "../../lib/protocol/codec";
import { ConsumerGroupDescribe, ConsumerGroupHeartbeat } from "../../lib/protocol/messages";
import { Reader } from "../../lib/protocol/primitives";
import { KAFKA_CLASSPATH_FILE } from "../support/kafka-launcher";
import { tool } from "../support/tools";
import { R, RawConnection, W, createReady, fetchPartition } from "../differential/wire";
import { FR, FW, consumerGroupDescribe, consumerGroupHeartbeat, flexCall as flexCallV } from "../differential/wire-kip848";

const TOPIC_ID = "5d0c1a7e-3b1f-4c2a-9e8d-0123456789ab";
const count = (a: { partitions: number[] }[] | null) => (a ?? []).reduce((n, t) => n + t.partitions.length, 0);

/** A ConsumerGroupHeartbeat request body as Kafka's spec lays it out (v1 has the regex after the topic names). */
function handHeartbeatRequest(v: number): Buffer {
  const f = new FW(new W());
  f.str("g").str("m-1").int32(3).str("instance").str(null).int32(-1);
  f.array(["t1", "t2"], (f, t) => f.str(t));
  if (v >= 1) f.str("t.*");
  f.str("uniform");
  f.array([{ id: TOPIC_ID, ps: [0, 2] }], (f, t) => {
    f.uuid(t.id).array(t.ps, (f, p) => f.int32(p));
    f.tags();
  });
  f.tags();
  return f.w.buffer();
}

describe("ConsumerGroupHeartbeat and ConsumerGroupDescribe frames", () => {
  for (const v of [0, 1]) {
    it(`ConsumerGroupHeartbeat v${v} request: Kafka's layout decodes to the named fields and re-encodes to the same bytes`, () => {
      const bytes = handHeartbeatRequest(v);
      const r = new Reader(bytes);
      const req = decodeRequest(ConsumerGroupHeartbeat, v, r);
      expect(r.remaining()).toBe(0);
      expect(req).toMatchObject({ groupId: "g", memberId: "m-1", memberEpoch: 3, instanceId: "instance", rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: ["t1", "t2"], subscribedTopicRegex: v >= 1 ? "t.*" : null, serverAssignor: "uniform" });
      expect(req.topicPartitions).toEqual([{ topicId: TOPIC_ID, partitions: [0, 2] }]);
      expect(encodeRequest(ConsumerGroupHeartbeat, v, req).toBuffer().equals(bytes)).toBe(true);
    });
  }

  it("ConsumerGroupHeartbeat response: the nullable assignment struct (int8 marker) both ways", () => {
    for (const assignment of [null, { topicPartitions: [{ topicId: TOPIC_ID, partitions: [1, 3] }] }]) {
      const bytes = encodeResponse(ConsumerGroupHeartbeat, 1, { errorCode: 0, errorMessage: null, memberId: "m-1", memberEpoch: 7, heartbeatIntervalMs: 5000, assignment }).toBuffer();
      const f = new FR(new R(bytes));
      expect([f.int32(), f.int16(), f.str(), f.str(), f.int32(), f.int32()]).toEqual([0, 0, null, "m-1", 7, 5000]);
      const marker = f.int8();
      if (assignment === null) expect(marker).toBe(-1);
      else {
        expect(marker).toBe(1);
        const tps = f.array((f) => {
          const t = { topicId: f.uuid(), partitions: f.array((f) => f.int32()) };
          f.tags();
          return t;
        });
        f.tags();
        expect(tps).toEqual(assignment.topicPartitions);
      }
      f.tags();
      expect(f.r.remaining).toBe(0);
      const back = decodeResponse(ConsumerGroupHeartbeat, 1, new Reader(bytes));
      expect(back.assignment).toEqual(assignment);
    }
  });

  it("ConsumerGroupDescribe v0/v1 request and response round trip (v1: the member type)", () => {
    const reqBytes = new FW(new W()).array(["a", "b"], (f, g) => f.str(g)).bool(true).tags().w.buffer();
    const req = decodeRequest(ConsumerGroupDescribe, 0, new Reader(reqBytes));
    expect(req).toEqual({ groupIds: ["a", "b"], includeAuthorizedOperations: true });
    expect(encodeRequest(ConsumerGroupDescribe, 0, req).toBuffer().equals(reqBytes)).toBe(true);
    const member = { memberId: "m", instanceId: null, rackId: "r", memberEpoch: 4, clientId: "c", clientHost: "/h", subscribedTopicNames: ["t"], subscribedTopicRegex: null, assignment: { topicPartitions: [{ topicId: TOPIC_ID, topicName: "t", partitions: [0] }] }, targetAssignment: { topicPartitions: [] }, memberType: 1 };
    const res = { throttleTimeMs: 0, groups: [{ errorCode: 0, errorMessage: null, groupId: "a", groupState: "Stable", groupEpoch: 4, assignmentEpoch: 4, assignorName: "uniform", members: [member], authorizedOperations: -2147483648 }] };
    const v0 = encodeResponse(ConsumerGroupDescribe, 0, res).toBuffer();
    const v1 = encodeResponse(ConsumerGroupDescribe, 1, res).toBuffer();
    expect(v1.length - v0.length).toBe(1); // the member type byte
    expect(decodeResponse(ConsumerGroupDescribe, 1, new Reader(v1)).groups[0].members[0]).toEqual(member);
    expect(decodeResponse(ConsumerGroupDescribe, 0, new Reader(v0)).groups[0].members[0].memberType).toBe(-1);
  });
});

describe("server assignors", () => {
  const members = (n: number, topics: string[]) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, topics: new Set(topics) }));
  const sizes = (a: Map<string, Map<string, Set<number>>>) => [...a.values()].map((tp) => [...tp.values()].reduce((n, s) => n + s.size, 0)).sort((x, y) => x - y);

  it("uniform: balanced, every partition once, sticky when a member joins", () => {
    const partitions = new Map([["a", 5], ["b", 3]]);
    const two = assignUniform(members(2, ["a", "b"]), partitions, new Map());
    expect(sizes(two)).toEqual([4, 4]);
    const three = assignUniform(members(3, ["a", "b"]), partitions, two);
    expect(sizes(three)).toEqual([2, 3, 3]);
    const all = [...three.values()].flatMap((tp) => [...tp].flatMap(([t, ps]) => [...ps].map((p) => `${t}-${p}`)));
    expect(new Set(all).size).toBe(8);
    // The two first members keep what they had (the newcomer only takes from them).
    for (const id of ["m0", "m1"]) for (const [t, ps] of three.get(id)!) for (const p of ps) expect(two.get(id)!.get(t)?.has(p)).toBe(true);
  });

  it("uniform: different subscriptions give each topic only to its subscribers", () => {
    const out = assignUniform([{ id: "x", topics: new Set(["a"]) }, { id: "y", topics: new Set(["a", "b"]) }], new Map([["a", 2], ["b", 2]]), new Map());
    expect(out.get("x")!.get("b")).toBeUndefined();
    expect(sizes(out)).toEqual([2, 2]);
  });

  it("range: contiguous ranges in member-id order, the first ones one more", () => {
    const out = assignRange(members(2, ["t"]), new Map([["t", 5]]));
    expect([...out.get("m0")!.get("t")!]).toEqual([0, 1, 2]);
    expect([...out.get("m1")!.get("t")!]).toEqual([3, 4]);
  });
});

describe("KIP-848 on the embedded broker over TCP", () => {
  let broker: RunningBroker;
  let c: RawConnection;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, defaultPartitions: 1, consumerGroupSessionTimeoutMs: 1500, consumerGroupHeartbeatIntervalMs: 300 });
    c = await RawConnection.open(broker.bootstrap);
    await createReady(c, "kt", 2);
  });
  afterAll(async () => {
    c?.close();
    await broker?.stop();
  });

  it("v0: the coordinator makes the member id; v1 refuses an empty one", async () => {
    const v0 = await consumerGroupHeartbeat(c, { group: "k-v0", memberId: "", memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["kt"], owned: [], version: 0 });
    expect(v0.error).toBe(0);
    expect(v0.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(v0.heartbeatIntervalMs).toBe(300);
    expect(v0.assignment?.[0].partitions.sort()).toEqual([0, 1]);
    const v1 = await consumerGroupHeartbeat(c, { group: "k-v0", memberId: "", memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["kt"], owned: [], version: 1 });
    expect(v1.error).toBe(42); // INVALID_REQUEST
  });

  it("ConsumerGroupDescribe v1 reports members of type consumer (1)", async () => {
    const id = randomUUID();
    await consumerGroupHeartbeat(c, { group: "k-type", memberId: id, memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["kt"], owned: [] });
    const [g] = await consumerGroupDescribe(c, ["k-type"], 1);
    expect(g.members.map((m) => [m.memberId, m.memberType])).toEqual([[id, 1]]);
  });

  it("a regular-expression subscription (v1) takes the matching topics, and a topic created later too", async () => {
    await createReady(c, "rx-a", 1);
    await createReady(c, "rx-b", 2);
    const m = randomUUID();
    const j = await consumerGroupHeartbeat(c, { group: "k-regex", memberId: m, memberEpoch: 0, rebalanceTimeoutMs: 10_000, regex: "rx-.*", owned: [] });
    expect(j.error).toBe(0);
    expect(count(j.assignment)).toBe(3);
    await createReady(c, "rx-c", 1);
    await createReady(c, "other-rx-d", 1);
    const h = await consumerGroupHeartbeat(c, { group: "k-regex", memberId: m, memberEpoch: j.memberEpoch, owned: j.assignment });
    expect([h.memberEpoch, count(h.assignment)]).toEqual([j.memberEpoch + 1, 4]);
    const bad = await consumerGroupHeartbeat(c, { group: "k-regex", memberId: randomUUID(), memberEpoch: 0, rebalanceTimeoutMs: 10_000, regex: "rx-(", owned: [] });
    expect(bad.error).toBe(128); // INVALID_REGULAR_EXPRESSION
  });

  it("a member whose session runs out is removed and the others take its partitions", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const j = { group: "k-session", memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["kt"], owned: [] };
    const a1 = await consumerGroupHeartbeat(c, { ...j, memberId: a });
    const b1 = await consumerGroupHeartbeat(c, { ...j, memberId: b });
    // b heartbeats, a stays silent past its 1.5 s session.
    let last = b1;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 300));
      last = await consumerGroupHeartbeat(c, { group: "k-session", memberId: b, memberEpoch: last.memberEpoch, owned: last.assignment ?? [] });
    }
    const [g] = await consumerGroupDescribe(c, ["k-session"]);
    expect(a1.error).toBe(0);
    expect(g.members.map((m) => m.memberId)).toEqual([b]);
    expect(g.members[0].assignment.flatMap((t) => t.partitions).sort()).toEqual([0, 1]);
    expect(g.state).toBe("Stable");
  });

  it("a member that does not revoke within its rebalance timeout is fenced", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const a1 = await consumerGroupHeartbeat(c, { group: "k-revoke", memberId: a, memberEpoch: 0, rebalanceTimeoutMs: 400, topics: ["kt"], owned: [] });
    const b1 = await consumerGroupHeartbeat(c, { group: "k-revoke", memberId: b, memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["kt"], owned: [] });
    // a is asked to revoke one partition and keeps reporting both.
    const a2 = await consumerGroupHeartbeat(c, { group: "k-revoke", memberId: a, memberEpoch: a1.memberEpoch, owned: a1.assignment });
    expect(a2.assignment?.flatMap((t) => t.partitions)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1000)); // past the rebalance timeout, within the session
    const a3 = await consumerGroupHeartbeat(c, { group: "k-revoke", memberId: a, memberEpoch: a2.memberEpoch, owned: a1.assignment });
    expect(a3.error).toBe(25); // UNKNOWN_MEMBER_ID: it was removed
    const b2 = await consumerGroupHeartbeat(c, { group: "k-revoke", memberId: b, memberEpoch: b1.memberEpoch, owned: [] });
    expect(b2.assignment?.flatMap((t) => t.partitions).sort()).toEqual([0, 1]);
  });
});

describe("KIP-848 groups survive a restart (Kafka's consumer group records in __consumer_offsets)", () => {
  it("members keep their epochs and assignments; a member gone while the broker was down expires", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kip848-"));
    try {
      let broker = await startBroker({ port: 0, dataDir, defaultPartitions: 1, consumerGroupSessionTimeoutMs: 2000 });
      let c = await RawConnection.open(broker.bootstrap);
      await createReady(c, "rt", 4);
      const [a, b] = [randomUUID(), randomUUID()];
      const j = { group: "k-restart", memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["rt"], owned: [] };
      const a1 = await consumerGroupHeartbeat(c, { ...j, memberId: a });
      const b1 = await consumerGroupHeartbeat(c, { ...j, memberId: b });
      const a2 = await consumerGroupHeartbeat(c, { group: "k-restart", memberId: a, memberEpoch: a1.memberEpoch, owned: a1.assignment });
      const a3 = await consumerGroupHeartbeat(c, { group: "k-restart", memberId: a, memberEpoch: a2.memberEpoch, owned: a2.assignment });
      const b2 = await consumerGroupHeartbeat(c, { group: "k-restart", memberId: b, memberEpoch: b1.memberEpoch, owned: [] });
      const before = await consumerGroupDescribe(c, ["k-restart"]);
      expect(before[0].state).toBe("Stable");
      c.close();
      await broker.stop();

      broker = await startBroker({ port: 0, dataDir, defaultPartitions: 1, consumerGroupSessionTimeoutMs: 2000 });
      c = await RawConnection.open(broker.bootstrap);
      const after = await consumerGroupDescribe(c, ["k-restart"]);
      const shape = (gs: typeof before) => gs.map((g) => ({ ...g, members: [...g.members].sort((x, y) => (x.memberId < y.memberId ? -1 : 1)) }));
      expect(shape(after)).toEqual(shape(before));
      // a heartbeats on with the epoch it had: no rebalance, nothing new.
      const a4 = await consumerGroupHeartbeat(c, { group: "k-restart", memberId: a, memberEpoch: a3.memberEpoch, owned: a2.assignment });
      expect([a4.error, a4.memberEpoch, a4.assignment]).toEqual([0, a3.memberEpoch, null]);
      // b does not come back: its session (2 s) ends and a is given b's partitions.
      let last = a4;
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 300));
        last = await consumerGroupHeartbeat(c, { group: "k-restart", memberId: a, memberEpoch: last.memberEpoch, owned: last.assignment ?? a2.assignment });
      }
      const [g] = await consumerGroupDescribe(c, ["k-restart"]);
      expect(b2.error).toBe(0);
      expect(g.members.map((m) => m.memberId)).toEqual([a]);
      expect(g.members[0].assignment.flatMap((t) => t.partitions).sort()).toEqual([0, 1, 2, 3]);
      c.close();
      await broker.stop();
      // And once more: the expiry was stored too.
      broker = await startBroker({ port: 0, dataDir, defaultPartitions: 1 });
      c = await RawConnection.open(broker.bootstrap);
      const [again] = await consumerGroupDescribe(c, ["k-restart"]);
      expect(again.members.map((m) => [m.memberId, m.assignment.flatMap((t) => t.partitions).sort()])).toEqual([[a, [0, 1, 2, 3]]]);
      c.close();
      await broker.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("OffsetCommit v10 and OffsetFetch v10 (topics by id)", () => {
  let broker: RunningBroker;
  let c: RawConnection;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, defaultPartitions: 1 });
    c = await RawConnection.open(broker.bootstrap);
    await createReady(c, "v10", 2);
  });
  afterAll(async () => {
    c?.close();
    await broker?.stop();
  });

  it("commits and fetches by topic id; an unknown id is UNKNOWN_TOPIC_ID", async () => {
    // The topic id, as a consumer group member learns it (its assignment).
    const hb = await consumerGroupHeartbeat(c, { group: "v10-g", memberId: randomUUID(), memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["v10"], owned: [] });
    const topicId = hb.assignment![0].topicId;
    const unknownId = randomUUID();
    const commit = async (ids: string[]) => {
      const f = await flexCallV(c, 8, 10, (f) => {
        f.str("v10-g").int32(hb.memberEpoch).str(hb.memberId).str(null);
        f.array(ids, (f, id) => {
          f.uuid(id).array([1], (f, p) => {
            f.int32(p).int64(42).int32(-1).str("m");
            f.tags();
          });
          f.tags();
        });
      });
      f.int32();
      return f.array((f) => {
        const t = { topicId: f.uuid(), errors: f.array((f) => [f.int32(), f.int16(), f.tags()][1])! };
        f.tags();
        return t;
      });
    };
    expect(await commit([topicId, unknownId])).toEqual([
      { topicId, errors: [0] },
      { topicId: unknownId, errors: [100] },
    ]);
    const f = await flexCallV(c, 9, 10, (f) => {
      f.array(["v10-g"], (f, g) => {
        f.str(g).str(hb.memberId).int32(hb.memberEpoch);
        f.array([topicId], (f, id) => {
          f.uuid(id).array([0, 1], (f, p) => f.int32(p));
          f.tags();
        });
        f.tags();
      });
      f.bool(false);
    });
    f.int32();
    const groups = f.array((f) => {
      const groupId = f.str();
      const topics = f.array((f) => {
        const t = { topicId: f.uuid(), partitions: f.array((f) => [f.int32(), f.int64(), f.int32(), f.str(), f.int16(), f.tags()].slice(0, 5))! };
        f.tags();
        return t;
      });
      const error = f.int16();
      f.tags();
      return { groupId, topics, error };
    });
    expect(groups).toEqual([{ groupId: "v10-g", topics: [{ topicId, partitions: [[0, -1, -1, "", 0], [1, 42, -1, "m", 0]] }], error: 0 }]);
  });
});

describe("Kafka's own serde reads the consumer group records", () => {
  it.runIf(tool("kafka-reference"))("GroupCoordinatorRecordSerde (Kafka 4.1's group coordinator) decodes every record the broker wrote", async () => {
    const broker = await startBroker({ port: 0, defaultPartitions: 1, offsetsTopicPartitions: 1 });
    const c = await RawConnection.open(broker.bootstrap);
    try {
      await createReady(c, "serde848", 2);
      const [a, b] = [randomUUID(), randomUUID()];
      const a1 = await consumerGroupHeartbeat(c, { group: "serde-g", memberId: a, memberEpoch: 0, instanceId: "serde-instance", rebalanceTimeoutMs: 12_345, topics: ["serde848"], owned: [] });
      await consumerGroupHeartbeat(c, { group: "serde-g", memberId: b, memberEpoch: 0, rebalanceTimeoutMs: 10_000, topics: ["serde848"], owned: [], assignor: "range" });
      await consumerGroupHeartbeat(c, { group: "serde-g", memberId: a, memberEpoch: a1.memberEpoch, owned: a1.assignment }); // a: one partition pending revocation
      await consumerGroupHeartbeat(c, { group: "serde-g", memberId: b, memberEpoch: -1 }); // b leaves: tombstones
      const f = await fetchPartition(c, "__consumer_offsets", 0, 0);
      if (f === "closed") throw new Error("closed");
      const bin = (s: string | null) => (s === null ? null : s.startsWith("base64:") ? Buffer.from(s.slice(7), "base64") : Buffer.from(s, "latin1"));
      const input = f.records.map((r) => `${bin(r.key)!.toString("hex")} ${r.value === null ? "-" : bin(r.value)!.toString("hex")}`).join("\n") + "\n";
      const classpath = fs.readFileSync(KAFKA_CLASSPATH_FILE, "utf8").trim();
      const out = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
        const child = spawn("java", ["-cp", classpath, path.join(__dirname, "support", "CoordinatorRecords.java")], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", () => resolve({ stdout, stderr }));
        child.stdin.end(input);
      });
      const lines = out.stdout.trim().split("\n").filter(Boolean);
      expect(lines.length, out.stderr).toBe(f.records.length);
      expect(lines.filter((l) => l.startsWith("ERROR"))).toEqual([]);
      const records = lines.map((l) => JSON.parse(l) as { type: number; key: Record<string, unknown>; value: Record<string, unknown> | null });
      expect(new Set(records.map((r) => r.type))).toEqual(new Set([3, 5, 6, 7, 8]));
      const last = (type: number, memberId?: string) => records.filter((r) => r.type === type && (memberId === undefined || r.key.memberId === memberId)).pop()!;
      expect(last(3).value).toEqual({ epoch: 3 });
      expect(last(5, a).value).toMatchObject({ instanceId: "serde-instance", rebalanceTimeoutMs: 12345, subscribedTopicNames: ["serde848"], clientId: "differential" });
      expect(last(5, b).value).toBeNull();
      expect(last(8, b).value).toBeNull();
      expect(last(8, a).value).toMatchObject({ memberEpoch: 1, previousMemberEpoch: 0, state: 1 });
      expect((last(8, a).value!.partitionsPendingRevocation as { partitions: number[] }[])[0].partitions).toHaveLength(1);
    } finally {
      c.close();
      await broker.stop();
    }
  }, 90_000);
});
