import { describe, it, expect } from "vitest";
import { parseProduceBody, toProduceRecords, murmur2, partitionForKey, parseTailFrom, prettyValue, textTable, htmlTable } from "../../lib/client";

/** Evaluates a JavaScript expression, standing in for the kernel's TypeScript evaluator (not Kafka's). */
const evaluate = async (code: string) => new Function(`return (${code});`)();

describe("%%produce body parser", () => {
  it("reads JSON lines", async () => {
    expect(await parseProduceBody('{"a":1}\n\n{"a":2}\n"text"\n3\n')).toEqual([{ a: 1 }, { a: 2 }, "text", 3]);
  });

  it("reads a JSON array, also spread over lines", async () => {
    expect(await parseProduceBody('[\n  {"id": 1},\n  {"id": 2}\n]')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("reads one multi-line JSON object as one value", async () => {
    expect(await parseProduceBody('{\n "key": "k",\n "value": {"x": 1}\n}')).toEqual([{ key: "k", value: { x: 1 } }]);
  });

  it("tolerates trailing commas and // comments between JSON lines", async () => {
    expect(await parseProduceBody('// two orders\n{"a":1},\n{"a":2},')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("evaluates a TypeScript expression yielding an array, an iterable, an async iterable or one value", async () => {
    expect(await parseProduceBody("Array.from({length: 3}, (_, i) => ({i}))", evaluate)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(await parseProduceBody("new Set([1, 2])", evaluate)).toEqual([1, 2]);
    expect(await parseProduceBody("(async function* () { yield 'a'; yield 'b'; })()", evaluate)).toEqual(["a", "b"]);
    expect(await parseProduceBody("({x: 1})", evaluate)).toEqual([{ x: 1 }]);
  });

  it("explains bad bodies in one line", async () => {
    await expect(parseProduceBody("   \n")).rejects.toThrow(/body is empty/);
    await expect(parseProduceBody('{"a":1}\n{"a":')).rejects.toThrow(/line 2 is not JSON/);
    await expect(parseProduceBody('{"a":1}\n{"a":', evaluate)).rejects.toThrow(/line 2 is not JSON/);
    await expect(parseProduceBody("nope nope", evaluate)).rejects.toThrow(/neither JSON nor a TypeScript expression/);
    await expect(parseProduceBody("undefined", evaluate)).rejects.toThrow(/yielded undefined/);
  });
});

describe("records from values", () => {
  it("serializes key and value as JSON and places keyed records by murmur2, like Kafka's default partitioner", () => {
    const values = [{ id: "a", n: 1 }, { id: "b", n: 2 }, { id: "a", n: 3 }];
    const records = toProduceRecords(values, { keyField: "id", partitions: 4 });
    expect(records.map((r) => r.key)).toEqual(['"a"', '"b"', '"a"']);
    expect(records.map((r) => r.value)).toEqual(values.map((v) => JSON.stringify(v)));
    expect(records[0].partition).toBe(records[2].partition);
    expect(records[0].partition).toBe(partitionForKey('"a"', 4));
  });

  it("spreads unkeyed records round-robin, or sends all to --partition", () => {
    expect(toProduceRecords([1, 2, 3, 4, 5], { partitions: 2 }).map((r) => r.partition)).toEqual([0, 1, 0, 1, 0]);
    expect(toProduceRecords([1, 2], { partition: 1, partitions: 2 }).map((r) => [r.key, r.partition])).toEqual([[null, 1], [null, 1]]);
    expect(() => toProduceRecords([1], { partition: 5, partitions: 2 })).toThrow(/partitions 0..1/);
    expect(() => toProduceRecords([{ a: 1 }, { b: 2 }], { keyField: "a" })).toThrow(/value 2 has no field 'a'/);
  });

  it("murmur2 matches the Java client's test vectors", () => {
    const cases: [string, number][] = [
      ["21", -973932308], ["foobar", -790332482], ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829], ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971], ["abc", 479470107],
    ];
    for (const [text, hash] of cases) expect(murmur2(Buffer.from(text))).toBe(hash);
  });
});

describe("%tail helpers and tables", () => {
  it("parses --from", () => {
    expect(parseTailFrom("beginning")).toEqual({ kind: "beginning" });
    expect(parseTailFrom("earliest")).toEqual({ kind: "beginning" });
    expect(parseTailFrom("latest")).toEqual({ kind: "latest" });
    expect(parseTailFrom("42")).toEqual({ kind: "offset", offset: 42 });
    expect(parseTailFrom("1767225600000")).toEqual({ kind: "timestamp", ms: 1767225600000 });
    expect(parseTailFrom("2026-01-01T00:00:00Z")).toEqual({ kind: "timestamp", ms: Date.UTC(2026, 0, 1) });
    expect(() => parseTailFrom("yesterday")).toThrow(/not beginning, latest/);
  });

  it("pretty-prints JSON values and leaves other text alone", () => {
    expect(prettyValue('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyValue('{"a":')).toBe('{"a":');
    expect(prettyValue(null)).toBe("null");
  });

  it("builds escaped HTML and aligned text tables", () => {
    const html = htmlTable(["k", "v"], [["<b>", 1234]], { title: "t & u" });
    expect(html).toContain("&lt;b&gt;");
    expect(html).toContain("t &amp; u");
    expect(html).toContain("1,234");
    expect(textTable(["k", "v"], [["a", 1], ["bbb", 22]], { numericColumns: ["v"] }).split("\n")).toEqual(["k     v", "---  --", "a     1", "bbb  22"]);
  });
});
