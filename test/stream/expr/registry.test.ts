/** The function registry: names, aliases, arity, and no silent shadowing. */
import { describe, it, expect } from "vitest";
import { FunctionRegistry, functions } from "../../../lib/stream/expr/functions";
import { StringType } from "../../../lib/stream";
import { evalSql } from "../support/sql";

const trivial = { args: [1, 1] as const, resolve: () => ({ type: StringType }), gen: (a: string[]) => a[0] };
const agg = { resolve: () => ({ type: StringType }), init: ["null"], update: () => "", finalize: () => null };

describe("function registry", () => {
  it("rejects a name registered twice, whether as function, alias or aggregate", () => {
    const r = new FunctionRegistry();
    r.scalar(["f", "g"], trivial);
    expect(() => r.scalar("f", trivial)).toThrow("streamlab: function 'f' is registered twice");
    expect(() => r.scalar("G", trivial)).toThrow(/function 'G' is registered twice/);
    expect(() => r.aggregate("f", agg)).toThrow(/registered twice/);
    expect(() => r.alias("g", "f")).toThrow(/registered twice/);
    expect(() => r.alias("h", "nothing")).toThrow(/alias 'h' names unknown function 'nothing'/);
  });

  it("the library itself registers every name once (it loads) and knows aliases and aggregates", () => {
    expect(functions.scalarDef("lcase")?.name).toBe("lower");
    expect(functions.scalarDef("UPPER")?.name).toBe("upper");
    expect(functions.aggDef("mean")?.name).toBe("avg");
    expect(functions.isAggregate("approx_count_distinct")).toBe(true);
    expect(functions.isAggregate("upper")).toBe(false);
    const names = functions.names();
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["from_json", "window", "regexp_like", "count", "nvl"]));
    expect(names).not.toContain("+");
  });

  it("function names are case-insensitive in SQL; arity errors say how many arguments", () => {
    expect(evalSql({ u: "UPPER('a')", l: "Lower('B')" })).toEqual({ u: "A", l: "b" });
    expect(() => evalSql({ x: "substring('a')" })).toThrow("substring() takes 2 to 3 arguments, got 1");
    expect(() => evalSql({ x: "concat()" })).toThrow("concat() takes 1 to any number of arguments, got 0");
  });
});
