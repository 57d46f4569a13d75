/** lib/core's helpers: the magic registry, shellSplit, the duration parser, the table builder, didYouMean. */
import { describe, expect, it } from "vitest";
import {
  alignedTextTable,
  didYouMean,
  editDistance,
  errorMessage,
  escapeHtml,
  getOption,
  htmlTable,
  MagicError,
  parseDuration,
  registerMagic,
  runMagic,
  shellSplit,
  sparkTextTable,
  durationUnit,
  toText,
  unregisterMagic,
  UserError,
  consoleBridge,
  type MagicSpec,
} from "../../lib/core";

const spec = (name: string, run: MagicSpec["run"] = () => "first"): MagicSpec => ({ name, kind: "line", summary: "test", usage: `%${name}`, run });
const ctx = { display: consoleBridge, scope: {}, evaluate: () => Promise.resolve(undefined) };

describe("magic registry", () => {
  it("refuses a name registered twice, with a one-line fix", () => {
    registerMagic(spec("twice"));
    expect(() => registerMagic(spec("twice", () => "second"))).toThrow(MagicError);
    expect(() => registerMagic(spec("twice"))).toThrow(/magic %twice is already registered: pick another name, or registerMagic\(spec, \{ replace: true \}\)/);
  });

  it("redefines a name with replace, and forgets it with unregisterMagic", async () => {
    registerMagic(spec("redo"));
    expect(await runMagic("redo", "", ctx)).toBe("first");
    registerMagic(spec("redo", () => "second"), { replace: true });
    expect(await runMagic("redo", "", ctx)).toBe("second");
    expect(unregisterMagic("redo")).toBe(true);
    await expect(runMagic("redo", "", ctx)).rejects.toThrow(/unknown magic %redo/);
  });

  it("gives typed option values and refuses a getter of the wrong type", async () => {
    registerMagic({
      name: "typed",
      kind: "line",
      summary: "typed options",
      usage: "%typed [--name N] [--rate R] [--every D] [--on] [--tags a,b]",
      options: [
        { name: "name", type: "string", help: "" },
        { name: "rate", type: "number", help: "" },
        { name: "every", type: "duration", help: "" },
        { name: "on", type: "boolean", help: "" },
        { name: "tags", type: "list", help: "" },
      ],
      run: (c) => ({ name: c.args.string("name"), rate: c.args.number("rate"), every: c.args.number("every"), on: c.args.flag("on"), tags: c.args.list("tags"), wrong: () => c.args.number("name") }),
    });
    const r = (await runMagic("typed", "--name x --rate 5 --every 2m --tags a,b", ctx)) as Record<string, unknown> & { wrong(): unknown };
    expect(r).toMatchObject({ name: "x", rate: 5, every: 120_000, on: false, tags: ["a", "b"] });
    expect(() => r.wrong()).toThrow(/--name is a string option/);
  });
});

describe("shellSplit", () => {
  it("splits on whitespace, groups quotes, honours backslashes", () => {
    expect(shellSplit(`orders --topic "my topic" --note 'a "b"' x\\ y`)).toEqual(["orders", "--topic", "my topic", "--note", 'a "b"', "x y"]);
    expect(shellSplit(`  `)).toEqual([]);
    expect(shellSplit(`"" ''`)).toEqual(["", ""]);
  });
  it("an unclosed quote is a UserError, or the caller's error class", () => {
    expect(() => shellSplit(`a 'b`)).toThrow(UserError);
    expect(() => shellSplit(`a 'b`, (m) => new MagicError(m))).toThrow(MagicError);
    expect(() => shellSplit(`a 'b`)).toThrow(/unclosed ' quote/);
  });
});

describe("parseDuration", () => {
  it("reads the magic style: 30s, 250ms, 1.5 minutes, 2h, a bare number as seconds", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5 minutes")).toBe(90_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("2")).toBe(2000);
  });
  it("reads Spark's interval strings: compound, with INTERVAL, weeks", () => {
    expect(parseDuration("10 seconds")).toBe(10_000);
    expect(parseDuration("1 hour 30 minutes")).toBe(5_400_000);
    expect(parseDuration("interval 5 minutes")).toBe(300_000);
    expect(parseDuration("1 WEEK")).toBe(604_800_000);
    expect(parseDuration("1 day 2 hours 3 minutes 4 seconds 5 milliseconds")).toBe(86_400_000 + 7_200_000 + 180_000 + 4000 + 5);
  });
  it("refuses a bare number when the caller needs a unit, and bad text, in the caller's error class", () => {
    class AnalysisError extends Error {}
    const strict = { bareNumber: "error" as const, error: (m: string) => new AnalysisError(m) };
    expect(() => parseDuration("10", strict)).toThrow(AnalysisError);
    expect(() => parseDuration("10", strict)).toThrow(/is not a duration: it needs a unit/);
    expect(() => parseDuration("soon")).toThrow(/'soon' is not a duration/);
    expect(() => parseDuration("10 fortnights")).toThrow(/unknown duration unit 'fortnights'/);
    expect(() => parseDuration("10 seconds later")).toThrow(/not a duration|unknown duration unit/);
    expect(() => parseDuration("")).toThrow(/not a duration/);
  });
  it("durationUnit serves SQL INTERVAL literals", () => {
    expect(durationUnit("SECONDS")).toBe(1000);
    expect(durationUnit("minute")).toBe(60_000);
    expect(durationUnit("toString")).toBeUndefined();
    expect(durationUnit("parsecs")).toBeUndefined();
  });
});

