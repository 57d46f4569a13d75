/** The state store contract and the one group-key encoding the stateful operators share. */
import { describe, it, expect } from "vitest";
import { MemoryStateStore } from "../../../lib/stream/state/store";
import { groupKeyCode, keyHelpers, keyOf, tupleKey } from "../../../lib/stream/exec/keys";

describe("MemoryStateStore", () => {
  it("get, put, remove, iterator; commit makes versions; size counts entries", () => {
    const s = new MemoryStateStore<number>("test");
    expect(s.version).toBe(0);
    s.put("a", 1);
    s.put("b", 2);
    s.put("a", 3);
    expect(s.get("a")).toBe(3);
    expect(s.get("zz")).toBeUndefined();
    expect(s.changed).toBe(2);
    expect(s.commit()).toBe(1);
    expect(s.changed).toBe(0);
    s.remove("b");
    s.remove("nothing");
    expect([...s.iterator()]).toEqual([["a", 3]]);
    expect(s.size).toBe(1);
    expect(s.commit()).toBe(2);
  });

  it("removing while iterating is allowed (eviction)", () => {
    const s = new MemoryStateStore<number>("test");
    for (let i = 0; i < 10; i++) s.put(i, i);
    for (const [k, v] of s.iterator()) if (v % 2 === 0) s.remove(k);
    expect([...s.iterator()].map(([k]) => k)).toEqual([1, 3, 5, 7, 9]);
  });

  it("abort leaves the store unusable until it is loaded from a committed version", () => {
    const s = new MemoryStateStore<string>("stateStoreSave");
    s.put("k", "v");
    s.commit();
    s.put("k", "half-applied");
    s.abort();
    expect(() => s.put("x", "y")).toThrow(/stateStoreSave state store was aborted at version 1; restart the query from its checkpoint/);
    expect(() => s.commit()).toThrow(/aborted/);
    s.load(1, [["k", "v"]]);
    expect(s.version).toBe(1);
    expect(s.get("k")).toBe("v");
    s.put("k", "w");
    expect(s.commit()).toBe(2);
  });
});

describe("group keys", () => {
  it("one value is itself (primitives) or a string (objects); several are one string; none is 0", () => {
    expect(keyOf("a")).toBe("a");
    expect(keyOf(1)).toBe(1);
    expect(keyOf(null)).toBeNull();
    expect(keyOf(undefined)).toBeNull();
    expect(keyOf({ a: 1 })).toBe('{"a":1}');
    expect(keyOf(Buffer.from("hi"))).toBe("\u0002hi");
    expect(tupleKey([])).toBe(0);
    expect(tupleKey(["a"])).toBe("a");
    // Types are part of a key: "1" and 1 differ, null differs from "null".
    expect(tupleKey(["1", 2])).not.toBe(tupleKey([1, 2]));
    expect(tupleKey([null, 2])).not.toBe(tupleKey(["null", 2]));
    expect(tupleKey(["a", "b"])).not.toBe(tupleKey(["a\u0001b"]));
  });

  it("generated key code computes exactly tupleKey", () => {
    const samples: unknown[][] = [[], ["a"], [1], [null], [{ x: 1 }], ["a", 1], [null, "b", true], [Buffer.from("z"), 2.5], [[1, 2], { s: "t" }, null]];
    for (const values of samples) {
      const parts = values.map((v, j) => ({ code: `V[${j}]`, primitive: v === null || typeof v !== "object" }));
      const f = new Function("KEYOF", "KEYPART", "V", `return ${groupKeyCode(parts)};`) as (a: unknown, b: unknown, v: unknown[]) => unknown;
      expect(f(keyHelpers.KEYOF, keyHelpers.KEYPART, values)).toEqual(tupleKey(values));
    }
  });
});
