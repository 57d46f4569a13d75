/**
 * `streamlab broker [--host 127.0.0.1] [--port 9092] [--listener SASL_SSL://HOST:PORT --users FILE --tls-cert PEM
 * --tls-key PEM] [--data-dir DIR] [--partitions N]`: runs the embedded
 * broker in the foreground, prints `listening on HOST:PORT` once it accepts connections, and stops cleanly on
 * SIGTERM or SIGINT.
 */
import * as fs from "node:fs";
import { startBroker, type BrokerOptions } from "./index";

const USAGE =
  "usage: streamlab broker [--host 127.0.0.1] [--port 9092] [--listener PROTOCOL://HOST:PORT] [--users FILE] [--tls-cert PEM --tls-key PEM] " +
  "[--super-users User:NAME,...] [--data-dir DIR] [--partitions N] [--no-auto-create] [--max-request-bytes N] [--max-message-bytes N] [--checkpoint-interval-ms N]";

const PROTOCOLS = ["PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"] as const;

/** A users file: one `name:password` per line; blank lines and lines starting with # are skipped. */
export function readUsersFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read the users file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const users: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`${file} line ${i + 1}: expected name:password`);
    users[line.slice(0, colon)] = line.slice(colon + 1);
  });
  if (Object.keys(users).length === 0) throw new Error(`${file} has no users: write one name:password per line`);
  return users;
}

export function parseBrokerArgs(argv: string[]): BrokerOptions & { listener: string } {
  const opts: BrokerOptions & { listener: string } = { host: "127.0.0.1", port: 9092, listener: "PLAINTEXT" };
  let tlsCert: string | undefined;
  let tlsKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value. ${USAGE}`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const raw = next();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${arg} must be an integer from ${min} to ${max}, got '${raw}'`);
      return n;
    };
    switch (arg) {
      case "--host":
        opts.host = next();
        break;
      case "--port":
        opts.port = int(0, 65535);
        break;
      case "--data-dir":
        opts.dataDir = next();
        break;
      case "--partitions":
        opts.defaultPartitions = int(1, 10000);
        break;
      case "--no-auto-create":
        opts.autoCreateTopics = false;
        break;
      case "--max-request-bytes":
        opts.maxRequestBytes = int(1024, 2 ** 31 - 1);
        break;
      case "--max-message-bytes":
        opts.maxMessageBytes = int(1024, 1 << 30);
        break;
      case "--checkpoint-interval-ms":
        opts.recoveryPointCheckpointIntervalMs = int(10, 2 ** 31 - 1);
        break;
      case "--listener": {
        const raw = next();
        const m = /^([A-Z_]+):\/\/(\[[^\]]+\]|[^:]*):(\d+)$/.exec(raw);
        if (!m || !(PROTOCOLS as readonly string[]).includes(m[1]) || Number(m[3]) > 65535)
          throw new Error(`--listener must be PROTOCOL://HOST:PORT with PROTOCOL one of ${PROTOCOLS.join(", ")}, got '${raw}'`);
        opts.listener = m[1];
        if (m[2]) opts.host = m[2].replace(/^\[|\]$/g, "");
        opts.port = Number(m[3]);
        break;
      }
      case "--users":
        opts.users = readUsersFile(next());
        break;
      case "--super-users": {
        // Turns on ACLs (Kafka's StandardAuthorizer semantics) with these principals allowed everything.
        const superUsers = next().split(",").map((u) => u.trim()).filter(Boolean);
        const bad = superUsers.find((u) => !/^User:.+$/.test(u));
        if (bad !== undefined || superUsers.length === 0) throw new Error(`--super-users takes principals as User:NAME separated by commas, got '${bad ?? ""}'`);
        opts.authorizer = { superUsers };
        break;
      }
      case "--tls-cert":
        tlsCert = next();
        break;
      case "--tls-key":
        tlsKey = next();
        break;
      case "-h":
      case "--help":
        throw new HelpRequested();
      default:
        throw new Error(`unknown option '${arg}'. ${USAGE}`);
    }
  }
  const sasl = opts.listener.startsWith("SASL_");
  const ssl = opts.listener.endsWith("SSL");
  if (sasl && !opts.users) throw new Error(`a ${opts.listener} listener needs --users FILE (one name:password per line)`);
  if (opts.authorizer && !sasl) throw new Error(`--super-users (ACLs) needs a SASL listener so that clients have names: --listener SASL_PLAINTEXT://HOST:PORT --users FILE`);
  if (!sasl && opts.users) throw new Error(`--users needs a SASL listener: --listener SASL_PLAINTEXT://HOST:PORT or SASL_SSL://HOST:PORT`);
  if (ssl !== (tlsCert !== undefined || tlsKey !== undefined)) throw new Error(ssl ? `a ${opts.listener} listener needs --tls-cert and --tls-key (PEM files)` : `--tls-cert/--tls-key need an SSL or SASL_SSL listener`);
  if (ssl) {
    if (!tlsCert || !tlsKey) throw new Error(`${opts.listener} needs both --tls-cert and --tls-key`);
    const read = (f: string, what: string) => {
      try {
        return fs.readFileSync(f);
      } catch (err) {
        throw new Error(`cannot read the TLS ${what} ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    opts.tls = { cert: read(tlsCert, "certificate"), key: read(tlsKey, "key") };
  }
  return opts;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

class HelpRequested extends Error {}

export async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parseBrokerArgs>;
  try {
    opts = parseBrokerArgs(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    process.stderr.write(`streamlab broker: ${(err as Error).message}\n`);
    return 2;
  }
  if (!opts.users && !isLoopback(opts.host ?? "127.0.0.1"))
    process.stderr.write(`streamlab broker: warning: listening on ${opts.host} without authentication: anyone who can reach it may read, write and delete topics (use --listener SASL_SSL://... --users FILE)\n`);
  let broker;
  try {
    const { listener: _listener, ...brokerOpts } = opts;
    broker = await startBroker({ ...brokerOpts, log: (line) => process.stderr.write(`streamlab broker: ${line}\n`) });
  } catch (err) {
    process.stderr.write(`streamlab broker: ${(err as Error).message}\n`);
    return 1;
  }
  const running = broker;
  // The handlers are in place before the address is printed: whoever reads it may signal at once (a signal
  // arriving between the two would otherwise end the process without the clean stop).
  // One handler for the process's life: removing and adding handlers leaves moments in which a signal takes
  // its default action. A second signal while stopping exits at once.
  let signals = 0;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130);
      resolve(sig);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  process.stdout.write(`listening on ${broker.host}:${broker.port}\n`);
  const signal = await signalled;
  // Stop (listeners closed, waiting fetches answered, files closed) and exit within STOP_GRACE_MS even if
  // something still holds the event loop.
  process.stderr.write(`streamlab broker: ${signal}: stopping\n`);
  await Promise.race([running.stop(), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

/** Longest a stop may take before the process exits anyway. */
const STOP_GRACE_MS = 3000;

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
