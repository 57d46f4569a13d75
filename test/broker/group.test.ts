/**
 * The group coordinator's state machine, driven directly: generations, rebalance when a member joins, leader
 * election, session timeouts, leaving, and commit fencing. kafkajs.test.ts, kcat.test.ts and python.test.ts
 * cover the same through real clients.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GroupCoordinator, type JoinRequest } from "../../lib/broker/group/coordinator";
import { waitFor } from "./helpers";

const coordinators: GroupCoordinator[] = [];
function coordinator(): GroupCoordinator {
  const c = new GroupCoordinator(undefined, { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000 });
  coordinators.push(c);
  return c;
}
afterEach(() => coordinators.splice(0).forEach((c) => c.close()));

function joinReq(memberId: string, sessionTimeoutMs = 10_000, name = "range"): JoinRequest {
  return { groupId: "g", sessionTimeoutMs, rebalanceTimeoutMs: 5_000, memberId, groupInstanceId: null, protocolType: "consumer", protocols: [{ name, metadata: Buffer.from(memberId || "new") }], clientId: "c", clientHost: "/127.0.0.1" };
}

describe("group coordinator", () => {
  it("rebalances into a new generation when a second member joins, with one leader that sees everyone", async () => {
    const gc = coordinator();
    const a = await gc.join(joinReq(""));
    expect(a).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId, protocolName: "range" });
    expect(a.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect((await gc.sync("g", 1, a.memberId, [{ memberId: a.memberId, assignment: Buffer.from("all") }])).assignment.toString()).toBe("all");
    expect(gc.describe("g").state).toBe("Stable");

    const bJoin = gc.join(joinReq(""));
    expect(gc.describe("g").state).toBe("PreparingRebalance");
    expect(gc.heartbeat("g", 1, a.memberId)).toBe(27); // REBALANCE_IN_PROGRESS: time to rejoin
    expect(gc.checkCommit("g", 1, a.memberId)).toBe(0); // as in Kafka: commits of the current generation go on until the join completes
    const aAgain = await gc.join(joinReq(a.memberId));
    const b = await bJoin;
    expect(aAgain.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(aAgain.leader).toBe(a.memberId);
    expect(aAgain.members.length).toBe(2);
    expect(b.members).toEqual([]);

    const bSync = gc.sync("g", 2, b.memberId, []);
    expect(gc.describe("g").state).toBe("CompletingRebalance");
    const aSync = await gc.sync("g", 2, a.memberId, [
      { memberId: a.memberId, assignment: Buffer.from("p0") },
      { memberId: b.memberId, assignment: Buffer.from("p1") },
    ]);
    expect(aSync.assignment.toString()).toBe("p0");
    expect((await bSync).assignment.toString()).toBe("p1");
    expect(gc.heartbeat("g", 1, a.memberId)).toBe(22); // ILLEGAL_GENERATION
    expect(gc.heartbeat("g", 2, a.memberId)).toBe(0);
    expect(gc.checkCommit("g", 2, b.memberId)).toBe(0);
    expect(gc.checkCommit("g", 2, "stranger")).toBe(25);
  });

  it("drops a member whose session times out, and the group goes on without it", async () => {
    const gc = coordinator();
    const a = await gc.join(joinReq("", 300));
    await gc.sync("g", 1, a.memberId, []);
    await waitFor("the silent member to expire", () => gc.describe("g").state === "Empty");
    expect(gc.describe("g").members).toEqual([]);
    expect(gc.heartbeat("g", 1, a.memberId)).toBe(25); // UNKNOWN_MEMBER_ID
    const b = await gc.join(joinReq(""));
    expect(b.generationId).toBe(3); // 1: a alone, 2: empty after a expired, 3: b
  });

  it("completes a rebalance without members that do not rejoin in time, and after leaves", async () => {
    const gc = coordinator();
    const a = await gc.join({ ...joinReq(""), rebalanceTimeoutMs: 300 });
    await gc.sync("g", 1, a.memberId, []);
    // a keeps heartbeating but never rejoins: the join of b completes when a's rebalance timeout passes.
    const timer = setInterval(() => gc.heartbeat("g", 1, a.memberId), 50);
    const b = await gc.join({ ...joinReq(""), rebalanceTimeoutMs: 300 });
    clearInterval(timer);
    expect(b.generationId).toBe(2);
    expect(b.leader).toBe(b.memberId);
    expect(gc.describe("g").members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(gc.leave("g", [b.memberId, "nobody"])).toEqual([0, 25]);
    expect(gc.describe("g").state).toBe("Empty");
  });

  it("refuses a member whose protocols share nothing with the group", async () => {
    const gc = coordinator();
    await gc.join(joinReq("", 10_000, "range"));
    expect((await gc.join(joinReq("", 10_000, "roundrobin"))).errorCode).toBe(23); // INCONSISTENT_GROUP_PROTOCOL
  });
});
