/**
 * The records of `__consumer_offsets` in Kafka's format (apache/kafka group-coordinator message schemas), so
 * Kafka's tools and lag monitors can read what this broker stores:
 * - key: int16 record type, then the key's fields: OffsetCommitKey (type 1: group, topic, partition) or
 *   GroupMetadataKey (type 2: group). Type 0 is the older offset key with the same fields, read too.
 * - value: int16 version, then OffsetCommitValue v3 (offset, leader epoch, metadata, commit timestamp) or
 *   GroupMetadataValue v3 (protocol type, generation, protocol, leader, state timestamp, members).
 * A null value is a tombstone: the commit or the group is gone (and compaction removes it later).
 */
export const OFFSETS_TOPIC = "__consumer_offsets";
/** Kafka's offsets.topic.num.partitions default. */
export const DEFAULT_OFFSETS_PARTITIONS = 50;
/** Kafka's offsets.topic.segment.bytes default. */
export const OFFSETS_SEGMENT_BYTES = 100 * 1024 * 1024;

const OFFSET_COMMIT = 1;
const GROUP_METADATA = 2;

/** The partition of __consumer_offsets that holds a group: Java's String.hashCode, made positive, modulo. */
export function partitionFor(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

class Writer {
  private parts: Buffer[] = [];
  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  int64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    this.parts.push(b);
    return this;
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, "utf8");
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  int16(): number {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    const v = Number(this.b.readBigInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.b.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer {
    const n = this.int32();
    const v = this.b.subarray(this.pos, this.pos + Math.max(0, n));
    this.pos += Math.max(0, n);
    return v;
  }
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer().int16(OFFSET_COMMIT).string(group).string(topic).int32(partition).done();
}

export function offsetCommitValue(offset: number, metadata: string | null, commitTimestamp: number, leaderEpoch = -1): Buffer {
  return new Writer().int16(3).int64(offset).int32(leaderEpoch).string(metadata ?? "").int64(commitTimestamp).done();
}

export function groupMetadataKey(group: string): Buffer {
  return new Writer().int16(GROUP_METADATA).string(group).done();
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

export function groupMetadataValue(g: StoredGroup): Buffer {
  const w = new Writer().int16(3).string(g.protocolType).int32(g.generation).string(g.protocol).string(g.leader).int64(g.currentStateTimestamp).int32(g.members.length);
  for (const m of g.members)
    w.string(m.memberId).string(m.groupInstanceId).string(m.clientId).string(m.clientHost).int32(m.rebalanceTimeoutMs).int32(m.sessionTimeoutMs).bytes(m.subscription).bytes(m.assignment);
  return w.done();
}

export type OffsetsRecord =
  | { type: "offset"; group: string; topic: string; partition: number; value: { offset: number; metadata: string; commitTimestamp: number } | null }
  | { type: "group"; group: string; value: StoredGroup | null }
  | { type: "unknown" };

/** Reads one record of __consumer_offsets (any version Kafka writes of these two records); throws when malformed. */
export function decodeOffsetsRecord(key: Buffer, value: Buffer | null): OffsetsRecord {
  const k = new Reader(key);
  const type = k.int16();
  if (type === 0 || type === OFFSET_COMMIT) {
    const group = k.string() ?? "";
    const topic = k.string() ?? "";
    const partition = k.int32();
    if (!value) return { type: "offset", group, topic, partition, value: null };
    const v = new Reader(value);
    const version = v.int16();
    const offset = v.int64();
    if (version >= 3) v.int32(); // leader epoch
    const metadata = v.string() ?? "";
    const commitTimestamp = v.int64();
    return { type: "offset", group, topic, partition, value: { offset, metadata, commitTimestamp } };
  }
  if (type === GROUP_METADATA) {
    const group = k.string() ?? "";
    if (!value) return { type: "group", group, value: null };
    const v = new Reader(value);
    const version = v.int16();
    if (version >= 4) return { type: "unknown" }; // the flexible version (Kafka writes it for new groups): not read here
    const g: StoredGroup = { protocolType: v.string() ?? "", generation: v.int32(), protocol: v.string(), leader: v.string(), currentStateTimestamp: version >= 2 ? v.int64() : -1, members: [] };
    const n = v.int32();
    for (let i = 0; i < n; i++) {
      const memberId = v.string() ?? "";
      const groupInstanceId = version >= 3 ? v.string() : null;
      const clientId = v.string() ?? "";
      const clientHost = v.string() ?? "";
      const rebalanceTimeoutMs = version >= 1 ? v.int32() : -1;
      g.members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs: v.int32(), subscription: v.bytes(), assignment: v.bytes() });
    }
    return { type: "group", group, value: g };
  }
  return { type: "unknown" };
}
