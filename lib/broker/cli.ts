/**
 * `streamlab broker [--host 127.0.0.1] [--port 9092] [--data-dir DIR] [--partitions N]`: runs the embedded
 * broker in the foreground, prints `listening on HOST:PORT` once it accepts connections, and stops cleanly on
 * SIGTERM or SIGINT.
 */
import { startBroker, type BrokerOptions } from "./index";

const USAGE = "usage: streamlab broker [--host 127.0.0.1] [--port 9092] [--data-dir DIR] [--partitions N] [--no-auto-create] [--max-request-bytes N]";

export function parseBrokerArgs(argv: string[]): BrokerOptions {
  const opts: BrokerOptions = { host: "127.0.0.1", port: 9092 };
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
      case "-h":
      case "--help":
        throw new HelpRequested();
      default:
        throw new Error(`unknown option '${arg}'. ${USAGE}`);
    }
  }
  return opts;
}

class HelpRequested extends Error {}

export async function main(argv: string[]): Promise<number> {
  let opts: BrokerOptions;
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
  let broker;
  try {
    broker = await startBroker({ ...opts, log: (line) => process.stderr.write(`streamlab broker: ${line}\n`) });
  } catch (err) {
    process.stderr.write(`streamlab broker: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`listening on ${broker.host}:${broker.port}\n`);
  const running = broker;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve(sig);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  // A second signal while stopping exits at once; otherwise stop (listeners closed, waiting fetches answered,
  // files closed) and exit within STOP_GRACE_MS even if something still holds the event loop.
  const again = () => process.exit(130);
  process.once("SIGINT", again);
  process.once("SIGTERM", again);
  process.stderr.write(`streamlab broker: ${signal}: stopping\n`);
  await Promise.race([running.stop(), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

/** Longest a stop may take before the process exits anyway. */
const STOP_GRACE_MS = 3000;

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
