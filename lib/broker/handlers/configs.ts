/**
 * Configuration: DescribeConfigs v1-4 (v0 was removed in Kafka 4.0), AlterConfigs v0-2 and
 * IncrementalAlterConfigs v0-1 for topics (the configs this broker honours; other Kafka topic configs are
 * accepted and have no effect) and a read-only view of the broker's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { AlterConfigs, DescribeConfigs, IncrementalAlterConfigs } from "../../protocol/messages";
import { AclOperation, clusterAllowed, topicAllowed } from "../acl/check";
import type { BrokerCore, RequestContext } from "../core";
import { FIXED_TOPIC_CONFIGS, TOPIC_CONFIG_KEYS, type Topic, type TopicConfig } from "../log/topics";
import { topicMeta } from "./topic-meta";

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
const TYPE_BOOLEAN = 1;
const TYPE_STRING = 2;
const TYPE_INT = 3;
const TYPE_LONG = 5;

export interface ConfigEntry {
  name: string;
  value: string;
  source: number;
  type: number;
}

const TYPE_DOUBLE = 6;
const TYPE_LIST = 7;
const LONG_MAX = "9223372036854775807";

/** Every topic config of Kafka 4.x with its default and type (what DescribeConfigs lists for a topic). */
export const KAFKA_TOPIC_CONFIGS: Record<string, [string, number]> = {
  "cleanup.policy": ["delete", TYPE_LIST],
  "compression.gzip.level": ["-1", TYPE_INT],
  "compression.lz4.level": ["9", TYPE_INT],
  "compression.type": ["producer", TYPE_STRING],
  "compression.zstd.level": ["3", TYPE_INT],
  "delete.retention.ms": ["86400000", TYPE_LONG],
  "file.delete.delay.ms": ["60000", TYPE_LONG],
  "flush.messages": [LONG_MAX, TYPE_LONG],
  "flush.ms": [LONG_MAX, TYPE_LONG],
  "follower.replication.throttled.replicas": ["", TYPE_LIST],
  "index.interval.bytes": ["4096", TYPE_INT],
  "leader.replication.throttled.replicas": ["", TYPE_LIST],
  "local.retention.bytes": ["-2", TYPE_LONG],
  "local.retention.ms": ["-2", TYPE_LONG],
  "max.compaction.lag.ms": [LONG_MAX, TYPE_LONG],
  "max.message.bytes": ["1048588", TYPE_INT],
  "message.timestamp.after.max.ms": ["3600000", TYPE_LONG],
  "message.timestamp.before.max.ms": [LONG_MAX, TYPE_LONG],
  "message.timestamp.type": ["CreateTime", TYPE_STRING],
  "min.cleanable.dirty.ratio": ["0.5", TYPE_DOUBLE],
  "min.compaction.lag.ms": ["0", TYPE_LONG],
  "min.insync.replicas": ["1", TYPE_INT],
  "preallocate": ["false", TYPE_BOOLEAN],
  "remote.log.copy.disable": ["false", TYPE_BOOLEAN],
  "remote.log.delete.on.disable": ["false", TYPE_BOOLEAN],
  "remote.storage.enable": ["false", TYPE_BOOLEAN],
  "retention.bytes": ["-1", TYPE_LONG],
  "retention.ms": ["604800000", TYPE_LONG],
  "segment.bytes": ["1073741824", TYPE_INT],
  "segment.index.bytes": ["10485760", TYPE_INT],
  "segment.jitter.ms": ["0", TYPE_LONG],
  "segment.ms": ["604800000", TYPE_LONG],
  "unclean.leader.election.enable": ["false", TYPE_BOOLEAN],
};

/**
 * A topic's configs with their sources: set on the topic (TOPIC_CONFIG, also when equal to the default, as in
 * Kafka), or the default. Configs the broker acts on show the value it uses; others the value given or Kafka's
 * default. Values of configs this broker fixes (cleanup.policy, ...) come from FIXED_TOPIC_CONFIGS.
 */
export function topicConfigEntries(core: BrokerCore, topic: Topic): ConfigEntry[] {
  const explicit = topicMeta(core).explicitConfigs(topic.name);
  const config = topic.config as unknown as Record<string, number | undefined>;
  return Object.entries(KAFKA_TOPIC_CONFIGS).map(([name, [def, type]]) => {
    const key = TOPIC_CONFIG_KEYS[name];
    const set = Object.prototype.hasOwnProperty.call(explicit, name);
    let value = set ? explicit[name] ?? def : FIXED_TOPIC_CONFIGS[name] ?? def;
    if (key && config[key] !== undefined) value = String(config[key]);
    return { name, value, source: set ? SOURCE_DYNAMIC_TOPIC : SOURCE_DEFAULT, type };
  });
}

