/**
 * The KIP-848 APIs on the independent test wire (wire.ts): ConsumerGroupHeartbeat (68), ConsumerGroupDescribe
 * (69), OffsetCommit v9, OffsetFetch v9 and ListGroups v5 in the flexible encoding (KIP-482), written by hand
 * from Kafka's message specs and not with lib/protocol, so a mistake in the broker's declarations shows. A
 * flexible request header (v2) is the classic one plus an empty tagged-field section, and a flexible response
 * header (v1) has one after the correlation id: both are written/read here.
 */
import { R, W, type RawConnection } from "./wire";

export const KIP848_API = { OffsetCommit: 8, OffsetFetch: 9, ListGroups: 16, DescribeGroups: 15, ConsumerGroupHeartbeat: 68, ConsumerGroupDescribe: 69 } as const;

/** The flexible primitives on top of W. */
export class FW {
  constructor(readonly w = new W()) {}
  uvarint(n: number): this {
    while (n >= 0x80) {
      this.w.raw(Buffer.from([(n & 0x7f) | 0x80]));
      n = Math.floor(n / 128);
    }
    this.w.raw(Buffer.from([n]));
    return this;
  }
  int8(v: number): this { this.w.int8(v); return this; }
  int16(v: number): this { this.w.int16(v); return this; }
  int32(v: number): this { this.w.int32(v); return this; }
  int64(v: number): this { this.w.int64(v); return this; }
  bool(v: boolean): this { this.w.bool(v); return this; }
  str(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const b = Buffer.from(v, "utf8");
    this.uvarint(b.length + 1);
    this.w.raw(b);
    return this;
  }
  uuid(v: string): this { this.w.raw(Buffer.from(v.replace(/-/g, ""), "hex")); return this; }
  array<T>(items: T[] | null, each: (f: FW, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const it of items) each(this, it);
    return this;
  }
  /** The end of a struct: no tagged fields. */
  tags(): this { return this.uvarint(0); }
}

export class FR {
  constructor(readonly r: R) {}
  uvarint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.r.int8() & 0xff;
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return n;
      mul *= 128;
    }
  }
  int8(): number { return this.r.int8(); }
  int16(): number { return this.r.int16(); }
  int32(): number { return this.r.int32(); }
  int64(): number { return this.r.int64(); }
  bool(): boolean { return this.r.bool(); }
  str(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.r.buf.toString("utf8", this.r.pos, (this.r.pos += n - 1));
  }
  uuid(): string {
    const h = this.r.buf.toString("hex", this.r.pos, (this.r.pos += 16));
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  array<T>(each: (f: FR) => T): T[] | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(each(this));
    return out;
  }
  /** Skips a tagged-field section. */
  tags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.r.pos += size;
    }
  }
}

/** Sends a flexible request (header v2) and returns a reader past the response header v1. */
export async function flexCall(c: RawConnection, apiKey: number, version: number, body: (f: FW) => void): Promise<FR> {
  const r = await c.call(apiKey, version, (w) => {
    const f = new FW(w);
    f.tags(); // request header v2: tagged fields after the client id
    body(f);
    f.tags(); // the body's own tagged fields
  });
  const f = new FR(r);
  f.tags(); // response header v1
  return f;
}

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface HeartbeatAnswer {
  error: number;
  message: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitions[] | null;
}

export interface HeartbeatArgs {
  group: string;
  memberId: string;
  memberEpoch: number;
  instanceId?: string | null;
  rebalanceTimeoutMs?: number;
  topics?: string[] | null;
  regex?: string | null;
  assignor?: string | null;
  owned?: TopicPartitions[] | null;
  version?: number;
}

