/** CreateTopics v0-4 and DeleteTopics v0-3. One node, so replication factor 1 (or -1, "the default"). */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";
import { TOPIC_CONFIG_KEYS, TopicError, checkTopicName, type TopicConfig } from "../log/topics";

/** Parses topic configs; returns an error message for a bad value of a config this broker uses. */
export function parseTopicConfigs(configs: { name: string; value: string | null }[]): Partial<TopicConfig> | string {
  const out: Partial<TopicConfig> = {};
  for (const c of configs) {
    const key = TOPIC_CONFIG_KEYS[c.name];
    if (!key) {
      if (c.name === "cleanup.policy" && c.value !== null && c.value !== "delete") return `cleanup.policy=${c.value} is not supported: this broker only deletes old segments`;
      continue; // other Kafka configs are accepted and have no effect on a single in-process node
    }
    const n = Number(c.value);
    if (c.value === null || !Number.isInteger(n) || n < -1) return `${c.name} must be an integer >= -1, got ${c.value}`;
    if ((key === "segmentBytes" || key === "maxMessageBytes") && n < 1024) return `${c.name} must be at least 1024`;
    out[key] = n;
  }
  return out;
}

export function handleCreateTopics(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const topics = r.array((r) => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((r) => ({ index: r.int32(), brokers: r.array((r) => r.int32()) })),
    configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
  }));
  r.int32(); // timeout_ms
  const validateOnly = v >= 1 ? r.bool() : false;
  const { core } = ctx;
  const results = topics.map((t) => {
    const fail = (code: number, message: string) => ({ name: t.name, code, message });
    const badName = checkTopicName(t.name);
    if (badName) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, badName);
    if (core.topics.get(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
    if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0)
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is impossible on this single-node broker: use 1`);
    const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? core.options.defaultPartitions : t.numPartitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10000) return fail(ErrorCode.INVALID_PARTITIONS, `number of partitions must be 1..10000, got ${partitions}`);
    const configs = parseTopicConfigs(t.configs);
    if (typeof configs === "string") return fail(ErrorCode.INVALID_CONFIG, configs);
    if (validateOnly) return fail(ErrorCode.NONE, "");
    try {
      core.topics.create(t.name, partitions, configs);
      return fail(ErrorCode.NONE, "");
    } catch (err) {
      if (err instanceof TopicError) return fail(err.code, err.message);
      throw err;
    }
  });
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(results, (w, t) => {
    w.string(t.name).int16(t.code);
    if (v >= 1) w.nullableString(t.code ? t.message : null);
  });
  return w;
}

export function handleDeleteTopics(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const names = r.array((r) => r.string());
  r.int32(); // timeout_ms
  const w = new Writer();
  if (v >= 1) w.int32(0);
  w.array(names, (w, name) => {
    let code: number = ErrorCode.NONE;
    if (!ctx.core.topics.get(name)) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    else {
      ctx.core.topics.delete(name);
      ctx.core.groups.dropTopic(name);
    }
    w.string(name).int16(code);
  });
  return w;
}
