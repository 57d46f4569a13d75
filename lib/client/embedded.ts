/**
 * The embedded broker as a child process that outlives the kernel.
 *
 * Topics must survive a kernel restart, so the broker does not live in the kernel's process: it is spawned
 * detached, its output goes to a log file (not a pipe that would break when the kernel exits), and its pid,
 * address and data directory are written to a state file. The next kernel finds the state file, checks that
 * the process is alive and the port answers, and reuses it.
 *
 * State lives in $STREAMLAB_HOME (default ~/.streamlab): broker.json, broker.log, data/.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { getDisplayBridge } from "../core";
import type { ClusterConfig } from "./types";

export interface EmbeddedBrokerState {
  pid: number;
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  logFile: string;
  startedAt: string;
  /** Set when the broker was started with a secured listener (%kafka start --listener ...): how this kernel connects. */
  security?: BrokerSecurityState;
}

/**
 * The security options of `streamlab broker`, as `%kafka start` takes them: `listener` is PROTOCOL or
 * PROTOCOL://HOST:PORT (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL); `usersFile` holds one name:password per line;
 * `superUsers` (User:NAME,...) turns on ACLs. `username` is whom the notebook connects as (default: the first
 * super user, else the first user in the file); `caFile` the PEM the notebook trusts (default the certificate).
 */
export interface BrokerSecurity {
  listener?: string;
  usersFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  superUsers?: string;
  username?: string;
  caFile?: string;
}

/** What the state file keeps to reconnect: file paths and a user name, never a password. */
export interface BrokerSecurityState {
  protocol: string;
  username?: string;
  usersFile?: string;
  caFile?: string;
}

export interface StartOptions {
  /**
   * TCP port; default $STREAMLAB_BROKER_PORT, else 9092 when free, else any free port. When no port is given
   * here and the default turns out taken when the broker binds, it binds any free port and the result names
   * the taken one in `portTaken`.
   */
  port?: number;
  /** Where the broker keeps topics; default $STREAMLAB_HOME/data. */
  dataDir?: string;
  /** Where the state file and log go; default $STREAMLAB_HOME or ~/.streamlab. */
  stateDir?: string;
  /** Milliseconds to wait for `listening on`; default 30 s. */
  timeout?: number;
  /** A secured listener, users, TLS and ACLs (the options of `streamlab broker`). */
  security?: BrokerSecurity;
}

const PROTOCOLS = ["PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"];

/** A users file as the broker reads it: one name:password per line; blank lines and # comments skipped. */
function readUsers(file: string): [string, string][] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read the users file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && l.includes(":"))
    .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]);
}

/**
 * The broker arguments and the state to record for `security`, checked before anything starts so that a
 * mistake is one line naming the option (the broker checks the same again).
 */
function securityArgs(security: BrokerSecurity, port: number): { args: string[]; state: BrokerSecurityState; host?: string } {
  const m = /^([A-Z_]+)(?::\/\/(\[[^\]]+\]|[^:]*):(\d+))?$/.exec(security.listener ?? "PLAINTEXT");
  if (!m || !PROTOCOLS.includes(m[1])) throw new Error(`--listener must be PROTOCOL or PROTOCOL://HOST:PORT with PROTOCOL one of ${PROTOCOLS.join(", ")}, got '${security.listener}'`);
  const protocol = m[1];
  const host = m[2] ? m[2].replace(/^\[|\]$/g, "") : "127.0.0.1";
  const sasl = protocol.startsWith("SASL_");
  const ssl = protocol.endsWith("SSL");
  if (sasl && !security.usersFile) throw new Error(`a ${protocol} listener needs --users FILE (one name:password per line)`);
  if (!sasl && security.usersFile) throw new Error("--users needs a SASL listener: --listener SASL_PLAINTEXT or SASL_SSL");
  if (security.superUsers && !sasl) throw new Error("--super-users (ACLs) needs a SASL listener so that clients have names: --listener SASL_PLAINTEXT --users FILE");
  if (ssl && (!security.tlsCert || !security.tlsKey)) throw new Error(`a ${protocol} listener needs --tls-cert and --tls-key (PEM files)`);
  if (!ssl && (security.tlsCert || security.tlsKey)) throw new Error("--tls-cert/--tls-key need an SSL or SASL_SSL listener");
  const args = ["--listener", `${protocol}://${host.includes(":") ? `[${host}]` : host}:${port}`];
  const state: BrokerSecurityState = { protocol };
  if (sasl) {
    const usersFile = path.resolve(security.usersFile!);
    const users = readUsers(usersFile);
    if (users.length === 0) throw new Error(`${usersFile} has no users: write one name:password per line`);
    const firstSuper = security.superUsers?.split(",").map((u) => u.trim().replace(/^User:/, "")).find((u) => users.some(([n]) => n === u));
    const username = security.username ?? firstSuper ?? users[0][0];
    if (!users.some(([n]) => n === username)) throw new Error(`--username ${username} is not in ${usersFile}`);
    args.push("--users", usersFile);
    if (security.superUsers) args.push("--super-users", security.superUsers);
    Object.assign(state, { username, usersFile });
  }
  if (ssl) {
    args.push("--tls-cert", path.resolve(security.tlsCert!), "--tls-key", path.resolve(security.tlsKey!));
    state.caFile = path.resolve(security.caFile ?? security.tlsCert!);
  }
  return { args, state, host };
}


