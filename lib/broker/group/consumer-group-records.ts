/**
 * The records a KIP-848 consumer group leaves in `__consumer_offsets`, in Kafka's format (apache/kafka
 * group-coordinator message schemas), declared as data with lib/protocol's codec: keys are an int16 record type
 * followed by their fields in the classic encoding; values an int16 version (0) followed by their fields in the
 * flexible encoding. A null value is a tombstone.
 * - 3 ConsumerGroupMetadata (group): the group epoch.
 * - 5 ConsumerGroupMemberMetadata (group, member): instance and rack ids, client, subscription, assignor.
 * - 6 ConsumerGroupTargetAssignmentMetadata (group): the assignment epoch.
 * - 7 ConsumerGroupTargetAssignmentMember (group, member): the member's target partitions.
 * - 8 ConsumerGroupCurrentMemberAssignment (group, member): epochs, state, assigned and pending partitions.
 * (Type 4, ConsumerGroupPartitionMetadata, Kafka 4.1 no longer writes; it is ignored when read.)
 */
import { array, arrayOf, decode, encode, int32, int8, nstr, str, uuid, type In, type Out } from "../../protocol/codec";
import { Reader, Writer } from "../../protocol/primitives";

export const RecordType = { GroupMetadata: 3, MemberMetadata: 5, TargetAssignmentMetadata: 6, TargetAssignmentMember: 7, CurrentMemberAssignment: 8 } as const;

const groupKey = [str("groupId", "0+")] as const;
const memberKey = [str("groupId", "0+"), str("memberId", "0+")] as const;
const topicPartitions = [uuid("topicId", "0+"), arrayOf("partitions", "int32", "0+")] as const;

const GroupMetadataValue = [int32("epoch", "0+")] as const;
const MemberMetadataValue = [
  nstr("instanceId", "0+", "0+"),
  nstr("rackId", "0+", "0+"),
  str("clientId", "0+"),
  str("clientHost", "0+"),
  arrayOf("subscribedTopicNames", "string", "0+"),
  nstr("subscribedTopicRegex", "0+", "0+"),
  int32("rebalanceTimeoutMs", "0+", { default: -1 }),
  nstr("serverAssignor", "0+", "0+"),
  // Tag 0, ClassicMemberMetadata, is only for classic members of a consumer group (not served here): skipped.
] as const;
const TargetAssignmentMetadataValue = [int32("assignmentEpoch", "0+")] as const;
const TargetAssignmentMemberValue = [array("topicPartitions", "0+", topicPartitions)] as const;
const CurrentMemberAssignmentValue = [
  int32("memberEpoch", "0+"),
  int32("previousMemberEpoch", "0+"),
  int8("state", "0+"),
  array("assignedPartitions", "0+", topicPartitions),
  array("partitionsPendingRevocation", "0+", topicPartitions),
] as const;

export type MemberMetadata = In<typeof MemberMetadataValue>;
export type CurrentMemberAssignment = In<typeof CurrentMemberAssignmentValue>;
export type TopicIdPartitions = { topicId: string; partitions: number[] }[];

function key(type: number, fields: typeof groupKey | typeof memberKey, o: Record<string, string>): Buffer {
  const w = new Writer(64).int16(type);
  encode(w, fields, 0, false, o);
  return w.toBuffer();
}

function value<F extends readonly Parameters<typeof encode>[1][number][]>(fields: F, o: Out<F>): Buffer {
  const w = new Writer(128).int16(0);
  encode(w, fields, 0, true, o);
  return w.toBuffer();
}

export const groupMetadataKey = (groupId: string) => key(RecordType.GroupMetadata, groupKey, { groupId });
export const groupMetadataValue = (epoch: number) => value(GroupMetadataValue, { epoch });
export const memberMetadataKey = (groupId: string, memberId: string) => key(RecordType.MemberMetadata, memberKey, { groupId, memberId });
export const memberMetadataValue = (m: Out<typeof MemberMetadataValue>) => value(MemberMetadataValue, m);
export const targetMetadataKey = (groupId: string) => key(RecordType.TargetAssignmentMetadata, groupKey, { groupId });
export const targetMetadataValue = (assignmentEpoch: number) => value(TargetAssignmentMetadataValue, { assignmentEpoch });
export const targetMemberKey = (groupId: string, memberId: string) => key(RecordType.TargetAssignmentMember, memberKey, { groupId, memberId });
export const targetMemberValue = (topicPartitions: TopicIdPartitions) => value(TargetAssignmentMemberValue, { topicPartitions });
export const currentAssignmentKey = (groupId: string, memberId: string) => key(RecordType.CurrentMemberAssignment, memberKey, { groupId, memberId });
export const currentAssignmentValue = (a: Out<typeof CurrentMemberAssignmentValue>) => value(CurrentMemberAssignmentValue, a);

export type ConsumerGroupRecord =
  | { type: 3; groupId: string; value: { epoch: number } | null }
  | { type: 5; groupId: string; memberId: string; value: MemberMetadata | null }
  | { type: 6; groupId: string; value: { assignmentEpoch: number } | null }
  | { type: 7; groupId: string; memberId: string; value: { topicPartitions: TopicIdPartitions } | null }
  | { type: 8; groupId: string; memberId: string; value: CurrentMemberAssignment | null };

/** Whether a __consumer_offsets key is one of these records (by its type). */
export function isConsumerGroupRecord(k: Buffer): boolean {
  if (k.length < 2) return false;
  const t = k.readInt16BE(0);
  return t === 3 || t === 4 || (t >= 5 && t <= 8);
}

/** Reads one record; undefined for type 4 and for values of a version it does not know. Throws when malformed. */
export function decodeConsumerGroupRecord(k: Buffer, v: Buffer | null): ConsumerGroupRecord | undefined {
  const r = new Reader(k);
  const type = r.int16();
  const val = <F extends readonly Parameters<typeof decode>[1][number][]>(fields: F): In<F> | null | undefined => {
    if (!v) return null;
    const vr = new Reader(v);
    if (vr.int16() !== 0) return undefined;
    return decode(vr, fields, 0, true) as In<F>;
  };
  if (type === 3 || type === 6) {
    const { groupId } = decode(r, groupKey, 0, false) as { groupId: string };
    const value = type === 3 ? val(GroupMetadataValue) : val(TargetAssignmentMetadataValue);
    if (value === undefined) return undefined;
    return type === 3 ? { type, groupId, value: value as { epoch: number } | null } : { type, groupId, value: value as { assignmentEpoch: number } | null };
  }
  if (type === 5 || type === 7 || type === 8) {
    const { groupId, memberId } = decode(r, memberKey, 0, false) as { groupId: string; memberId: string };
    if (type === 5) {
      const value = val(MemberMetadataValue);
      return value === undefined ? undefined : { type, groupId, memberId, value };
    }
    if (type === 7) {
      const value = val(TargetAssignmentMemberValue);
      return value === undefined ? undefined : { type, groupId, memberId, value };
    }
    const value = val(CurrentMemberAssignmentValue);
    return value === undefined ? undefined : { type, groupId, memberId, value };
  }
  return undefined;
}
