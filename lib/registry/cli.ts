/**
 * `streamlab registry [--host H] [--port 8081] [--bootstrap HOST:PORT] [--topic _schemas] [--basic-auth-env VAR]`:
 * the embedded Schema Registry as a process of its own (basic auth user:password from VAR when given); runs
 * until SIGTERM/SIGINT.
 */
import { startRegistry } from "./index";

const USAGE = "usage: streamlab registry [--host 127.0.0.1] [--port 8081] [--bootstrap HOST:PORT[,HOST:PORT]] [--topic _schemas] [--basic-auth-env VAR]";

export async function main(args: string[]): Promise<number> {
  const opts: { host?: string; port?: number; bootstrap?: string[]; topic?: string; basicAuth?: string } = { port: 8081 };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${name} needs a value; ${USAGE}`);
      return v;
    };
    if (name === "--host") opts.host = value();
    else if (name === "--port") {
      const v = value();
      opts.port = Number(v);
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`--port must be a port number, not '${v}'`);
    } else if (name === "--bootstrap") opts.bootstrap = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (name === "--topic") opts.topic = value();
    else if (name === "--basic-auth-env") {
      const variable = value();
      const auth = process.env[variable];
      if (!auth?.includes(":")) throw new Error(`--basic-auth-env ${variable}: set that environment variable to user:password (it is ${auth === undefined ? "not set" : "missing the ':'"})`);
      opts.basicAuth = auth;
    }
    else if (name === "--help" || name === "-h") {
      console.log(USAGE);
      return 0;
    } else throw new Error(`unknown option ${name}; ${USAGE}`);
  }
  const registry = await startRegistry(opts);
  console.log(`schema registry listening on ${registry.url} (state in ${registry.store.description}${opts.basicAuth ? "; basic auth required" : ""})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await registry.stop();
  return 0;
}
