/**
 * Avro and Protobuf schemas as Spark SQL types, the way spark-avro's SchemaConverters and spark-protobuf's
 * SchemaConverters map them, with the conversion of decoded values to streamlab's runtime values (and back,
 * for to_avro / to_protobuf).
 */
import type * as protobuf from "protobufjs";
import { type DataType, type StructType, typeString } from "./index";

/** A Spark type with the functions that turn a decoded value into a runtime value and back. */
export interface Converted {
  type: DataType;
  read: (v: unknown) => unknown;
  write: (v: unknown) => unknown;
}

export type AvroJson = string | AvroJson[] | { type: AvroJson; name?: string; namespace?: string; fields?: { name: string; type: AvroJson; default?: unknown }[]; items?: AvroJson; values?: AvroJson; symbols?: string[]; logicalType?: string; size?: number };

const same = (v: unknown) => v;
const prim = (kind: DataType["kind"], read: (v: unknown) => unknown = same, write: (v: unknown) => unknown = same): Converted => ({ type: { kind } as DataType, read, write });

/** Avro schema (JSON) to a Spark type; named types may be referenced by full or short name. */
export function avroToSpark(schema: AvroJson, named = new Map<string, AvroJson>(), namespace = ""): Converted {
  if (typeof schema === "string") {
    switch (schema) {
      case "string": return prim("string");
      case "int": return prim("integer");
      case "long": return prim("long");
      case "float": return prim("float");
      case "double": return prim("double");
      case "boolean": return prim("boolean");
      case "bytes": return prim("binary");
      case "null": return prim("null");
    }
    const target = named.get(schema) ?? named.get(namespace ? `${namespace}.${schema}` : schema);
    if (!target) throw new Error(`Avro schema names type '${schema}', which it does not define`);
    return avroToSpark(target, named, namespace);
  }
  if (Array.isArray(schema)) {
    const nonNull = schema.filter((s) => s !== "null");
    if (nonNull.length === 1) return avroToSpark(nonNull[0], named, namespace);
    const kinds = nonNull.map((s) => (typeof s === "string" ? s : ""));
    // spark-avro: [int, long] is long, [float, double] is double; other unions become struct<member0, member1, ...>.
    if (kinds.every((k) => k === "int" || k === "long")) return prim("long");
    if (kinds.every((k) => k === "float" || k === "double")) return prim("double");
    throw new Error(`Avro union ${JSON.stringify(schema)} is not supported (only nullable unions [null, T], [int, long] and [float, double])`);
  }
  const t = schema.type;
  if (schema.logicalType) {
    if ((schema.logicalType === "timestamp-millis" || schema.logicalType === "local-timestamp-millis") && t === "long") return prim("timestamp");
    if ((schema.logicalType === "timestamp-micros" || schema.logicalType === "local-timestamp-micros") && t === "long") return prim("timestamp", (v) => (v === null ? null : Math.floor((v as number) / 1000)), (v) => (v === null ? null : (v as number) * 1000));
    if (schema.logicalType === "date" && t === "int") return prim("date");
  }
  if (t === "record" || t === "enum" || t === "fixed") {
    const ns = schema.name?.includes(".") ? schema.name.slice(0, schema.name.lastIndexOf(".")) : schema.namespace ?? namespace;
    const full = schema.name?.includes(".") ? schema.name : ns ? `${ns}.${schema.name}` : schema.name ?? "";
    named.set(full, schema);
    named.set(schema.name ?? "", schema);
    if (t === "enum") return prim("string");
    if (t === "fixed") return prim("binary");
    const fields = (schema.fields ?? []).map((f) => ({ name: f.name, c: avroToSpark(f.type, named, ns), nullable: Array.isArray(f.type) && f.type.includes("null") }));
    // Avro writes every field (null in a nullable union); Protobuf leaves unset fields out.
    return structConverter(fields, true);
  }
  if (t === "array") {
    const item = avroToSpark(schema.items!, named, namespace);
    return { type: { kind: "array", elementType: item.type }, read: (v) => (v === null ? null : (v as unknown[]).map(item.read)), write: (v) => (v === null ? null : (v as unknown[]).map(item.write)) };
  }
  if (t === "map") {
    const value = avroToSpark(schema.values!, named, namespace);
    const each = (f: (x: unknown) => unknown) => (v: unknown) => (v === null ? null : Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, f(x)])));
    return { type: { kind: "map", keyType: { kind: "string" }, valueType: value.type }, read: each(value.read), write: each(value.write) };
  }
  return avroToSpark(t, named, namespace);
}

