/**
 * `%datagen ... --format avro|protobuf|json-schema --registry [URL]`: a dataset's schema written in the chosen
 * format, registered under TOPIC-value (Confluent's TopicNameStrategy), and each record encoded with it and
 * framed as Confluent's serializers frame it (magic byte 0, 4-byte schema id, Protobuf message indexes).
 *
 * The schema comes from the dataset's Spark DDL field types, so `%stream` reading the subject back gets the
 * same columns: TIMESTAMP is Avro's timestamp-millis, Protobuf's google.protobuf.Timestamp and JSON Schema's
 * date-time string. Every field may be null (datasets have null shares): a ["null", T] union with default
 * null in Avro, an unset field in Protobuf, a ["T", "null"] type in JSON Schema.
 */
import { Codec, RegistryClient, frame, type SchemaType } from "../registry";
import type { Dataset } from "./types";

export type RegistryFormat = "avro" | "protobuf" | "json-schema";
export const REGISTRY_FORMATS: readonly RegistryFormat[] = ["avro", "protobuf", "json-schema"];

export const SCHEMA_TYPE_OF: Record<RegistryFormat, SchemaType> = { avro: "AVRO", protobuf: "PROTOBUF", "json-schema": "JSON" };

/** A Spark DDL type as a tree. */
type FieldType =
  | { kind: "string" | "int" | "long" | "double" | "float" | "boolean" | "timestamp" | "date" | "binary" }
  | { kind: "struct"; fields: { name: string; type: FieldType }[] }
  | { kind: "array"; element: FieldType }
  | { kind: "map"; value: FieldType };

const SCALARS: Record<string, FieldType["kind"]> = {
  STRING: "string", VARCHAR: "string", CHAR: "string", INT: "int", INTEGER: "int", SMALLINT: "int", TINYINT: "int", BYTE: "int", SHORT: "int",
  BIGINT: "long", LONG: "long", DOUBLE: "double", DECIMAL: "double", FLOAT: "float", REAL: "float", BOOLEAN: "boolean", TIMESTAMP: "timestamp",
  TIMESTAMP_NTZ: "timestamp", DATE: "date", BINARY: "binary",
};

/** Parses `STRUCT<lat: DOUBLE, tags: ARRAY<STRING>>` and the scalar names of DATAGEN's field types. */
export function parseFieldType(text: string): FieldType {
  let pos = 0;
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const word = () => {
    ws();
    const m = /^[A-Za-z_][\w]*/.exec(text.slice(pos));
    if (!m) throw new Error(`cannot read the type '${text}' at '${text.slice(pos)}'`);
    pos += m[0].length;
    return m[0];
  };
  const expect = (c: string) => {
    ws();
    if (text[pos] !== c) throw new Error(`cannot read the type '${text}': expected '${c}' at '${text.slice(pos)}'`);
    pos++;
  };
  const type = (): FieldType => {
    const name = word().toUpperCase();
    if (name === "STRUCT") {
      expect("<");
      const fields: { name: string; type: FieldType }[] = [];
      ws();
      while (text[pos] !== ">") {
        const fname = word();
        ws();
        if (text[pos] === ":") pos++;
        fields.push({ name: fname, type: type() });
        ws();
        if (text[pos] === ",") pos++;
        ws();
        if (pos >= text.length) throw new Error(`cannot read the type '${text}': unclosed STRUCT<`);
      }
      pos++;
      return { kind: "struct", fields };
    }
    if (name === "ARRAY") {
      expect("<");
      const element = type();
      expect(">");
      return { kind: "array", element };
    }
    if (name === "MAP") {
      expect("<");
      type();
      expect(",");
      const value = type();
      expect(">");
      return { kind: "map", value };
    }
    if (name === "DECIMAL" || name === "VARCHAR" || name === "CHAR") {
      ws();
      if (text[pos] === "(") pos = text.indexOf(")", pos) + 1;
    }
    const kind = SCALARS[name];
    if (!kind) throw new Error(`the field type ${name} has no Avro/Protobuf/JSON Schema counterpart here`);
    return { kind } as FieldType;
  };
  const t = type();
  ws();
  if (pos !== text.length) throw new Error(`cannot read the type '${text}': unexpected '${text.slice(pos)}'`);
  return t;
}