export function streamlabHome(): string {
  return process.env.STREAMLAB_HOME || path.join(os.homedir(), ".streamlab");
}

function stateFile(stateDir: string): string {
  return path.join(stateDir, "broker.json");
}

export function readBrokerState(stateDir = streamlabHome()): EmbeddedBrokerState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stateFile(stateDir), "utf8")) as Partial<EmbeddedBrokerState> | null;
    return typeof s?.pid === "number" && typeof s.port === "number" ? (s as EmbeddedBrokerState) : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The recorded broker, if its process is alive and its port answers; a stale state file is removed. */
export async function findRunningBroker(stateDir = streamlabHome()): Promise<EmbeddedBrokerState | undefined> {
  const state = readBrokerState(stateDir);
  if (!state) return undefined;
  if (processAlive(state.pid) && (await portAnswers(state.host, state.port))) return state;
  fs.rmSync(stateFile(stateDir), { force: true });
  return undefined;
}

/** The package root (holds package.json named streamlab), from this file in lib/client or dist/lib/client. */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown }).name === "streamlab") return dir;
    } catch {
      // keep looking upward
    }
    dir = path.dirname(dir);
  }
  throw new Error("cannot find the streamlab package folder to start the embedded broker from");
}

/** The compiled broker CLI module (lib/broker/cli.ts's `main(argv)`). */
export function brokerEntry(): string {
  const sibling = path.resolve(__dirname, "../broker/cli.js");
  if (fs.existsSync(sibling)) return sibling;
  const built = path.join(packageRoot(), "dist", "lib", "broker", "cli.js");
  if (fs.existsSync(built)) return built;
  throw new Error(`the embedded broker is not built (${built} is missing): run npm run build`);
}

let startedHere: { state: EmbeddedBrokerState; stateDir: string } | undefined;

/**
 * The broker this process started, if any. A kernel leaves it running on purpose (topics survive restarts);
 * a one-shot host such as a headless run in CI may stop it when done, with stopEmbeddedBroker.
 */
