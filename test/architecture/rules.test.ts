/**
 * The architecture rules of .dependency-cruiser.js: the real tree obeys them, and they fail when broken.
 * Broken trees are small fixtures written to a temporary folder and cruised with the repo's own config.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const config = path.join(root, ".dependency-cruiser.js");
const cli = path.join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: { name: string }[];
}

/** Run depcruise in `cwd` over `dirs`; the violations it reports (it exits non-zero when there are errors). */
function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...dirs, "--config", config, "--output-type", "json"], { cwd, encoding: "utf8", maxBuffer: 64 << 20, timeout: 170_000 }, (err, stdout, stderr) => {
      if (!stdout) return reject(new Error(`depcruise failed (${err?.message ?? "no output"}): ${stderr}`));
      try {
        resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
      } catch (e) {
        reject(new Error(`depcruise printed no JSON (${(e as Error).message}): ${stderr}`));
      }
    });
  });
}

const fixtures: string[] = [];

/** A throw-away tree: { "lib/client/a.ts": "import ..." } plus a tsconfig.json like the repo's. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streamlab-arch-"));
  fixtures.push(dir);
  const all = { "tsconfig.json": JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", strict: true }, include: ["lib/**/*.ts", "kernel/**/*.ts"] }), ...files };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

describe("architecture rules (dependency-cruiser)", { timeout: 180_000 }, () => {
  it("the real lib/ and kernel/ have no violations", async () => {
    expect(await cruise(root, ["lib", "kernel"])).toEqual([]);
  });

  it("report an import circle", async () => {
    const dir = fixture({
      "lib/client/a.ts": `import { b } from "./b";\nexport const a = () => b();\n`,
      "lib/client/b.ts": `import { a } from "./a";\nexport const b = (): unknown => a;\n`,
    });
    const found = await cruise(dir, ["lib"]);
    const circles = found.filter((v) => v.rule.name === "no-circular");
    expect(circles.length).toBeGreaterThan(0);
    expect(circles.map((v) => [v.from, v.to].sort().join(" "))).toContain("lib/client/a.ts lib/client/b.ts");
    expect(circles.every((v) => v.rule.severity === "error")).toBe(true);
  });

  it("report lib/ importing kernel/", async () => {
    const dir = fixture({
      "kernel/lifecycle.ts": `export const onShutdown = (): void => undefined;\n`,
      "lib/datagen/generator.ts": `import { onShutdown } from "../../kernel/lifecycle";\nexport const g = onShutdown;\n`,
    });
    const found = await cruise(dir, ["lib", "kernel"]);
    expect(found).toContainEqual(expect.objectContaining({ from: "lib/datagen/generator.ts", to: "kernel/lifecycle.ts", rule: expect.objectContaining({ name: "lib-not-to-kernel", severity: "error" }) }));
  });

  it("report lib/core importing a room, lib/broker importing anything but lib/core, and an arrow README does not draw", async () => {
    const dir = fixture({
      "lib/core/text.ts": `import { x } from "../client/x";\nexport const t = x;\n`,
      "lib/client/x.ts": `export const x = 1;\n`,
      "lib/broker/server.ts": `import { x } from "../client/x";\nexport const s = x;\n`,
      "lib/client/y.ts": `import { r } from "../render/r";\nexport const y = r;\n`,
      "lib/render/r.ts": `export const r = 2;\n`,
    });
    const rules = (await cruise(dir, ["lib"])).map((v) => `${v.rule.name} ${v.from} -> ${v.to}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        "room-core lib/core/text.ts -> lib/client/x.ts",
        "room-broker lib/broker/server.ts -> lib/client/x.ts",
        "room-client lib/client/y.ts -> lib/render/r.ts",
      ]),
    );
  });

  it("accept the arrows README draws", async () => {
    const dir = fixture({
      "lib/core/text.ts": `export const t = 1;\n`,
      "lib/client/x.ts": `import { t } from "../core/text";\nexport const x = t;\n`,
      "lib/datagen/g.ts": `import { x } from "../client/x";\nexport const g = x;\n`,
      "lib/stream/s.ts": `import { g } from "../datagen/g";\nimport { x } from "../client/x";\nexport const s = g + x;\n`,
      "lib/render/r.ts": `import { s } from "../stream/s";\nexport const r = s;\n`,
    });
    expect(await cruise(dir, ["lib"])).toEqual([]);
  });
});
