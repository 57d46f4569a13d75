/**
 * In a real browser: Debian's classic Notebook 6 in headless Chromium (driven by playwright-core) runs a
 * notebook with a live table and a live chart on the streamlab kernel. The test reads the table's text as it
 * changes and finds an SVG chart with marks, and saves a screenshot to test-output/render-notebook.png.
 * Needs the compiled kernel (npm run build; `npm test` builds first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { tool } from "../support/tools";
import { notebookJson } from "../support/notebook";
import { installedKernel, root, type JupyterEnv } from "../kernel/support";
import { LiveChart } from "../../lib/render/live";
import { RecordingBridge, makeBatch, revenueRow, revenueSchema } from "./support";
import { freePort, waitFor as waitForValue } from "../support/wait";

/** The browser is slower than the protocol: wait longer, poll less often. */
const waitFor = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000) =>
  waitForValue(what, check, timeoutMs, 200);

const outputDir = path.join(root, "test-output");

const cells = [
  `const orders = new MemoryStream("ts TIMESTAMP, region STRING, amount DOUBLE");
const totals = orders.toDF().groupBy(col("region")).agg(sum("amount").alias("revenue"), count("*").alias("orders"));
let tick = 0;
const regions = ["east", "west", "north"];
// Bounded: the feeder stops by itself after 10 minutes.
const feeder = setInterval(() => {
  if (++tick > 2000) return clearInterval(feeder);
  orders.addData(regions.map((region, i) => ({ ts: new Date(Date.UTC(2026, 10, 24, 16, 0, 0) + tick * 1000), region, amount: (tick % 7) * (i + 1) + 1 })));
}, 300);`,
  `display(totals, { name: "browser_totals", sort: "region", trigger: { processingTime: "250 milliseconds" } });`,
  `chart(totals, { mark: "bar", x: "region", y: "revenue", color: "region", name: "browser_chart", svg: "always", trigger: { processingTime: "250 milliseconds" } });`,
];


