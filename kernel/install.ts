/**
 * `streamlab install`: write the Jupyter kernelspec ourselves (kernel.json + logos), so no Python is needed.
 * Jupyter finds kernelspecs in <data dir>/kernels/<name>/; we only choose which data dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const KERNEL_NAME = "streamlab";
export const DISPLAY_NAME = "TypeScript (streamlab)";

/** The package root (the folder holding package.json), found from dist/kernel/ or kernel/. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "streamlab") return dir;
      } catch {
        // an unreadable package.json is not ours; keep climbing
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find streamlab's package.json above ${__dirname}`);
    dir = parent;
  }
}

export type InstallTarget = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

/** The kernels folder for a target, as Jupyter itself computes it (jupyter_core.paths). */
export function kernelsDir(target: InstallTarget, env: NodeJS.ProcessEnv = process.env): string {
  switch (target.kind) {
    case "user": {
      if (env.JUPYTER_DATA_DIR) return path.join(env.JUPYTER_DATA_DIR, "kernels");
      if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter", "kernels");
      if (process.platform === "win32") return path.join(env.APPDATA ?? os.homedir(), "jupyter", "kernels");
      const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
      return path.join(dataHome, "jupyter", "kernels");
    }
    case "sys-prefix":
      return path.join(env.CONDA_PREFIX || env.VIRTUAL_ENV || "/usr/local", "share", "jupyter", "kernels");
    case "prefix":
      return path.join(path.resolve(target.dir), "share", "jupyter", "kernels");
  }
}

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  env?: Record<string, string>;
  metadata: Record<string, unknown>;
}

export function kernelSpec(root = packageRoot()): KernelSpec {
  return {
    // The absolute node keeps the kernel startable from a Jupyter launched without the user's PATH (nvm, GUIs).
    argv: [process.execPath, path.join(root, "bin", "streamlab.js"), "kernel", "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // SIGINT interrupts even a cell stuck in a synchronous loop; interrupt_request is served as well.
    interrupt_mode: "signal",
    metadata: { streamlab: { root } },
  };
}

/** Write the kernelspec; returns the folder written. */
export function installKernelSpec(target: InstallTarget, env: NodeJS.ProcessEnv = process.env): string {
  const root = packageRoot();
  const dir = path.join(kernelsDir(target, env), KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(root), null, 2) + "\n");
  for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) {
    fs.copyFileSync(path.join(root, "kernel", "assets", logo), path.join(dir, logo));
  }
  return dir;
}