/** ConsumerGroupHeartbeat v0/v1; fields left out are "unchanged" (null / -1), as a client sends them. */
export async function consumerGroupHeartbeat(c: RawConnection, a: HeartbeatArgs): Promise<HeartbeatAnswer> {
  const v = a.version ?? 1;
  const f = await flexCall(c, KIP848_API.ConsumerGroupHeartbeat, v, (f) => {
    f.str(a.group).str(a.memberId).int32(a.memberEpoch).str(a.instanceId ?? null).str(null).int32(a.rebalanceTimeoutMs ?? -1);
    f.array(a.topics ?? null, (f, t) => f.str(t));
    if (v >= 1) f.str(a.regex ?? null);
    f.str(a.assignor ?? null);
    f.array(a.owned ?? null, (f, t) => {
      f.uuid(t.topicId).array(t.partitions, (f, p) => f.int32(p));
      f.tags();
    });
  });
  f.int32(); // throttle
  const error = f.int16();
  const message = f.str();
  const memberId = f.str();
  const memberEpoch = f.int32();
  const heartbeatIntervalMs = f.int32();
  let assignment: TopicPartitions[] | null = null;
  if (f.int8() >= 0) {
    assignment = f.array((f) => {
      const t = { topicId: f.uuid(), partitions: f.array((f) => f.int32())! };
      f.tags();
      return t;
    })!;
    f.tags();
  }
  return { error, message, memberId, memberEpoch, heartbeatIntervalMs, assignment };
}

export interface DescribedMember {
  memberId: string;
  instanceId: string | null;
  memberEpoch: number;
  clientId: string;
  subscribedTopicNames: string[];
  assignment: { topicName: string; partitions: number[] }[];
  targetAssignment: { topicName: string; partitions: number[] }[];
  /** v1: -1 unknown, 0 classic, 1 consumer. */
  memberType?: number;
}

export interface DescribedGroup {
  error: number;
  message: string | null;
  groupId: string;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedMember[];
}

/** ConsumerGroupDescribe v0 (v1 adds each member's type, KIP-1099). */
export async function consumerGroupDescribe(c: RawConnection, groups: string[], version = 0): Promise<DescribedGroup[]> {
  const f = await flexCall(c, KIP848_API.ConsumerGroupDescribe, version, (f) => {
    f.array(groups, (f, g) => f.str(g)).bool(false);
  });
  f.int32();
  const assignment = (f: FR) => {
    const tps = f.array((f) => {
      f.uuid();
      const t = { topicName: f.str()!, partitions: f.array((f) => f.int32())!.sort((a, b) => a - b) };
      f.tags();
      return t;
    })!;
    f.tags();
    return tps;
  };
  return f.array((f) => {
    const g: DescribedGroup = {
      error: f.int16(),
      message: f.str(),
      groupId: f.str()!,
      state: f.str()!,
      groupEpoch: f.int32(),
      assignmentEpoch: f.int32(),
      assignorName: f.str()!,
      members: f.array((f) => {
        const m = {
          memberId: f.str()!,
          instanceId: f.str(),
          rackId: f.str(),
          memberEpoch: f.int32(),
          clientId: f.str()!,
          clientHost: f.str(),
          subscribedTopicNames: f.array((f) => f.str()!)!,
          regex: f.str(),
          assignment: assignment(f),
          targetAssignment: assignment(f),
          memberType: version >= 1 ? f.int8() : undefined,
        };
        f.tags();
        return { memberId: m.memberId, instanceId: m.instanceId, memberEpoch: m.memberEpoch, clientId: m.clientId, subscribedTopicNames: m.subscribedTopicNames, assignment: m.assignment, targetAssignment: m.targetAssignment, memberType: m.memberType };
      })!,
    };
    f.int32(); // authorized operations
    f.tags();
    return g;
  })!;
}

/** OffsetCommit v9 of one partition; the partition's error code. */
export async function commitV9(c: RawConnection, group: string, memberEpoch: number, memberId: string, topic: string, partition: number, offset: number): Promise<number> {
  const f = await flexCall(c, KIP848_API.OffsetCommit, 9, (f) => {
    f.str(group).int32(memberEpoch).str(memberId).str(null);
    f.array([topic], (f, t) => {
      f.str(t).array([partition], (f, p) => {
        f.int32(p).int64(offset).int32(-1).str(null);
        f.tags();
      });
      f.tags();
    });
  });
  f.int32();
  const topics = f.array((f) => {
    f.str();
    const ps = f.array((f) => {
      f.int32();
      const e = f.int16();
      f.tags();
      return e;
    })!;
    f.tags();
    return ps;
  })!;
  return topics[0][0];
}