function fieldsOf(ds: Dataset): { name: string; type: FieldType }[] {
  return ds.fields.map((f) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new Error(`field '${f.name}' of dataset ${ds.name} is not a valid Avro/Protobuf name (letters, digits, _)`);
    return { name: f.name, type: parseFieldType(f.type) };
  });
}

const typeName = (s: string) => s.replace(/(^|[^A-Za-z0-9])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9_]/g, "").replace(/^(\d)/, "_$1") || "Record";

function avroOf(t: FieldType, name: string): unknown {
  switch (t.kind) {
    case "string": case "int": case "long": case "double": case "float": case "boolean": return t.kind;
    case "binary": return "bytes";
    case "timestamp": return { type: "long", logicalType: "timestamp-millis" };
    case "date": return { type: "int", logicalType: "date" };
    case "array": return { type: "array", items: avroOf(t.element, `${name}Item`) };
    case "map": return { type: "map", values: avroOf(t.value, `${name}Value`) };
    case "struct": return { type: "record", name, fields: t.fields.map((f) => ({ name: f.name, type: ["null", avroOf(f.type, `${name}_${typeName(f.name)}`)], default: null })) };
  }
}

function protoOf(t: FieldType, name: string, nested: string[]): string {
  switch (t.kind) {
    case "string": return "string";
    case "int": return "int32";
    case "long": return "int64";
    case "double": return "double";
    case "float": return "float";
    case "boolean": return "bool";
    case "binary": return "bytes";
    case "timestamp": return "google.protobuf.Timestamp";
    case "date": return "int32";
    case "array": {
      if (t.element.kind === "array" || t.element.kind === "map") throw new Error("Protobuf has no list of lists or of maps; choose --format avro or json-schema");
      return protoOf(t.element, name, nested);
    }
    case "map": return `map<string, ${protoOf(t.value, name, nested)}>`;
    case "struct": {
      nested.push(protoMessage(name, t.fields, "  "));
      return name;
    }
  }
}

function protoMessage(name: string, fields: { name: string; type: FieldType }[], indent = ""): string {
  const nested: string[] = [];
  const lines = fields.map((f, i) => {
    const type = protoOf(f.type, typeName(f.name), nested);
    const label = f.type.kind === "array" ? "repeated " : f.type.kind === "map" || f.type.kind === "struct" || type.startsWith("google.") ? "" : "optional ";
    return `${indent}  ${label}${type} ${f.name} = ${i + 1};`;
  });
  return [`${indent}message ${name} {`, ...nested.map((n) => n.replace(/^/gm, indent)), ...lines, `${indent}}`].join("\n");
}

function jsonSchemaOf(t: FieldType): Record<string, unknown> {
  switch (t.kind) {
    case "string": return { type: "string" };
    case "int": case "long": return { type: "integer" };
    case "double": case "float": return { type: "number" };
    case "boolean": return { type: "boolean" };
    case "binary": return { type: "string", contentEncoding: "base64" };
    case "timestamp": return { type: "string", format: "date-time" };
    case "date": return { type: "string", format: "date" };
    case "array": return { type: "array", items: nullable(jsonSchemaOf(t.element)) };
    case "map": return { type: "object", additionalProperties: nullable(jsonSchemaOf(t.value)) };
    case "struct": return { type: "object", properties: Object.fromEntries(t.fields.map((f) => [f.name, nullable(jsonSchemaOf(f.type))])) };
  }
}

function nullable(s: Record<string, unknown>): Record<string, unknown> {
  return { ...s, type: [s.type, "null"] };
}

