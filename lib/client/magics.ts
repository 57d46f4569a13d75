/**
 * `%kafka` (where the data lives), `%%produce` and `%tail` (the seed's producer and consumer).
 *
 * `registerClientMagics()` registers them (lib/index.ts calls it; it is idempotent).
 */
import { readFileSync } from "node:fs";
import { DisplayHandle, errorMessage, MagicError, onShutdown, registerMagic, type MagicContext, type MagicSpec } from "../core";
import { currentClient, dropCurrentClient, topicsTable } from "./cluster";
import { peekCurrentCluster, setCurrentCluster } from "./current";
import { embeddedConfig, findRunningBroker, startEmbeddedBroker, stopEmbeddedBroker, takenNote, type BrokerSecurity } from "./embedded";
import { Message, Table } from "./html";
import { connect, parseBootstrap, type KafkaClient } from "./kafkajs";
import { parseProduceBody, toProduceRecords, ProduceBodyError } from "./produce";
import { peekRegistry, startEmbeddedRegistry } from "./registry";
import { checkRegistry, registryOptions } from "./registry-magics";
import { Tail, parseTailFrom, stopTails, listTails } from "./tail";
import type { ClusterConfig } from "./types";

function describeCluster(config: ClusterConfig): string {
  const parts = [config.embedded ? `embedded broker (pid ${config.embedded.pid}${config.embedded.dataDir ? `, data in ${config.embedded.dataDir}` : ""})` : "external cluster"];
  if (config.sasl) parts.push(`SASL ${config.sasl.mechanism} as ${config.sasl.username}`);
  if (config.ssl) parts.push("TLS");
  if (config.registry) parts.push(`schema registry ${config.registry.url}${config.registry.auth ? " (basic auth)" : ""}`);
  return `${config.bootstrap.join(",")}: ${parts.join(", ")}`;
}

/** A MagicError as is; anything else as one line after `prefix`. */
function failure(err: unknown, prefix: string): MagicError {
  if (err instanceof MagicError) return err;
  return new MagicError(`${prefix}: ${errorMessage(err).split("\n")[0]}`);
}

/** `%kafka topics --follow`: the topics table refreshed every second for `durationMs`. */
const topicFollowers = new Set<() => void>();

