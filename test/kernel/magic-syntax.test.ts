import { describe, expect, it } from "vitest";
import { parseArgTemplate, rewriteMagics, MAGIC_GLOBAL } from "../../kernel/magic-syntax";

const call = (method: string) => `${MAGIC_GLOBAL}.${method}(`;

describe("rewriteMagics", () => {
  it("leaves plain TypeScript alone", () => {
    const src = "const a = 10 % 3;\nconst b = `%not ${a}`;\n// %comment\n";
    expect(rewriteMagics(src)).toEqual({ code: src, magics: [] });
  });

  it("rewrites a line magic at top level into an awaited call with its raw arguments", () => {
    const { code, magics } = rewriteMagics(`const x = 1;\n%tail orders --from beginning --limit "10"\nx`);
    const lines = code.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`;await ${call("magic")}"tail", "orders --from beginning --limit \\"10\\"")`);
    expect(magics).toEqual([{ name: "tail", kind: "line", help: false, args: 'orders --from beginning --limit "10"', line: 1 }]);
  });

  it("keeps indentation and runs magics inside blocks detached (no await)", () => {
    const { code } = rewriteMagics("function f() {\n  %kafka stop\n}");
    expect(code.split("\n")[1]).toBe(`  ;${call("magicDetached")}"kafka", "stop");`);
  });

  it("turns %name? and %%name? into help", () => {
    expect(rewriteMagics("%datagen?").code).toBe(`;${call("help")}"datagen");`);
    expect(rewriteMagics("%%produce?\n").magics[0]).toMatchObject({ name: "produce", kind: "cell", help: true });
  });

  it("passes a cell magic's body verbatim and keeps the line count", () => {
    const src = `%%produce orders --key id\n{"id": 1, "note": "a % b"}\n{"id": 2}`;
    const { code, magics } = rewriteMagics(src);
    expect(code.split("\n")).toHaveLength(3);
    expect(code.split("\n")[0]).toBe(`await ${call("magic")}"produce", "orders --key id", ${JSON.stringify(`{"id": 1, "note": "a % b"}\n{"id": 2}`)})`);
    expect(magics).toEqual([{ name: "produce", kind: "cell", help: false, args: "orders --key id", line: 0 }]);
  });

  it("does not touch % inside strings, template literals, comments or continued expressions", () => {
    const src = [
      "const t = `",
      "%not a magic",
      "`;",
      "/*",
      "%also not",
      "*/",
      "const m = 7",
      "  % 2;",
      "foo(",
      "%arg",
      ")",
    ].join("\n");
    expect(rewriteMagics(src).magics).toEqual([]);
  });

  it("splits arguments into literal text and $name / {expression} placeholders, with $$ {{ }} escapes", () => {
    expect(parseArgTemplate("connect $bootstrap --x")).toEqual({ strings: ["connect ", " --x"], expressions: ["bootstrap"], sources: ["$bootstrap"] });
    expect(parseArgTemplate("{a.b + 1}:{ {k: 1}.k }")).toEqual({ strings: ["", ":", ""], expressions: ["a.b + 1", " {k: 1}.k "], sources: ["{a.b + 1}", "{ {k: 1}.k }"] });
    expect(parseArgTemplate("$$HOME {{x}} 5$ {} {open")).toEqual({ strings: ["$HOME {x} 5$ {} {open"], expressions: [], sources: [] });
    expect(parseArgTemplate("{'}'}")).toEqual({ strings: ["", ""], expressions: ["'}'"], sources: ["{'}'}"] });
  });

  it("compiles placeholders into the rewritten line and leaves lines without them as plain strings", () => {
    const { code } = rewriteMagics("%kafka connect {bootstrap}\nif (x) {\n  %tail $topic\n}\n%kafka connect a:1");
    const lines = code.split("\n");
    expect(lines[0]).toBe(`;await ${call("magic")}"kafka", ${call("expand")}["connect ",""], [(bootstrap)], ["{bootstrap}"]))`);
    expect(lines[2]).toBe(`  ;${call("magicDetached")}"tail", ${call("expand")}["",""], [(topic)], ["$topic"]));`);
    expect(lines[4]).toBe(`;await ${call("magic")}"kafka", "connect a:1")`);
    expect(rewriteMagics("%%produce $t\n{\"a\": 1}").code.split("\n")[0]).toBe(`await ${call("magic")}"produce", ${call("expand")}["",""], [(t)], ["$t"]), "{\\"a\\": 1}")`);
  });

  it("flags a cell magic that is not on the first line", () => {
    const { code, magics } = rewriteMagics("const a = 1;\n%%produce t\n");
    expect(code.split("\n")[1]).toBe(`;${call("misplacedCellMagic")}"produce");`);
    expect(magics[0]).toMatchObject({ name: "produce", kind: "cell" });
  });

  it("accepts magics after template literals with substitutions", () => {
    const src = "const s = `a ${1 + 1} b`;\n%lsmagic";
    expect(rewriteMagics(src).magics.map((m) => m.name)).toEqual(["lsmagic"]);
  });
});
