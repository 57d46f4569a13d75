/**
 * Confluent's wire format for registry-framed Kafka values: a zero magic byte, the schema id as a 4-byte
 * big-endian integer, then (Protobuf only) the message indexes as zig-zag varints, then the payload in the
 * schema's own encoding. And a small client for a registry's REST API, with the id lookups cached (ids never
 * change meaning).
 */
import type * as avro from "avsc";
import type * as protobuf from "protobufjs";
import { avroType, jsonSchemaValidator, protobufjs, protobufMessages, protobufRoot, type ResolvedSchema, type SchemaReference, type SchemaType } from "./formats";

export const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
export const MAGIC_BYTE = 0;

export interface Framed {
  schemaId: number;
  /** Protobuf: the path of message indexes to the message type in the .proto ([0] = its first message). */
  messageIndexes?: number[];
  payload: Buffer;
}

/** Splits a framed value; throws a one-line error for a value that is not registry-framed. */
export function unframe(value: Buffer, schemaType: SchemaType = "AVRO"): Framed {
  if (value.length < 5 || value[0] !== MAGIC_BYTE) throw new Error(`not a schema-registry framed value (it must start with magic byte 0 and a 4-byte schema id; got ${value.length} bytes starting ${value.subarray(0, 5).toString("hex") || "(nothing)"})`);
  const schemaId = value.readInt32BE(1);
  if (schemaType !== "PROTOBUF") return { schemaId, payload: value.subarray(5) };
  let pos = 5;
  const varint = () => {
    let shift = 0;
    let result = 0;
    for (;;) {
      if (pos >= value.length) throw new Error("truncated Protobuf message indexes after the schema id");
      const b = value[pos++];
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
      if (shift > 28) throw new Error("bad Protobuf message index varint");
    }
    return (result >>> 1) ^ -(result & 1);
  };
  const count = varint();
  const messageIndexes = count === 0 ? [0] : Array.from({ length: count }, varint);
  return { schemaId, messageIndexes, payload: value.subarray(pos) };
}