function followTopics(durationMs: number): void {
  let handle: DisplayHandle | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  topicFollowers.add(stop);
  const unregister = onShutdown(stop, "%kafka topics --follow");
  const deadline = Date.now() + durationMs;
  void (async () => {
    while (!stopped) {
      let bundle;
      try {
        bundle = (await topicsTable(await currentClient(), `topics (refreshing every second until ${new Date(deadline).toISOString().slice(11, 19)} UTC)`)).toMimeBundle();
      } catch (err) {
        bundle = new Message(`%kafka topics: ${(err as Error).message}`).toMimeBundle();
      }
      if (!handle) handle = new DisplayHandle(bundle);
      else handle.update(bundle);
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    handle?.close();
    unregister();
    topicFollowers.delete(stop);
  })();
}

async function groupsTable(client: KafkaClient): Promise<Table> {
  const rows: unknown[][] = [];
  for (const g of await client.listGroups()) {
    if (g.startsWith("streamlab-tail-")) continue;
    const lag = await client.groupLag(g);
    const byTopic = new Map<string, typeof lag.partitions>();
    for (const p of lag.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    if (byTopic.size === 0) rows.push([g, lag.state, lag.members, "", "", ""]);
    for (const [topic, parts] of byTopic) {
      parts.sort((a, b) => a.partition - b.partition);
      rows.push([g, lag.state, lag.members, topic, parts.reduce((s, p) => s + p.lag, 0), parts.map((p) => `${p.partition}:${p.lag}`).join(" ")]);
    }
  }
  return new Table(["group", "state", "members", "topic", "lag", "lag per partition"], rows, { numericColumns: ["members", "lag"] });
}

async function kafkaConnect(ctx: MagicContext, hosts: string | undefined): Promise<Message> {
  if (!hosts) throw new MagicError("%kafka connect: give HOST:PORT[,HOST:PORT], e.g. %kafka connect broker1:9092 --ssl");
  const args = ctx.args;
  let bootstrap: string[];
  try {
    bootstrap = parseBootstrap(hosts);
  } catch (err) {
    throw failure(err, "%kafka connect");
  }
  const config: ClusterConfig = { bootstrap, connectionTimeout: 10_000 };
  const mechanism = args.string("sasl-mechanism") as "plain" | "scram-sha-256" | "scram-sha-512" | undefined;
  const user = args.string("username");
  const passwordEnv = args.string("password-env");
  const caFile = args.string("ca");
  if (mechanism || user || passwordEnv) {
    if (!mechanism || !user) {
      throw new MagicError("%kafka connect: SASL needs --sasl-mechanism plain|scram-sha-256|scram-sha-512, --username U and --password-env VAR (the password is read from that environment variable, or typed at a prompt, never into a cell)");
    }
    const username = user;
    let password: string;
    if (passwordEnv) {
      const variable = passwordEnv;
      const fromEnv = process.env[variable];
      if (fromEnv === undefined) throw new MagicError(`%kafka connect: environment variable ${variable} is not set: export it before starting Jupyter (the password is never stored in the notebook)`);
      password = fromEnv;
    } else if (ctx.prompt) {
      // Typed hidden at the frontend; it lives only in this kernel's memory, never in an output or the notebook.
      password = await ctx.prompt(`Password for ${username} at ${bootstrap.join(",")}: `, { secret: true });
      if (!password) throw new MagicError("%kafka connect: no password typed; nothing changed");
    } else {
      throw new MagicError("%kafka connect: nowhere to type a password here (no frontend, e.g. streamlab run): export it in an environment variable and add --password-env VAR");
    }
    config.sasl = { mechanism, username, password };
  }
  if (args.flag("ssl") || caFile) {
    let ca: string | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile, "utf8");
      } catch (err) {
        throw new MagicError(`%kafka connect: cannot read --ca ${caFile}: ${(err as Error).message}`);
      }
    }
    config.ssl = ca ? { ca } : true;
  }
  const client = connect(config);
  try {
    await client.listTopics();
  } catch (err) {
    await client.close().catch(() => undefined);
    // kafkajs messages never contain the password; still, name only what the user typed.
    throw failure(err, `%kafka connect: cannot reach ${bootstrap.join(",")}`);
  } finally {
    await client.close().catch(() => undefined);
  }
  const registry = registryOptions(args);
  if (registry) {
    await checkRegistry(registry);
    config.registry = registry;
  }
  setCurrentCluster(config);
  return new Message(`connected to ${describeCluster(config)}`);
}

/** The security options of %kafka start (those of `streamlab broker`), or undefined when none is given. */
function startSecurity(o: Record<string, unknown>): BrokerSecurity | undefined {
  const s: BrokerSecurity = {
    listener: o.listener as string | undefined,
    usersFile: o.users as string | undefined,
    tlsCert: o["tls-cert"] as string | undefined,
    tlsKey: o["tls-key"] as string | undefined,
    superUsers: o["super-users"] as string | undefined,
    username: o.username as string | undefined,
    caFile: o.ca as string | undefined,
  };
  return Object.values(s).some((v) => v !== undefined) ? s : undefined;
}

