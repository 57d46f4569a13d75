import { describe, it, expect } from "vitest";
import { spark, col, window } from "../../../lib/stream";
import { evalSql } from "../support/sql";

describe("window() in select", () => {
  it("tumbling window() in select assigns [start, end) with the end exclusive", () => {
    const df = spark.createDataFrame([{ ts: "2024-01-01T00:00:09.999Z" }, { ts: "2024-01-01T00:00:10Z" }], "ts TIMESTAMP");
    const rows = df.select(window(col("ts"), "10 seconds").alias("w")).collect();
    expect(rows).toEqual([
      { w: { start: new Date("2024-01-01T00:00:00Z"), end: new Date("2024-01-01T00:00:10Z") } },
      { w: { start: new Date("2024-01-01T00:00:10Z"), end: new Date("2024-01-01T00:00:20Z") } },
    ]);
  });
});

describe("timestamp parsing", () => {
  it("parses ISO-8601 and Spark's 'yyyy-MM-dd HH:mm:ss' exactly as Date does", async () => {
    const { parseTimestamp } = await import("../../../lib/stream/expr/runtime");
    let seed = 7;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const t = Math.floor((seed / 2 ** 32 - 0.3) * 4e12);
      const iso = new Date(t).toISOString();
      expect(parseTimestamp(iso)).toBe(t);
      expect(parseTimestamp(iso.replace("T", " ").replace("Z", ""))).toBe(t);
    }
    expect(parseTimestamp("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp("2024-01-01T10:00:00+02:00")).toBe(Date.UTC(2024, 0, 1, 8));
    expect(parseTimestamp("not a time")).toBeNull();
  });
});

describe("date and time functions (UTC, expected values are Spark's)", () => {
  const t = { t: new Date("2024-03-05T14:07:09.250Z") };
  const at = (e: Record<string, string>) => evalSql(e, t, "t TIMESTAMP");
  it("parts of a timestamp", () => {
    expect(at({ y: "year(t)", mo: "month(t)", d: "dayofmonth(t)", dd: "day(t)", dw: "dayofweek(t)", q: "quarter(t)", h: "hour(t)", mi: "minute(t)", s: "second(t)" })).toEqual({ y: 2024, mo: 3, d: 5, dd: 5, dw: 3, q: 1, h: 14, mi: 7, s: 9 });
  });
  it("date_trunc, date_format, unix time both ways", () => {
    expect(
      at({ yr: "date_trunc('year', t)", mon: "date_trunc('MONTH', t)", wk: "date_trunc('week', t)", hr: "date_trunc('hour', t)", f: "date_format(t, 'yyyy-MM-dd HH:mm:ss')", u: "unix_timestamp(t)", um: "unix_millis(t)", fu: "from_unixtime(0)", ts: "timestamp_seconds(1.5)", tm: "timestamp_millis(1500)" }),
    ).toEqual({
      yr: new Date("2024-01-01T00:00:00Z"), mon: new Date("2024-03-01T00:00:00Z"), wk: new Date("2024-03-04T00:00:00Z"), hr: new Date("2024-03-05T14:00:00Z"),
      f: "2024-03-05 14:07:09", u: 1709647629, um: 1709647629250, fu: "1970-01-01 00:00:00", ts: new Date(1500), tm: new Date(1500),
    });
  });
  it("weekofyear is the ISO week (Spark 4.1's answers, years with 53 weeks included)", () => {
    const r = evalSql({ w1: "weekofyear(TIMESTAMP'2024-01-01 00:00:00')", w2: "weekofyear(TIMESTAMP'2021-01-03 12:00:00')", w3: "weekofyear(TIMESTAMP'2020-12-31 00:00:00')", w4: "weekofyear(TIMESTAMP'2026-12-31 23:00:00')" });
    expect(r).toEqual({ w1: 1, w2: 53, w3: 53, w4: 53 });
  });
  it("dates: to_date, date_add, date_sub, datediff", () => {
    const r = evalSql({ dd: "datediff(to_date('2024-03-05'), to_date('2024-02-28'))", a: "datediff(date_add(to_date('2024-02-28'), 2), to_date('2024-03-01'))", s: "datediff(date_sub(to_date('2024-03-01'), 1), to_date('2024-02-29'))" });
    expect(r).toEqual({ dd: 6, a: 0, s: 0 });
  });
  it("interval arithmetic on timestamps", () => {
    expect(at({ p: "t + INTERVAL 1 hour 30 minutes", m: "t - INTERVAL '10 seconds'" })).toEqual({ p: new Date("2024-03-05T15:37:09.250Z"), m: new Date("2024-03-05T14:06:59.250Z") });
  });
  it("window() checks its durations where it is written", () => {
    expect(() => at({ w: "window(t, '10 seconds', '20 seconds')" })).toThrow(/slide duration must be positive and at most the window duration/);
    expect(() => at({ w: "window(t, '10 parsecs')" })).toThrow(/unknown duration unit 'parsecs'/);
    // A sliding window in a select expands the row into each window it falls in (Spark's TimeWindowing Expand).
    const slid = spark.createDataFrame([t], "t TIMESTAMP").selectExpr("window(t, '10 seconds', '5 seconds') AS w").collect();
    expect(slid.map((r) => (r.w as { start: Date }).start.toISOString()).sort()).toEqual(["2024-03-05T14:07:00.000Z", "2024-03-05T14:07:05.000Z"]);
    expect(() => at({ w: "session_window(t, '5 seconds')" })).toThrow(/session_window\(\) can only be used as a groupBy\(\) key/);
    expect(at({ w: "window(t, '1 hour', '1 hour', '15 minutes')" })).toEqual({ w: { start: new Date("2024-03-05T13:15:00Z"), end: new Date("2024-03-05T14:15:00Z") } });
  });
});
