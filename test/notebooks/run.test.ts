/**
 * Every example notebook runs top to bottom under `streamlab run` on the embedded defaults: exit 0, every code
 * cell executed, no error output, and the content its markdown promises. Needs `npm run build` first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXPECTED_NOTEBOOKS, checkContent } from "./checks";
import { bin, errorOutputs, exampleNotebooks, freshHome, notebooksDir, outputRoot, readNotebook, runProcess, startSeparateBroker, stopBrokerIn, unexecutedCells } from "./support";

const outDir = path.join(outputRoot, "run");
const homes: string[] = [];

afterAll(async () => {
  for (const home of homes) {
    await stopBrokerIn(home);
    fs.rmSync(home, { recursive: true, force: true });
  }
});

describe("example notebooks under streamlab run", () => {
  it("notebooks/ holds the eight example notebooks, with the streamlab kernelspec and no saved errors", () => {
    const present = exampleNotebooks();
    expect(present).toEqual(EXPECTED_NOTEBOOKS.filter((n) => present.includes(n)));
    for (const name of present) {
      const nb = readNotebook(path.join(notebooksDir, name));
      expect(nb.metadata.kernelspec).toEqual({ name: "streamlab", display_name: "TypeScript (streamlab)", language: "typescript" });
      expect(errorOutputs(nb), name).toEqual([]);
    }
  });

  for (const name of exampleNotebooks()) {
    it(`runs ${name}`, async () => {
      fs.mkdirSync(outDir, { recursive: true });
      const base = name.replace(/\.ipynb$/, "");
      const out = path.join(outDir, `${base}.ipynb`);
      const html = path.join(outDir, `${base}.html`);
      fs.rmSync(out, { force: true });
      const home = freshHome(base);
      homes.push(home);
      const env: NodeJS.ProcessEnv = { ...process.env, STREAMLAB_HOME: home };
      delete env.STREAMLAB_BOOTSTRAP;
      // Any free port, never the default 9092: parallel runs (and other tests) would race for it.
      env.STREAMLAB_BROKER_PORT = "0";
      const external = name === "07-real-kafka.ipynb" ? await startSeparateBroker() : undefined;
      if (external) env.KAFKA_BOOTSTRAP_SERVERS = external.bootstrap;
      try {
        const result = await runProcess(process.execPath, [bin, "run", path.join(notebooksDir, name), "--out", out, "--html", html, "--timeout", "120"], {
          env,
          timeout: 300_000,
        });
        expect(fs.existsSync(out), `streamlab run wrote ${out}: ${result.stderr}`).toBe(true);
        const nb = readNotebook(out);
        expect(errorOutputs(nb)).toEqual([]);
        expect(result.code, result.stderr).toBe(0);
        expect(unexecutedCells(nb)).toEqual([]);
        checkContent(name, nb, { externalBootstrap: external?.bootstrap });
        const report = fs.readFileSync(html, "utf8");
        expect(report).not.toMatch(/<script/i);
        // The report shows what the notebook showed: its tables, and its charts as SVG drawn in Node.
        expect(report).toContain("<table");
        if (name === "04-live-dashboard.ipynb") expect(report.match(/<svg/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      } finally {
        await external?.stop();
        await stopBrokerIn(home);
      }
    }, 320_000);
  }
});
