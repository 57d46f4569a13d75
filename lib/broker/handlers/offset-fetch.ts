/** OffsetFetch v0-5: committed offsets, -1 where none; a null topic list (v2+) asks for all of the group's. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function handleOffsetFetch(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const groupId = r.string();
  let topics = r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
  const groups = ctx.core.groups;
  if (topics === null) {
    const byTopic = new Map<string, number[]>();
    for (const key of groups.groups.get(groupId)?.offsets.keys() ?? []) {
      const [t, p] = key.split("\0");
      if (!byTopic.has(t)) byTopic.set(t, []);
      byTopic.get(t)!.push(Number(p));
    }
    topics = [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a - b) }));
  }
  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array(topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      const c = groups.committed(groupId, t.name, p);
      w.int32(p).int64(c ? c.offset : -1);
      if (v >= 5) w.int32(-1);
      w.nullableString(c ? c.metadata : "").int16(ErrorCode.NONE);
    });
  });
  if (v >= 2) w.int16(ErrorCode.NONE);
  return w;
}
