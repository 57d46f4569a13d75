/**
 * `streamlab run` as a user runs it: the built CLI in a child process, on the fixture notebooks.
 * Needs `npm run build` first (npm test does it).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const bin = path.join(root, "bin", "streamlab.js");
const fixtures = path.join(__dirname, "fixtures");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  nb: { cells: Array<{ cell_type: string; execution_count: number | null; outputs?: Array<Record<string, any>> }> };
  html: string;
}

function run(fixture: string, extra: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-run-"));
  const out = path.join(dir, "out.ipynb");
  const html = path.join(dir, "out.html");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, "run", path.join(fixtures, fixture), "--out", out, "--html", html, ...extra],
      { timeout: 110_000, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === "number" ? (err as any).code : -1) : 0;
        try {
          resolve({ code, stdout, stderr, nb: JSON.parse(fs.readFileSync(out, "utf8")), html: fs.readFileSync(html, "utf8") });
        } catch (e) {
          reject(new Error(`no output written (exit ${code}): ${stderr}\n${(e as Error).message}`));
        }
      },
    );
  });
}

const codeCells = (r: Run) => r.nb.cells.filter((c) => c.cell_type === "code");

describe("streamlab run", () => {
  it("runs a notebook: outputs, execution counts, rich results, display updates by display_id", async () => {
    const r = await run("basic.ipynb");
    expect(r.code, r.stderr).toBe(0);
    const cells = codeCells(r);
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(cells[0].outputs).toEqual([
      { output_type: "stream", name: "stdout", text: ["hello world\n"] },
      { output_type: "execute_result", execution_count: 1, data: { "text/plain": "3" }, metadata: {} },
    ]);
    // %lsmagic lists itself
    expect(cells[1].outputs![0].data["text/plain"]).toContain("%lsmagic");
    // The display created in cell 3 was updated from a timer while cell 4 ran: it shows the last update.
    expect(cells[2].outputs).toEqual([
      { output_type: "display_data", data: { "text/plain": "count 5", "text/html": "<b>count 5</b>" }, metadata: {} },
    ]);
    expect(cells[3].outputs![0].text.join("")).toBe("ticks 5\n");
    expect(cells[4].outputs![0].data["text/html"]).toContain("<table>");
    expect(r.nb.cells[0].cell_type).toBe("markdown");
    // The HTML report: markdown rendered, tables as HTML, charts as their SVG, no scripts.
    expect(r.html).toContain("<h1>Basic</h1>");
    expect(r.html).toContain("<b>count 5</b>");
    expect(r.html).toContain("<td>1</td>");
    expect(r.html).toContain("<rect class='mark'");
    expect(r.html).not.toContain("<div>chart</div>");
    expect(r.html).not.toMatch(/<script/i);
  });

  it("exits 1 naming the failed cell and its error, and runs no further cells", async () => {
    const r = await run("fails.ipynb");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cell 2 failed: Error: the second cell fails");
    const cells = codeCells(r);
    expect(cells[1].outputs![0]).toMatchObject({ output_type: "error", ename: "Error", evalue: "the second cell fails" });
    expect(cells[2].execution_count).toBeNull();
    expect(r.html).toContain("Failed at cell 2");
  });

  it("reports an unknown magic in one line with a did-you-mean, without a stack", async () => {
    const r = await run("bad-magic.ipynb");
    expect(r.code).toBe(1);
    const error = codeCells(r)[0].outputs![0];
    expect(error).toMatchObject({ output_type: "error", ename: "MagicError" });
    expect(error.traceback).toEqual(["unknown magic %lsmagc (did you mean %lsmagic?); %lsmagic lists them all"]);
  });

  it("runs registered line and cell magics: shell-like arguments, help, variables they define, evaluate()", async () => {
    const r = await run("magics.ipynb");
    const cells = codeCells(r);
    // %keep stored "hello magic" --upper defined `stored`; the next cell uses it with its type (string).
    expect(cells[2].outputs).toEqual([{ output_type: "execute_result", execution_count: 3, data: { "text/plain": "'HELLO MAGIC'" }, metadata: {} }]);
    expect(cells[4].outputs![0].data["text/plain"]).toBe("3");
    // %%twice evaluated its body in the notebook's scope.
    expect(cells[5].outputs![0].data["text/plain"]).toBe("42");
    const help = cells[6].outputs![0].text.join("");
    expect(help).toContain("usage: %keep NAME TEXT");
    expect(help).toContain("--upper");
    // A bad argument: one line, naming the fix; the run stops there with exit status 1.
    expect(cells[7].outputs).toEqual([
      { output_type: "error", ename: "MagicError", evalue: "%keep: missing TEXT; usage: %keep NAME TEXT", traceback: ["%keep: missing TEXT; usage: %keep NAME TEXT"] },
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cell 8 failed: MagicError: %keep: missing TEXT; usage: %keep NAME TEXT");
  });

  it("expands $name and {expression} on magic lines in the cell's scope; $$, {{ }} escape; an unknown name is one line", async () => {
    const r = await run("expand.ipynb");
    const cells = codeCells(r);
    expect(cells[1].outputs).toEqual([{ output_type: "execute_result", execution_count: 2, data: { "text/plain": "'localhost:9093|$HOME|{x}|a+b'" }, metadata: {} }]);
    expect(cells[2].outputs![0].data["text/plain"]).toBe("'cost:|5$|localhost'");
    const line = "%echo: no variable named hots; define it in an earlier line or cell, or write $$ / {{ }} for a literal $ / {";
    expect(cells[3].outputs).toEqual([{ output_type: "error", ename: "MagicError", evalue: line, traceback: [line] }]);
    expect(r.code).toBe(1);
  });

  it("puts the API's type-only exports (StreamingQuery, StreamingQueryProgress, DataType, MimeBundle) in scope as types", async () => {
    const r = await run("types.ipynb");
    const cells = codeCells(r);
    expect(cells[0].outputs).toEqual([{ output_type: "execute_result", execution_count: 1, data: { "text/plain": "'types in scope'" }, metadata: {} }]);
    // The real declarations, not `any`: a wrong value does not type-check (a warning: %typecheck warn is the default).
    expect(cells[1].outputs![0]).toMatchObject({ output_type: "stream", name: "stderr" });
    expect([cells[1].outputs![0].text].flat().join("")).toContain("2:7 - Type 'number' is not assignable to type 'StreamingQueryProgress'.");
    expect(r.stderr).not.toContain("not in scope");
  });

  it("types danfojs results as rows: natural cells on spark.table() and toDanfo() type-check under %typecheck strict", async () => {
    // danfojs types DataFrame.values as ArrayType1D | ArrayType2D: each of these cells was a type error (and
    // under strict, a stopped run) until streamlab typed its frames' values as rows.
    const r = await run("danfo-types.ipynb");
    const cells = codeCells(r);
    const value = (i: number) => cells[i].outputs?.find((o) => o.output_type === "execute_result")?.data["text/plain"];
    expect(cells.slice(0, 8).flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "error" || o.name === "stderr")).toEqual([]);
    expect(value(2)).toBe("'eu=12.5 us=40'");
    expect(value(3)).toBe("52.5");
    expect(value(4)).toBe("'us'");
    expect(value(5)).toBe("'us'");
    expect(value(6)).toBe("52.5");
    expect(value(7)).toBe("'x1'");
    // Strict was in force: a real type error in the last cell stops the run there.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cell 9 failed: TypeScriptError");
    expect(r.stderr).toContain("is not assignable to type 'number'");
  });

  it("a SASL connect without --password-env has no one to prompt here: one line saying to use --password-env", async () => {
    const r = await run("password.ipynb");
    const line = "%kafka connect: nowhere to type a password here (no frontend, e.g. streamlab run): export it in an environment variable and add --password-env VAR";
    expect(codeCells(r)[0].outputs).toEqual([{ output_type: "error", ename: "MagicError", evalue: line, traceback: [line] }]);
    expect(r.code).toBe(1);
  });

  it("a cell ending in a promise shows what it resolves to, or fails with its rejection", async () => {
    const r = await run("promises.ipynb");
    const cells = codeCells(r);
    expect(cells[0].outputs).toEqual([{ output_type: "execute_result", execution_count: 1, data: { "text/plain": "42" }, metadata: {} }]);
    expect(cells[1].outputs).toEqual([]);
    expect(cells[2].outputs![0]).toMatchObject({ output_type: "error", ename: "Error", evalue: "late failure" });
    expect(r.code).toBe(1);
  });

  it("reports type errors with their position: a warning by default, an error under %typecheck strict", async () => {
    const r = await run("compile-error.ipynb");
    const cells = codeCells(r);
    expect(cells[0].outputs![0]).toMatchObject({ output_type: "stream", name: "stderr" });
    expect([cells[0].outputs![0].text].flat().join("")).toContain("warning: TypeScript: 1 type error; the cell runs anyway");
    expect([cells[0].outputs![0].text].flat().join("")).toContain("1:7 - Type 'string' is not assignable to type 'number'.");
    expect(r.code).toBe(1);
    expect(cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["type errors: stop the cell\n"] }]);
    expect(r.stderr).toContain("cell 3 failed: TypeScriptError: 1:7 - Type 'string' is not assignable to type 'number'.");
  });

  it("--timeout stops a cell awaiting forever and a cell spinning synchronously", async () => {
    for (const fixture of ["hangs.ipynb", "spins.ipynb"]) {
      const r = await run(fixture, ["--timeout", "2"]);
      expect(r.code, fixture).toBe(1);
      expect(r.stderr, fixture).toContain("cell 1 failed: timed out after 2 s (--timeout)");
    }
  });

  it("runs Kafka magics against the embedded broker it starts, and stops that broker at the end", async () => {
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const brokerPid = (r: Run) => Number(/\(pid (\d+)/.exec(codeCells(r)[0].outputs![0].data["text/plain"])![1]);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-home-"));
    const r = await run("kafka.ipynb", [], { ...process.env, STREAMLAB_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const cells = codeCells(r);
    expect(cells[1].outputs![0].data["text/html"]).toContain("sent 2 messages to kernel_fixture_topic");
    expect(cells[2].outputs![0].data["text/html"]).toContain("9.5");
    expect(r.stderr).toContain("stopped the embedded broker this run started");
    expect(alive(brokerPid(r))).toBe(false);

    // --keep-broker leaves it running for the next run (and the test stops it).
    const home2 = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-home-"));
    const kept = await run("kafka.ipynb", ["--keep-broker"], { ...process.env, STREAMLAB_HOME: home2 });
    expect(kept.code, kept.stderr).toBe(0);
    const pid = brokerPid(kept);
    try {
      expect(alive(pid)).toBe(true);
    } finally {
      if (alive(pid)) process.kill(pid, "SIGTERM");
    }
  });

  it("rejects bad arguments with one line", async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [bin, "run", "nope.ipynb", "--timeout", "soon"], (err, _o, stderr) =>
        resolve({ code: (err as any)?.code ?? 0, stderr }),
      ),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("streamlab: run: --timeout expects seconds, e.g. --timeout 60; got 'soon'");
  });
});
