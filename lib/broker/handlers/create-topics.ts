/**
 * Topic administration: CreateTopics v2-7, DeleteTopics v1-6 (by name or id), CreatePartitions v0-3 and
 * DeleteRecords v0-2. One node, so replication factor 1 (or -1, "the default").
 */
import { ErrorCode } from "../protocol/apis";
import { defineApi } from "../protocol/api";
import { UUID_ZERO } from "../protocol/codec";
import { CreateTopics, DeleteTopics } from "../protocol/messages";
import { TOPIC_CONFIG_KEYS, TopicError, checkTopicName, type TopicConfig } from "../log/topics";
import { topicIds } from "./topic-ids";
import { topicConfigEntries } from "./configs";

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
    (out as Record<string, number>)[key] = n;
  }
  return out;
}

export const createTopics = defineApi(CreateTopics, {
  versions: [2, 7],
  handle(req, ctx) {
    const { core } = ctx;
    const topics = req.topics.map((t) => {
      const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage, topicConfigErrorCode: 0, configs: null });
      const badName = checkTopicName(t.name);
      if (badName) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, badName);
      if (core.topics.get(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0)
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${t.replicationFactor} time(s): The target replication factor of ${t.replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
      if (t.assignments.some((a) => a.brokerIds.some((b) => b !== core.nodeId))) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `the only broker is ${core.nodeId}`);
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? core.options.defaultPartitions : t.numPartitions;
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10000) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0, got ${partitions}.`);
      const configs = parseTopicConfigs(t.configs);
      if (typeof configs === "string") return fail(ErrorCode.INVALID_CONFIG, configs);
      if (!req.validateOnly) {
        try {
          core.topics.create(t.name, partitions, configs);
        } catch (err) {
          if (err instanceof TopicError) return fail(err.code, err.message);
          throw err;
        }
      }
      const created = core.topics.get(t.name);
      return {
        name: t.name,
        topicId: created ? topicIds(core).idOf(t.name) : UUID_ZERO,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: created ? topicConfigEntries(core, created).map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: e.source, isSensitive: false })) : [],
      };
    });
    return { topics };
  },
});

export const deleteTopics = defineApi(DeleteTopics, {
  versions: [1, 6],
  handle(req, ctx) {
    const { core } = ctx;
    const ids = topicIds(core);
    const asked = ctx.version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: UUID_ZERO }));
    return {
      responses: asked.map((t) => {
        const name = t.name ?? ids.nameOf(t.topicId) ?? null;
        if (name === null) return { name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: "This server does not host this topic ID." };
        if (!core.topics.get(name)) return { name, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition." };
        const topicId = ids.idOf(name);
        core.topics.delete(name);
        core.groups.dropTopic(name);
        ids.forget(name);
        return { name, topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    };
  },
});
