/**
 * Spark's option maps are case-insensitive (`CaseInsensitiveMap`): `.option("numRows", 5)` and
 * `.option("NUMROWS", 5)` are the same option. `caseInsensitive(record)` returns a record whose reads
 * (`opts.numRows`, `opts["numrows"]`, `"numRows" in opts`) ignore case; its keys keep the spelling last given.
 */
export type Options = Record<string, string>;

export function caseInsensitive(source: Readonly<Record<string, string>> = {}): Options {
  const values = new Map<string, string>();
  const spelling = new Map<string, string>();
  const set = (k: string, v: string) => {
    const key = k.toLowerCase();
    values.set(key, v);
    spelling.set(key, k);
  };
  for (const [k, v] of Object.entries(source)) set(k, v);
  return new Proxy({}, {
    get: (_t, p) => (typeof p === "string" ? values.get(p.toLowerCase()) : undefined),
    set: (_t, p, v) => {
      if (typeof p !== "string") return false;
      set(p, String(v));
      return true;
    },
    has: (_t, p) => typeof p === "string" && values.has(p.toLowerCase()),
    deleteProperty: (_t, p) => {
      if (typeof p === "string") {
        values.delete(p.toLowerCase());
        spelling.delete(p.toLowerCase());
      }
      return true;
    },
    ownKeys: () => [...spelling.values()],
    getOwnPropertyDescriptor: (_t, p) => {
      if (typeof p !== "string" || !values.has(p.toLowerCase())) return undefined;
      return { value: values.get(p.toLowerCase()), writable: true, enumerable: true, configurable: true };
    },
  });
}
