/**
 * from_avro / to_avro (spark-avro) and from_protobuf / to_protobuf (spark-protobuf), with Spark's names and
 * option spellings, plus the schema-registry forms Databricks adds (Confluent's wire format: magic byte, schema
 * id, payload): `from_avro(col, {subject, schemaRegistryAddress})` and, for Protobuf, the options
 * `schema.registry.subject` / `schema.registry.address`. The reader schema is the subject's latest version when
 * the DataFrame is defined; each record is decoded with the schema its id names (schema evolution), resolved
 * to the reader's. A record that cannot be decoded fails the query naming its offset and schema id (FAILFAST,
 * Spark's default for from_avro) or becomes null (mode PERMISSIVE).
 */
import { existsSync, readFileSync } from "node:fs";
import type * as avsc from "avsc";
import { Codec, codecByIdSync, frame, latestSync, unframe } from "../../../registry";
import { BinaryType, typeString } from "../../types";
import { avroToSpark, protobufToSpark, sparkToAvro, type AvroJson, type Converted } from "../../types/avro";
import { RowError } from "../gen";
import { caseInsensitive } from "../../options";
import { fail, literalArg } from "./common";
import type { FunctionRegistry } from "./registry";

type Mode = "FAILFAST" | "PERMISSIVE";

interface RegistryRef {
  subject: string;
  address: string;
  /** Basic auth "user:password" (Databricks' option confluent.schema.registry.basic.auth.user.info). */
  auth?: string;
}

const AUTH_KEY = "confluent.schema.registry.basic.auth.user.info";

function registryRef(value: unknown, subjectKey: string, addressKey: string, more?: unknown): RegistryRef | undefined {
  if (!value || typeof value !== "object") return undefined;
  const o = caseInsensitive(value as Record<string, string>);
  const subject = o[subjectKey.toLowerCase()] ?? o[subjectKey];
  const address = o[addressKey.toLowerCase()] ?? o[addressKey];
  if (subject === undefined && address === undefined) return undefined;
  if (!subject || !address) fail(`schema registry options need both ${subjectKey} and ${addressKey}`);
  const auth = o[AUTH_KEY] ?? (more && typeof more === "object" ? caseInsensitive(more as Record<string, string>)[AUTH_KEY] : undefined);
  return { subject: String(subject), address: String(address), ...(auth ? { auth: String(auth) } : {}) };
}

function modeOf(name: string, options: Record<string, unknown>, fallback: Mode): Mode {
  const mode = String(caseInsensitive(options as Record<string, string>).mode ?? fallback).toUpperCase();
  if (mode !== "FAILFAST" && mode !== "PERMISSIVE") fail(`${name}(): mode must be FAILFAST or PERMISSIVE, not '${mode}'`);
  return mode as Mode;
}

function short(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0];
}

/** Avro decoding with writer schemas by id, resolved to one reader schema (resolvers cached per id). */
function avroDecoder(reader: Codec, conv: Converted, mode: Mode, ref: RegistryRef | undefined): (v: unknown, row: number) => unknown {
  const readerType = reader.avroType!;
  const resolvers = new Map<number, avsc.Resolver | null>();
  const bad = (row: number, what: string) => {
    if (mode === "FAILFAST") throw new RowError(row, `malformed Avro record${what} in FAILFAST mode; use .option/mode PERMISSIVE to get null instead`);
    return null;
  };
  return (v, row) => {
    if (v === null || v === undefined) return null;
    const buf = v as Buffer;
    if (!ref) {
      try {
        return conv.read(readerType.fromBuffer(buf));
      } catch (err) {
        return bad(row, ` (${short(err)})`);
      }
    }
    let id: number;
    let payload: Buffer;
    try {
      ({ schemaId: id, payload } = unframe(buf));
    } catch (err) {
      return bad(row, ` (${short(err)})`);
    }
    try {
      let resolver = resolvers.get(id);
      if (resolver === undefined) {
        const writer = id === reader.schemaId ? null : codecByIdSync(ref.address, id, ref.auth);
        if (writer && writer.schema.schemaType !== "AVRO") throw new Error(`schema id ${id} is ${writer.schema.schemaType}, not AVRO`);
        resolver = writer ? readerType.createResolver(writer.avroType!) : null;
        resolvers.set(id, resolver);
      }
      return conv.read(resolver ? readerType.fromBuffer(payload, resolver) : readerType.fromBuffer(payload));
    } catch (err) {
      return bad(row, ` with schema id ${id} (${short(err)})`);
    }
  };
}

