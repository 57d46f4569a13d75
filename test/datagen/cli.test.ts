import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resolveDataset, generatorOptions } from "../../lib/datagen/options";
import { RecordStream, checkRecord, getDataset } from "../../lib/datagen";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "dist/lib/datagen/cli.js");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe.runIf(existsSync(cli))("streamlab datagen CLI: usage and bad input", () => {
  it("--help lists the options and the datasets", () => {
    const r = run("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^streamlab datagen: /);
    expect(r.stdout).toContain("--bootstrap");
    expect(r.stdout).toMatch(/datasets: users, products, orders, pageviews, clickstream, iot, trades, payments, rides, logs, ratings/);
  });

  it("bad input gets one line naming the fix and a non-zero status", () => {
    let r = run("oders", "--topic", "x", "--bootstrap", "127.0.0.1:1");
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("streamlab datagen: unknown dataset 'oders' (did you mean 'orders'?); datasets are users, products, orders, pageviews, clickstream, iot, trades, payments, rides, logs, ratings");
    r = run("orders", "--rat", "5");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/unknown option --rat \(did you mean --rate\?\)/);
    r = run("orders", "--bootstrap", "nohost");
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/'nohost' is not HOST:PORT/);
    r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage:");
  });
});

describe("custom datasets in %datagen and the CLI", () => {
  it("--schema FILE.json registers the schema under the given name", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "streamlab-schema-"));
    const file = path.join(dir, "sensors.json");
    writeFileSync(file, JSON.stringify({ fields: { device: { gen: "key", prefix: "dev-" }, at: "timestamp", reading: { gen: "normal", mean: 20, stddev: 2, decimals: 1 } } }));
    const ds = resolveDataset("my-sensors", file);
    expect(ds.name).toBe("my-sensors");
    expect(ds.schemaDDL).toBe("device STRING, at TIMESTAMP, reading DOUBLE");
    expect(getDataset("my-sensors")).toBe(ds);
    const m = new RecordStream(ds, { seed: 1, keys: 5 }).next();
    expect(checkRecord(ds.fields, JSON.parse(m.value))).toBeUndefined();
    expect(m.key).toMatch(/^dev-\d$/);
    expect(() => resolveDataset("x", path.join(dir, "missing.json"))).toThrow(/cannot read schema file/);
  });

  it("a schema object in a notebook variable is used by name", () => {
    const scope = { clicks2: { fields: { ts: "timestamp", page: { gen: "choice", values: ["/", "/a"] } } } };
    const ds = resolveDataset("clicks2", undefined, scope);
    expect(ds.schemaDDL).toBe("ts TIMESTAMP, page STRING");
    expect(ds.keyField).toBe("");
    expect(new RecordStream(ds, { seed: 1 }).next().key).toBeNull();
  });

  it("option values are checked with clear messages", () => {
    const ds = getDataset("orders")!;
    expect(generatorOptions(ds, { rate: 10 })).toMatchObject({ topic: "orders", rate: 10, format: "json" });
    expect(() => generatorOptions(ds, { late: 1.5 })).toThrow(/--late is a share between 0 and 1/);
    expect(() => generatorOptions(ds, { count: 2.5 })).toThrow(/--count must be a whole number/);
    expect(() => generatorOptions(ds, { keys: 0 })).toThrow(/--keys must be a whole number of at least 1/);
  });
});
