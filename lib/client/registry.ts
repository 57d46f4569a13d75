/**
 * The notebook's schema registry: the one `%kafka connect ... --registry URL` named, or the embedded one that
 * `%kafka start` runs beside the embedded broker. Like the broker, the embedded registry is a detached process
 * that outlives the kernel (its state is the broker's `_schemas` topic, so ids survive both restarting); its
 * pid and URL are in $STREAMLAB_HOME/registry.json.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { getDisplayBridge } from "../core";
import { currentCluster, peekCurrentCluster } from "./current";
import { portAnswers, processAlive, stopRecordedProcess, streamlabHome } from "./embedded";

export interface RegistryTarget {
  url: string;
  /** Basic auth "user:password" (from the variable --registry-auth-env names); never shown. */
  auth?: string;
}

export interface EmbeddedRegistryState {
  pid: number;
  url: string;
  bootstrap: string;
  logFile: string;
  startedAt: string;
}

const stateFile = (dir: string) => path.join(dir, "registry.json");

function readState(dir: string): EmbeddedRegistryState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as Partial<EmbeddedRegistryState> | null;
    return typeof s?.pid === "number" && typeof s.url === "string" ? (s as EmbeddedRegistryState) : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded embedded registry if its process is alive and its port answers (for `bootstrap`, if given). */
export async function findRunningRegistry(bootstrap?: string, dir = streamlabHome()): Promise<EmbeddedRegistryState | undefined> {
  const s = readState(dir);
  if (!s) return undefined;
  const u = new URL(s.url);
  if (processAlive(s.pid) && (await portAnswers(u.hostname, Number(u.port)))) return bootstrap === undefined || s.bootstrap === bootstrap ? s : undefined;
  fs.rmSync(stateFile(dir), { force: true });
  return undefined;
}

/** The compiled registry CLI module (lib/registry/cli.ts's `main(argv)`). */
function registryEntry(): string {
  const sibling = path.resolve(__dirname, "../registry/cli.js");
  if (fs.existsSync(sibling)) return sibling;
  const built = path.resolve(__dirname, "../../dist/lib/registry/cli.js");
  if (fs.existsSync(built)) return built;
  throw new Error(`the schema registry is not built (${built} is missing): run npm run build`);
}

/**
 * Starts the embedded registry for the broker at `bootstrap` (port: options.port, else $STREAMLAB_REGISTRY_PORT,
 * else 8081 when free, else any free port), or returns the running one. A registry recorded for another broker
 * is stopped first.
 */
export async function startEmbeddedRegistry(bootstrap: string, options: { port?: number; dir?: string; timeout?: number } = {}): Promise<{ state: EmbeddedRegistryState; reused: boolean }> {
  const dir = options.dir ?? streamlabHome();
  const running = await findRunningRegistry(undefined, dir);
  if (running && running.bootstrap === bootstrap) return { state: running, reused: true };
  if (running) await stopEmbeddedRegistry(dir);
  fs.mkdirSync(dir, { recursive: true });
  if (options.port !== undefined) return spawnRegistry(bootstrap, options.port, dir, options.timeout);
  const fromEnv = process.env.STREAMLAB_REGISTRY_PORT;
  const port = fromEnv ? Number(fromEnv) : (await portAnswers("127.0.0.1", 8081, 300)) ? 0 : 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`STREAMLAB_REGISTRY_PORT must be a TCP port number (0-65535), got ${fromEnv}`);
  try {
    return await spawnRegistry(bootstrap, port, dir, options.timeout);
  } catch (err) {
    // 8081 is only the default: another process may have taken it since it looked free. Any port will do.
    if (port === 0 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    return spawnRegistry(bootstrap, 0, dir, options.timeout);
  }
}

async function spawnRegistry(bootstrap: string, port: number, dir: string, timeout = 60_000): Promise<{ state: EmbeddedRegistryState; reused: boolean }> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`the registry port must be a TCP port number (0-65535), got ${port}`);
  const logFile = path.join(dir, "registry.log");
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const out = fs.openSync(logFile, "a");
  const launcher =
    `const m = require(${JSON.stringify(registryEntry())});` +
    `Promise.resolve(m.main(process.argv.slice(1))).then((c) => process.exit(typeof c === "number" ? c : 0),` +
    ` (e) => { console.error("schema registry failed: " + (e && e.message ? e.message : e)); process.exit(1); });`;
  const child = spawn(process.execPath, ["-e", launcher, "--", "--host", "127.0.0.1", "--port", String(port), "--bootstrap", bootstrap], { detached: true, stdio: ["ignore", out, out], cwd: dir, env: { ...process.env, NODE_OPTIONS: "" } });
  fs.closeSync(out);
  let exited: number | undefined;
  child.once("exit", (code) => (exited = code ?? -1));
  child.unref();
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = fs.readFileSync(logFile).subarray(logStart).toString("utf8");
    const m = /schema registry listening on (http:\/\/\S+)/.exec(text);
    if (m) {
      const state: EmbeddedRegistryState = { pid: child.pid!, url: m[1], bootstrap, logFile, startedAt: new Date().toISOString() };
      fs.writeFileSync(stateFile(dir), JSON.stringify(state, null, 2) + "\n");
      return { state, reused: false };
    }
    if (exited !== undefined) throw new Error(`the schema registry exited (code ${exited}) before listening: ${text.trim().split("\n").slice(-2).join(" | ")}; log: ${logFile}`);
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      throw new Error(`the schema registry did not start within ${Math.round(timeout / 1000)} s; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops the recorded embedded registry (SIGTERM, then SIGKILL). Returns what was stopped, if anything. */
export async function stopEmbeddedRegistry(dir = streamlabHome()): Promise<EmbeddedRegistryState | undefined> {
  const s = readState(dir);
  return (await stopRecordedProcess(stateFile(dir))) && s;
}

/** The registry the notebook already knows (connect's, $STREAMLAB_REGISTRY, or a running embedded one); starts nothing. */
export async function peekRegistry(): Promise<RegistryTarget | undefined> {
  const config = peekCurrentCluster();
  if (config?.registry) return config.registry;
  if (process.env.STREAMLAB_REGISTRY) return { url: process.env.STREAMLAB_REGISTRY };
  if (config && !config.embedded) return undefined;
  const running = await findRunningRegistry(config?.bootstrap[0]);
  return running ? { url: running.url } : undefined;
}

/**
 * The notebook's registry; on the embedded broker without one, starts the embedded registry and says so in
 * one line (as the first use of a cluster starts the embedded broker). Undefined for a cluster connected
 * without --registry.
 */
export async function currentRegistry(): Promise<RegistryTarget | undefined> {
  const known = await peekRegistry();
  if (known) return known;
  const config = await currentCluster();
  if (config.registry) return config.registry;
  if (!config.embedded) return undefined;
  const { state, reused } = await startEmbeddedRegistry(config.bootstrap[0]);
  if (!reused) getDisplayBridge().print(`streamlab: started the embedded schema registry at ${state.url} (state in _schemas on ${state.bootstrap}); %kafka stop stops it`);
  config.registry = { url: state.url };
  return config.registry;
}