describe.runIf(tool("notebook") && tool("chromium"))("live displays in classic Notebook in Chromium", () => {
  let jupyter: JupyterEnv;
  let server: ChildProcess;
  let serverLog = "";
  let context: BrowserContext | undefined;
  let userDataDir = "";
  let baseUrl = "";
  let token = "";

  beforeAll(async () => {
    jupyter = installedKernel();
    fs.writeFileSync(path.join(jupyter.dir, "live.ipynb"), notebookJson(cells));
    token = randomBytes(16).toString("hex");
    const wanted = await freePort();
    server = spawn(
      "/usr/bin/python3",
      ["-m", "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", `--port=${wanted}`, "--port-retries=50",
        `--NotebookApp.token=${token}`, `--notebook-dir=${jupyter.dir}`, "--NotebookApp.open_browser=False"],
      { env: jupyter.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const collect = (b: Buffer) => (serverLog += b.toString());
    server.stdout!.on("data", collect);
    server.stderr!.on("data", collect);
    const port = await waitFor("the notebook server to listen", () => {
      if (server.exitCode !== null) throw new Error(`the notebook server exited: ${serverLog}`);
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(serverLog);
      return m ? Number(m[1]) : undefined;
    });
    baseUrl = `http://127.0.0.1:${port}`;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      viewport: { width: 1200, height: 1400 },
    });
  }, 180_000);

  afterAll(async () => {
    try {
      await context?.close().catch(() => undefined);
    } finally {
      if (server && server.exitCode === null) {
        // The notebook server shuts its kernels down on SIGTERM (the kernel stops its queries and timers).
        server.kill("SIGTERM");
        await waitFor("the notebook server to exit", () => server.exitCode !== null || server.signalCode !== null, 30_000).catch(() => server.kill("SIGKILL"));
      }
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
      jupyter?.cleanup();
    }
  }, 60_000);

  async function tableText(page: Page): Promise<string> {
    return page.evaluate(() => {
      const cell = document.querySelectorAll("#notebook-container .cell")[1];
      return cell?.querySelector(".output_area .streamlab-table-view")?.textContent ?? "";
    });
  }

  it("shows a live table whose text changes and an SVG chart with marks", async () => {
    const page = await context!.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${baseUrl}/notebooks/live.ipynb?token=${token}`);
    await page.waitForFunction(
      () => {
        const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean; info_reply?: unknown } } } }).Jupyter;
        return !!J?.notebook?.kernel?.is_connected() && !!J.notebook.kernel.info_reply;
      },
      undefined,
      { timeout: 120_000, polling: 250 },
    );
    // Cell > Run All, as a person would.
    await page.click("#celllink");
    await page.click("#run_all_cells > a");

    // The table is there and its text keeps changing after the cells finished.
    await waitFor("the live table", async () => (await tableText(page)).includes("browser_totals"));
    await page.waitForFunction(() => (window as unknown as { Jupyter: { notebook: { kernel_busy?: boolean } } }).Jupyter && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null, undefined, { timeout: 120_000, polling: 250 });
    const seen = new Set<string>();
    await waitFor("4 different texts of the table", async () => {
      const text = await tableText(page);
      if (text.includes("east")) seen.add(text);
      return seen.size >= 4;
    });
    for (const text of seen) expect(text).toMatch(/east.*north.*west/s);

    // The chart: classic Notebook has no vega-lite renderer, so it shows the HTML with the SVG drawn in the kernel.
    const marks = await waitFor("an SVG chart with 3 bars", async () => {
      const n = await page.evaluate(() => {
        const cell = document.querySelectorAll("#notebook-container .cell")[2];
        return cell?.querySelectorAll('.output_area svg [role="graphics-symbol"][aria-roledescription="bar"]').length ?? 0;
      });
      return n >= 3 ? n : undefined;
    });
    expect(marks).toBe(3);
    const bar = await page.evaluate(() => {
      const cell = document.querySelectorAll("#notebook-container .cell")[2];
      const el = cell?.querySelector('.output_area svg [aria-roledescription="bar"]') as SVGGraphicsElement | null;
      const box = el?.getBoundingClientRect();
      return box ? { width: box.width, height: box.height } : null;
    });
    expect(bar!.width).toBeGreaterThan(5);
    expect(bar!.height).toBeGreaterThan(1);

    fs.mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: path.join(outputDir, "render-notebook.png"), fullPage: true });
    expect(fs.statSync(path.join(outputDir, "render-notebook.png")).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it("the vega-lite part (what JupyterLab and VS Code draw) renders in the browser with vega, offline", async () => {
    const chart = new LiveChart({ mark: "line", x: "window.start", y: "revenue", color: "region" }, { bridge: new RecordingBridge(), svg: "never" });
    chart.addBatch(makeBatch(0, "update", revenueSchema, [revenueRow(0, "east", 1), revenueRow(1, "east", 3), revenueRow(0, "west", 2), revenueRow(1, "west", 1)]));
    await chart.finish();
    const spec = chart.toMimeBundle()["application/vnd.vegalite.v5+json"];
    const page = await context!.newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.setContent("<html><body><div id='view'></div></body></html>");
    // The same vega and vega-lite builds the project ships, injected from node_modules: nothing is fetched.
    await page.addScriptTag({ path: require.resolve("vega/build/vega.min.js") });
    await page.addScriptTag({ path: require.resolve("vega-lite/build/vega-lite.min.js") });
    const result = await page.evaluate(async (vlSpec) => {
      const w = window as unknown as { vega: any; vegaLite: any };
      const view = new w.vega.View(w.vega.parse(w.vegaLite.compile(vlSpec).spec), { renderer: "svg", container: "#view" });
      await view.runAsync();
      const svg = document.querySelector("#view svg");
      return {
        lines: svg?.querySelectorAll('[aria-roledescription="line mark"]').length ?? 0,
        title: svg?.querySelector(".role-title-text")?.textContent ?? "",
      };
    }, spec);
    expect(result.lines).toBe(2);
    expect(result.title).toContain("state: stopped");
    expect(requests.filter((u) => !u.startsWith("about:") && !u.startsWith("data:"))).toEqual([]);
    await page.close();
  }, 120_000);
});
