/** Metadata v0-8: this single broker, and each topic with every partition led by it. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import { NO_AUTHORIZED_OPERATIONS, type RequestContext } from "../core";
import { checkTopicName } from "../log/topics";

export function handleMetadata(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const requested = v >= 1 ? r.nullableArray((r) => r.string()) : r.array((r) => r.string());
  const allowAutoCreate = v >= 4 ? r.bool() : true;
  if (v >= 8) {
    r.bool();
    r.bool();
  }
  const { core } = ctx;
  // v0 asks for every topic with an empty list; later versions with null.
  const all = requested === null || (v === 0 && requested.length === 0);
  const names = all ? [...core.topics.topics.keys()].sort() : requested;
  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array([core], (w) => {
    w.int32(core.nodeId).string(core.host).int32(core.port);
    if (v >= 1) w.nullableString(null);
  });
  if (v >= 2) w.nullableString(core.clusterId);
  if (v >= 1) w.int32(core.nodeId);
  w.array(names, (w, name) => {
    const invalid = checkTopicName(name);
    const topic = invalid ? undefined : core.topicOrAutoCreate(name, allowAutoCreate);
    const error = invalid ? ErrorCode.INVALID_TOPIC_EXCEPTION : topic ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    w.int16(error).string(name);
    if (v >= 1) w.bool(false);
    const count = topic ? topic.partitions.length : 0;
    w.int32(count);
    for (let p = 0; p < count; p++) {
      w.int16(ErrorCode.NONE).int32(p).int32(core.nodeId);
      if (v >= 7) w.int32(0);
      w.int32(1).int32(core.nodeId); // replicas
      w.int32(1).int32(core.nodeId); // in-sync replicas
      if (v >= 5) w.int32(0); // offline replicas
    }
    if (v >= 8) w.int32(NO_AUTHORIZED_OPERATIONS);
  });
  if (v >= 8) w.int32(NO_AUTHORIZED_OPERATIONS);
  return w;
}
