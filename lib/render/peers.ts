/**
 * lib/render's links to the streaming engine (lib/stream) and the data generators (lib/datagen).
 *
 * lib/stream is a plain dependency (the sink registry and spark.streams). lib/datagen is loaded on demand
 * and may be absent or broken: %streams and %stop then show and stop queries only.
 */
import { registerSinkFormat, spark } from "../stream";
import type { GeneratorLike, StreamingQueryLike } from "./contract";
import { registerRenderSinks } from "./sinks";

interface DatagenModule {
  listGenerators?: () => GeneratorLike[];
}

let sinksRegistered = false;

/** Register the display and chart sinks with lib/stream (once). */
export function ensureSinksRegistered(): boolean {
  if (!sinksRegistered) {
    registerRenderSinks(registerSinkFormat);
    sinksRegistered = true;
  }
  return true;
}

/** Every active query of this process (spark.streams.active). */
export function activeQueries(): StreamingQueryLike[] {
  try {
    const active = spark.streams.active as unknown;
    return Array.isArray(active) ? (active as StreamingQueryLike[]) : [];
  } catch {
    return [];
  }
}

let datagen: DatagenModule | undefined;
let datagenLoading: Promise<DatagenModule | undefined> | undefined;
let datagenWarned = false;

/** Load lib/datagen once (dynamic import, so a missing or broken module costs one warning, not a crash). */
export function loadDatagen(): Promise<DatagenModule | undefined> {
  datagenLoading ??= import("../datagen").then(
    (m) => (datagen = m as DatagenModule),
    (err: Error) => {
      if (!datagenWarned) {
        datagenWarned = true;
        process.emitWarning(`streamlab: lib/datagen could not be loaded, so generators are not shown: ${String(err?.message ?? err).split("\n")[0]}`);
      }
      return undefined;
    },
  );
  return datagenLoading;
}

/** Every data generator lib/datagen knows (running or finished); none until loadDatagen() has resolved. */
export function generators(): GeneratorLike[] {
  if (typeof datagen?.listGenerators !== "function") return [];
  try {
    const list = datagen.listGenerators();
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}
