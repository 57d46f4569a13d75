/**
 * The browser suite's scenario, shared by JupyterLab 4 (jupyterlab.test.ts) and Notebook 7 (notebook7.test.ts):
 * README's first notebook (embedded broker, datagen, a windowed Kafka query with a live table and a live
 * vega-lite chart), run cell by cell with Shift+Enter in headless Chromium, read back from the DOM; then the
 * saved .ipynb reopened (trusted and untrusted) and rendered by nbconvert.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { NotebookPage, outputDir, runVenv, startBrowser, startJupyter, waitFor, type Frontend, type JupyterServer } from "./support";
import { notebookJson } from "../support/notebook";

/** The cells, in order; the tests refer to them by these indexes. */
export const CELL = { datagen: 0, query: 1, chart: 2, later: 3, streams: 4, stop: 5, error: 6, complete: 7, inspect: 8 } as const;

export const cells = [
  `%kafka start
%datagen orders --topic orders --rate 100 --duration 600s`,
  `const orders = spark.readStream.format("kafka").option("subscribe", "orders").load()
  .selectExpr("CAST(value AS STRING) AS json")
  .select(from_json(col("json"), "order_id STRING, region STRING, amount DOUBLE, ts TIMESTAMP").alias("o"))
  .select("o.*");
const revenue = orders.withWatermark("ts", "30 seconds")
  .groupBy(window(col("ts"), "10 seconds"), col("region"))
  .agg(sum("amount").alias("revenue"), count("*").alias("orders"));
display(revenue, { name: "revenue", sort: "region", trigger: { processingTime: "250 milliseconds" } });`,
  `chart(revenue, { mark: "bar", x: "region", y: "revenue", color: "region", name: "revenue_chart", trigger: { processingTime: "250 milliseconds" } });`,
  `// A later cell that takes a while: the live views keep updating meanwhile.
await new Promise((resolve) => setTimeout(resolve, 10000));
"waited"`,
  `%streams --interval 500ms`,
  `%stop --all`,
  `%stop no_such_query`,
  `spark.readStream.`,
  `spark.readStream`,
];

/** Text and shape of what a cell's output area shows. */
interface OutputView {
  count: number;
  text: string;
  /** The mime type the frontend chose to render each output (its data-mime-type). */
  mimeTypes: string[];
  /** A vega view drawn by the frontend's own vega-lite renderer (JupyterLab's vega5 extension). */
  vega: number;
  /** Bars in any SVG of the output: the frontend's vega view or the kernel's SVG. */
  bars: number;
  noRenderer: boolean;
  state: string;
}

