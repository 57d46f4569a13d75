/**
 * One generic encoder/decoder for every Kafka message, driven by declarations written as data (messages.ts),
 * the way Kafka's own `clients/src/main/resources/common/message/*.json` specs drive its generated code.
 *
 * A field exists in a version range, may be nullable in another range, and may be a tagged field (KIP-482).
 * The same declaration serves the classic encoding (int16 string lengths, int32 byte and array lengths) and the
 * flexible one (compact lengths as unsigned varints of length + 1, and a tagged-field section at the end of
 * every struct). Decoded messages are plain objects with one camelCase property per declared field; fields
 * absent from a version take their default. TypeScript types are inferred from the declarations: `In<F>` is
 * what decoding gives, `Out<F>` what encoding takes (every field optional, defaulted when missing).
 */
import { MalformedRequestError, Reader, Writer } from "./primitives";

type Kind = "bool" | "int8" | "int16" | "uint16" | "int32" | "int64" | "float64" | "uuid" | "string" | "bytes" | "records" | "struct";

/** Record data going out: stored batches sent by reference, never copied or re-encoded. */
export class RecordChunks {
  constructor(
    readonly chunks: Buffer[],
    readonly bytes: number,
  ) {}
}

export type Records = Buffer | RecordChunks | null;

export interface Field<N extends string = string, I = unknown, O = unknown> {
  readonly name: N;
  readonly kind: Kind;
  readonly array: boolean;
  readonly fields?: readonly Field[];
  readonly min: number;
  readonly max: number;
  readonly nullMin: number;
  readonly nullMax: number;
  readonly tag?: number;
  readonly def: unknown;
  /** Type carriers for inference only; never set. */
  readonly _in?: I;
  readonly _out?: O;
}

type AnyField = Field<string, any, any>;
type InOf<F> = F extends Field<string, infer I, any> ? I : never;
type OutOf<F> = F extends Field<string, any, infer O> ? O : never;
/** A decoded struct. */
export type In<F extends readonly AnyField[]> = { [K in F[number] as K["name"]]: InOf<K> };
/** A struct to encode: any field may be left out and then takes its default. */
export type Out<F extends readonly AnyField[]> = { [K in F[number] as K["name"]]?: OutOf<K> };

export const UUID_ZERO = "00000000-0000-0000-0000-000000000000";

/** "3+", "0-5", "4" or "none" as an inclusive range. */
export function parseVersions(s: string): [number, number] {
  if (s === "none") return [1, 0];
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), Infinity];
  const dash = s.indexOf("-");
  if (dash > 0) return [Number(s.slice(0, dash)), Number(s.slice(dash + 1))];
  return [Number(s), Number(s)];
}

interface Opts {
  /** Versions in which the field may be null. */
  nullable?: string;
  /** Makes this a tagged field with this tag (in every flexible version it exists in). */
  tag?: number;
  default?: unknown;
}

function field(name: string, kind: Kind, array: boolean, versions: string, opts: Opts = {}, fields?: readonly AnyField[]): AnyField {
  const [min, max] = parseVersions(versions);
  const [nullMin, nullMax] = parseVersions(opts.nullable ?? "none");
  let def = opts.default;
  if (def === undefined) {
    if (array) def = nullMin <= nullMax && nullMin <= min ? null : [];
    else if (kind === "bool") def = false;
    else if (kind === "string") def = nullMin <= min && nullMin <= nullMax ? null : "";
    else if (kind === "bytes") def = nullMin <= min && nullMin <= nullMax ? null : Buffer.alloc(0);
    else if (kind === "records") def = null;
    else if (kind === "uuid") def = UUID_ZERO;
    else if (kind === "struct") def = undefined;
    else def = 0;
  }
  return { name, kind, array, fields, min, max, nullMin, nullMax, tag: opts.tag, def };
}

