import { describe, it, expect } from "vitest";
import { spark, col, lit, expr, upper, concat_ws, to_timestamp, date_format } from "../../../lib/stream";
import { evalSql } from "../support/sql";

describe("string functions", () => {
  it("string and date functions", () => {
    const df = spark.createDataFrame([{ s: " Hello ", t: "2024-03-05 14:07:09" }], "s STRING, t STRING");
    const [r] = df
      .select(
        upper(col("s")).alias("u"),
        expr("trim(s)").alias("t1"),
        expr("length(trim(s))").alias("len"),
        expr("substring(trim(s), 2, 3)").alias("sub"),
        concat_ws("-", col("t"), lit("x")).alias("cw"),
        to_timestamp(col("t")).alias("ts"),
        date_format(to_timestamp(col("t")), "yyyy/MM/dd HH:mm").alias("f"),
        expr("hour(to_timestamp(t))").alias("h"),
        expr("year(to_timestamp(t)) * 100 + month(to_timestamp(t))").alias("ym"),
        expr("to_timestamp('05/03/2024', 'dd/MM/yyyy')").alias("p"),
        expr("regexp_extract(t, '(\\\\d+):(\\\\d+)', 2)").alias("rx"),
      )
      .collect();
    expect(r).toEqual({
      u: " HELLO ", t1: "Hello", len: 5, sub: "ell", cw: "2024-03-05 14:07:09-x",
      ts: new Date("2024-03-05T14:07:09Z"), f: "2024/03/05 14:07", h: 14, ym: 202403,
      p: new Date("2024-03-05T00:00:00Z"), rx: "07",
    });
  });
});

describe("string functions without a test before the split (expected values are Spark's)", () => {
  it("padding, searching, replacing", () => {
    expect(
      evalSql({
        lp: "lpad('hi', 5, 'ab')", rp: "rpad('hi', 5, 'ab')", lcut: "lpad('hello', 3, 'x')",
        i1: "instr('hello', 'l')", i0: "instr('hello', 'z')",
        r: "replace('a-b-c', '-', '+')", r2: "replace('abc', 'b')",
        rr: "regexp_replace('2024-01-05', '(\\\\d+)-(\\\\d+)', '$2/$1')",
        sw: "startswith('spark', 'sp')", ew: "endswith('spark', 'rk')", ct: "contains('spark', 'par')",
      }),
    ).toEqual({ lp: "abahi", rp: "hiaba", lcut: "hel", i1: 3, i0: 0, r: "a+b+c", r2: "ac", rr: "01/2024-05", sw: true, ew: true, ct: true });
  });

  it("case, trimming, length, reverse, substring positions", () => {
    expect(
      evalSql({
        ic: "initcap('hello wORLD')", lc: "lcase('AbC')", uc: "ucase('AbC')", lt: "ltrim('  a ')", rt: "rtrim(' a  ')",
        len: "length('héllo')", cl: "char_length('abc')", rev: "reverse('abc')",
        s1: "substring('hello', -3, 2)", s0: "substring('hello', 0, 2)", s2: "substr('hello', 2)",
      }),
    ).toEqual({ ic: "Hello World", lc: "abc", uc: "ABC", lt: "a ", rt: " a", len: 5, cl: 3, rev: "cba", s1: "ll", s0: "he", s2: "ello" });
  });

  it("concat is null when any argument is, concat_ws skips nulls; split keeps empty fields and honours the limit", () => {
    expect(
      evalSql({
        c: "concat('a', 'b', 'c')", cn: "concat('a', NULL)", cw: "concat_ws('-', 'a', NULL, 'b')",
        sp: "split('a,b,,c', ',')", sl: "split('a,b,c', ',', 2)", rx: "split('a1b22c', '[0-9]+')", g: "split('a1b', '([0-9])')", e: "split('abc', '')",
      }),
    ).toEqual({ c: "abc", cn: null, cw: "a-b", sp: ["a", "b", "", "c"], sl: ["a", "b,c"], rx: ["a", "b", "c"], g: ["a", "b"], e: ["a", "b", "c"] });
  });

  it("LIKE, ILIKE, RLIKE and regexp_like", () => {
    expect(evalSql({ l: "'Spark' LIKE 'S%k'", il: "'Spark' ILIKE 's%K'", rl: "'Spark' RLIKE '^S.a'", rx: "regexp_like('Spark', 'ar')", n: "NULL LIKE 'a'" })).toEqual({ l: true, il: true, rl: true, rx: true, n: null });
  });
});