/** The dataset's value schema in the format: what gets registered under TOPIC-value. */
export function datasetSchema(ds: Dataset, format: RegistryFormat): { schemaType: SchemaType; schema: string } {
  const fields = fieldsOf(ds);
  const name = typeName(ds.name);
  if (format === "avro") {
    const record = avroOf({ kind: "struct", fields }, name) as Record<string, unknown>;
    return { schemaType: "AVRO", schema: JSON.stringify({ ...record, namespace: "streamlab.datagen", doc: ds.description }) };
  }
  if (format === "protobuf") {
    const usesTimestamp = JSON.stringify(fields).includes('"timestamp"');
    const text = ['syntax = "proto3";', "package streamlab.datagen;", ...(usesTimestamp ? ['import "google/protobuf/timestamp.proto";'] : []), "", protoMessage(name, fields), ""].join("\n");
    return { schemaType: "PROTOBUF", schema: text };
  }
  const schema = { $schema: "http://json-schema.org/draft-07/schema#", title: name, description: ds.description, ...jsonSchemaOf({ kind: "struct", fields }) };
  return { schemaType: "JSON", schema: JSON.stringify(schema) };
}

const toMs = (v: unknown) => (typeof v === "number" ? v : Date.parse(String(v)));

/** A generated record (JSON-shaped: timestamps as ISO text) as the values the format's library encodes. */
function converter(t: FieldType, format: RegistryFormat): (v: unknown) => unknown {
  const nullOr = (f: (v: unknown) => unknown) => (v: unknown) => (v === null || v === undefined ? null : f(v));
  switch (t.kind) {
    case "timestamp":
      if (format === "avro") return nullOr(toMs);
      if (format === "protobuf") return nullOr((v) => {
        const ms = toMs(v);
        return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 };
      });
      return nullOr((v) => new Date(toMs(v)).toISOString());
    case "date":
      if (format === "json-schema") return nullOr((v) => String(v).slice(0, 10));
      return nullOr((v) => (typeof v === "number" ? v : Math.floor(Date.parse(String(v)) / 86_400_000)));
    case "array": {
      const each = converter(t.element, format);
      return nullOr((v) => (v as unknown[]).map(each));
    }
    case "map": {
      const each = converter(t.value, format);
      return nullOr((v) => Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, each(x)])));
    }
    case "struct": {
      const parts = t.fields.map((f) => ({ name: f.name, conv: converter(f.type, format) }));
      return nullOr((v) => {
        const o: Record<string, unknown> = {};
        for (const p of parts) {
          const x = p.conv((v as Record<string, unknown>)[p.name]);
          // Protobuf leaves a null field unset; Avro and JSON write it as null.
          if (x !== null || format !== "protobuf") o[p.name] = x;
        }
        return o;
      });
    }
    default:
      return nullOr((v) => v);
  }
}

export interface RegisteredFormat {
  format: RegistryFormat;
  subject: string;
  schemaId: number;
  registry: string;
  /** A generated record as a framed value. */
  encode: (rec: Record<string, unknown>) => Buffer;
}

/**
 * Registers the dataset's schema under `TOPIC-value` at the registry (an existing identical schema keeps its
 * id; an incompatible one is refused with the registry's message) and returns the record encoder.
 */
export async function registerDatasetSchema(ds: Dataset, format: RegistryFormat, topic: string, registryUrl: string, auth?: string): Promise<RegisteredFormat> {
  const { schemaType, schema } = datasetSchema(ds, format);
  const subject = `${topic}-value`;
  const client = new RegistryClient(registryUrl, auth);
  const { id } = await client.register(subject, schema, schemaType);
  const codec = new Codec({ schemaType, schema, references: [] }, id);
  const convert = converter({ kind: "struct", fields: fieldsOf(ds) }, format);
  const indexes = format === "protobuf" ? [0] : undefined;
  return {
    format,
    subject,
    schemaId: id,
    registry: registryUrl,
    encode: (rec) => frame(id, codec.encode(convert(rec), indexes), indexes),
  };
}