function protoText(value: string): string {
  // spark-protobuf takes a descriptor file path; streamlab takes a .proto file path or the .proto text itself.
  if (!/[{;]/.test(value) && existsSync(value)) return readFileSync(value, "utf8");
  return value;
}

export function registerAvroProtobufFunctions(r: FunctionRegistry): void {
  r.scalar("from_avro", {
    args: [2, 3],
    resolve(args, e) {
      if (args[0].type.kind !== "binary" && args[0].type.kind !== "null") fail(`from_avro() expects a binary column (the Kafka value), got ${typeString(args[0].type)}; do not CAST it to STRING first`);
      const second = literalArg(args[1], "from_avro", "the schema (JSON) or the schema registry options");
      const options = { ...((e.options ?? {})), ...((literalArg(args[2], "from_avro", "the options") as Record<string, unknown>) ?? {}) };
      const ref = registryRef(second, "subject", "schemaRegistryAddress", options) ?? registryRef(options, "subject", "schemaRegistryAddress");
      const mode = modeOf("from_avro", options, "FAILFAST");
      let reader: Codec;
      try {
        reader = ref ? latestSync(ref.address, ref.subject, ref.auth).codec : new Codec({ schemaType: "AVRO", schema: String(second), references: [] });
      } catch (err) {
        return fail(`from_avro(): ${short(err)}`);
      }
      if (reader.schema.schemaType !== "AVRO") fail(`from_avro(): subject ${ref?.subject} holds a ${reader.schema.schemaType} schema; use from_protobuf or from_json`);
      const conv = avroToSpark(JSON.parse(reader.schema.schema) as AvroJson);
      return { type: conv.type, args: [args[0]], meta: { kind: "codec", decode: avroDecoder(reader, conv, mode, ref) } };
    },
    gen: (a, cg, call) => `${cg.konst((call.meta as { decode: unknown }).decode)}(${a[0]}, i)`,
  });

  r.scalar("to_avro", {
    args: [1, 2],
    resolve(args, e) {
      const second = literalArg(args[1], "to_avro", "the schema (JSON) or the schema registry options");
      const ref = registryRef(second, "subject", "schemaRegistryAddress", e.options) ?? registryRef(e.options, "subject", "schemaRegistryAddress");
      let codec: Codec;
      let id: number | undefined;
      try {
        if (ref) ({ codec, id } = latestSync(ref.address, ref.subject, ref.auth));
        else codec = new Codec({ schemaType: "AVRO", schema: typeof second === "string" ? second : JSON.stringify(sparkToAvro(args[0].type, false)), references: [] });
      } catch (err) {
        return fail(`to_avro(): ${short(err)}`);
      }
      const conv = avroToSpark(JSON.parse(codec.schema.schema) as AvroJson);
      const type = codec.avroType!;
      const encode = (v: unknown, row: number) => {
        if (v === null || v === undefined) return null;
        try {
          const buf = type.toBuffer(conv.write(v));
          return id === undefined ? buf : frame(id, buf);
        } catch (err) {
          throw new RowError(row, `to_avro(): the value does not fit the Avro schema: ${short(err)}`);
        }
      };
      return { type: BinaryType, args: [args[0]], meta: { kind: "codec", decode: encode } };
    },
    gen: (a, cg, call) => `${cg.konst((call.meta as { decode: unknown }).decode)}(${a[0]}, i)`,
  });

  r.scalar("from_protobuf", {
    args: [2, 4],
    resolve(args, e) {
      if (args[0].type.kind !== "binary" && args[0].type.kind !== "null") fail(`from_protobuf() expects a binary column, got ${typeString(args[0].type)}`);
      const messageName = String(literalArg(args[1], "from_protobuf", "the message name"));
      const third = literalArg(args[2], "from_protobuf", "the .proto file or text, or the options");
      const options = { ...((e.options ?? {})), ...(typeof third === "object" && third ? (third as Record<string, unknown>) : {}), ...((literalArg(args[3], "from_protobuf", "the options") as Record<string, unknown>) ?? {}) };
      const ref = registryRef(options, "schema.registry.subject", "schema.registry.address");
      const mode = modeOf("from_protobuf", options, "FAILFAST");
      let reader: Codec;
      try {
        if (ref) reader = latestSync(ref.address, ref.subject, ref.auth).codec;
        else if (typeof third === "string") reader = new Codec({ schemaType: "PROTOBUF", schema: protoText(third), references: [] });
        else return fail("from_protobuf() needs the .proto (file path or text) or the options schema.registry.subject and schema.registry.address");
      } catch (err) {
        return fail(`from_protobuf(): ${short(err)}`);
      }
      const root = reader.messageType().root;
      let msg: ReturnType<typeof root.lookupType>;
      try {
        msg = root.lookupType(messageName);
      } catch {
        return fail(`from_protobuf(): no message '${messageName}' in the schema`);
      }
      const conv = protobufToSpark(msg);
      const decode = (v: unknown, row: number) => {
        if (v === null || v === undefined) return null;
        let id: number | undefined;
        try {
          if (!ref) return conv.read(msg.toObject(msg.decode(v as Buffer), { longs: Number, enums: String, bytes: Buffer, defaults: true }));
          const framed = unframe(v as Buffer, "PROTOBUF");
          id = framed.schemaId;
          const writer = id === reader.schemaId ? reader : codecByIdSync(ref.address, id, ref.auth);
          return conv.read(writer.decode(framed.payload, framed.messageIndexes));
        } catch (err) {
          if (mode === "FAILFAST") throw new RowError(row, `malformed Protobuf record${id !== undefined ? ` with schema id ${id}` : ""} (${short(err)}) in FAILFAST mode; use mode PERMISSIVE to get null instead`);
          return null;
        }
      };
      return { type: conv.type, args: [args[0]], meta: { kind: "codec", decode } };
    },
    gen: (a, cg, call) => `${cg.konst((call.meta as { decode: unknown }).decode)}(${a[0]}, i)`,
  });

  r.scalar("to_protobuf", {
    args: [2, 4],
    resolve(args, e) {
      const messageName = String(literalArg(args[1], "to_protobuf", "the message name"));
      const third = literalArg(args[2], "to_protobuf", "the .proto file or text, or the options");
      const options = { ...((e.options ?? {})), ...(typeof third === "object" && third ? (third as Record<string, unknown>) : {}), ...((literalArg(args[3], "to_protobuf", "the options") as Record<string, unknown>) ?? {}) };
      const ref = registryRef(options, "schema.registry.subject", "schema.registry.address");
      let codec: Codec;
      let id: number | undefined;
      try {
        if (ref) ({ codec, id } = latestSync(ref.address, ref.subject, ref.auth));
        else if (typeof third === "string") codec = new Codec({ schemaType: "PROTOBUF", schema: protoText(third), references: [] });
        else return fail("to_protobuf() needs the .proto (file path or text) or the options schema.registry.subject and schema.registry.address");
      } catch (err) {
        return fail(`to_protobuf(): ${short(err)}`);
      }
      const top = codec.messageType().root;
      let msg: ReturnType<typeof top.lookupType>;
      try {
        msg = top.lookupType(messageName);
      } catch {
        return fail(`to_protobuf(): no message '${messageName}' in the schema`);
      }
      const conv = protobufToSpark(msg);
      // The message's index path in its .proto, for the frame (Confluent's message indexes).
      let indexes = [0];
      for (let i = 0; i < 64; i++) {
        try {
          if (codec.messageType([i]) === msg) {
            indexes = [i];
            break;
          }
        } catch {
          break;
        }
      }
      const encode = (v: unknown, row: number) => {
        if (v === null || v === undefined) return null;
        try {
          const payload = Buffer.from(msg.encode(msg.fromObject(conv.write(v) as Record<string, unknown>)).finish());
          return id === undefined ? payload : frame(id, payload, indexes);
        } catch (err) {
          throw new RowError(row, `to_protobuf(): the value does not fit message ${messageName}: ${short(err)}`);
        }
      };
      return { type: BinaryType, args: [args[0]], meta: { kind: "codec", decode: encode } };
    },
    gen: (a, cg, call) => `${cg.konst((call.meta as { decode: unknown }).decode)}(${a[0]}, i)`,
  });
}