/** Parses topic configs; returns an error message for a bad value of a config this broker uses. */
export function parseTopicConfigs(configs: { name: string; value: string | null }[]): Partial<TopicConfig> | string {
  const out: Partial<TopicConfig> = {};
  for (const c of configs) {
    if (!(c.name in KAFKA_TOPIC_CONFIGS)) return `Unknown topic config name: ${c.name}`;
    const key = TOPIC_CONFIG_KEYS[c.name];
    if (!key) continue; // other Kafka configs are accepted and have no effect on a single in-process node
    if (key === "cleanupPolicy") {
      const parts = (c.value ?? "").split(",").map((x) => x.trim().toLowerCase());
      if (c.value === null || parts.length === 0 || parts.some((x) => x !== "compact" && x !== "delete"))
        return `Invalid value ${c.value} for configuration cleanup.policy: use delete, compact or compact,delete`;
      out.cleanupPolicy = [...new Set(parts)].sort().join(",");
      continue;
    }
    if (key === "timestampType") {
      if (c.value !== "CreateTime" && c.value !== "LogAppendTime") return `Invalid value ${c.value} for configuration message.timestamp.type: use CreateTime or LogAppendTime`;
      out.timestampType = c.value;
      continue;
    }
    if (key === "minCleanableDirtyRatio") {
      const r = Number(c.value);
      if (c.value === null || c.value.trim() === "" || !(r >= 0 && r <= 1)) return `Invalid value ${c.value} for configuration min.cleanable.dirty.ratio: use a number from 0 to 1`;
      out.minCleanableDirtyRatio = r;
      continue;
    }
    const n = Number(c.value);
    if (c.value === null || !Number.isInteger(n) || n < -1) return `${c.name} must be an integer >= -1, got ${c.value}`;
    if ((key === "segmentBytes" || key === "maxMessageBytes") && n < 1024) return `${c.name} must be at least 1024`;
    (out as Record<string, number>)[key] = n;
  }
  return out;
}

function brokerEntries(core: BrokerCore): ConfigEntry[] {
  return [
    { name: "num.partitions", value: String(core.options.defaultPartitions), source: SOURCE_STATIC_BROKER, type: TYPE_INT },
    { name: "auto.create.topics.enable", value: String(core.options.autoCreateTopics), source: SOURCE_STATIC_BROKER, type: TYPE_BOOLEAN },
    { name: "default.replication.factor", value: "1", source: SOURCE_DEFAULT, type: TYPE_INT },
    { name: "log.dirs", value: core.options.dataDir ?? "(memory)", source: SOURCE_STATIC_BROKER, type: TYPE_STRING },
  ];
}

function brokerNameOk(core: BrokerCore, name: string): boolean {
  return name === "" || name === String(core.nodeId);
}

