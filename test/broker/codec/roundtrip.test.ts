/**
 * The codec against itself, for every API the broker registers and every version it serves, in both
 * directions: a random message built from the declarations is encoded, decoded back to the same object, and
 * re-encoded to the same bytes. Covers classic and flexible encodings, nullable fields, tagged fields (present
 * and absent) and fields that exist only in some versions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { API_REGISTRY } from "../../../lib/broker/handlers";
import { decode, encode, isFlexible, UUID_ZERO, type Field } from "../../../lib/protocol/codec";
import { Reader, Writer } from "../../../lib/protocol/primitives";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

type Rand = () => number;

function scalar(f: Field, kind: string, v: number, rand: Rand, inArray: boolean): unknown {
  const nullable = !inArray && v >= f.nullMin && v <= f.nullMax;
  const int = (bits: number) => Math.floor(rand() * 2 ** bits) - 2 ** (bits - 1);
  switch (kind) {
    case "bool":
      return rand() < 0.5;
    case "int8":
      return int(8);
    case "int16":
      return int(16);
    case "uint16":
      return Math.floor(rand() * 65536);
    case "int32":
      return int(32);
    case "int64":
      return int(52);
    case "float64":
      return rand() * 1e6;
    case "uuid":
      return rand() < 0.2 ? UUID_ZERO : [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("")).join("-");
    case "string":
      if (nullable && rand() < 0.3) return null;
      return ["", "a", "topic-é", "x".repeat(Math.floor(rand() * 300))][Math.floor(rand() * 4)];
    case "bytes":
    case "records":
      if ((nullable || kind === "records") && rand() < 0.3) return null;
      return Buffer.from(Array.from({ length: Math.floor(rand() * 700) }, () => Math.floor(rand() * 256)));
  }
  throw new Error(kind);
}

/** A random struct for version v; fields absent from v (or tagged fields outside flexible versions) get their defaults. */
function sample(fields: readonly Field[], v: number, flex: boolean, rand: Rand, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const present = v >= f.min && v <= f.max && (f.tag === undefined || flex);
    if (!present) {
      o[f.name] = Array.isArray(f.def) ? [] : f.def;
      continue;
    }
    const nullable = v >= f.nullMin && v <= f.nullMax;
    if (f.array) {
      if (nullable && rand() < 0.25) o[f.name] = null;
      else {
        const n = depth > 2 ? 0 : Math.floor(rand() * 3);
        o[f.name] = Array.from({ length: n }, () => (f.kind === "struct" ? sample(f.fields!, v, flex, rand, depth + 1) : scalar(f, f.kind, v, rand, true)));
      }
    } else if (f.kind === "struct") {
      o[f.name] = f.tag !== undefined && rand() < 0.3 ? undefined : nullable && rand() < 0.3 ? null : sample(f.fields!, v, flex, rand, depth + 1);
    } else o[f.name] = scalar(f, f.kind, v, rand, false);
  }
  return o;
}

/** Decoding gives Buffers as views and absent tagged structs as undefined: compare by value. */
function norm(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return x.toString("hex");
  if (Array.isArray(x)) return x.map(norm);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, norm(v)]));
  return x;
}

describe("codec round trip", () => {
  const table = API_REGISTRY.versionTable();
  it("registers every API once and advertises Kafka 4.0's ranges", () => {
    expect(new Set(table.map((t) => t.apiKey)).size).toBe(table.length);
    const byKey = Object.fromEntries(table.map((t) => [t.apiKey, [t.minVersion, t.maxVersion]]));
    expect(byKey[0]).toEqual([0, 13]); // Produce: v0-2 advertised but refused (KAFKA-18659); v13 is Kafka 4.1's (topic ids)
    expect(byKey[1]).toEqual([4, 18]);
    expect(byKey[3]).toEqual([0, 12]);
    expect(byKey[18]).toEqual([0, 4]);
  });

  it("matches the table in lib/broker/README.md", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../../lib/broker/README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| (\d+) \| (\w+) \| v(\d+)-v(\d+)(?: \(advertised from v(\d+)\))? \| (?:v(\d+)\+|none) \|$/gm)].map((m) => ({
      apiKey: Number(m[1]),
      name: m[2],
      versions: [Number(m[3]), Number(m[4])],
      advertisedMin: m[5] === undefined ? undefined : Number(m[5]),
      flexibleFrom: m[6] === undefined ? Infinity : Number(m[6]),
    }));
    const actual = table.map(({ apiKey }) => {
      const api = API_REGISTRY.get(apiKey)!;
      return { apiKey, name: api.name, versions: api.versions, advertisedMin: api.advertisedMin, flexibleFrom: api.spec.flexibleFrom };
    });
    expect(rows).toEqual(actual);
  });

  for (const { apiKey } of table) {
    const api = API_REGISTRY.get(apiKey)!;
    it(`${api.name} (key ${apiKey}) v${api.versions[0]}-v${api.versions[1]}: requests and responses survive encode/decode/encode`, () => {
      const rand = rng(apiKey * 7919 + 1);
      for (let v = api.versions[0]; v <= api.versions[1]; v++) {
        const flex = isFlexible(api.spec, v);
        for (const [dir, fields] of [
          ["request", api.spec.request],
          ["response", api.spec.response],
        ] as const) {
          for (let i = 0; i < 20; i++) {
            const msg = sample(fields, v, flex, rand);
            const w = new Writer();
            encode(w, fields, v, flex, msg);
            const bytes = w.toBuffer();
            const r = new Reader(bytes);
            const back = decode(r, fields, v, flex);
            expect(r.remaining(), `${api.name} v${v} ${dir}: bytes left over`).toBe(0);
            expect(norm(back), `${api.name} v${v} ${dir}`).toEqual(norm(msg));
            const again = new Writer();
            encode(again, fields, v, flex, back);
            expect(again.toBuffer().equals(bytes), `${api.name} v${v} ${dir}: re-encoding differs`).toBe(true);
          }
        }
      }
    });
  }
});