// The declaration language. Names are the camelCase of Kafka's field names.
export const bool = <N extends string>(name: N, v: string, o?: Opts) => field(name, "bool", false, v, o) as Field<N, boolean, boolean>;
export const int8 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "int8", false, v, o) as Field<N, number, number>;
export const int16 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "int16", false, v, o) as Field<N, number, number>;
export const uint16 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "uint16", false, v, o) as Field<N, number, number>;
export const int32 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "int32", false, v, o) as Field<N, number, number>;
/** int64 as a JS number: offsets, timestamps and producer ids stay below 2^53 here. */
export const int64 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "int64", false, v, o) as Field<N, number, number>;
export const float64 = <N extends string>(name: N, v: string, o?: Opts) => field(name, "float64", false, v, o) as Field<N, number, number>;
export const uuid = <N extends string>(name: N, v: string, o?: Opts) => field(name, "uuid", false, v, o) as Field<N, string, string>;
export const str = <N extends string>(name: N, v: string, o?: Opts) => field(name, "string", false, v, o) as Field<N, string, string>;
export const nstr = <N extends string>(name: N, v: string, nullable: string, o?: Opts) => field(name, "string", false, v, { ...o, nullable }) as Field<N, string | null, string | null>;
export const bytes = <N extends string>(name: N, v: string, o?: Opts) => field(name, "bytes", false, v, o) as Field<N, Buffer, Buffer>;
export const nbytes = <N extends string>(name: N, v: string, nullable: string, o?: Opts) => field(name, "bytes", false, v, { ...o, nullable }) as Field<N, Buffer | null, Buffer | null>;
export const records = <N extends string>(name: N, v: string) => field(name, "records", false, v, { nullable: v }) as Field<N, Buffer | null, Records>;
/** A single nested struct (Kafka's non-array struct fields, usually tagged). */
export const struct = <N extends string, F extends readonly AnyField[]>(name: N, v: string, fields: F, o?: Opts) => field(name, "struct", false, v, o, fields) as Field<N, In<F> | undefined, Out<F> | undefined>;
/** A struct that may be null (an int8 marker before it: -1 null, 1 present); null by default. */
export const nstruct = <N extends string, F extends readonly AnyField[]>(name: N, v: string, nullable: string, fields: F, o?: Opts) =>
  field(name, "struct", false, v, { default: null, ...o, nullable }, fields) as Field<N, In<F> | null, Out<F> | null>;
/** An array of structs. */
export const array = <N extends string, F extends readonly AnyField[]>(name: N, v: string, fields: F, o?: Opts) => field(name, "struct", true, v, o, fields) as Field<N, In<F>[], Out<F>[]>;
export const narray = <N extends string, F extends readonly AnyField[]>(name: N, v: string, nullable: string, fields: F, o?: Opts) =>
  field(name, "struct", true, v, { ...o, nullable }, fields) as Field<N, In<F>[] | null, Out<F>[] | null>;
type ScalarOf<K> = K extends "string" | "uuid" ? string : K extends "bool" ? boolean : K extends "bytes" ? Buffer : number;
/** An array of scalars ("int32", "int64", "string", ...). */
export const arrayOf = <N extends string, K extends Exclude<Kind, "struct" | "records">>(name: N, kind: K, v: string, o?: Opts) => field(name, kind, true, v, o) as Field<N, ScalarOf<K>[], ScalarOf<K>[]>;
export const narrayOf = <N extends string, K extends Exclude<Kind, "struct" | "records">>(name: N, kind: K, v: string, nullable: string, o?: Opts) =>
  field(name, kind, true, v, { ...o, nullable }) as Field<N, ScalarOf<K>[] | null, ScalarOf<K>[] | null>;

/** A message: its API key, the first flexible version, and the request and response fields. */
export interface MessageSpec<Req extends readonly AnyField[] = readonly AnyField[], Res extends readonly AnyField[] = readonly AnyField[]> {
  apiKey: number;
  name: string;
  /** All versions the spec describes (the handler may serve fewer). */
  validVersions: [number, number];
  /** First flexible version (KIP-482); Infinity when none. */
  flexibleFrom: number;
  request: Req;
  response: Res;
}

export function message<Req extends readonly AnyField[], Res extends readonly AnyField[]>(
  apiKey: number,
  name: string,
  valid: string,
  flexible: string,
  request: Req,
  response: Res,
): MessageSpec<Req, Res> {
  return { apiKey, name, validVersions: parseVersions(valid), flexibleFrom: parseVersions(flexible)[0] > parseVersions(flexible)[1] ? Infinity : parseVersions(flexible)[0], request, response };
}

export type RequestOf<M extends MessageSpec> = In<M["request"]>;
export type ResponseOf<M extends MessageSpec> = Out<M["response"]>;

// ---- The codec ----

interface Plan {
  /** Fields on the wire in order, tagged ones excluded. */
  regular: AnyField[];
  /** Tagged fields of this version, by tag. */
  tagged: AnyField[];
  /** Fields absent from this version (set to their default when decoding). */
  absent: AnyField[];
}

const plans = new WeakMap<readonly AnyField[], Map<number, Plan>>();