/** Spark type to an Avro schema, as spark-avro's to_avro derives one when none is given. */
export function sparkToAvro(type: DataType, nullable: boolean, name = "topLevelRecord", namespace = ""): unknown {
  const base = (): unknown => {
    switch (type.kind) {
      case "string": return "string";
      case "integer": case "short": case "byte": return "int";
      case "long": return "long";
      case "float": return "float";
      case "double": case "decimal": return "double";
      case "boolean": return "boolean";
      case "binary": return "bytes";
      case "timestamp": return { type: "long", logicalType: "timestamp-millis" };
      case "date": return { type: "int", logicalType: "date" };
      case "array": return { type: "array", items: sparkToAvro(type.elementType, true, name, namespace) };
      case "map": return { type: "map", values: sparkToAvro(type.valueType, true, name, namespace) };
      case "struct":
        return {
          type: "record",
          name,
          ...(namespace ? { namespace } : {}),
          fields: type.fields.map((f) => ({ name: f.name, type: sparkToAvro(f.type, f.nullable, f.name, namespace ? `${namespace}.${name}` : name) })),
        };
      default:
        throw new Error(`to_avro: no Avro type for ${typeString(type)}`);
    }
  };
  const b = base();
  return nullable ? [b, "null"] : b;
}

const PB_SCALARS: Record<string, DataType["kind"]> = {
  double: "double", float: "float", int32: "integer", sint32: "integer", sfixed32: "integer", uint32: "integer", fixed32: "integer",
  int64: "long", sint64: "long", sfixed64: "long", uint64: "long", fixed64: "long", bool: "boolean", string: "string", bytes: "binary",
};

/** A Protobuf message type to a Spark struct, as spark-protobuf maps it (enums as strings, Timestamp as timestamp). */
export function protobufToSpark(type: protobuf.Type, seen = new Set<string>()): Converted {
  if (type.fullName === ".google.protobuf.Timestamp") {
    return {
      type: { kind: "timestamp" },
      read: (v) => (v === null || v === undefined ? null : Number((v as { seconds?: number }).seconds ?? 0) * 1000 + Math.floor(Number((v as { nanos?: number }).nanos ?? 0) / 1e6)),
      write: (v) => (v === null || v === undefined ? null : { seconds: Math.floor((v as number) / 1000), nanos: ((v as number) % 1000) * 1e6 }),
    };
  }
  if (seen.has(type.fullName)) throw new Error(`Protobuf message ${type.fullName.slice(1)} is recursive; Spark refuses recursive messages too (recursive.fields.max.depth is not supported here)`);
  const inner = new Set(seen).add(type.fullName);
  const fields = type.fieldsArray.map((f) => {
    f.resolve();
    let c: Converted;
    if (f.resolvedType && "fieldsArray" in f.resolvedType) c = protobufToSpark(f.resolvedType, inner);
    else if (f.resolvedType) c = prim("string");
    else {
      const kind = PB_SCALARS[f.type];
      if (!kind) throw new Error(`Protobuf field ${f.name} has type ${f.type}, which streamlab cannot map to Spark`);
      c = prim(kind);
    }
    if (f.map) {
      const mf = f as unknown as protobuf.MapField;
      const kk = PB_SCALARS[mf.keyType] ?? "string";
      const each = (g: (x: unknown) => unknown) => (v: unknown) => (v === null || v === undefined ? null : Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, g(x)])));
      c = { type: { kind: "map", keyType: { kind: kk } as DataType, valueType: c.type }, read: each(c.read), write: each(c.write) };
    } else if (f.repeated) {
      const item = c;
      c = { type: { kind: "array", elementType: item.type }, read: (v) => (v == null ? null : (v as unknown[]).map(item.read)), write: (v) => (v == null ? null : (v as unknown[]).map(item.write)) };
    }
    return { name: f.name, c };
  });
  return structConverter(fields.map((f) => ({ ...f, nullable: true })), false);
}

/** A struct of converted fields: objects keyed by field name both ways; `keepNulls` writes null fields too. */
function structConverter(fields: { name: string; c: Converted; nullable: boolean }[], keepNulls: boolean): Converted {
  const type: StructType = { kind: "struct", fields: fields.map((f) => ({ name: f.name, type: f.c.type, nullable: f.nullable })) };
  const each = (v: unknown, pick: (c: Converted) => (x: unknown) => unknown, drop: boolean) => {
    if (v === null || v === undefined) return null;
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      const x = pick(f.c)((v as Record<string, unknown>)[f.name] ?? null);
      if (!(drop && x === null)) o[f.name] = x;
    }
    return o;
  };
  return { type, read: (v) => each(v, (c) => c.read, false), write: (v) => each(v, (c) => c.write, !keepNulls) };
}
