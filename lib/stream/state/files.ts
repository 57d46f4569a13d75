/**
 * The state store's files, Spark's layout under `<checkpoint>/state/<operatorId>/<partitionId>[/<storeName>]/`:
 * `<version>.delta` (the entries a version put or removed) and `<version>.snapshot` (every entry of a version),
 * one JSON value per line. Values are tagged where JSON has no form for them (bigint, NaN/Infinity, Buffer, Set),
 * so an entry reads back exactly as it was written. Files are written to a temporary name, synced and renamed:
 * a kill -9 leaves either no file or a whole one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** A plain object that would read back as a tag: written escaped. */
function isTagLike(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0].startsWith("$");
}

function replacer(this: unknown, key: string, v: unknown): unknown {
  const orig = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(orig)) return { $buf: orig.toString("base64") };
  if (typeof v === "bigint") return { $big: v.toString() };
  if (typeof v === "number" && !Number.isFinite(v)) return { $num: String(v) };
  if (v instanceof Set) return { $set: [...(v as Set<unknown>)] };
  if (v === undefined && Array.isArray(this)) return null;
  if (isTagLike(v)) return { $esc: Object.entries(v as object) };
  return v;
}

function reviver(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (typeof o.$buf === "string") return Buffer.from(o.$buf, "base64");
      if (typeof o.$big === "string") return BigInt(o.$big);
      if (typeof o.$num === "string") return Number(o.$num);
      if (Array.isArray(o.$set)) return new Set(o.$set);
      if (Array.isArray(o.$esc)) return Object.fromEntries(o.$esc as [string, unknown][]);
    }
  }
  return v;
}

/** Whether plain JSON would lose something of `v` (a walk in JS is much cheaper than a replacer per node). */
function needsTags(v: unknown): boolean {
  switch (typeof v) {
    case "number":
      return !Number.isFinite(v);
    case "bigint":
      return true;
    case "object": {
      if (v === null) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (v[i] === undefined || needsTags(v[i])) return true;
        return false;
      }
      if (Buffer.isBuffer(v) || v instanceof Set || (v as { toJSON?: unknown }).toJSON !== undefined || isTagLike(v)) return true;
      for (const k in v) if (needsTags((v as Record<string, unknown>)[k])) return true;
      return false;
    }
    default:
      return false;
  }
}

/** One value as a JSON line (bigint, non-finite numbers, Buffers and Sets survive). */
export function encodeLine(v: unknown): string {
  return needsTags(v) ? JSON.stringify(v, replacer) : JSON.stringify(v);
}

export function decodeLine(line: string): unknown {
  // Tags are objects whose one key starts with "$": lines without `{"$` need no reviver.
  return (line.includes('{"$') ? JSON.parse(line, reviver) : JSON.parse(line)) as unknown;
}

export type StateFileKind = "delta" | "snapshot";

/** The versions that have a file of `kind` in `dir`, ascending. */
export function listVersions(dir: string, kind: StateFileKind): number[] {
  if (!fs.existsSync(dir)) return [];
  const suffix = "." + kind;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix) && /^\d+$/.test(f.slice(0, -suffix.length)))
    .map((f) => Number(f.slice(0, -suffix.length)))
    .sort((a, b) => a - b);
}

export function stateFile(dir: string, version: number, kind: StateFileKind): string {
  return path.join(dir, `${version}.${kind}`);
}

/** The lines of a state file (a torn or missing file is an error naming the file). */
export function readLines(file: string): unknown[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`streamlab: cannot load the state store: ${file} is missing; the checkpoint is damaged, delete it to start over`);
  }
  const out: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      try {
        out.push(decodeLine(text.slice(start, end)));
      } catch {
        throw new Error(`streamlab: cannot load the state store: ${file} is corrupt at byte ${start}; the checkpoint is damaged, delete it to start over`);
      }
    }
    start = end + 1;
  }
  return out;
}