export function brokerStartedByThisProcess(): { state: EmbeddedBrokerState; stateDir: string } | undefined {
  return startedHere && processAlive(startedHere.state.pid) ? startedHere : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Start the embedded broker detached, or return the running one. Resolves once it prints
 * `listening on HOST:PORT` and the port answers.
 */
export async function startEmbeddedBroker(options: StartOptions = {}): Promise<{ state: EmbeddedBrokerState; reused: boolean; portTaken?: number }> {
  const stateDir = options.stateDir ?? streamlabHome();
  // Options that cannot work are refused before anything else, also when a running broker would be reused.
  if (options.security) securityArgs(options.security, 0);
  const running = await findRunningBroker(stateDir);
  if (running) return { state: running, reused: true };
  fs.mkdirSync(stateDir, { recursive: true });
  // Two kernels (or a kernel and `streamlab run`) starting at once must end up sharing one broker: whoever
  // holds the lock starts it, the other waits and then reuses it.
  const release = await acquireLock(path.join(stateDir, "broker.lock"), (options.timeout ?? 30_000) + 5000);
  try {
    const started = await findRunningBroker(stateDir);
    if (started) return { state: started, reused: true };
    return await spawnBroker(stateDir, options);
  } finally {
    release();
  }
}

async function acquireLock(file: string, staleMs: number): Promise<() => void> {
  const deadline = Date.now() + staleMs + 5000;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    // A lock left by a dead process, or older than any start can take, is stale.
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(file, "utf8"));
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      continue;
    }
    if ((Number.isInteger(holder) && holder > 0 && !processAlive(holder)) || age > staleMs) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another process holds ${file} (pid ${holder}); delete it if no broker is starting`);
    await sleep(100);
  }
}

/** The broker could not bind its port: another process has it. */
class PortTakenError extends Error {}

async function spawnBroker(stateDir: string, options: StartOptions): Promise<{ state: EmbeddedBrokerState; reused: boolean; portTaken?: number }> {
  const dataDir = path.resolve(options.dataDir ?? path.join(stateDir, "data"));
  fs.mkdirSync(dataDir, { recursive: true });
  if (options.port !== undefined) return spawnBrokerOn(options.port, stateDir, dataDir, options);
  const fromEnv = process.env.STREAMLAB_BROKER_PORT;
  let port = fromEnv ? Number(fromEnv) : (await portFree(9092)) ? 9092 : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`STREAMLAB_BROKER_PORT must be a TCP port number (0-65535), got ${fromEnv}`);
  try {
    return await spawnBrokerOn(port, stateDir, dataDir, options);
  } catch (err) {
    // Nobody asked for this port: it is only the default, and another process may have taken it since it was
    // found free (or it was never free). Any free port will do; the caller says which one it got.
    if (!(err instanceof PortTakenError) || port === 0) throw err;
    const taken = port;
    port = 0;
    return { ...(await spawnBrokerOn(port, stateDir, dataDir, options)), portTaken: taken };
  }
}

async function spawnBrokerOn(port: number, stateDir: string, dataDir: string, options: StartOptions): Promise<{ state: EmbeddedBrokerState; reused: boolean }> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port number (0-65535), got ${port}`);
  const logFile = path.join(stateDir, "broker.log");
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const out = fs.openSync(logFile, "a");
  const entry = brokerEntry();
  // A tiny launcher: works whether or not the broker module also runs itself when it is the main module.
  const launcher =
    `const m = require(${JSON.stringify(entry)});` +
    `Promise.resolve(m.main(process.argv.slice(1))).then((c) => { if (typeof c === "number" && c !== 0) process.exit(c); },` +
    ` (e) => { console.error("broker failed: " + (e && e.message ? e.message : e)); process.exit(1); });`;
  const secured = options.security ? securityArgs(options.security, port) : undefined;
  const args = ["--host", secured?.host ?? "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...(secured?.args ?? [])];
  const child = spawn(process.execPath, ["-e", launcher, "--", ...args], { detached: true, stdio: ["ignore", out, out], cwd: stateDir, env: { ...process.env } });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code ?? -1));
  child.unref();
  const deadline = Date.now() + (options.timeout ?? 30_000);
  const readNew = () => {
    try {
      const fd = fs.openSync(logFile, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - logStart));
        fs.readSync(fd, buf, 0, buf.length, logStart);
        return buf.toString("utf8");
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return "";
    }
  };
  for (;;) {
    const text = readNew();
    const m = /listening on ([^\s:]+|\[[^\]]+\]):(\d+)/.exec(text);
    if (m) {
      const host = m[1] === "0.0.0.0" || m[1] === "::" ? "127.0.0.1" : m[1].replace(/^\[|\]$/g, "");
      const state: EmbeddedBrokerState = {
        pid: child.pid!, host, port: Number(m[2]), bootstrap: `${host.includes(":") ? `[${host}]` : host}:${m[2]}`,
        dataDir, logFile, startedAt: new Date().toISOString(),
        ...(secured && secured.state.protocol !== "PLAINTEXT" ? { security: secured.state } : {}),
      };
      fs.writeFileSync(stateFile(stateDir), JSON.stringify(state, null, 2) + "\n");
      startedHere = { state, stateDir };
      return { state, reused: false };
    }
    if (exited !== undefined) {
      const tail = text.trim().split("\n").slice(-3).join(" | ");
      if (/already in use|EADDRINUSE/.test(tail)) throw new PortTakenError(`port ${port} on 127.0.0.1 is already in use: choose another with --port, or 0 for any free port`);
      throw new Error(`the embedded broker exited (code ${exited}) before listening${tail ? `: ${tail}` : ""}; log: ${logFile}`);
    }
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      throw new Error(`the embedded broker did not say 'listening on' within ${Math.round((options.timeout ?? 30_000) / 1000)} s; log: ${logFile}`);
    }
    await sleep(50);
  }
}

