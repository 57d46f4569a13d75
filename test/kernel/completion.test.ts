/**
 * Completion, inspection, is_complete, history and the converter layer without Jupyter: tslab's real
 * converter and executor, lib/'s real magic registry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConverter } from "tslab/dist/converter";
import { createExecutor, type Executor } from "tslab/dist/executor";
import { printQuickInfo } from "tslab/dist/inspect";
import * as magics from "../../lib/core";
import { Completer, isComplete, jupyterType, mapToRewritten } from "../../kernel/completion";
import { historyItems } from "../../kernel/messages";
import { hasTopLevelAwait, ignoreLines, onlyTypeErrors, withPolicy, type TypeCheckPolicy } from "../../kernel/typecheck";
import { isExitCommand } from "../../kernel/session";

describe("isComplete", () => {
  it.each([
    ["1 + 1", "complete"],
    ["%lsmagic", "complete"],
    ["function f() { return 1; }", "complete"],
    ["function f() {", "incomplete"],
    ["const xs = [1,", "incomplete"],
    ["foo(", "incomplete"],
    ["x.", "incomplete"],
    ["'abc", "incomplete"],
    ['const s = "unterminated', "incomplete"],
    ["const t = `template ${1}", "incomplete"],
    ["const t = `multi\nline", "incomplete"],
    ["/* a comment", "incomplete"],
    ["1 +* 2", "invalid"],
    ["}", "invalid"],
    ["const x = ;", "invalid"],
    ["function f() {\n\n", "complete"], // two blank lines submit anyway, as in tslab
  ])("%j is %s", (code, status) => {
    expect(isComplete(code).status).toBe(status);
  });

  it("suggests the indentation of the next line", () => {
    expect(isComplete("class A {\n  m() {")).toEqual({ status: "incomplete", indent: "    " });
  });
});

describe("history", () => {
  const cells = [
    { count: 1, code: "const a = 1" },
    { count: 2, code: "a + 1" },
    { count: 3, code: "console.log(a)" },
    { count: 4, code: "a + 1" },
  ];
  it("answers tail, range and search as IPython does", () => {
    expect(historyItems(cells, { hist_access_type: "tail", n: 2 })).toEqual([[1, 3, "console.log(a)"], [1, 4, "a + 1"]]);
    expect(historyItems(cells, { hist_access_type: "range", session: 0, start: 2, stop: 4 })).toEqual([[1, 2, "a + 1"], [1, 3, "console.log(a)"]]);
    expect(historyItems(cells, { hist_access_type: "range", session: -3 })).toEqual([]);
    expect(historyItems(cells, { hist_access_type: "search", pattern: "a +*", n: 10 })).toEqual([[1, 2, "a + 1"], [1, 4, "a + 1"]]);
    expect(historyItems(cells, { hist_access_type: "search", pattern: "a +*", unique: true })).toEqual([[1, 4, "a + 1"]]);
    expect(historyItems(cells, { hist_access_type: "tail", n: 1, output: true })).toEqual([[1, 4, ["a + 1", null]]]);
  });
});

describe("exit and quit", () => {
  it("recognizes them alone in a cell only", () => {
    for (const c of ["exit", "quit", " exit() ", "quit;"]) expect(isExitCommand(c)).toBe(true);
    for (const c of ["exit(1)", "process.exit()", "const exit = 1", "exit\n1"]) expect(isExitCommand(c)).toBe(false);
  });
});

describe("typecheck helpers", () => {
  it("finds top-level await also nested in another await, not inside functions", () => {
    expect(hasTopLevelAwait("const d = await (await fetch(u)).json()")).toBe(true);
    expect(hasTopLevelAwait("await (await Promise.resolve(Promise.resolve(3)))")).toBe(true);
    expect(hasTopLevelAwait("for await (const x of xs) {}")).toBe(true);
    expect(hasTopLevelAwait("async function f() { await g(); }")).toBe(false);
    expect(hasTopLevelAwait("const f = async () => await (await g());")).toBe(false);
  });

  it("puts a @ts-ignore line before the given lines, never inside a template literal", () => {
    expect(ignoreLines("const a: number = 'x';\nconst b: string = 1;", [0, 1])).toBe("// @ts-ignore\nconst a: number = 'x';\n// @ts-ignore\nconst b: string = 1;");
    expect(ignoreLines("// a comment line before\nconst x: number = 'y';", [1])).toBe("// a comment line before\n// @ts-ignore\nconst x: number = 'y';");
    expect(ignoreLines("const t = `a\nb`;\nconst x: number = 'y';", [1])).toBeUndefined();
  });

  it("downgrades only type errors, not syntax errors or unknown names", () => {
    const d = (code: number, fileName?: string) => ({ code, fileName, messageText: "", category: 1, start: { line: 0, character: 0, offset: 0 }, end: { line: 0, character: 0, offset: 0 } });
    expect(onlyTypeErrors([d(2322), d(2345)])).toBe(true);
    expect(onlyTypeErrors([d(2322), d(1005)])).toBe(false);
    expect(onlyTypeErrors([d(2304)])).toBe(false);
    expect(onlyTypeErrors([d(2322, "other.ts")])).toBe(false);
  });
});

describe("Completer and the converter layer on tslab's executor", () => {
  let executor: Executor;
  let completer: Completer<magics.MagicSpec>;
  const warnings: string[][] = [];
  const printed: unknown[] = [];
  const errors: unknown[][] = [];
  const policy: TypeCheckPolicy = { mode: "warn", warn: (lines) => warnings.push(lines) };

  beforeAll(() => {
    let node: ReturnType<typeof createConverter> | undefined;
    const converters = {
      get node() {
        return (node ??= withPolicy(createConverter({ isJS: false, isBrowser: false }), policy));
      },
      get browser() {
        return this.node;
      },
      close: () => node?.close(),
    };
    executor = createExecutor(process.cwd(), converters, { log: (v: unknown) => printed.push(v), error: (...a: unknown[]) => errors.push(a) });
    if (!magics.getMagic("complete-test")) {
      magics.registerMagic({
        name: "complete-test",
        kind: "line",
        summary: "a magic for completion tests",
        usage: "%complete-test [--rate N] [--rows N]",
        options: [
          { name: "rate", type: "number", help: "per second" },
          { name: "rows", type: "number", help: "how many" },
        ],
        run: () => undefined,
      });
    }
    completer = new Completer(executor, magics);
  }, 120_000);
  afterAll(() => executor?.close());

  it("completes TypeScript members with their kinds for _jupyter_types_experimental", async () => {
    expect(await executor.execute("const completeMe = { alpha: 1, beta() { return 2; } };")).toBe(true);
    const code = "completeMe.";
    const c = completer.complete(code, code.length);
    expect(c.candidates).toEqual(expect.arrayContaining(["alpha", "beta"]));
    expect(c.start).toBe(code.length);
    const types = new Map(c.types.map((t) => [t.text, t.type]));
    expect(types.get("alpha")).toBe("property");
    expect(types.get("beta")).toBe("function");
    const partial = "Math.ma";
    const m = completer.complete(partial, partial.length);
    expect(m.candidates).toContain("max");
    expect([m.start, m.end]).toEqual([5, 7]);
  });

  it("completes magic names and options, and maps positions across magic lines", () => {
    const names = completer.complete("%complete-t", 11);
    expect(names.candidates).toEqual(["complete-test"]);
    expect(names.types[0]).toEqual({ start: 1, end: 11, text: "complete-test", type: "magic" });
    const options = completer.complete("%complete-test --r", 18);
    expect(new Set(options.candidates)).toEqual(new Set(["--rate", "--rows"]));
    expect([options.start, options.end]).toEqual([15, 18]);
    // Below a magic line, TypeScript positions are those of the original cell.
    const cell = "%complete-test --rate 1\nMath.ma";
    const below = completer.complete(cell, cell.length);
    expect(below.candidates).toContain("max");
    expect([below.start, below.end]).toEqual([cell.length - 2, cell.length]);
    expect(mapToRewritten(cell, 3)).toBeUndefined();
  });

  it("inspects TypeScript and shows magic help on a magic line", () => {
    const info = completer.inspect("Math.max", 6);
    expect(info && printQuickInfo(info as Parameters<typeof printQuickInfo>[0])).toContain("max(...values: number[]): number");
    expect(completer.magicHelpAt("%complete-test --rate 5", 3)).toContain("--rate NUMBER");
    expect(completer.magicHelpAt("1 + 1", 1)).toBeUndefined();
    expect(jupyterType("local var")).toBe("variable");
  });

  it("runs a cell with type errors as a warning (warn), refuses it (strict), and runs nested awaits", async () => {
    printed.length = 0;
    warnings.length = 0;
    expect(await executor.execute("const wrong: number = 'text';\nwrong")).toBe(true);
    expect(printed).toEqual(["text"]);
    expect(warnings).toEqual([["1:7 - Type 'string' is not assignable to type 'number'."]]);
    policy.mode = "strict";
    errors.length = 0;
    expect(await executor.execute("const wrong2: number = 'text';")).toBe(false);
    expect(errors.flat().join(" ")).toContain("is not assignable to type 'number'");
    policy.mode = "off";
    warnings.length = 0;
    expect(await executor.execute("const wrong3: number = 'text';")).toBe(true);
    expect(warnings).toEqual([]);
    policy.mode = "warn";
    // A syntax error is never downgraded.
    expect(await executor.execute("const broken = ;")).toBe(false);
    printed.length = 0;
    expect(await executor.execute("await (await Promise.resolve(Promise.resolve(3)))")).toBe(true);
    expect(await executor.execute("const data = await (await Promise.resolve({ json: async () => ({ n: 5 }) })).json();\ndata.n")).toBe(true);
    expect(printed).toEqual([3, 5]);
  });
});
