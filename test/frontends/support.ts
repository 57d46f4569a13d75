/**
 * The browser suite's harness: JupyterLab 4 or Notebook 7 from the test venv (test/setup/requirements-jupyter.txt)
 * on a free loopback port with a token, a temporary root directory and the streamlab kernelspec installed into a
 * throwaway Jupyter data dir (test/kernel/support.ts installedKernel); headless Chromium driven by playwright-core;
 * and the few things a person does in a notebook (click a cell, Shift+Enter, Tab, Shift+Tab, Ctrl+S), read
 * back from the DOM. JupyterLab and Notebook 7 share the notebook widget, so one set of selectors serves both.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { installedKernel, root, type JupyterEnv } from "../kernel/support";
import { VENV_DIR } from "../support/venv";
import { freePort, waitFor as waitForValue } from "../support/wait";

export { root };
export const outputDir = path.join(root, "test-output", "frontends");
export const venvBin = (name: string) => path.join(VENV_DIR, "bin", name);

/** The browser is slower than the protocol: wait longer, poll less often. */
export const waitFor = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000) =>
  waitForValue(what, check, timeoutMs, 200);

export type Frontend = "lab" | "notebook";

export interface JupyterServer {
  frontend: Frontend;
  baseUrl: string;
  token: string;
  /** The server's root directory: notebooks written here are opened by their file name. */
  dir: string;
  env: NodeJS.ProcessEnv;
  log(): string;
  /** The URL a person opens for this notebook in this frontend (in JupyterLab, in its own workspace if named). */
  notebookUrl(file: string, workspace?: string): string;
  /** Stops the server (SIGTERM: it shuts its kernels down), keeps its log in test-output/frontends/ if `failed`. */
  stop(failed: boolean): Promise<void>;
}

/**
 * `jupyter lab` or `jupyter notebook` (Notebook 7) from the venv. Nothing reaches the internet: no news, no update
 * check, no announcement toast over the notebook; workspaces and settings live in the throwaway config dir.
 */