function planFor(fields: readonly AnyField[], v: number, flex: boolean): Plan {
  let byVersion = plans.get(fields);
  if (!byVersion) plans.set(fields, (byVersion = new Map()));
  const key = flex ? v : -1 - v;
  let p = byVersion.get(key);
  if (!p) {
    p = { regular: [], tagged: [], absent: [] };
    for (const f of fields) {
      const present = v >= f.min && v <= f.max;
      if (!present) p.absent.push(f);
      else if (f.tag !== undefined) {
        // A tagged field only exists where the encoding has tagged fields.
        if (flex) p.tagged.push(f);
        else p.absent.push(f);
      } else p.regular.push(f);
    }
    p.tagged.sort((a, b) => a.tag! - b.tag!);
    byVersion.set(key, p);
  }
  return p;
}

function nullableIn(f: AnyField, v: number): boolean {
  return v >= f.nullMin && v <= f.nullMax;
}

function defaultOf(f: AnyField): unknown {
  const d = f.def;
  return Array.isArray(d) ? [] : d;
}

/** Decodes a struct of `fields` at version v. */
export function decode(r: Reader, fields: readonly AnyField[], v: number, flex: boolean): any {
  const p = planFor(fields, v, flex);
  const o: Record<string, unknown> = {};
  for (const f of p.absent) o[f.name] = defaultOf(f);
  for (const f of p.tagged) o[f.name] = defaultOf(f);
  for (const f of p.regular) o[f.name] = readField(r, f, v, flex);
  if (flex) readTaggedFields(r, p, o, v);
  return o;
}

function readTaggedFields(r: Reader, p: Plan, o: Record<string, unknown> | null, v: number): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const f = o ? p.tagged.find((t) => t.tag === tag) : undefined;
    if (!f) {
      r.skip(size);
      continue;
    }
    const end = r.offset + size;
    const sub = new Reader(r.buf.subarray(0, end), r.offset);
    o![f.name] = readField(sub, f, v, true);
    r.offset = end;
  }
}

/** Skips the tagged-field section of a flexible request header (v2). */
export function skipTaggedFields(r: Reader): void {
  readTaggedFields(r, { regular: [], tagged: [], absent: [] }, null, 0);
}

function readField(r: Reader, f: AnyField, v: number, flex: boolean): unknown {
  if (f.array) {
    const n = flex ? r.compactLength() : r.int32();
    if (n < 0) return nullableIn(f, v) ? null : [];
    if (n > r.remaining()) throw new MalformedRequestError(`${f.name}: array of ${n} elements in ${r.remaining()} bytes`);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = f.kind === "struct" ? decode(r, f.fields!, v, flex) : readScalar(r, f.kind, f, v, flex);
    return out;
  }
  if (f.kind === "struct") {
    // A nullable struct (Kafka's "nullableVersions" on a struct field) has an int8 marker: -1 null, 1 present.
    if (nullableIn(f, v) && r.int8() < 0) return null;
    return decode(r, f.fields!, v, flex);
  }
  return readScalar(r, f.kind, f, v, flex);
}

function readScalar(r: Reader, kind: Kind, f: AnyField, v: number, flex: boolean): unknown {
  switch (kind) {
    case "bool":
      return r.int8() !== 0;
    case "int8":
      return r.int8();
    case "int16":
      return r.int16();
    case "uint16":
      return r.uint16();
    case "int32":
      return r.int32();
    case "int64":
      return r.int64();
    case "float64":
      return r.float64();
    case "uuid":
      return r.uuid();
    case "string": {
      const s = flex ? r.compactNullableString() : r.nullableString();
      // A null where the spec allows none: Kafka refuses it; treated as empty here, the lenient reading.
      return s === null && !(f.array ? false : nullableIn(f, v)) ? "" : s;
    }
    case "bytes":
    case "records": {
      const b = flex ? r.compactNullableBytes() : r.nullableBytes();
      return b === null && kind === "bytes" && !nullableIn(f, v) ? Buffer.alloc(0) : b;
    }
    default:
      throw new Error(`cannot read ${kind}`);
  }
}

/** Encodes a struct of `fields` at version v; missing values take their defaults. */
export function encode(w: Writer, fields: readonly AnyField[], v: number, flex: boolean, o: Record<string, unknown> | undefined): void {
  const p = planFor(fields, v, flex);
  for (const f of p.regular) writeField(w, f, v, flex, o?.[f.name]);
  if (!flex) return;
  const present = p.tagged.filter((f) => !isDefault(f, o?.[f.name]));
  w.uvarint(present.length);
  for (const f of present) {
    const sub = new Writer(64);
    writeField(sub, f, v, true, o![f.name]);
    w.uvarint(f.tag!).uvarint(sub.length);
    for (const c of sub.finish()) w.raw(c);
  }
}