/** Stops the process a state file records (SIGTERM, then SIGKILL after `graceMs`) and removes the file. */
export async function stopRecordedProcess(file: string, graceMs = 10_000): Promise<{ pid: number } | undefined> {
  let state: { pid?: unknown } | null;
  try {
    state = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown } | null;
  } catch {
    return undefined;
  }
  fs.rmSync(file, { force: true });
  const pid = state?.pid;
  if (typeof pid !== "number" || !processAlive(pid)) return undefined;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return { pid };
  }
  const deadline = Date.now() + graceMs;
  while (processAlive(pid) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return { pid };
}

/**
 * Stop the recorded broker (SIGTERM, then SIGKILL after `graceMs`), and first the embedded schema registry
 * beside it (its state is in this broker). Returns the broker stopped, if any.
 */
export async function stopEmbeddedBroker(options: { stateDir?: string; graceMs?: number } = {}): Promise<EmbeddedBrokerState | undefined> {
  const stateDir = options.stateDir ?? streamlabHome();
  await stopRecordedProcess(path.join(stateDir, "registry.json"), options.graceMs);
  const state = readBrokerState(stateDir);
  if (!state) return undefined;
  fs.rmSync(stateFile(stateDir), { force: true });
  if (!processAlive(state.pid)) return undefined;
  try {
    process.kill(state.pid, "SIGTERM");
  } catch {
    return state;
  }
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  while (processAlive(state.pid) && Date.now() < deadline) await sleep(50);
  if (processAlive(state.pid)) {
    try {
      process.kill(state.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return state;
}

/**
 * The ClusterConfig of a running embedded broker. A secured one is reached as the user recorded at start (SCRAM-
 * SHA-256, the password read from the users file now, never stored) and over TLS trusting the recorded PEM.
 */
export function embeddedConfig(state: EmbeddedBrokerState): ClusterConfig {
  const config: ClusterConfig = { bootstrap: [state.bootstrap], embedded: { pid: state.pid, dataDir: state.dataDir } };
  const sec = state.security;
  if (sec?.username && sec.usersFile) {
    const password = readUsers(sec.usersFile).find(([n]) => n === sec.username)?.[1];
    if (password === undefined) throw new Error(`the embedded broker's user ${sec.username} is no longer in ${sec.usersFile}: %kafka stop, then %kafka start again`);
    config.sasl = { mechanism: "scram-sha-256", username: sec.username, password };
  }
  if (sec?.caFile) {
    let ca: string;
    try {
      ca = fs.readFileSync(sec.caFile, "utf8");
    } catch (err) {
      throw new Error(`cannot read ${sec.caFile}, the embedded broker's TLS certificate: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    config.ssl = { ca };
  }
  return config;
}

/** The default cluster provider (current.ts): reuse the recorded embedded broker if it is alive, else start one. */
export async function embeddedClusterProvider(): Promise<ClusterConfig> {
  const { state, reused, portTaken } = await startEmbeddedBroker();
  getDisplayBridge().print(
    reused
      ? `streamlab: using the embedded Kafka broker already running at ${state.bootstrap} (pid ${state.pid}); %kafka stop stops it`
      : `streamlab: started the embedded Kafka broker at ${state.bootstrap} (${takenNote(portTaken)}data in ${state.dataDir}); %kafka stop stops it`,
  );
  return embeddedConfig(state);
}

/** "port 9092 was taken, " when the broker had to fall back to another port, else nothing. */
export function takenNote(portTaken: number | undefined): string {
  return portTaken === undefined ? "" : `port ${portTaken} was taken, so it listens on any free port; `;
}