export async function startJupyter(frontend: Frontend): Promise<JupyterServer> {
  const jupyter: JupyterEnv = installedKernel();
  const env = { ...jupyter.env, PATH: `${path.join(VENV_DIR, "bin")}:${process.env.PATH ?? ""}` };
  const labConfig = path.join(jupyter.dir, "config", "labconfig");
  fs.mkdirSync(labConfig, { recursive: true });
  fs.writeFileSync(
    path.join(labConfig, "page_config.json"),
    JSON.stringify({ disabledExtensions: { "@jupyterlab/apputils-extension:announcements": true } }),
  );
  // The completer drops a provider that answers after 1 s (providerTimeout); these machines are shared and slow,
  // and the test is about what the kernel answers, not how fast: give the kernel 30 s.
  const completer = path.join(jupyter.dir, "config", "lab", "user-settings", "@jupyterlab", "completer-extension");
  fs.mkdirSync(completer, { recursive: true });
  fs.writeFileSync(path.join(completer, "manager.jupyterlab-settings"), JSON.stringify({ providerTimeout: 30_000 }));
  const token = randomBytes(16).toString("hex");
  const port = await freePort();
  const app = frontend === "lab" ? "LabApp" : "JupyterNotebookApp";
  const args = [
    frontend, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=50",
    `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${jupyter.dir}`, "--ServerApp.open_browser=False",
    // A kernel left running by a failed test dies with the server rather than outliving it.
    "--MappingKernelManager.cull_idle_timeout=0",
  ];
  if (frontend === "lab") args.push("--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate");
  const server: ChildProcess = spawn(venvBin("jupyter"), args, { env, cwd: jupyter.dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const collect = (b: Buffer) => (log += b.toString());
  server.stdout!.on("data", collect);
  server.stderr!.on("data", collect);
  const stop = async (failed: boolean) => {
    try {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill("SIGTERM");
        await waitFor("jupyter to exit", () => server.exitCode !== null || server.signalCode !== null, 30_000).catch(() => server.kill("SIGKILL"));
      }
      if (failed) {
        fs.mkdirSync(outputDir, { recursive: true });
        fs.writeFileSync(path.join(outputDir, `${frontend}-jupyter.log`), log);
      }
    } finally {
      jupyter.cleanup();
    }
  };
  try {
    const listening = await waitFor(`jupyter ${frontend} to listen`, () => {
      if (server.exitCode !== null) throw new Error(`jupyter ${frontend} exited (${server.exitCode}): ${log.slice(-3000)}`);
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      return m ? Number(m[1]) : undefined;
    });
    const baseUrl = `http://127.0.0.1:${listening}`;
    return {
      frontend,
      baseUrl,
      token,
      dir: jupyter.dir,
      env,
      log: () => log,
      notebookUrl: (file, workspace) =>
        frontend === "lab"
          ? `${baseUrl}/lab/${workspace ? `workspaces/${encodeURIComponent(workspace)}/` : ""}tree/${encodeURI(file)}?token=${token}${workspace ? "&reset" : ""}`
          : `${baseUrl}/notebooks/${encodeURI(file)}?token=${token}`,
      stop,
    };
  } catch (err) {
    await stop(true);
    throw err;
  }
}

/** Headless Chromium with a new empty profile; close() removes the profile. */
export async function startBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 1200 },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a program from the venv (jupyter trust, nbconvert, python). */
export function runVenv(name: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(venvBin(name), args, { env, cwd, timeout: 120_000, maxBuffer: 50 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? Number((err as { code?: unknown }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The notebook in view: JupyterLab keeps other tabs' notebooks in the DOM, hidden. */
const NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook";

/**
 * A notebook open in the browser, as a person works with it. Cells are numbered from 0 in notebook order.
 */
export class NotebookPage {
  readonly pageErrors: string[] = [];
  constructor(
    readonly page: Page,
    readonly server: JupyterServer,
  ) {
    page.on("pageerror", (err) => this.pageErrors.push(err.message));
  }

  static async open(context: BrowserContext, server: JupyterServer, file: string, workspace?: string): Promise<NotebookPage> {
    const page = await context.newPage();
    const nb = new NotebookPage(page, server);
    try {
      await page.goto(server.notebookUrl(file, workspace));
      await page.locator(`${NOTEBOOK} .jp-Cell`).first().waitFor({ timeout: 120_000 });
      // The notebook in view is this file (not another one a workspace restored).
      const name = path.basename(file);
      await waitFor(`${file} in view`, () =>
        page.evaluate(
          (name) =>
            document.title.includes(name) ||
            // JupyterLab: the current tab's label; Notebook 7: the title bar, which leaves out ".ipynb".
            document.querySelector(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")?.textContent === name ||
            document.querySelector("#jp-title")?.textContent?.trim() === name.replace(/\.ipynb$/, ""),
          name,
        ),
      );
    } catch (err) {
      await nb.screenshot(`${server.frontend}-FAILED-open-${path.basename(file)}`).catch(() => undefined);
      throw new Error(`opening ${file} in ${server.frontend} (title "${await page.title().catch(() => "?")}", ${page.url()}): ${(err as Error).message}`);
    }
    return nb;
  }

  /** Waits until the kernel named in the toolbar is streamlab's and idle (it starts with the notebook). */
  async kernelIdle(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      "the streamlab kernel to be idle",
      () =>
        this.page.evaluate(() => {
          const name = document.querySelector(".jp-KernelName, .jp-NotebookKernelName, [data-jp-item-name='kernelName']")?.textContent ?? "";
          const busy = document.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status");
          const lab = document.querySelector("#jp-main-statusbar")?.textContent ?? "";
          const kernelStatus = document.querySelector(".jp-NotebookKernelStatus")?.className ?? "";
          return name.includes("streamlab") && (busy === "idle" || (busy == null && (/\| Idle/.test(lab) || /idle/i.test(kernelStatus)))) ? true : undefined;
        }),
      timeoutMs,
    );
  }

  cell(i: number): Locator {
    return this.page.locator(`${NOTEBOOK} .jp-Cell`).nth(i);
  }

  /** The execution count a cell shows ("[3]:" gives "3", "[*]:" gives "*", none gives ""). */
  async prompt(i: number): Promise<string> {
    const text = (await this.cell(i).locator(".jp-InputArea-prompt").textContent()) ?? "";
    return /\[(.*)\]/.exec(text)?.[1]?.trim() ?? "";
  }

  /** Clicks into the cell's editor and puts the cursor at the end of its text. */
  async editAtEnd(i: number): Promise<void> {
    const editor = this.cell(i).locator(".jp-InputArea-editor .cm-content");
    await editor.scrollIntoViewIfNeeded();
    await editor.click();
    await this.page.keyboard.press("Control+End");
  }

  /** Shift+Enter in the cell, as a person runs it; resolves once the cell shows that it was sent ("[*]" or a count). */
  async run(i: number): Promise<void> {
    const before = await this.prompt(i);
    await this.editAtEnd(i);
    await this.page.keyboard.press("Shift+Enter");
    await waitFor(`cell ${i} to start`, async () => {
      const p = await this.prompt(i);
      return p === "*" || (p !== "" && p !== before);
    });
  }

  /** Waits for the cell's run to finish (a number in its prompt); returns the count. */
  async finished(i: number, timeoutMs = 120_000): Promise<number> {
    return waitFor(`cell ${i} to finish`, async () => {
      const p = await this.prompt(i);
      return /^\d+$/.test(p) ? Number(p) : undefined;
    }, timeoutMs);
  }

  async runAndWait(i: number, timeoutMs = 120_000): Promise<number> {
    await this.run(i);
    return this.finished(i, timeoutMs);
  }

  outputs(i: number): Locator {
    return this.cell(i).locator(".jp-OutputArea-output");
  }

  async outputText(i: number): Promise<string> {
    return this.cell(i).locator(".jp-OutputArea").evaluate((el) => el.textContent ?? "").catch(() => "");
  }

  /** Ctrl+S, then waits until the frontend no longer marks the notebook dirty and the file on disk has outputs. */
  async save(file: string): Promise<unknown> {
    const where = path.join(this.server.dir, file);
    const before = fs.statSync(where).mtimeMs;
    await this.page.keyboard.press("Control+s");
    return waitFor(`${file} to be saved`, async () => {
      // Written after Ctrl+S (not an earlier autosave), and the frontend no longer marks it dirty.
      if (fs.statSync(where).mtimeMs === before) return undefined;
      const dirty = await this.page.evaluate(() => document.querySelector(".jp-mod-dirty") !== null);
      if (dirty) return undefined;
      let nb: { cells: { outputs?: unknown[] }[] };
      try {
        nb = JSON.parse(fs.readFileSync(where, "utf8"));
      } catch {
        return undefined; // caught mid-write
      }
      return nb.cells.some((c) => (c.outputs ?? []).length > 0) ? nb : undefined;
    });
  }

  /** The page as it is in view (JupyterLab scrolls inside the notebook, not the page), or one cell whole. */
  async screenshot(name: string, cell?: number): Promise<string> {
    fs.mkdirSync(outputDir, { recursive: true });
    const file = path.join(outputDir, `${name}.png`);
    if (cell === undefined) await this.page.screenshot({ path: file });
    else {
      await this.cell(cell).scrollIntoViewIfNeeded();
      await this.cell(cell).screenshot({ path: file });
    }
    return file;
  }
}