export function frontendSuite(frontend: Frontend, label: string, options: { nbconvert?: boolean } = {}): void {
  describe(`streamlab in ${label}, in Chromium`, () => {
    let server: JupyterServer;
    let browser: Awaited<ReturnType<typeof startBrowser>>;
    let context: BrowserContext;
    let nb: NotebookPage;
    let failed = false;
    const shot = (name: string, cell?: number) => nb.screenshot(`${frontend}-${name}`, cell);

    beforeAll(async () => {
      // This frontend's pictures from an earlier run would mislead: start clean.
      if (fs.existsSync(outputDir)) for (const f of fs.readdirSync(outputDir)) if (f.startsWith(`${frontend}-`)) fs.rmSync(path.join(outputDir, f));
      server = await startJupyter(frontend);
      fs.writeFileSync(path.join(server.dir, "live.ipynb"), notebookJson(cells));
      browser = await startBrowser();
      context = browser.context;
    }, 180_000);

    afterAll(async () => {
      try {
        await browser?.close();
      } finally {
        await server?.stop(failed);
      }
    }, 60_000);

    /** Marks the file failed (the server log is kept) when `body` throws. */
    const step = (name: string, body: () => Promise<void>, timeout = 240_000) =>
      it(name, async () => {
        try {
          await body();
        } catch (err) {
          failed = true;
          await nb?.screenshot(`${frontend}-FAILED-${name.replace(/\W+/g, "-").slice(0, 60)}`).catch(() => undefined);
          throw err;
        }
      }, timeout);

    async function view(page: NotebookPage, i: number): Promise<OutputView> {
      return page.cell(i).evaluate((cell) => {
        const area = cell.querySelector(".jp-OutputArea");
        const outputs = [...(area?.querySelectorAll(".jp-OutputArea-output") ?? [])];
        const text = area?.textContent ?? "";
        return {
          count: outputs.length,
          text,
          mimeTypes: outputs.map((o) => o.getAttribute("data-mime-type") ?? ""),
          vega: area?.querySelectorAll(".jp-RenderedVegaCommon5 svg, .jp-RenderedVegaCommon5 canvas").length ?? 0,
          bars: area?.querySelectorAll('svg [aria-roledescription="bar"]').length ?? 0,
          noRenderer: /No renderer could be found/i.test(text),
          state: area?.querySelector(".streamlab-status-state")?.textContent ?? "",
        };
      });
    }

    /** The table's body rows as text, one string per row. */
    async function tableRows(page: NotebookPage, i: number): Promise<string[]> {
      return page.cell(i).evaluate((cell) =>
        [...cell.querySelectorAll(".jp-OutputArea table tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim()).join(" | ")),
      );
    }

    /** What the chart draws: its bars' geometry (which changes when the data does), its title and status line. */
    async function chartDrawing(page: NotebookPage, i: number): Promise<string> {
      return page.cell(i).evaluate((cell) =>
        [...cell.querySelectorAll('.jp-OutputArea svg [aria-roledescription="bar"], .jp-OutputArea svg .role-title-text, .jp-OutputArea .streamlab-status')]
          .map((el) => el.getAttribute("d") ?? el.textContent ?? "")
          .join(";"),
      );
    }

    /** How each place showed the chart (the mime type rendered, and whether the vega view was there). */
    const chartRenderers: Record<string, { mimeTypes: string[]; vega: number }> = {};

    step("opens the notebook with the streamlab kernel", async () => {
      nb = await NotebookPage.open(context, server, "live.ipynb");
      await nb.kernelIdle();
      await shot("opened");
    });

    step("runs README's first notebook: the live table changes in place while a later cell runs", async () => {
      await nb.runAndWait(CELL.datagen);
      expect(await view(nb, CELL.datagen).then((v) => v.text)).toMatch(/orders/);
      await nb.runAndWait(CELL.query);
      await waitFor("the live table to show rows", async () => (await tableRows(nb, CELL.query)).length > 0);
      await nb.runAndWait(CELL.chart);

      // The later cell sleeps 10 s; while its prompt shows [*], the table above keeps changing, in its one output.
      // Sampled inside the page (every 100 ms), so a slow test driver on a loaded machine misses nothing.
      await nb.cell(CELL.query).evaluate((tableCell, laterIndex) => {
        const w = window as unknown as { __streamlabSamples?: { texts: string[]; counts: number[]; running: number } };
        const samples = (w.__streamlabSamples = { texts: [] as string[], counts: [] as number[], running: 0 });
        const later = () => tableCell.parentElement?.querySelectorAll(":scope > .jp-Cell")[laterIndex];
        const timer = setInterval(() => {
          const prompt = later()?.querySelector(".jp-InputArea-prompt")?.textContent ?? "";
          if (!prompt.includes("*")) {
            if (samples.running > 0) clearInterval(timer);
            return;
          }
          samples.running++;
          samples.counts.push(tableCell.querySelectorAll(".jp-OutputArea-output").length);
          const rows = [...tableCell.querySelectorAll(".jp-OutputArea table tbody tr")].map((tr) => tr.textContent).join("\n");
          if (rows && samples.texts.at(-1) !== rows) samples.texts.push(rows);
        }, 100);
      }, CELL.later);
      await nb.run(CELL.later);
      await nb.finished(CELL.later);
      const samples = await nb.page.evaluate(() => (window as unknown as { __streamlabSamples: { texts: string[]; counts: number[]; running: number } }).__streamlabSamples);
      expect(samples.running, "samples taken while the later cell ran").toBeGreaterThan(10);
      expect([...new Set(samples.counts)], "outputs of the table's cell").toEqual([1]);
      expect(new Set(samples.texts).size, "distinct table contents seen while the later cell ran").toBeGreaterThanOrEqual(2);
      expect(await view(nb, CELL.later).then((v) => v.text)).toContain("waited");
      await shot("live-table", CELL.query);
    });

    step("the live chart shows its bars and updates in place", async () => {
      const v = await waitFor("a chart with bars", async () => {
        const c = await view(nb, CELL.chart);
        return c.bars > 0 ? c : undefined;
      });
      expect(v.noRenderer).toBe(false);
      expect(v.count).toBe(1);
      chartRenderers.live = { mimeTypes: v.mimeTypes, vega: v.vega };
      const drawings = new Set<string>();
      await waitFor("3 different drawings of the chart", async () => {
        drawings.add(await chartDrawing(nb, CELL.chart));
        return drawings.size >= 3;
      });
      await shot("live-chart", CELL.chart);
    });

    step("%streams renders and updates", async () => {
      await nb.runAndWait(CELL.streams);
      const texts = new Set<string>();
      await waitFor("%streams to name the query and the generator, and change", async () => {
        const v = await view(nb, CELL.streams);
        if (/revenue/.test(v.text) && /orders/.test(v.text)) texts.add(v.text);
        return texts.size >= 2;
      });
      await shot("streams", CELL.streams);
    });

    step("%stop leaves the table and the chart in their final state", async () => {
      await nb.runAndWait(CELL.stop);
      expect((await view(nb, CELL.stop)).text).toMatch(/stopped .*query revenue/);
      await waitFor("the table's final state", async () => /stopped/.test((await view(nb, CELL.query)).state));
      await waitFor("the chart's final state", async () => /stopped/.test(await chartDrawing(nb, CELL.chart)));
      const rows = await tableRows(nb, CELL.query);
      const drawing = await chartDrawing(nb, CELL.chart);
      expect(rows.length).toBeGreaterThan(0);
      // Stopped means stopped: nothing changes any more.
      await nb.page.waitForTimeout(2000);
      expect(await tableRows(nb, CELL.query)).toEqual(rows);
      expect(await chartDrawing(nb, CELL.chart)).toBe(drawing);
      expect((await view(nb, CELL.chart)).noRenderer).toBe(false);
      await shot("stopped-table", CELL.query);
      await shot("stopped-chart", CELL.chart);
    });

    step("shows an error as the frontend shows errors", async () => {
      await nb.runAndWait(CELL.error);
      const error = await nb.cell(CELL.error).evaluate((cell) => {
        const out = cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
        return { text: out?.textContent ?? "", background: out ? getComputedStyle(out).backgroundColor : "" };
      });
      expect(error.text).toContain("no query or generator named 'no_such_query'");
      expect(error.background).not.toMatch(/^(rgba\(0, 0, 0, 0\)|transparent|)$/);
      await shot("error", CELL.error);
    });

    step("Tab after spark.readStream. completes streamlab's API with types", async () => {
      await nb.editAtEnd(CELL.complete);
      await nb.page.keyboard.press("Tab");
      const items = await waitFor("the completer", () =>
        nb.page.evaluate(() => {
          const list = [...document.querySelectorAll(".jp-Completer .jp-Completer-item")];
          return list.length
            ? list.map((li) => ({ text: li.querySelector(".jp-Completer-match")?.textContent ?? "", type: li.querySelector(".jp-Completer-typeExtended")?.textContent ?? "" }))
            : undefined;
        }),
      );
      const names = items.map((i) => i.text);
      expect(names).toEqual(expect.arrayContaining(["format", "option", "load", "schema"]));
      await shot("completion");
      // KERNEL (kernel/completion.ts): complete_reply's metadata._jupyter_types_experimental gives each a type.
      expect(items.find((i) => i.text === "format")?.type).toBe("function");
      await nb.page.keyboard.press("Escape");
    });

    step("Shift+Tab shows the type of spark.readStream", async () => {
      await nb.editAtEnd(CELL.inspect);
      await nb.page.keyboard.press("Shift+Tab");
      const tip = await waitFor("the tooltip", () => nb.page.evaluate(() => document.querySelector(".jp-Tooltip")?.textContent || undefined));
      expect(tip).toMatch(/readStream: DataStreamReader/);
      await shot("inspect");
      await nb.page.keyboard.press("Escape");
    });

    step("Ctrl+S saves the final table, the chart and the error", async () => {
      const saved = (await nb.save("live.ipynb")) as { cells: { outputs: { output_type: string; data?: Record<string, unknown>; ename?: string }[] }[] };
      const table = saved.cells[CELL.query].outputs;
      expect(table).toHaveLength(1);
      expect(String(table[0].data?.["text/plain"])).toMatch(/state: stopped/);
      const chart = saved.cells[CELL.chart].outputs;
      expect(chart).toHaveLength(1);
      expect(Object.keys(chart[0].data ?? {})).toEqual(expect.arrayContaining(["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]));
      expect(Object.keys(chart[0].data ?? {})).not.toContain("text/html");
      expect(saved.cells[CELL.error].outputs.some((o) => o.output_type === "error")).toBe(true);
      // The finished page, for the record.
      await nb.page.evaluate(() => document.querySelector(".jp-Notebook .jp-Cell")?.scrollIntoView());
      await shot("saved");
    });

    for (const trusted of [true, false]) {
      // An untrusted notebook (one received from someone else) must show the chart too: the chart's bundle has
      // no text/html (whose SVG the sanitizer would strip, leaving axis labels), so the vega-lite renderer draws it.
      step(`reopened ${trusted ? "trusted" : "untrusted"}, the saved notebook shows the final table and chart`, async () => {
        const file = `saved-${trusted ? "trusted" : "untrusted"}.ipynb`;
        const nbJson = JSON.parse(fs.readFileSync(path.join(server.dir, "live.ipynb"), "utf8"));
        // An untrusted copy: as if it came from elsewhere (a signature is over the content, so it must differ).
        if (!trusted) nbJson.metadata.streamlab_test = { copy: "received from elsewhere" };
        fs.writeFileSync(path.join(server.dir, file), JSON.stringify(nbJson, null, 1));
        if (trusted) {
          const r = await runVenv("jupyter", ["trust", file], server.env, server.dir);
          expect(r.code, r.stderr).toBe(0);
        }
        const check = await runVenv(
          "python",
          ["-c", "import sys, nbformat; from nbformat.sign import NotebookNotary as N; print(N().check_signature(nbformat.read(sys.argv[1], 4)))", file],
          server.env,
          server.dir,
        );
        expect(check.stdout.trim(), check.stderr).toBe(trusted ? "True" : "False");

        const page = await NotebookPage.open(context, server, file, `reopen-${trusted ? "trusted" : "untrusted"}`);
        try {
          const rows = await waitFor("the saved table", async () => {
            const r = await tableRows(page, CELL.query);
            return r.length ? r : undefined;
          });
          expect(rows).toEqual(await tableRows(nb, CELL.query));
          expect((await view(page, CELL.query)).state).toMatch(/stopped/);
          const chart = await waitFor("the saved chart's bars", async () => {
            const c = await view(page, CELL.chart);
            return c.bars > 0 ? c : undefined;
          });
          expect(chart.noRenderer).toBe(false);
          chartRenderers[trusted ? "reopened trusted" : "reopened untrusted"] = { mimeTypes: chart.mimeTypes, vega: chart.vega };
          expect(await chartDrawing(page, CELL.chart)).toMatch(/stopped/);
          await page.screenshot(`${frontend}-reopened-${trusted ? "trusted" : "untrusted"}-chart`, CELL.chart);
        } catch (err) {
          await page.screenshot(`${frontend}-FAILED-reopened-${trusted ? "trusted" : "untrusted"}`).catch(() => undefined);
          throw err;
        } finally {
          await page.page.close();
        }
      });
    }

    // JupyterLab ranks its HTML renderer (50) above vega5 (57): the chart's bundle has no text/html, so the
    // frontend's own vega-lite view (tooltips, resize, theme) draws it, not the kernel's picture.
    step("the chart is drawn by the frontend's own vega-lite renderer", async () => {
      expect(Object.keys(chartRenderers).length).toBeGreaterThan(0);
      for (const [where, r] of Object.entries(chartRenderers)) {
        // The vega view is there and no HTML rendering of the chart is (the output's mime type attribute is not
        // always set on a vega output that was updated in place, so it is not required).
        expect({ where, vegaView: r.vega > 0, html: r.mimeTypes.includes("text/html") }).toEqual({ where, vegaView: true, html: false });
      }
    });

    if (options.nbconvert) {
      step("nbconvert --to html of the saved notebook shows the final table and chart", async () => {
        const r = await runVenv("jupyter", ["nbconvert", "--to", "html", "--output-dir", outputDir, "--output", `${frontend}-saved`, "live.ipynb"], server.env, server.dir);
        expect(r.code, r.stderr).toBe(0);
        const html = fs.readFileSync(path.join(outputDir, `${frontend}-saved.html`), "utf8");
        // Every row the browser showed at the end, cell by cell, is in the HTML table.
        for (const row of await tableRows(nb, CELL.query)) {
          for (const value of row.split(" | ").filter(Boolean)) expect(html).toContain(`<td>${value}</td>`);
        }
        // The chart: nbconvert has no vega-lite renderer, so it shows the kernel's SVG (nbconvert 7 embeds it as an
        // image), whose title is the final status.
        const images = [...html.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
        const svg = images.find((x) => x.includes("revenue_chart")) ?? "";
        expect(svg).toMatch(/role="graphics-symbol"/);
        expect(svg).toMatch(/state: stopped/);
        // A page to look at: open the HTML in the browser and keep its picture.
        const page = await context.newPage();
        try {
          await page.goto(`file://${path.join(outputDir, `${frontend}-saved.html`)}`);
          await page.screenshot({ path: path.join(outputDir, `${frontend}-nbconvert.png`), fullPage: true });
        } finally {
          await page.close();
        }
      });
    }
  });
}
