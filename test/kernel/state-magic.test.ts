/**
 * %state through `streamlab run` (the built CLI in a child process, as a user runs it), on a fixture notebook
 * whose query keeps windowed state. Needs `npm run build` first (npm test does it).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const bin = path.join(root, "bin", "streamlab.js");

type Output = { output_type: string; data?: Record<string, unknown>; text?: string[] };

describe("%state in a notebook run by streamlab run", () => {
  it("shows each operator's keys, values and windows, searchable", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-run-state-"));
    const out = path.join(dir, "out.ipynb");
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, "run", path.join(__dirname, "fixtures", "state.ipynb"), "--out", out], { timeout: 110_000 }, (err, _stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0, stderr });
      });
    });
    expect(result.code, result.stderr).toBe(0);
    const nb = JSON.parse(fs.readFileSync(out, "utf8")) as { cells: { cell_type: string; outputs?: Output[] }[] };
    const cells = nb.cells.filter((c) => c.cell_type === "code");
    const text = (i: number) => (cells[i].outputs ?? []).map((o) => [o.data?.["text/plain"], o.text].flat().join("")).join("\n");
    const all = text(1);
    expect(all).toContain("operator 0: window aggregation (stateStoreSave), 3 rows");
    // processAllAvailable ran the no-data batch with the watermark 14 - 5 = 9 s, which closes no window.
    expect(all).toContain("watermark 2024-01-01T00:00:09.000Z; next 2024-01-01T00:00:09.000Z evicts 0 rows");
    expect(all).toContain("2 open windows; 0 close at the next watermark");
    expect(all).toContain("keys and values: page 1 of 1 (3 rows; 20 a page)");
    expect(String(cells[1].outputs?.[0]?.data?.["text/html"])).toContain('class="streamlab-live streamlab-state-view"');
    const searched = text(2);
    expect(searched).toContain("(1 row matching 'b'; 20 a page)");
    expect(searched).toMatch(/\|b\|\s*1\|\s*false\|/);
    expect(text(3)).toContain("2024-01-01T00:00:00.000Z 2 false\\n2024-01-01T00:00:10.000Z 1 false");
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
