import { describe, it, expect } from "vitest";
import { evalSql } from "../support/sql";

describe("arithmetic (expected values are Spark's)", () => {
  it("integral results stay integral; division is double; try_divide / try_mod by zero are null", () => {
    expect(evalSql({ a: "7 + 3", m: "7 * 3", d: "7 / 2", dz: "try_divide(7, 0)", r: "7 % 3", rn: "-7 % 3", rz: "try_mod(7, 0)", q: "7 div 2", neg: "-(3)" })).toEqual({
      a: 10, m: 21, d: 3.5, dz: null, r: 1, rn: -1, rz: null, q: 3, neg: -3,
    });
  });
  it("dividing by zero fails, as in Spark 4's ANSI mode (DIVIDE_BY_ZERO), naming the row", () => {
    for (const e of ["7 / 0", "7 % 0", "7 div 0", "mod(7.5, 0)"]) expect(() => evalSql({ x: e }), e).toThrow(/\[DIVIDE_BY_ZERO\] Division by zero\. Use `try_divide`.*row 0/);
  });
  it("mod is Spark's remainder, with the dividend's sign (Spark 4.1's answers)", () => {
    // 7.5 is a DECIMAL(2,1) literal, so mod(7.5, 2) is an exact decimal (its text).
    expect(evalSql({ m1: "mod(-7, 3)", m2: "mod(7, -3)", m3: "mod(7.5, 2)", m4: "mod(-7.5, 2)" })).toEqual({ m1: -1, m2: 1, m3: "1.5", m4: "-1.5" });
  });
  it("null in, null out", () => {
    expect(evalSql({ a: "NULL + 1", m: "2 * NULL", f: "floor(NULL)" })).toEqual({ a: null, m: null, f: null });
  });
});

describe("math functions", () => {
  it("abs, sqrt, exp, logarithms (null for x <= 0), signum, pow", () => {
    expect(
      evalSql({ ab: "abs(-2.5)", sq: "sqrt(16)", ex: "exp(0)", ln: "ln(1)", l0: "ln(0)", lg: "log10(1000)", l2: "log2(8)", ln2: "log2(-1)", sg: "signum(-3)", pw: "pow(2, 10)", pr: "power(2, 0.5)" }),
    ).toEqual({ ab: "2.5", sq: 4, ex: 1, ln: 0, l0: null, lg: 3, l2: 3, ln2: null, sg: -1, pw: 1024, pr: Math.SQRT2 });
    expect(Number.isNaN(evalSql({ n: "sqrt(-1)" }).n)).toBe(true);
  });
  it("round is HALF_UP, bround is HALF_EVEN; floor and ceil", () => {
    expect(evalSql({ r1: "round(2.5)", r2: "round(-2.5)", r3: "round(1.2345, 2)", b1: "bround(2.5)", b2: "bround(3.5)", b3: "bround(-2.5)", b4: "bround(1.25, 1)", f: "floor(-1.5)", c: "ceil(1.2)", cg: "ceiling(-1.2)" })).toEqual({
      // Decimal literals round exactly as decimals (round(2.5) is DECIMAL(2,0) 3); the same on doubles below.
      r1: "3", r2: "-3", r3: "1.23", b1: "2", b2: "4", b3: "-2", b4: "1.2", f: -2, c: 2, cg: -1,
    });
    expect(evalSql({ r1: "round(2.5D)", r2: "round(-2.5D)", r3: "round(1.2345D, 2)", b1: "bround(2.5D)", b2: "bround(3.5D)", b3: "bround(-2.5D)", b4: "bround(1.25D, 1)" })).toEqual({
      r1: 3, r2: -3, r3: 1.23, b1: 2, b2: 4, b3: -2, b4: 1.2,
    });
  });
});
