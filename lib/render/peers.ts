/**
 * lib/render's links to the streaming engine (lib/stream) and the data generators (lib/datagen), loaded on
 * demand: rendering works (and its tests run) without them, and a module that is missing or still broken
 * costs one warning, not a crash.
 */
import type { GeneratorLike, SinkContext, Sink, StreamingQueryLike } from "./contract";
import { registerRenderSinks } from "./sinks";

interface StreamModule {
  registerSinkFormat?: (format: string, factory: (ctx: SinkContext) => Sink) => void;
  spark?: { streams?: { active?: StreamingQueryLike[] | (() => StreamingQueryLike[]) } };
}

interface DatagenModule {
  listGenerators?: () => GeneratorLike[];
}

const warned = new Set<string>();

function load<T>(modulePath: string, label: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(modulePath) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e.code === "MODULE_NOT_FOUND" && String(e.message).includes(modulePath.replace(/^\.\.\//, ""));
    if (!missing && !warned.has(label)) {
      warned.add(label);
      process.emitWarning(`streamlab: ${label} could not be loaded: ${e.message.split("\n")[0]}`);
    }
    return undefined;
  }
}

export function streamModule(): StreamModule | undefined {
  return load<StreamModule>("../stream", "lib/stream");
}

export function datagenModule(): DatagenModule | undefined {
  return load<DatagenModule>("../datagen", "lib/datagen");
}

let sinksRegistered = false;

/** Register the display and chart sinks with lib/stream once it is there; true when they are registered. */
export function ensureSinksRegistered(): boolean {
  if (sinksRegistered) return true;
  const stream = streamModule();
  if (typeof stream?.registerSinkFormat !== "function") return false;
  registerRenderSinks(stream.registerSinkFormat);
  sinksRegistered = true;
  return true;
}

/** Every active query lib/stream knows (spark.streams.active). */
export function activeQueries(): StreamingQueryLike[] {
  const streams = streamModule()?.spark?.streams;
  if (!streams) return [];
  try {
    const active = typeof streams.active === "function" ? streams.active() : streams.active;
    return Array.isArray(active) ? active : [];
  } catch {
    return [];
  }
}

/** Every data generator lib/datagen knows (running or finished), or none when it is absent. */
export function generators(): GeneratorLike[] {
  const datagen = datagenModule();
  if (typeof datagen?.listGenerators !== "function") return [];
  try {
    const list = datagen.listGenerators();
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}
