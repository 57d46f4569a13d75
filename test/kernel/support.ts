/** Shared by the kernel tests: the built CLI, and a kernelspec installed into a throwaway Jupyter data dir. */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const root = path.resolve(__dirname, "../..");
export const bin = path.join(root, "bin", "streamlab.js");

export interface JupyterEnv {
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** `streamlab install --prefix TMP`, with JUPYTER_PATH/JUPYTER_DATA_DIR pointing there and nowhere personal. */
export function installedKernel(): JupyterEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-jupyter-"));
  execFileSync(process.execPath, [bin, "install", "--prefix", dir], { stdio: "pipe" });
  const data = path.join(dir, "share", "jupyter");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: data,
    JUPYTER_DATA_DIR: path.join(dir, "data"),
    JUPYTER_CONFIG_DIR: path.join(dir, "config"),
    JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
    JUPYTER_PLATFORM_DIRS: "1",
    IPYTHONDIR: path.join(dir, "ipython"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  return { dir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { env: options.env, cwd: options.cwd, timeout: options.timeout ?? 110_000, maxBuffer: 20 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? Number((err as { code?: unknown }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
