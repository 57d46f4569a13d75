import { describe, expect, it } from "vitest";
import { MagicError, parseDuration, parseMagicArgs, registerMagic, runMagic, shellSplit, type MagicSpec } from "../../lib/core";
import { consoleBridge } from "../../lib/core";

const spec: MagicSpec = {
  name: "demo",
  kind: "line",
  summary: "a magic for tests",
  usage: "%demo TOPIC [--rate N] [--follow]",
  positional: { min: 1, max: 1, names: ["TOPIC"] },
  options: [
    { name: "rate", type: "number", help: "messages per second", default: 10 },
    { name: "duration", type: "duration", help: "how long" },
    { name: "format", type: "string", help: "encoding", choices: ["json", "csv"] },
    { name: "follow", alias: "f", type: "boolean", help: "keep going" },
  ],
  run: (ctx) => ctx.args,
};

describe("shellSplit", () => {
  it("groups quotes and honours escapes", () => {
    expect(shellSplit(`a "b c" 'd e' f\\ g ""`)).toEqual(["a", "b c", "d e", "f g", ""]);
  });
  it("rejects an unclosed quote with a one-line fix", () => {
    expect(() => shellSplit(`a "b`)).toThrow(/unclosed " quote/);
  });
});

describe("parseMagicArgs", () => {
  it("reads --flag value, --flag=value, -f and defaults", () => {
    const a = parseMagicArgs(spec, "orders --rate=1,000/s --duration 30s -f");
    expect(a.positional).toEqual(["orders"]);
    expect(a.options).toEqual({ rate: 1000, duration: 30_000, follow: true });
    expect(parseMagicArgs(spec, "orders").options.rate).toBe(10);
  });
  it("suggests the closest option for a typo", () => {
    expect(() => parseMagicArgs(spec, "orders --rtae 5")).toThrow(/unknown option --rtae \(did you mean --rate\?\)/);
  });
  it("names the allowed choices", () => {
    expect(() => parseMagicArgs(spec, "orders --format jsn")).toThrow(/one of json, csv \(did you mean 'json'\?\)/);
  });
  it("checks positional counts against the usage", () => {
    expect(() => parseMagicArgs(spec, "")).toThrow(MagicError);
    expect(() => parseMagicArgs(spec, "a b")).toThrow(/unexpected argument 'b'/);
  });
});

describe("runMagic", () => {
  registerMagic(spec);
  const ctx = { display: consoleBridge, scope: {}, evaluate: async () => undefined };
  it("suggests a registered magic for an unknown name", async () => {
    await expect(runMagic("dmeo", "x", ctx)).rejects.toThrow(/unknown magic %dmeo \(did you mean %demo\?\)/);
  });
  it("refuses a line magic used as a cell magic", async () => {
    await expect(runMagic("demo", "x", { ...ctx, body: "" })).rejects.toThrow(/is a line magic/);
  });
});

describe("parseDuration", () => {
  it("reads units", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5 minutes")).toBe(90_000);
    expect(parseDuration("2")).toBe(2000);
    expect(() => parseDuration("fast")).toThrow(/not a duration/);
  });
});