async function runKafka(ctx: MagicContext): Promise<unknown> {
  const [sub, arg] = ctx.args.positional;
  const o = ctx.args.options;
  switch (sub) {
    case undefined: {
      let config = peekCurrentCluster();
      if (!config) {
        const running = await findRunningBroker();
        if (running) {
          config = embeddedConfig(running);
          setCurrentCluster(config);
        }
      }
      if (!config) return new Message("no cluster yet: %kafka start starts the embedded broker (any magic that needs one starts it too), %kafka connect HOST:PORT uses yours");
      try {
        return await topicsTable(await currentClient(), describeCluster(config));
      } catch (err) {
        throw failure(err, `%kafka: ${config.bootstrap.join(",")} does not answer`);
      }
    }
    case "start": {
      try {
        const security = startSecurity(o);
        // A port in --listener PROTOCOL://HOST:PORT counts as --port.
        const listenerPort = /:(\d+)$/.exec(security?.listener ?? "")?.[1];
        const port = (o.port as number | undefined) ?? (listenerPort !== undefined ? Number(listenerPort) : undefined);
        const { state, reused, portTaken } = await startEmbeddedBroker({ port, dataDir: o["data-dir"] as string | undefined, security });
        const config = embeddedConfig(state);
        let registryNote = "";
        if (state.security) {
          // The embedded registry talks to the broker without SASL or TLS; it is not started beside a secured one.
          registryNote = ` over ${state.security.protocol}${config.sasl ? ` as ${config.sasl.username}` : ""} (no schema registry beside a secured broker)`;
        } else if (!ctx.args.flag("no-registry")) {
          // Beside the broker, with its state in the broker's _schemas topic (Confluent's kafkastore).
          const registry = await startEmbeddedRegistry(state.bootstrap, { port: o["registry-port"] as number | undefined });
          config.registry = { url: registry.state.url };
          registryNote = `, schema registry at ${registry.state.url}`;
        }
        setCurrentCluster(config);
        return new Message(
          reused
            ? `the embedded broker is already running at ${state.bootstrap} (pid ${state.pid})${registryNote}; using it`
            : `started the embedded Kafka broker at ${state.bootstrap}${registryNote} (${takenNote(portTaken)}pid ${state.pid}, data in ${state.dataDir})`,
        );
      } catch (err) {
        throw failure(err, "%kafka start");
      }
    }
    case "stop": {
      // Live views of this cluster end with it (else their next refresh would start a new broker).
      for (const stop of topicFollowers) stop();
      await stopTails();
      // The embedded registry beside the broker stops with it.
      const stopped = await stopEmbeddedBroker();
      if (peekCurrentCluster()?.embedded) {
        setCurrentCluster(undefined);
        await dropCurrentClient();
      }
      return new Message(stopped ? `stopped the embedded broker at ${stopped.bootstrap} (pid ${stopped.pid}); its topics stay in ${stopped.dataDir}` : "no embedded broker is running");
    }
    case "connect":
      return kafkaConnect(ctx, arg);
    case "topics":
      if (o.follow) {
        followTopics((o.duration as number | undefined) ?? 60_000);
        return undefined;
      }
      try {
        return await topicsTable(await currentClient());
      } catch (err) {
        throw failure(err, "%kafka topics");
      }
    case "create": {
      if (!arg) throw new MagicError("%kafka create: name the topic, e.g. %kafka create orders --partitions 3");
      const partitions = (o.partitions as number | undefined) ?? 1;
      if (!Number.isInteger(partitions) || partitions < 1) throw new MagicError(`%kafka create: --partitions must be a whole number of at least 1, got ${partitions}`);
      try {
        const created = await (await currentClient()).createTopic(arg, partitions);
        return new Message(created ? `created topic ${arg} with ${partitions} partition${partitions === 1 ? "" : "s"}` : `topic ${arg} already exists (%kafka delete ${arg} first to recreate it)`);
      } catch (err) {
        throw failure(err, `%kafka create ${arg}`);
      }
    }
    case "delete": {
      if (!arg) throw new MagicError("%kafka delete: name the topic, e.g. %kafka delete orders");
      try {
        const client = await currentClient();
        if (!(await client.listTopics()).some((t) => t.name === arg)) throw new MagicError(`%kafka delete: there is no topic '${arg}'; %kafka topics lists them`);
        await client.deleteTopic(arg);
        return new Message(`deleted topic ${arg}`);
      } catch (err) {
        throw failure(err, `%kafka delete ${arg}`);
      }
    }
    case "groups":
      try {
        return await groupsTable(await currentClient());
      } catch (err) {
        throw failure(err, "%kafka groups");
      }
    default:
      throw new MagicError(`%kafka: unknown subcommand '${sub}'; use start, stop, connect, topics, create, delete or groups (see %kafka?)`);
  }
}

