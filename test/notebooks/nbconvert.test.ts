/**
 * Every example notebook runs under Jupyter itself: `jupyter nbconvert --to notebook --execute` with the
 * streamlab kernelspec installed by `streamlab install --prefix`, failing on any error output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { checkContent } from "./checks";
import {
  errorOutputs, exampleNotebooks, freshHome, installKernelspec, notebooksDir, outputRoot, readNotebook, runProcess, startSeparateBroker, stopBrokerIn,
  unexecutedCells, type JupyterEnv,
} from "./support";

const outDir = path.join(outputRoot, "nbconvert");
const homes: string[] = [];

describe.runIf(tool("nbconvert") && tool("jupyter"))("example notebooks under jupyter nbconvert --execute", () => {
  let jupyter: JupyterEnv;

  beforeAll(() => {
    jupyter = installKernelspec();
  });

  afterAll(async () => {
    for (const home of homes) {
      await stopBrokerIn(home);
      fs.rmSync(home, { recursive: true, force: true });
    }
    if (jupyter) fs.rmSync(jupyter.dir, { recursive: true, force: true });
  });

  for (const name of exampleNotebooks()) {
    it(`executes ${name}`, async () => {
      fs.mkdirSync(outDir, { recursive: true });
      const out = path.join(outDir, name);
      fs.rmSync(out, { force: true });
      const home = freshHome(name.replace(/\.ipynb$/, ""));
      homes.push(home);
      // The kernel Jupyter starts inherits this environment: its own STREAMLAB_HOME, so its own broker.
      const env: NodeJS.ProcessEnv = { ...jupyter.env, STREAMLAB_HOME: home };
      delete env.STREAMLAB_BOOTSTRAP;
      // Any free port, never the default 9092: parallel runs (and other tests) would race for it.
      env.STREAMLAB_BROKER_PORT = "0";
      env.STREAMLAB_REGISTRY_PORT = "0";
      const external = name === "07-real-kafka.ipynb" ? await startSeparateBroker() : undefined;
      if (external) env.KAFKA_BOOTSTRAP_SERVERS = external.bootstrap;
      try {
        const result = await runProcess(
          "/usr/bin/jupyter",
          ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=streamlab", "--ExecutePreprocessor.timeout=120",
            "--output-dir", outDir, path.join(notebooksDir, name)],
          { env, timeout: 300_000 },
        );
        const failure = result.stderr.lastIndexOf("An error occurred while executing");
        expect(result.code, failure >= 0 ? result.stderr.slice(failure, failure + 3000) : result.stderr.slice(-3000)).toBe(0);
        const nb = readNotebook(out);
        expect(errorOutputs(nb)).toEqual([]);
        expect(unexecutedCells(nb)).toEqual([]);
        checkContent(name, nb, { externalBootstrap: external?.bootstrap });
      } finally {
        await external?.stop();
        await stopBrokerIn(home);
      }
    }, 320_000);
  }
});
