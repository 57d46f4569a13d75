import { describe, it, expect } from "vitest";
import { listDatasets, getDataset, RecordStream, checkRecord, registerDataset, defineDataset, userId, userProfile, type Dataset } from "../../lib/datagen";
import { isoTime, Random } from "../../lib/datagen/random";

/** A clock that advances 10 ms per call: records become independent of the wall clock. */
function fakeClock(start = Date.UTC(2026, 0, 1, 12)) {
  let t = start;
  return () => (t += 10);
}

function take(ds: Dataset, n: number, options: ConstructorParameters<typeof RecordStream>[1] = {}) {
  const s = new RecordStream(ds, { clock: fakeClock(), seed: 1, ...options });
  return Array.from({ length: n }, () => s.next());
}

/** Split one CSV line, honouring double quotes. */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ",") { out.push(cur); cur = ""; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

function isValid(ds: Dataset, value: string): boolean {
  try {
    return checkRecord(ds.fields, JSON.parse(value)) === undefined;
  } catch {
    return false;
  }
}

const datasets = listDatasets().filter((d) => d.builtin);

describe("built-in datasets", () => {
  it("has at least ten, including the ones the issue names", () => {
    expect(datasets.length).toBeGreaterThanOrEqual(10);
    for (const name of ["orders", "users", "pageviews", "clickstream", "iot", "trades", "payments", "rides", "logs", "ratings"]) {
      expect(getDataset(name), name).toBeDefined();
    }
    expect(getDataset("sensors")?.name).toBe("iot");
    expect(getDataset("nope")).toBeUndefined();
  });

  describe.each(datasets.map((d) => [d.name, d] as const))("%s", (_name, ds) => {
    it("has a schema with an event-time field and a key field", () => {
      const names = ds.fields.map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      expect(ds.fields.find((f) => f.name === ds.eventTimeField)?.type).toBe("TIMESTAMP");
      expect(names).toContain(ds.keyField);
      expect(ds.schemaDDL).toBe(ds.fields.map((f) => `${f.name} ${f.type}`).join(", "));
      expect(ds.description.length).toBeGreaterThan(20);
    });

    it("generates records that match its schema, keyed by the key field, stamped with event time", () => {
      for (const m of take(ds, 2000)) {
        const rec = JSON.parse(m.value);
        expect(checkRecord(ds.fields, rec)).toBeUndefined();
        expect(Object.keys(rec).sort()).toEqual(ds.fields.map((f) => f.name).sort());
        expect(m.key).toBe(String(rec[ds.keyField]));
        expect(rec[ds.eventTimeField]).toBe(new Date(m.eventTime).toISOString());
        expect(m.eventTime).toBe(m.timestamp);
      }
    });

    it("is deterministic with a seed, and the seed matters", () => {
      // users and products first list their whole catalog (the same world for every seed), then change.
      const n = ds.defaultKeys + 500;
      const a = take(ds, n, { seed: "abc" }).map((m) => [m.key, m.value]);
      const b = take(ds, n, { seed: "abc" }).map((m) => [m.key, m.value]);
      const c = take(ds, n, { seed: "abd" }).map((m) => [m.key, m.value]);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it("emits the --late share with event time in the past, out of order", () => {
      const n = 5000;
      const maxLateness = 30_000;
      const msgs = take(ds, n, { late: 0.1, maxLateness, seed: 9 });
      const late = msgs.filter((m) => m.eventTime < m.timestamp);
      expect(late.length / n).toBeGreaterThan(0.085);
      expect(late.length / n).toBeLessThan(0.115);
      for (const m of late) {
        expect(m.late).toBe(true);
        const behind = m.timestamp - m.eventTime;
        expect(behind).toBeGreaterThanOrEqual(maxLateness * 0.1);
        expect(behind).toBeLessThanOrEqual(maxLateness);
        expect(JSON.parse(m.value)[ds.eventTimeField]).toBe(new Date(m.eventTime).toISOString());
      }
      // Out of order: a late record's event time is earlier than that of the record before it.
      expect(msgs.some((m, i) => i > 0 && m.eventTime < msgs[i - 1].eventTime)).toBe(true);
    });

    it("emits the --bad share of malformed records, and only those", () => {
      const n = 5000;
      const msgs = take(ds, n, { bad: 0.05, seed: 3 });
      const invalid = msgs.filter((m) => !isValid(ds, m.value));
      expect(invalid.length / n).toBeGreaterThan(0.04);
      expect(invalid.length / n).toBeLessThan(0.06);
      for (const m of msgs) expect(isValid(ds, m.value)).toBe(!m.bad);
      // Both kinds appear: unparseable text and parseable JSON with wrong types.
      expect(invalid.some((m) => { try { JSON.parse(m.value); return true; } catch { return false; } })).toBe(true);
      expect(invalid.some((m) => { try { JSON.parse(m.value); return false; } catch { return true; } })).toBe(true);
    });

    it("writes CSV lines with one column per field", () => {
      for (const m of take(ds, 300, { format: "csv" })) {
        const cells = splitCsv(m.value);
        expect(cells.length).toBe(ds.fields.length);
        expect(cells[ds.fields.findIndex((f) => f.name === ds.keyField)]).toBe(m.key);
      }
      const bad = take(ds, 2000, { format: "csv", bad: 0.1 }).filter((m) => m.bad);
      expect(bad.length).toBeGreaterThan(100);
    });
  });
});

describe("referential integrity and distributions", () => {
  it("orders, payments, ratings, pageviews, clickstream and rides reference users that the users stream emits", () => {
    const keys = 50;
    const users = take(getDataset("users")!, keys, { keys }).map((m) => JSON.parse(m.value));
    const ids = new Set(users.map((u) => u.user_id));
    expect(ids.size).toBe(keys);
    expect(ids).toEqual(new Set(Array.from({ length: keys }, (_, i) => userId(i + 1))));
    const byId = new Map(users.map((u) => [u.user_id, u]));
    for (const [name, field] of [["orders", "user_id"], ["payments", "user_id"], ["ratings", "user_id"], ["pageviews", "user_id"], ["clickstream", "user_id"], ["rides", "rider_id"]] as const) {
      for (const m of take(getDataset(name)!, 1000, { keys, seed: 42 })) {
        const rec = JSON.parse(m.value);
        expect(ids.has(rec[field]), `${name}.${field} = ${rec[field]}`).toBe(true);
        if (name === "orders") expect(rec.country).toBe(byId.get(rec.user_id).country);
      }
    }
    expect(userProfile(7).user_id).toBe("u000007");
  });

  it("orders reference products of the catalog and compute amounts", () => {
    const catalog = new Map(take(getDataset("products")!, 500).map((m) => JSON.parse(m.value)).map((p) => [p.product_id, p]));
    for (const m of take(getDataset("orders")!, 1000)) {
      const o = JSON.parse(m.value);
      expect(catalog.get(o.product_id)?.category).toBe(o.category);
      expect(o.amount).toBeCloseTo(o.quantity * o.unit_price * (1 - o.discount), 1);
    }
  });

  it("payments carry a small share of fraud, larger on average", () => {
    const ps = take(getDataset("payments")!, 20_000).map((m) => JSON.parse(m.value));
    const fraud = ps.filter((p) => p.is_fraud);
    expect(fraud.length / ps.length).toBeGreaterThan(0.008);
    expect(fraud.length / ps.length).toBeLessThan(0.025);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(fraud.map((p) => p.amount))).toBeGreaterThan(3 * mean(ps.filter((p) => !p.is_fraud).map((p) => p.amount)));
    expect(fraud.every((p) => p.country !== p.home_country)).toBe(true);
  });

  it("iot readings have anomalies far from a sensor's typical values", () => {
    const rs = take(getDataset("iot")!, 20_000, { keys: 10 }).map((m) => JSON.parse(m.value));
    const bySensor = new Map<string, number[]>();
    for (const r of rs) bySensor.set(r.sensor_id, [...(bySensor.get(r.sensor_id) ?? []), r.temperature]);
    let spikes = 0;
    for (const temps of bySensor.values()) {
      const sorted = [...temps].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      spikes += temps.filter((t) => Math.abs(t - median) > 7).length;
    }
    expect(spikes / rs.length).toBeGreaterThan(0.002);
    expect(spikes / rs.length).toBeLessThan(0.02);
  });

  it("clickstream sessions start before their other events and keep their user", () => {
    const events = take(getDataset("clickstream")!, 5000).map((m) => JSON.parse(m.value));
    const seen = new Map<string, { user: string; seq: number }>();
    for (const e of events) {
      const s = seen.get(e.session_id);
      if (!s) expect(e.event_type).toBe("session_start");
      else {
        expect(e.user_id).toBe(s.user);
        expect(e.seq).toBe(s.seq + 1);
      }
      seen.set(e.session_id, { user: e.user_id, seq: e.seq });
    }
  });

  it("ride events follow the ride's life cycle", () => {
    const order = ["requested", "accepted", "started", "completed"];
    const last = new Map<string, string>();
    for (const m of take(getDataset("rides")!, 5000)) {
      const r = JSON.parse(m.value);
      const prev = last.get(r.ride_id);
      if (r.event_type === "cancelled") expect(["requested", "accepted"]).toContain(prev);
      else expect(order.indexOf(r.event_type)).toBe(prev === undefined ? 0 : order.indexOf(prev) + 1);
      if (r.event_type === "completed") expect(r.fare).toBeGreaterThan(0);
      last.set(r.ride_id, r.event_type);
    }
  });
});

describe("custom datasets from a schema", () => {
  const spec = {
    name: "signups-test",
    fields: {
      user: { gen: "key", prefix: "user-" },
      seq: { gen: "sequence", start: 100 },
      ts: "timestamp",
      name: "faker:person.fullName",
      city: { gen: "faker", path: "location.city", nullRate: 0.3 },
      plan: { gen: "choice", values: ["free", "pro"], weights: [9, 1] },
      age: { gen: "normal", mean: 35, stddev: 10, min: 16, max: 90, decimals: 0 },
      score: { gen: "float", min: 0, max: 1 },
      visits: { gen: "int", min: 1, max: 5 },
      active: "bool",
      address: { gen: "object", fields: { zip: "faker:location.zipCode", floor: { gen: "int", min: 0, max: 30 } } },
      tags: { gen: "array", of: { gen: "choice", values: ["a", "b", "c"] }, min: 1, max: 3 },
    },
  } as const;

  it("infers the Spark DDL and finds key and event time", () => {
    const ds = registerDataset(spec as never);
    expect(ds.keyField).toBe("user");
    expect(ds.eventTimeField).toBe("ts");
    expect(ds.schemaDDL).toBe(
      "user STRING, seq BIGINT, ts TIMESTAMP, name STRING, city STRING, plan STRING, age BIGINT, score DOUBLE, visits INT, active BOOLEAN, address STRUCT<zip: STRING, floor: INT>, tags ARRAY<STRING>",
    );
    expect(getDataset("signups-test")).toBe(ds);
  });

  it("generates valid, deterministic records with faker values, nulls at the given rate, nested objects and arrays", () => {
    const ds = registerDataset(spec as never);
    const a = take(ds, 2000, { seed: 5, keys: 20 });
    const b = take(ds, 2000, { seed: 5, keys: 20 });
    expect(b.map((m) => m.value)).toEqual(a.map((m) => m.value));
    const recs = a.map((m) => JSON.parse(m.value));
    for (const r of recs) {
      expect(checkRecord(ds.fields, r)).toBeUndefined();
      expect(r.user).toMatch(/^user-\d\d$/);
      expect(typeof r.name).toBe("string");
      expect(r.age).toBeGreaterThanOrEqual(16);
      expect(Number.isInteger(r.age)).toBe(true);
      expect(r.tags.length).toBeGreaterThanOrEqual(1);
      expect(typeof r.address.zip).toBe("string");
    }
    expect(recs.map((r) => r.seq).slice(0, 3)).toEqual([100, 101, 102]);
    expect(new Set(recs.map((r) => r.user)).size).toBe(20);
    const nulls = recs.filter((r) => r.city === null).length / recs.length;
    expect(nulls).toBeGreaterThan(0.25);
    expect(nulls).toBeLessThan(0.35);
    const pro = recs.filter((r) => r.plan === "pro").length / recs.length;
    expect(pro).toBeGreaterThan(0.07);
    expect(pro).toBeLessThan(0.13);
  });

  it("explains what is wrong with a bad schema in one line", () => {
    expect(() => defineDataset({ name: "x", fields: { a: { gen: "nope" } as never, ts: "timestamp" } })).toThrow(/unknown gen 'nope'/);
    expect(() => defineDataset({ name: "x", fields: { a: "int" } })).toThrow(/not a field generator/);
    expect(() => defineDataset({ name: "x", fields: { a: { gen: "int", min: 1, max: 2 } } })).toThrow(/event time/);
    expect(() => registerDataset({ name: "orders", fields: { ts: "timestamp" } })).toThrow(/built-in/);
    const ds = registerDataset({ name: "badfaker", fields: { ts: "timestamp", x: "faker:person.noSuchThing" } });
    expect(() => new RecordStream(ds, { seed: 1 })).toThrow(/faker has no person.noSuchThing/);
  });
});

describe("--bad records", () => {
  // The built-in datasets, listed when the file is collected (tests above register datasets of their own).
  const builtIn = listDatasets();
  it("are real malformed text (truncated, wrong types, garbage), never the word undefined, in every dataset, seed and format", () => {
    // The reported case: payments, seed 6, the first message.
    const first = take(getDataset("payments")!, 1, { bad: 1, seed: 6 })[0];
    expect(first.bad).toBe(true);
    expect(first.value).not.toBe("undefined");
    expect(builtIn.length).toBeGreaterThanOrEqual(10);
    for (const ds of builtIn) {
      for (let seed = 1; seed <= 25; seed++) {
        for (const format of ["json", "csv"] as const) {
          for (const m of take(ds, 40, { bad: 1, seed, format })) {
            expect(m.bad).toBe(true);
            expect(m.value, `${ds.name} seed ${seed} ${format}`).not.toMatch(/\bundefined\b/);
            expect(m.value.trim(), `${ds.name} seed ${seed} ${format}`).not.toBe("");
            if (format === "json") expect(isValid(ds, m.value), `${ds.name} seed ${seed}: ${m.value}`).toBe(false);
          }
        }
      }
    }
  });
});

describe("isoTime", () => {
  it("gives Date's toISOString for any time (reused seconds, negative and fractional times, far years)", () => {
    const times = [0, -1, -0.5, 0.7, -999.9, -1000, -1001, 1e12 + 0.3, 1e12 + 0.3, 1e12 + 999, 1e12 + 1000, 253402300799999, 253402300800000, -62198755200000, 8.64e15, -8.64e15];
    const r = new Random(7);
    for (let i = 0; i < 3000; i++) times.push(Math.round(r.float(-4e12, 4e12)), r.float(0, 1e13), 1_700_000_000_000 + r.int(0, 5000));
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
