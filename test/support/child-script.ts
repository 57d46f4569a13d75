/**
 * A TypeScript test child (a query or a broker that a test kills with -9 and starts again) bundled with esbuild
 * into one CommonJS file under `outDir`, run with `node`. Packages stay external and load from the project's
 * node_modules, so the child runs the same lib/ code as the test, from source.
 */
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

export async function bundleChild(entry: string, outDir: string, name = "child.js"): Promise<string> {
  const outfile = join(outDir, name);
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile,
    external: ["kafkajs", "danfojs-node", "@faker-js/faker", "vega", "vega-lite", "tslab"],
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "silent",
  });
  return outfile;
}
