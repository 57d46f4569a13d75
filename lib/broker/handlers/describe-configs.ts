/** DescribeConfigs v0-3: topic configs (the ones this broker honours, plus fixed ones) and a few broker ones. */
import { ErrorCode } from "../protocol/apis";
import { Reader, Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";
import { FIXED_TOPIC_CONFIGS, TOPIC_CONFIG_KEYS } from "../log/topics";

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
const TYPE_STRING = 2;
const TYPE_INT = 3;
const TYPE_LONG = 5;

interface ConfigEntry {
  name: string;
  value: string;
  source: number;
  type: number;
}

export function handleDescribeConfigs(ctx: RequestContext, r: Reader): Writer {
  const v = ctx.version;
  const resources = r.array((r) => ({ type: r.int8(), name: r.string(), keys: r.nullableArray((r) => r.string()) }));
  if (v >= 1) r.bool(); // include_synonyms
  if (v >= 3) r.bool(); // include_documentation
  const { core } = ctx;
  const w = new Writer();
  w.int32(0);
  w.array(resources, (w, res) => {
    let entries: ConfigEntry[] = [];
    let code: number = ErrorCode.NONE;
    let message: string | null = null;
    if (res.type === RESOURCE_TOPIC) {
      const topic = core.topics.get(res.name);
      if (!topic) {
        code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        message = `unknown topic '${res.name}'`;
      } else {
        for (const [name, key] of Object.entries(TOPIC_CONFIG_KEYS)) {
          const value = topic.config[key];
          const source = value === core.options.topicDefaults[key] ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC;
          entries.push({ name, value: String(value), source, type: key === "maxMessageBytes" || key === "segmentBytes" ? TYPE_INT : TYPE_LONG });
        }
        for (const [name, value] of Object.entries(FIXED_TOPIC_CONFIGS)) entries.push({ name, value, source: SOURCE_DEFAULT, type: TYPE_STRING });
      }
    } else if (res.type === RESOURCE_BROKER) {
      entries = [
        { name: "num.partitions", value: String(core.options.defaultPartitions), source: SOURCE_STATIC_BROKER, type: TYPE_INT },
        { name: "auto.create.topics.enable", value: String(core.options.autoCreateTopics), source: SOURCE_STATIC_BROKER, type: 1 },
        { name: "default.replication.factor", value: "1", source: SOURCE_DEFAULT, type: TYPE_INT },
        { name: "log.dirs", value: core.options.dataDir ?? "(memory)", source: SOURCE_STATIC_BROKER, type: TYPE_STRING },
      ];
    } else {
      code = ErrorCode.INVALID_REQUEST;
      message = `resource type ${res.type} is not supported: ask for a topic (2) or the broker (4)`;
    }
    if (res.keys) entries = entries.filter((e) => res.keys!.includes(e.name));
    w.int16(code).nullableString(message).int8(res.type).string(res.name);
    w.array(entries, (w, e) => {
      w.string(e.name).nullableString(e.value).bool(false);
      if (v === 0) w.bool(e.source === SOURCE_DEFAULT);
      else w.int8(e.source);
      w.bool(false);
      if (v >= 1) w.int32(0); // synonyms
      if (v >= 3) w.int8(e.type).nullableString(null);
    });
  });
  return w;
}
