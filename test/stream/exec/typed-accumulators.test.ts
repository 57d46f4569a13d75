/**
 * Double sums and averages keep their accumulators in a Float64Array per group: the results must be exactly those
 * computed row by row (the first value kept as it is, -0 included; null when no value was seen; avg over the
 * non-null values), across batches and across a restart from the checkpoint (state saved and loaded).
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, avg, count, sum } from "../../../lib/stream";

type Row = Record<string, unknown>;

describe("typed accumulators for double sum and avg", () => {
  it("sum/avg of doubles, floats and ints (avg), with nulls, -0, NaN, across batches and a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "typed-acc-"));
    try {
      const ms = spark.memoryStream("k STRING, d DOUBLE, f FLOAT, i INT, l BIGINT");
      const seen: Row[][] = [];
      const start = () =>
        ms
          .toDF()
          .groupBy(col("k"))
          .agg(sum("d").alias("sd"), avg("d").alias("ad"), sum("f").alias("sf"), avg("i").alias("ai"), sum("l").alias("sl"), count("d").alias("nd"))
          .writeStream.outputMode("update")
          .option("checkpointLocation", dir)
          .foreachBatch((b: { rows(): Row[] }) => void seen.push(b.rows()), { raw: true })
          .start();
      const batches: Row[][] = [
        [
          { k: "neg0", d: -0, f: -0, i: 0, l: 1 },
          { k: "nulls", d: null, f: null, i: null, l: null },
          { k: "a", d: 0.1, f: 1.5, i: 3, l: 2 },
          { k: "a", d: 0.2, f: null, i: 4, l: 3 },
          { k: "nan", d: NaN, f: 2, i: 1, l: 4 },
        ],
        [
          { k: "a", d: 0.3, f: 2.25, i: null, l: 5 },
          { k: "nulls", d: null, f: null, i: null, l: null },
          { k: "neg0", d: -0, f: null, i: null, l: null },
          { k: "late", d: 1e308, f: 1, i: 7, l: 6 },
          { k: "late", d: 1e308, f: 1, i: 8, l: 7 },
        ],
        [
          { k: "a", d: -0.6, f: 0.25, i: 5, l: 8 },
          { k: "nulls", d: 5, f: null, i: null, l: null },
          { k: "neg0", d: -0, f: null, i: null, l: null },
        ],
      ];
      // Reference, row by row: sum keeps null until a value arrives, then its first value as it is, then adds.
      const totals = new Map<string, { sd: number | null; dsum: number; dn: number; sf: number | null; isum: number; in: number; sl: number | null }>();
      const expected: Map<string, Row>[] = [];
      for (const [bi, rows] of batches.entries()) {
        // The restart before the third batch: the state files hold JSON, where -0 is written as 0.
        if (bi === 2) for (const t of totals.values()) for (const f of ["sd", "sf"] as const) if (Object.is(t[f], -0)) t[f] = 0;
        const changed = new Set<string>();
        for (const r of rows) {
          const k = r.k as string;
          const t = totals.get(k) ?? { sd: null, dsum: 0, dn: 0, sf: null, isum: 0, in: 0, sl: null };
          const d = r.d as number | null;
          const f = r.f as number | null;
          const i = r.i as number | null;
          const l = r.l as number | null;
          if (d !== null) {
            t.sd = t.sd === null ? d : t.sd + d;
            t.dsum += d;
            t.dn++;
          }
          if (f !== null) t.sf = t.sf === null ? Math.fround(f) : t.sf + Math.fround(f);
          if (i !== null) {
            t.isum += i;
            t.in++;
          }
          if (l !== null) t.sl = t.sl === null ? l : t.sl + l;
          totals.set(k, t);
          changed.add(k);
        }
        expected.push(new Map([...changed].map((k) => {
          const t = totals.get(k)!;
          return [k, { sd: t.sd, ad: t.dn === 0 ? null : t.dsum / t.dn, sf: t.sf, ai: t.in === 0 ? null : t.isum / t.in, sl: t.sl, nd: t.dn }];
        })));
      }
      let q = start();
      ms.addData(batches[0]);
      await q.processAllAvailable();
      ms.addData(batches[1]);
      await q.processAllAvailable();
      await q.stop();
      // A new run on the same checkpoint: the accumulators come back from the state files.
      q = start();
      ms.addData(batches[2]);
      await q.processAllAvailable();
      await q.stop();
      const got = seen.filter((b) => b.length).map((rows) => new Map(rows.map((r) => [r.k as string, { sd: r.sd, ad: r.ad, sf: r.sf, ai: r.ai, sl: r.sl, nd: r.nd }])));
      expect(got).toHaveLength(3);
      got.forEach((m, bi) => expect(m).toEqual(expected[bi]));
      // toEqual does not tell -0 from 0: the first value of a sum is kept as it is.
      expect(Object.is(got[0].get("neg0")!.sd, -0)).toBe(true);
      expect(Object.is(got[1].get("neg0")!.sd, -0)).toBe(true);
      expect(Object.is(got[2].get("neg0")!.sd, 0)).toBe(true);
      expect(got[1].get("nulls")!.sd).toBeNull();
      expect(got[2].get("nulls")!.sd).toBe(5);
      expect(got[1].get("late")!.sd).toBe(Infinity);
      expect(Number.isNaN(got[0].get("nan")!.sd)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