const kafkaMagic: MagicSpec = {
  name: "kafka",
  kind: "line",
  summary: "the notebook's Kafka cluster: embedded broker or your own; topics and consumer groups",
  usage: "%kafka [start [--port P] [--data-dir DIR] [--no-registry] [--listener SASL_SSL://127.0.0.1:9093 --users FILE --tls-cert PEM --tls-key PEM --super-users User:NAME,...] | stop | connect HOST:PORT[,...] [--sasl-mechanism M --username U --password-env VAR] [--ssl] [--ca FILE] [--registry URL [--registry-auth-env VAR]] | topics [--follow [--duration 60s]] | create T --partitions N | delete T | groups]",
  help: [
    "%kafka alone shows the current cluster, its bootstrap address and its topics.",
    "The embedded broker runs as a separate process that survives kernel restarts (state in $STREAMLAB_HOME, default ~/.streamlab).",
    "Passwords come from environment variables (--password-env) or, without it, a hidden prompt in the frontend; they are never shown or saved.",
    "%kafka start --listener SASL_SSL://HOST:PORT --users FILE --tls-cert PEM --tls-key PEM [--super-users User:admin] secures the embedded broker as `streamlab broker` does; the notebook connects as --username (default the first super user) with the password from FILE.",
  ].join("\n"),
  options: [
    { name: "port", type: "number", help: "start: TCP port (default 9092 if free, else any free port)" },
    { name: "data-dir", type: "string", help: "start: where the broker keeps topics (default ~/.streamlab/data)" },
    { name: "no-registry", type: "boolean", help: "start: do not start the schema registry beside the broker" },
    { name: "registry-port", type: "number", help: "start: the schema registry's port (default 8081 if free, else any free port)" },
    { name: "registry", type: "string", help: "connect: URL of the cluster's schema registry (Confluent's REST API)" },
    { name: "registry-auth-env", type: "string", help: "connect: environment variable holding the registry's basic auth as user:password" },
    { name: "sasl-mechanism", type: "string", help: "connect: SASL mechanism", choices: ["plain", "scram-sha-256", "scram-sha-512"] },
    { name: "listener", type: "string", help: "start: PROTOCOL or PROTOCOL://HOST:PORT, PROTOCOL one of PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL" },
    { name: "users", type: "string", help: "start: users file for a SASL listener, one name:password per line" },
    { name: "tls-cert", type: "string", help: "start: PEM certificate of an SSL or SASL_SSL listener" },
    { name: "tls-key", type: "string", help: "start: PEM private key of an SSL or SASL_SSL listener" },
    { name: "super-users", type: "string", help: "start: turns on ACLs; principals allowed everything, e.g. User:admin,User:ops" },
    { name: "username", type: "string", help: "connect: SASL user name; start: the user the notebook connects as (default the first super user)" },
    { name: "password-env", type: "string", help: "connect: environment variable holding the SASL password (without it, the frontend prompts, hidden)" },
    { name: "ssl", type: "boolean", help: "connect: use TLS" },
    { name: "ca", type: "string", help: "connect: PEM file of the certificate authority (implies --ssl); start: what the notebook trusts (default --tls-cert)" },
    { name: "partitions", alias: "p", type: "number", help: "create: number of partitions", default: 1 },
    { name: "follow", alias: "f", type: "boolean", help: "topics: keep the table updating every second" },
    { name: "duration", type: "duration", help: "topics --follow: for how long (default 60s)" },
  ],
  positional: { min: 0, max: 2, names: ["SUBCOMMAND", "ARG"] },
  run: runKafka,
};

