/**
 * A projection feeding an aggregation hands its double and timestamp columns on as Float64Arrays when every value
 * is a number, and as plain arrays (nulls and all) otherwise; from_json over Kafka bytes feeds such projections.
 * The aggregation's results must be exactly those computed row by row here, with nulls, non-numbers, -0 and
 * filters in between.
 */
import { describe, it, expect } from "vitest";
import { spark, col, count, from_json, sum, window, max } from "../../../lib/stream";
import { compileProjection } from "../../../lib/stream/expr/codegen";
import type { BExpr } from "../../../lib/stream/expr/bound";
import { DoubleType, StringType } from "../../../lib/stream/types";

type Row = Record<string, unknown>;
const BASE = Date.UTC(2024, 0, 1);

describe("numeric columns between a projection and an aggregation", () => {
  it("a computed double column is a Float64Array only when every value is a number", () => {
    const cast: BExpr = { k: "cast", child: { k: "col", index: 0, type: StringType }, type: DoubleType } as BExpr;
    const typed = compileProjection([cast], undefined, true);
    const plain = compileProjection([cast], undefined, false);
    const numbers = typed([["1.5", "-0", "1e3"]], 3, { now: 0 })[0];
    expect(numbers).toBeInstanceOf(Float64Array);
    expect(Array.from(numbers)).toEqual([1.5, -0, 1000]);
    expect(Object.is(numbers[1], -0)).toBe(true);
    const withNulls = typed([["2", null, "x", "NaN", "4"]], 5, { now: 0 })[0];
    expect(Array.isArray(withNulls)).toBe(true);
    expect(withNulls).toEqual(plain([["2", null, "x", "NaN", "4"]], 5, { now: 0 })[0]);
    expect(withNulls[0]).toBe(2);
    expect(withNulls[1]).toBeNull();
    expect(withNulls[4]).toBe(4);
    // Without the flag nothing changes: plain arrays.
    expect(Array.isArray(plain([["1"]], 1, { now: 0 })[0])).toBe(true);
  });

  it.each([true, false])("from_json over bytes into windows by region: nulls, wrong types, -0, across batches (filter in between: %s)", async (filtered) => {
    const ms = spark.memoryStream("value BINARY");
    const seen: Row[][] = [];
    const parsed = ms
      .toDF()
      .selectExpr("CAST(value AS STRING) AS json")
      .select(from_json(col("json"), "id STRING, region STRING, amount DOUBLE, ts TIMESTAMP").alias("o"))
      .select("o.*")
      .withWatermark("ts", "20 seconds");
    const q = (filtered ? parsed.filter("region <> 'skip'") : parsed)
      .groupBy(window(col("ts"), "10 seconds"), col("region"))
      .agg(sum("amount").alias("s"), count("*").alias("n"), count("amount").alias("na"), max("ts").alias("last"))
      .writeStream.outputMode("update")
      .foreachBatch((b: { rows(): Row[] }) => void seen.push(b.rows()), { raw: true })
      .start();
    const records: Row[][] = [];
    const batch = (start: number, n: number): Row[] => {
      const out: Row[] = [];
      for (let i = start; i < start + n; i++) {
        const r: Row = { id: `o${i}`, region: ["eu", "us", "skip", "ap"][i % 4] };
        // In the first batch every 7th amount is missing, every 11th a string, every 17th timestamp missing (plain
        // arrays); later batches are all numbers (Float64Arrays). Every 13th amount is -0.
        const odd = i < 400;
        if (!odd || i % 7 !== 0) r.amount = odd && i % 11 === 0 ? "lots" : i % 13 === 0 ? -0 : (i % 100) / 4;
        if (!odd || i % 17 !== 0) r.ts = new Date(BASE + i * 100 + (i % 5) * 700).toISOString();
        out.push(r);
      }
      return out;
    };
    for (const [start, n] of [[0, 400], [400, 300], [700, 50]]) {
      const rows = batch(start, n);
      records.push(rows);
      ms.addData(rows.map((r) => ({ value: Buffer.from(JSON.stringify(r).replace(/"amount":0([,}])/, '"amount":-0$1')) })));
      await q.processAllAvailable();
    }
    await q.stop();
    // Reference, row by row: cumulative per (window, region) over the rows not behind the previous batch's watermark.
    const totals = new Map<string, { s: number | null; n: number; na: number; last: number }>();
    let wm = -Infinity;
    let maxTs = -Infinity;
    const expected: Map<string, unknown>[] = [];
    for (const rows of records) {
      const changed = new Set<string>();
      for (const r of rows) {
        const ts = r.ts === undefined ? null : Date.parse(r.ts as string);
        if (ts !== null) maxTs = Math.max(maxTs, ts);
        if (ts === null || (filtered && r.region === "skip")) continue;
        const ws = ts - (ts % 10000);
        if (ws + 10000 <= wm) continue;
        const key = `${ws}|${String(r.region)}`;
        const t = totals.get(key) ?? { s: null, n: 0, na: 0, last: -Infinity };
        const a = typeof r.amount === "number" ? r.amount : null;
        t.n++;
        if (a !== null) {
          t.na++;
          t.s = t.s === null ? a : t.s + a;
        }
        t.last = Math.max(t.last, ts);
        totals.set(key, t);
        changed.add(key);
      }
      expected.push(new Map([...changed].map((k) => [k, { ...totals.get(k)! }])));
      wm = Math.max(wm, maxTs - 20000);
    }
    const got = seen.filter((b) => b.length);
    expect(got).toHaveLength(3);
    got.forEach((rows, bi) => {
      const m = new Map(rows.map((r) => [`${(r.window as { start: Date }).start.getTime()}|${String(r.region)}`, { s: r.s, n: r.n, na: r.na, last: (r.last as Date).getTime() }]));
      expect(m).toEqual(expected[bi]);
    });
    expect(expected[2].size).toBeGreaterThan(0);
  });
});
