/** The TypeScript compiler tslab runs on (@tslab/typescript-for-tslab), loaded once, on first use. */
import * as path from "node:path";
import type * as TS from "typescript";

let loaded: typeof TS | undefined;

export function tslabTypeScriptPath(): string {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  return require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
}

export function typescript(): typeof TS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require(tslabTypeScriptPath()) as typeof TS;
  return loaded;
}
