import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "vitest";
import { startJupyter, startBrowser, notebookJson } from "./support";

it("probe", async () => {
  const server = await startJupyter("lab");
  fs.writeFileSync(path.join(server.dir, "a.ipynb"), notebookJson(["1"]));
  fs.writeFileSync(path.join(server.dir, "b.ipynb"), notebookJson(["2"]));
  const b = await startBrowser();
  try {
    for (const [f, ws] of [["a.ipynb", undefined], ["b.ipynb", "other"]] as const) {
      const page = await b.context.newPage();
      await page.goto(server.notebookUrl(f, ws));
      await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 120_000 });
      await page.waitForTimeout(3000);
      console.log(f, page.url(), await page.title());
      await page.screenshot({ path: `/tmp/fe/${f}.png` });
    }
  } finally {
    await b.close();
    await server.stop(true);
  }
}, 600_000);