function isDefault(f: AnyField, value: unknown): boolean {
  if (value === undefined) return true;
  if (f.array) return Array.isArray(value) ? value.length === 0 && Array.isArray(f.def) : value === f.def;
  if (f.kind === "struct") return false;
  if (Buffer.isBuffer(value)) return Buffer.isBuffer(f.def) && value.length === 0 && (f.def).length === 0;
  return value === f.def;
}

function writeField(w: Writer, f: AnyField, v: number, flex: boolean, value: unknown): void {
  if (value === undefined) value = defaultOf(f);
  if (f.array) {
    if (value === null) {
      if (!nullableIn(f, v)) value = [];
      else {
        if (flex) w.uvarint(0);
        else w.int32(-1);
        return;
      }
    }
    const items = value as unknown[];
    if (flex) w.uvarint(items.length + 1);
    else w.int32(items.length);
    for (const item of items) {
      if (f.kind === "struct") encode(w, f.fields!, v, flex, item as Record<string, unknown>);
      else writeScalar(w, f.kind, f, v, flex, item);
    }
    return;
  }
  if (f.kind === "struct") {
    if (nullableIn(f, v)) {
      if (value === null || value === undefined) {
        w.int8(-1);
        return;
      }
      w.int8(1);
    }
    return encode(w, f.fields!, v, flex, value as Record<string, unknown> | undefined);
  }
  writeScalar(w, f.kind, f, v, flex, value);
}

function writeScalar(w: Writer, kind: Kind, f: AnyField, v: number, flex: boolean, value: unknown): void {
  switch (kind) {
    case "bool":
      w.int8(value ? 1 : 0);
      return;
    case "int8":
      w.int8(value as number);
      return;
    case "int16":
      w.int16(value as number);
      return;
    case "uint16":
      w.uint16(value as number);
      return;
    case "int32":
      w.int32(value as number);
      return;
    case "int64":
      w.int64(value as number);
      return;
    case "float64":
      w.float64(value as number);
      return;
    case "uuid":
      w.uuid((value as string) ?? UUID_ZERO);
      return;
    case "string": {
      let s = value as string | null;
      if (s === null && (f.array || !nullableIn(f, v))) s = "";
      if (flex) w.compactNullableString(s);
      else w.nullableString(s);
      return;
    }
    case "bytes": {
      let b = value as Buffer | null;
      if (b === null && !nullableIn(f, v)) b = Buffer.alloc(0);
      if (flex) w.compactNullableBytes(b);
      else w.nullableBytes(b);
      return;
    }
    case "records": {
      if (value instanceof RecordChunks) {
        if (flex) w.uvarint(value.bytes + 1);
        else w.int32(value.bytes);
        for (const c of value.chunks) w.raw(c);
      } else if (flex) w.compactNullableBytes(value as Buffer | null);
      else w.nullableBytes(value as Buffer | null);
      return;
    }
    default:
      throw new Error(`cannot write ${kind}`);
  }
}

/** Whether version v of this message uses the flexible encoding (request header v2, response header v1). */
export function isFlexible(spec: MessageSpec, v: number): boolean {
  return v >= spec.flexibleFrom;
}

/** Decodes a whole request body (the header already read). */
export function decodeRequest<M extends MessageSpec>(spec: M, v: number, r: Reader): RequestOf<M> {
  return decode(r, spec.request, v, isFlexible(spec, v));
}

/** Encodes a response body (no header). */
export function encodeResponse<M extends MessageSpec>(spec: M, v: number, body: ResponseOf<M>, w = new Writer()): Writer {
  encode(w, spec.response, v, isFlexible(spec, v), body);
  return w;
}

/** Encodes a request body, for clients and tests. */
export function encodeRequest<M extends MessageSpec>(spec: M, v: number, body: Out<M["request"]>, w = new Writer()): Writer {
  encode(w, spec.request, v, isFlexible(spec, v), body);
  return w;
}

/** Decodes a response body, for clients and tests. */
export function decodeResponse<M extends MessageSpec>(spec: M, v: number, r: Reader): In<M["response"]> {
  return decode(r, spec.response, v, isFlexible(spec, v));
}