export function frame(schemaId: number, payload: Buffer, messageIndexes?: number[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = MAGIC_BYTE;
  head.writeInt32BE(schemaId, 1);
  if (!messageIndexes) return Buffer.concat([head, payload]);
  const bytes: number[] = [];
  const put = (n: number) => {
    let z = ((n << 1) ^ (n >> 31)) >>> 0;
    while (z > 0x7f) {
      bytes.push((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    bytes.push(z);
  };
  if (messageIndexes.length === 1 && messageIndexes[0] === 0) put(0);
  else {
    put(messageIndexes.length);
    messageIndexes.forEach(put);
  }
  return Buffer.concat([head, Buffer.from(bytes), payload]);
}

/** A schema ready to encode and decode values: the parsed type of its library. */
export class Codec {
  private readonly avro?: avro.Type;
  private readonly messages?: protobuf.Type[];
  private readonly validate?: ReturnType<typeof jsonSchemaValidator>;

  constructor(
    readonly schema: ResolvedSchema,
    readonly schemaId?: number,
  ) {
    if (schema.schemaType === "AVRO") this.avro = avroType(schema);
    else if (schema.schemaType === "PROTOBUF") {
      protobufRoot(schema);
      this.messages = protobufMessages(schema);
    } else this.validate = jsonSchemaValidator(schema);
  }

  /** The Avro type (for writing Spark's schema of the decoded rows). */
  get avroType(): avro.Type | undefined {
    return this.avro;
  }

  /** The Protobuf message type the indexes point at (top-level messages only; nested by index path). */
  messageType(indexes: number[] = [0]): protobuf.Type {
    const { Type } = protobufjs();
    const top = this.messages!.filter((t) => !(t.parent instanceof Type));
    let type = top[indexes[0]];
    for (const i of indexes.slice(1)) type = type?.nestedArray.filter((n): n is protobuf.Type => n instanceof Type)[i];
    if (!type) throw new Error(`no Protobuf message at index path [${indexes.join(",")}] of the schema`);
    return type;
  }

  /** Decodes a payload (without the frame) to a plain object. */
  decode(payload: Buffer, messageIndexes?: number[]): unknown {
    if (this.avro) {
      const decoded = this.avro.decode(payload, 0);
      const value: unknown = decoded.value;
      const offset = decoded.offset;
      if (offset < 0 || value === undefined) throw new Error(`truncated Avro payload (${payload.length} bytes)`);
      return value;
    }
    if (this.messages) {
      const type = this.messageType(messageIndexes);
      return type.toObject(type.decode(payload), { longs: Number, enums: String, bytes: Buffer, defaults: true });
    }
    const value = JSON.parse(payload.toString("utf8")) as unknown;
    if (!this.validate!(value)) throw new Error(`value does not match its JSON schema: ${this.validate!.errors?.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")}`);
    return value;
  }

  /** Encodes a plain object to a payload (without the frame). */
  encode(value: unknown, messageIndexes?: number[]): Buffer {
    if (this.avro) return this.avro.toBuffer(value);
    if (this.messages) {
      const type = this.messageType(messageIndexes);
      const problem = type.verify(value as Record<string, unknown>);
      if (problem) throw new Error(`value does not match Protobuf message ${type.name}: ${problem}`);
      return Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish());
    }
    if (!this.validate!(value)) throw new Error(`value does not match its JSON schema: ${this.validate!.errors?.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")}`);
    return Buffer.from(JSON.stringify(value));
  }
}

export interface RegisteredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** A registry's REST API (streamlab's or Confluent's), by URL; optional basic auth "user:password". */
export class RegistryClient {
  private readonly byId = new Map<number, Promise<Codec>>();
  private readonly headers: Record<string, string>;

  constructor(
    readonly url: string,
    auth?: string,
  ) {
    this.headers = { Accept: CONTENT_TYPE, "Content-Type": CONTENT_TYPE };
    if (auth) this.headers.Authorization = `Basic ${Buffer.from(auth).toString("base64")}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url.replace(/\/+$/, "")}${path}`, { method, headers: this.headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      if (res.ok) throw new Error(`schema registry at ${this.url}: the answer to ${method} ${path} is not JSON; is this a schema registry?`);
    }
    if (!res.ok) {
      const e = parsed as { error_code?: number; message?: string } | undefined;
      const err = new Error(`schema registry at ${this.url}: ${e?.message ?? `HTTP ${res.status}`}`) as Error & { errorCode?: number; status?: number };
      err.errorCode = e?.error_code;
      err.status = res.status;
      throw err;
    }
    return parsed as T;
  }

  register(subject: string, schema: string, schemaType: SchemaType = "AVRO", references: SchemaReference[] = []): Promise<{ id: number }> {
    return this.request("POST", `/subjects/${encodeURIComponent(subject)}/versions`, { schema, ...(schemaType !== "AVRO" ? { schemaType } : {}), ...(references.length ? { references } : {}) });
  }

  latest(subject: string): Promise<{ id: number; version: number; schema: string; schemaType?: SchemaType; references?: SchemaReference[] }> {
    return this.request("GET", `/subjects/${encodeURIComponent(subject)}/versions/latest`);
  }

  async subjectExists(subject: string): Promise<boolean> {
    try {
      await this.latest(subject);
      return true;
    } catch (err) {
      if ((err as { errorCode?: number }).errorCode === 40401) return false;
      throw err;
    }
  }

  /** The codec of a schema id, fetched once (with its references resolved through their subjects). */
  codec(id: number): Promise<Codec> {
    let c = this.byId.get(id);
    if (!c) {
      c = this.fetchCodec(id);
      this.byId.set(id, c);
      c.catch(() => this.byId.delete(id));
    }
    return c;
  }

  private async fetchCodec(id: number): Promise<Codec> {
    const s = await this.request<{ schema: string; schemaType?: SchemaType; references?: SchemaReference[] }>("GET", `/schemas/ids/${id}`);
    const refs = await this.resolveReferences(s.references ?? []);
    return new Codec({ schemaType: s.schemaType ?? "AVRO", schema: s.schema, references: refs }, id);
  }

  private async resolveReferences(refs: SchemaReference[]): Promise<{ name: string; schema: string }[]> {
    const out: { name: string; schema: string }[] = [];
    for (const ref of refs) {
      const v = await this.request<{ schema: string; references?: SchemaReference[] }>("GET", `/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`);
      out.push(...(await this.resolveReferences(v.references ?? [])), { name: ref.name, schema: v.schema });
    }
    return out;
  }

  /** Decodes a registry-framed value to a plain object, naming the schema id in any error. */
  async decode(value: Buffer, schemaType?: SchemaType): Promise<{ schemaId: number; value: unknown }> {
    const head = unframe(value, "AVRO");
    const codec = await this.codec(head.schemaId);
    const framed = codec.schema.schemaType === "PROTOBUF" || schemaType === "PROTOBUF" ? unframe(value, "PROTOBUF") : head;
    try {
      return { schemaId: head.schemaId, value: codec.decode(framed.payload, framed.messageIndexes) };
    } catch (err) {
      throw new Error(`value with schema id ${head.schemaId}: ${(err as Error).message}`);
    }
  }
}