const produceMagic: MagicSpec = {
  name: "produce",
  kind: "cell",
  summary: "send the cell's values to a topic (JSON lines, a JSON array, or a TypeScript expression)",
  usage: "%%produce TOPIC [--key FIELD] [--partition N]",
  help: "Each value is sent as one message; key and value are serialized as JSON, as a Kafka producer with JSON serializers does.\nPrints the count, and per partition the offsets written.",
  options: [
    { name: "key", alias: "k", type: "string", help: "field of each value to use as the message key" },
    { name: "partition", alias: "p", type: "number", help: "send every message to this partition" },
  ],
  positional: { min: 1, max: 1, names: ["TOPIC"] },
  async run(ctx) {
    const topic = ctx.args.positional[0];
    const partition = ctx.args.options.partition as number | undefined;
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) throw new MagicError(`%%produce: --partition must be a partition number (0, 1, ...), got ${partition}`);
    let values: unknown[];
    try {
      values = await parseProduceBody(ctx.body ?? "", (code) => ctx.evaluate(code));
    } catch (err) {
      throw failure(err, "%%produce");
    }
    if (values.length === 0) return new Message(`nothing to send to ${topic}: the body yielded no values`);
    try {
      const client = await currentClient();
      let created = "";
      let partitions = (await client.listTopics()).find((t) => t.name === topic)?.partitions;
      if (partitions === undefined) {
        await client.createTopic(topic, 1);
        partitions = 1;
        created = ` (created ${topic} with 1 partition)`;
      }
      const records = toProduceRecords(values, { keyField: ctx.args.options.key as string | undefined, partition, partitions });
      const results = await client.produce(topic, records);
      const base = new Map(results.map((r) => [r.partition, Number(r.baseOffset)]));
      const counts = new Map<number, number>();
      for (const r of records) counts.set(r.partition!, (counts.get(r.partition!) ?? 0) + 1);
      const rows = [...counts].sort((a, b) => a[0] - b[0]).map(([p, n]) => [p, n, base.get(p) ?? "?", base.has(p) ? base.get(p)! + n - 1 : "?"]);
      return new Table(["partition", "messages", "first offset", "last offset"], rows, {
        title: `sent ${values.length} message${values.length === 1 ? "" : "s"} to ${topic}${created}`,
        numericColumns: ["partition", "messages", "first offset", "last offset"],
      });
    } catch (err) {
      if (err instanceof ProduceBodyError) throw failure(err, "%%produce");
      throw failure(err, `%%produce ${topic}`);
    }
  },
};

const tailMagic: MagicSpec = {
  name: "tail",
  kind: "line",
  summary: "show the newest messages of a topic, once or live (--follow)",
  usage: "%tail TOPIC [--from beginning|latest|OFFSET|TIMESTAMP] [--group G] [--limit N] [--follow [--duration 60s]] | %tail stop [TOPIC]",
  help: "Without --from: the last N messages. With --from: the first N from there (or, with --follow, everything from there, newest N shown).\nWith --group G: reads as a member of consumer group G from its committed offsets, and commits.",
  options: [
    { name: "from", type: "string", help: "where to start: beginning, latest, an offset, or a timestamp (ISO or epoch ms)" },
    { name: "group", alias: "g", type: "string", help: "consume as this consumer group (commits offsets)" },
    { name: "limit", alias: "n", type: "number", help: "rows shown (newest)", default: 20 },
    { name: "follow", alias: "f", type: "boolean", help: "keep the table updating as messages arrive" },
    { name: "duration", type: "duration", help: "with --follow: stop after this long" },
  ],
  positional: { min: 1, max: 2, names: ["TOPIC"] },
  async run(ctx) {
    const [topic, second] = ctx.args.positional;
    const o = ctx.args.options;
    if (topic === "stop" && (second !== undefined || listTails().length > 0)) {
      const stopped = await stopTails(second);
      return new Message(stopped.length ? `stopped following ${stopped.map((t) => t.topic).join(", ")}` : "no %tail --follow is running");
    }
    if (second !== undefined) throw new MagicError(`%tail: unexpected argument '${second}'; usage: %tail TOPIC [--from ...] [--limit N] [--follow]`);
    let tail: Tail;
    try {
      const fromText = ctx.args.string("from");
      const from = fromText !== undefined ? parseTailFrom(fromText) : undefined;
      const client = await currentClient();
      tail = new Tail(client, topic, { from, group: o.group as string | undefined, limit: o.limit as number, follow: !!o.follow, duration: o.duration as number | undefined, registry: await peekRegistry() });
    } catch (err) {
      throw failure(err, "%tail");
    }
    if (o.follow) {
      tail.display();
      return undefined;
    }
    await tail.done;
    if (tail.status === "failed") throw new MagicError(`%tail ${topic}: ${tail.error}`);
    return tail;
  },
};

let registered = false;

/** Register %kafka, %%produce and %tail with lib/core's registry (once; later calls do nothing). */
export function registerClientMagics(): void {
  if (registered) return;
  registered = true;
  for (const spec of [kafkaMagic, produceMagic, tailMagic]) registerMagic(spec);
}
