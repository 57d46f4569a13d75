/** OffsetCommit v0-7: stored per group; durable before the answer when the broker has a data dir. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleOffsetCommit(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const groupId = r.string();
  const generationId = v >= 1 ? r.int32() : -1;
  const memberId = v >= 1 ? r.string() : "";
  if (v >= 7) r.nullableString();
  if (v >= 2 && v <= 4) r.int64(); // retention_time_ms
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32();
      const offset = r.int64();
      if (v >= 6) r.int32(); // committed_leader_epoch
      if (v === 1) r.int64(); // commit_timestamp
      return { index, offset, metadata: r.nullableString() };
    }),
  }));
  const { core } = ctx;
  const membership = groupId ? core.groups.checkCommit(groupId, generationId, memberId) : ErrorCode.INVALID_GROUP_ID;
  const accepted: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
  const results = topics.map((t) => {
    const topic = core.topics.get(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        let code = membership;
        if (code === 0 && (!topic || !topic.partitions[p.index])) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (code === 0) accepted.push({ topic: t.name, partition: p.index, offset: p.offset, metadata: p.metadata });
        return { index: p.index, code };
      }),
    };
  });
  if (accepted.length) core.groups.commit(groupId, accepted);
  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array(results, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => w.int32(p.index).int16(p.code));
  });
  return w;
}