describe("table builder", () => {
  const header = ["region", "revenue"];
  const rows = [["eu", "12.5"], ["north-america", "7"]];

  it("writes Spark's show() text table", () => {
    expect(sparkTextTable(header, rows)).toBe(
      ["+-------------+-------+", "|       region|revenue|", "+-------------+-------+", "|           eu|   12.5|", "|north-america|      7|", "+-------------+-------+"].join("\n"),
    );
    expect(sparkTextTable(["a"], [], { minWidth: 3 })).toBe(["+---+", "|  a|", "+---+", "+---+"].join("\n"));
  });

  it("writes an aligned listing, right-aligning chosen columns and cutting long cells", () => {
    const text = alignedTextTable(header, [...rows, ["x".repeat(12), "1"]], { rightAligned: new Set([1]), maxWidth: 10 });
    expect(text.split("\n")).toEqual(["region      revenue", "----------  -------", "eu             12.5", "north-ame…        7", "xxxxxxxxx…        1"]);
  });

  it("writes an HTML table with every cell escaped, caller attributes, and an empty row", () => {
    const html = htmlTable(["a<b"], [["<script>&"]], { attributes: `class="t"`, cellAttributes: () => `style="x"` });
    expect(html).toBe(`<table class="t"><thead><tr><th>a&lt;b</th></tr></thead><tbody><tr><td style="x">&lt;script&gt;&amp;</td></tr></tbody></table>`);
    expect(htmlTable(["a", "b"], [], { empty: { text: "none" } })).toContain(`<tr><td colspan="2">none</td></tr>`);
    expect(htmlTable(["a"], [["x"]], { cellHtml: (t) => `<pre>${t}</pre>` })).toContain("<td><pre>x</pre></td>");
  });
});

describe("text helpers", () => {
  it("didYouMean finds the closest name within a small distance, ignoring case", () => {
    expect(editDistance("rtae", "rate")).toBe(2);
    expect(didYouMean("rtae", ["rate", "topic", "count"])).toBe("rate");
    expect(didYouMean("TOPC", ["rate", "topic"])).toBe("topic");
    expect(didYouMean("zzzzzz", ["rate", "topic"])).toBeUndefined();
  });
  it("escapeHtml escapes the five characters", () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  });
  it("getOption reads Spark options case-insensitively", () => {
    expect(getOption({ numRows: "5" }, "numrows")).toBe("5");
    expect(getOption({ NUMROWS: "7" }, "numRows")).toBe("7");
    expect(getOption({ truncate: "false" }, "numRows")).toBeUndefined();
  });
  it("toText and errorMessage never print [object Object]", () => {
    expect(toText({ a: 1n })).toBe(`{"a":"1"}`);
    expect(toText(new Date(0))).toBe("1970-01-01T00:00:00.000Z");
    expect(toText(null)).toBe("null");
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage({ code: 3 })).toBe(`{"code":3}`);
  });
});
