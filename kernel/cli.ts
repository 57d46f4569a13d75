/**
 * The `streamlab` command line. bin/streamlab.js calls `main(argv)` and exits with the returned status.
 * Heavy parts (TypeScript compiler, zeromq, broker, generators) load only for the subcommand that needs them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { installKernelSpec, kernelsDir, packageRoot, type InstallTarget } from "./install";

const USAGE = `usage: streamlab <command> [options]

commands:
  install [--user | --sys-prefix | --prefix DIR]   install the Jupyter kernel "TypeScript (streamlab)"
  kernel CONNECTION_FILE                           run the kernel (Jupyter starts this for you)
  run NOTEBOOK.ipynb [--out OUT.ipynb] [--html OUT.html] [--timeout S]
                                                   execute a notebook headless, without Jupyter
  broker [options]                                 run the embedded Kafka-compatible broker
  datagen DATASET --topic T [options]              produce synthetic data to a topic
  registry [--port 8081] [--bootstrap HOST:PORT]   run the embedded Schema Registry (Confluent's REST API)

'streamlab <command> --help' shows a command's options.`;

const HELP: Record<string, string> = {
  install: `usage: streamlab install [--user | --sys-prefix | --prefix DIR]

Writes the Jupyter kernelspec "streamlab" (no Python needed). Then pick "TypeScript (streamlab)" in
JupyterLab, Notebook or VS Code, or run: jupyter console --kernel streamlab

  --user         the per-user Jupyter data dir (default), e.g. ~/.local/share/jupyter/kernels
  --sys-prefix   the active environment: $CONDA_PREFIX (or $VIRTUAL_ENV, else /usr/local)/share/jupyter/kernels
  --prefix DIR   DIR/share/jupyter/kernels (add DIR/share/jupyter to JUPYTER_PATH if it is not standard)`,
  kernel: `usage: streamlab kernel CONNECTION_FILE

Runs the kernel on the ZeroMQ ports named in CONNECTION_FILE. Jupyter starts this command itself from the
installed kernelspec; you do not normally run it by hand.`,
  run: `usage: streamlab run NOTEBOOK.ipynb [--out OUT.ipynb] [--html OUT.html] [--timeout S]

Executes every code cell in order, in this process (no Python, no Jupyter server), with the same magics and
live displays as the kernel. Exits 1 when a cell fails, naming the cell and the error.

  --out OUT.ipynb   write the executed notebook (outputs, execution counts)
  --html OUT.html   write a self-contained HTML report (tables, SVG charts; nothing loaded from the internet)
  --timeout S       stop a cell that runs longer than S seconds (default: no limit)
  --settle S        after the last cell, wait up to S seconds for pending display updates (default 2)
  --keep-broker     leave running an embedded broker this run started (by default it is stopped at the end)`,
};

function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

/** Load a subcommand module that another part of streamlab provides; a missing one is a clear error. */
function loadDelegate(what: string, modulePath: string): { main(argv: string[]): Promise<number> | number } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modulePath) as { main?: (argv: string[]) => Promise<number> | number };
    if (typeof mod.main !== "function") throw new Error(`${modulePath} has no main(argv)`);
    return mod as { main(argv: string[]): Promise<number> | number };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "MODULE_NOT_FOUND" && String(e.message).includes(path.basename(modulePath))) {
      throw new Error(`'streamlab ${what}' is not available in this build (${modulePath} is missing): run npm run build`);
    }
    throw err;
  }
}

function parseInstallTarget(args: string[]): InstallTarget {
  let target: InstallTarget | undefined;
  const set = (t: InstallTarget) => {
    if (target) throw new Error("install: give only one of --user, --sys-prefix, --prefix DIR");
    target = t;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--user") set({ kind: "user" });
    else if (a === "--sys-prefix") set({ kind: "sys-prefix" });
    else if (a === "--prefix") {
      const dir = args[++i];
      if (!dir) throw new Error("install: --prefix needs a folder, e.g. --prefix /opt/conda");
      set({ kind: "prefix", dir });
    } else if (a.startsWith("--prefix=")) set({ kind: "prefix", dir: a.slice("--prefix=".length) });
    else throw new Error(`install: unknown argument '${a}'; see streamlab install --help`);
  }
  return target ?? { kind: "user" };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-V") {
    console.log((JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version);
    return 0;
  }
  switch (command) {
    case "install": {
      if (wantsHelp(rest)) return printHelp("install");
      const target = parseInstallTarget(rest);
      const dir = installKernelSpec(target);
      console.log(`installed kernelspec streamlab ("TypeScript (streamlab)") in ${dir}`);
      if (target.kind === "prefix") {
        console.log(`if Jupyter does not list it, add ${path.dirname(kernelsDir(target))} to JUPYTER_PATH`);
      }
      return 0;
    }
    case "kernel": {
      if (wantsHelp(rest)) return printHelp("kernel");
      if (rest.length !== 1) throw new Error("kernel: give exactly one CONNECTION_FILE; see streamlab kernel --help");
      const { startKernel } = await import("./server");
      await startKernel(rest[0]);
      // The kernel runs until Jupyter asks it to shut down; the server ends the process itself.
      return new Promise<number>(() => undefined);
    }
    case "run": {
      if (wantsHelp(rest)) return printHelp("run");
      const { runNotebookCommand } = await import("./runner");
      return runNotebookCommand(rest);
    }
    case "broker":
      return loadDelegate("broker", "../lib/broker/cli").main(rest);
    case "datagen":
      return loadDelegate("datagen", "../lib/datagen/cli").main(rest);
    case "registry":
      return loadDelegate("registry", "../lib/registry/cli").main(rest);
    default:
      throw new Error(`unknown command '${command}'; commands are install, kernel, run, broker, datagen, registry (streamlab --help)`);
  }
}

function printHelp(command: string): number {
  console.log(HELP[command]);
  return 0;
}