export const describeConfigs = defineApi(DescribeConfigs, {
  versions: [1, 4],
  handle(req, ctx) {
    const { core } = ctx;
    return {
      results: req.resources.map((res) => {
        const out = { errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, resourceType: res.resourceType, resourceName: res.resourceName, configs: [] as ConfigEntry[] };
        // With an authorizer: DESCRIBE_CONFIGS on the topic, or on the cluster for the broker's configs.
        const denied = configsDenied(ctx, res.resourceType, res.resourceName, AclOperation.DESCRIBE_CONFIGS);
        if (denied) return { ...out, errorCode: denied, errorMessage: "Authorization failed." };
        if (res.resourceType === RESOURCE_TOPIC) {
          const topic = core.topics.get(res.resourceName);
          if (!topic) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist.` };
          out.configs = topicConfigEntries(core, topic);
        } else if (res.resourceType === RESOURCE_BROKER) {
          if (!brokerNameOk(core, res.resourceName)) return { ...out, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unexpected broker id ${res.resourceName}: this broker is ${core.nodeId}` };
          out.configs = brokerEntries(core);
        } else return { ...out, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${res.resourceType} is not supported: ask for a topic (2) or the broker (4)` };
        const keys = res.configurationKeys;
        const entries = keys ? out.configs.filter((e) => keys.includes(e.name)) : out.configs;
        return {
          ...out,
          configs: entries.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: res.resourceType === RESOURCE_BROKER,
            isDefault: e.source === SOURCE_DEFAULT,
            configSource: e.source,
            isSensitive: false,
            synonyms: req.includeSynonyms ? [{ name: e.name, value: e.value, source: e.source }] : [],
            configType: e.type,
            documentation: null,
          })),
        };
      }),
    };
  },
});

/** Sets a topic's configs (the honoured ones) in place and records them in its topic.json. */
function applyTopicConfig(core: BrokerCore, topic: Topic, values: Partial<TopicConfig>, reset: (keyof TopicConfig)[]): void {
  const config = topic.config as unknown as Record<string, unknown>;
  const defaults = core.options.topicDefaults as unknown as Record<string, unknown>;
  for (const k of reset) config[k] = defaults[k];
  Object.assign(config, values);
  // Partitions hold the same config object as their retention policy; set it there too in case they do not.
  for (const p of topic.partitions) if ((p.policy as unknown) !== config) Object.assign(p.policy, values);
  if (topic.dir) {
    const file = path.join(topic.dir, "topic.json");
    const meta = JSON.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const overrides: Record<string, unknown> = {};
    for (const key of Object.values(TOPIC_CONFIG_KEYS)) if (config[key] !== undefined && config[key] !== defaults[key]) overrides[key] = config[key]!;
    meta.config = overrides;
    fs.writeFileSync(file + ".tmp", JSON.stringify(meta));
    fs.renameSync(file + ".tmp", file);
  }
}

type Alteration = { set: { name: string; value: string | null }[]; reset: string[] } | string;

/** TOPIC_ or CLUSTER_AUTHORIZATION_FAILED when the principal may not do `op` on the configs of that resource; else 0. */
function configsDenied(ctx: RequestContext, resourceType: number, resourceName: string, op: number): number {
  if (resourceType === RESOURCE_TOPIC) return topicAllowed(ctx, op, resourceName) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (resourceType === RESOURCE_BROKER) return clusterAllowed(ctx, op) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return 0;
}

function alterResource(ctx: RequestContext, resourceType: number, resourceName: string, validateOnly: boolean, alteration: Alteration) {
  const { core } = ctx;
  const base = { resourceType, resourceName, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
  const denied = configsDenied(ctx, resourceType, resourceName, AclOperation.ALTER_CONFIGS);
  if (denied) return { ...base, errorCode: denied, errorMessage: "Authorization failed." };
  if (typeof alteration === "string") return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: alteration };
  if (resourceType === RESOURCE_BROKER) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "broker configs are read-only on the embedded broker: set them when starting it" };
  if (resourceType !== RESOURCE_TOPIC) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} is not supported: alter a topic (2)` };
  const topic = core.topics.get(resourceName);
  if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist.` };
  const parsed = parseTopicConfigs(alteration.set);
  if (typeof parsed === "string") return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: parsed };
  const reset = alteration.reset.map((n) => TOPIC_CONFIG_KEYS[n]).filter((k): k is keyof TopicConfig => !!k);
  if (!validateOnly) {
    applyTopicConfig(core, topic, parsed, reset);
    const meta = topicMeta(core);
    const explicit = { ...meta.explicitConfigs(resourceName) };
    for (const n of alteration.reset) delete explicit[n];
    for (const c of alteration.set) explicit[c.name] = c.value;
    meta.setExplicitConfigs(resourceName, explicit);
  }
  return base;
}

export const alterConfigs = defineApi(AlterConfigs, {
  versions: [0, 2],
  handle(req, ctx) {
    return {
      responses: req.resources.map((r) => {
        // AlterConfigs replaces the whole set: configs not named go back to their defaults.
        const named = new Set(r.configs.map((c) => c.name));
        const reset = Object.keys(TOPIC_CONFIG_KEYS).filter((n) => !named.has(n));
        return alterResource(ctx, r.resourceType, r.resourceName, req.validateOnly, { set: r.configs, reset });
      }),
    };
  },
});

const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

export const incrementalAlterConfigs = defineApi(IncrementalAlterConfigs, {
  versions: [0, 1],
  handle(req, ctx) {
    return {
      responses: req.resources.map((r) => {
        let alteration: Alteration = { set: [], reset: [] };
        for (const c of r.configs) {
          if (c.configOperation === OP_SET) alteration.set.push({ name: c.name, value: c.value });
          else if (c.configOperation === OP_DELETE) alteration.reset.push(c.name);
          else if (c.configOperation === OP_APPEND || c.configOperation === OP_SUBTRACT) {
            alteration = `Config value append/subtract is not allowed for config key ${c.name}: it is not a list`;
            break;
          } else {
            alteration = `unknown config operation ${c.configOperation}`;
            break;
          }
        }
        return alterResource(ctx, r.resourceType, r.resourceName, req.validateOnly, alteration);
      }),
    };
  },
});