/** OffsetFetch v9 of one group (member id and epoch as a KIP-848 member sends them): the group error and offsets. */
export async function fetchOffsetsV9(c: RawConnection, group: string, memberId: string | null, memberEpoch: number, topic: string, partitions: number[]): Promise<{ error: number; offsets: Record<number, number> }> {
  const f = await flexCall(c, KIP848_API.OffsetFetch, 9, (f) => {
    f.array([group], (f, g) => {
      f.str(g).str(memberId).int32(memberEpoch);
      f.array([topic], (f, t) => {
        f.str(t).array(partitions, (f, p) => f.int32(p));
        f.tags();
      });
      f.tags();
    });
    f.bool(false);
  });
  f.int32();
  const groups = f.array((f) => {
    f.str();
    const offsets: Record<number, number> = {};
    f.array((f) => {
      f.str();
      f.array((f) => {
        const p = f.int32();
        offsets[p] = f.int64();
        f.int32();
        f.str();
        f.int16();
        f.tags();
      });
      f.tags();
    });
    const error = f.int16();
    f.tags();
    return { error, offsets };
  })!;
  return groups[0];
}

/** ListGroups v5: every group with its type and state. */
export async function listGroupsV5(c: RawConnection, types: string[] = []): Promise<{ error: number; groups: { groupId: string; protocolType: string; state: string; type: string }[] }> {
  const f = await flexCall(c, KIP848_API.ListGroups, 5, (f) => {
    f.array([], () => {}).array(types, (f, t) => f.str(t));
  });
  f.int32();
  const error = f.int16();
  const groups = f.array((f) => {
    const g = { groupId: f.str()!, protocolType: f.str()!, state: f.str()!, type: f.str()! };
    f.tags();
    return g;
  })!;
  return { error, groups };
}

/** DescribeGroups v5 (the last version before KIP-1043's GROUP_ID_NOT_FOUND): error, state, protocol type, members. */
export async function describeGroupV5(c: RawConnection, group: string): Promise<{ error: number; state: string; protocolType: string; members: number }> {
  const f = await flexCall(c, KIP848_API.DescribeGroups, 5, (f) => {
    f.array([group], (f, g) => f.str(g)).bool(false);
  });
  f.int32();
  const groups = f.array((f) => {
    const error = f.int16();
    f.str();
    const state = f.str()!;
    const protocolType = f.str()!;
    f.str();
    const members = f.array((f) => {
      f.str();
      f.str();
      f.str();
      f.str();
      f.r.pos += f.uvarint() - 1;
      f.r.pos += f.uvarint() - 1;
      f.tags();
      return 1;
    })!.length;
    f.int32();
    f.tags();
    return { error, state, protocolType, members };
  })!;
  return groups[0];
}

/** TxnOffsetCommit v3 (flexible; the member epoch in the generation field) of one partition: its error code. */
export async function txnCommitV3(c: RawConnection, transactionalId: string, group: string, producerId: number, producerEpoch: number, generationOrEpoch: number, memberId: string, topic: string, partition: number, offset: number): Promise<number> {
  for (let i = 0; ; i++) {
    const f = await flexCall(c, 28, 3, (f) => {
      f.str(transactionalId).str(group).int64(producerId).int16(producerEpoch).int32(generationOrEpoch).str(memberId).str(null);
      f.array([topic], (f, t) => {
        f.str(t).array([partition], (f, p) => {
          f.int32(p).int64(offset).int32(-1).str(null);
          f.tags();
        });
        f.tags();
      });
    });
    f.int32();
    const errors = f.array((f) => {
      f.str();
      const es = f.array((f) => {
        f.int32();
        const e = f.int16();
        f.tags();
        return e;
      })!;
      f.tags();
      return es;
    })!;
    const error = errors[0][0];
    if (![14, 15, 16, 51].includes(error) || i > 100) return error;
    await new Promise((res) => setTimeout(res, 100));
  }
}
