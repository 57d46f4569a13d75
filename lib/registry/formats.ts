/**
 * The three schema types a Confluent registry holds (AVRO, PROTOBUF, JSON), each parsed by its maintained
 * library (avsc, protobufjs, ajv), with what the registry needs of it: a canonical text (the same schema
 * registered twice gets the same id) and a compatibility check ("can a reader with schema R read data written
 * with schema W?"), from which BACKWARD/FORWARD/FULL follow.
 */
import type * as Avsc from "avsc";
import type * as Protobufjs from "protobufjs";
import type AjvClass from "ajv";
import { invalidSchema } from "./errors";

// The three format libraries load on first use (about 0.15 s each): a kernel that never reads Avro,
// Protobuf or JSON Schema does not pay for them when lib/stream loads.
let avscModule: typeof Avsc | undefined;
let protobufModule: typeof Protobufjs | undefined;
let ajvClass: typeof AjvClass | undefined;
export function avsc(): typeof Avsc {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (avscModule ??= require("avsc") as typeof Avsc);
}
export function protobufjs(): typeof Protobufjs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (protobufModule ??= require("protobufjs") as typeof Protobufjs);
}
function ajv(): typeof AjvClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (ajvClass ??= (require("ajv") as { default: typeof AjvClass }).default);
}

export type SchemaType = "AVRO" | "PROTOBUF" | "JSON";
export const SCHEMA_TYPES: SchemaType[] = ["JSON", "PROTOBUF", "AVRO"];

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A schema's text with the texts of the schemas it references (by reference name), resolved. */
export interface ResolvedSchema {
  schemaType: SchemaType;
  schema: string;
  references: { name: string; schema: string }[];
}

export function parseSchemaType(value: unknown): SchemaType {
  const t = value === undefined || value === null || value === "" ? "AVRO" : typeof value === "string" ? value.toUpperCase() : JSON.stringify(value);
  if (t !== "AVRO" && t !== "PROTOBUF" && t !== "JSON") throw invalidSchema(`: unknown schemaType '${String(value)}'; use AVRO, PROTOBUF or JSON`);
  return t;
}

// ---------------------------------------------------------------- Avro

/** Named types of the referenced schemas first, so the main schema can use them by name (avsc's registry). */
export function avroType(s: ResolvedSchema): Avsc.Type {
  const registry: Record<string, Avsc.Type> = {};
  for (const ref of s.references) avsc().Type.forSchema(JSON.parse(ref.schema) as Avsc.Schema, { registry });
  return avsc().Type.forSchema(JSON.parse(s.schema) as Avsc.Schema, { registry });
}

function avroCompatible(reader: ResolvedSchema, writer: ResolvedSchema): string[] {
  try {
    avroType(reader).createResolver(avroType(writer));
    return [];
  } catch (err) {
    return [`{errorType:'READER_CANNOT_READ_WRITER', description:'${(err as Error).message}'}`];
  }
}

// ---------------------------------------------------------------- Protobuf

export function protobufRoot(s: ResolvedSchema): Protobufjs.Root {
  const protobuf = protobufjs();
  const root = new protobuf.Root();
  const wellKnown = new Set<string>();
  const parse = (text: string) => {
    const parsed = protobuf.parse(text, root, { keepCase: true });
    // google/protobuf/*.proto imports are built in, as in Confluent's registry (no reference needed).
    for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) if (name.startsWith("google/protobuf/")) wellKnown.add(name);
  };
  for (const ref of s.references) parse(ref.schema);
  parse(s.schema);
  for (const name of wellKnown) {
    const json = protobuf.common.get(name);
    if (json) root.addJSON(json.nested!);
  }
  root.resolveAll();
  return root;
}

/** The message types a .proto declares (not its references'), in declaration order, with nested ones. */
export function protobufMessages(s: ResolvedSchema): Protobufjs.Type[] {
  const protobuf = protobufjs();
  const parsed = protobuf.parse(s.schema, new protobuf.Root(), { keepCase: true });
  const root = protobufRoot(s);
  const names: string[] = [];
  const walk = (ns: Protobufjs.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) names.push(child.fullName);
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(parsed.root);
  return names.map((n) => root.lookupType(n));
}

// Field types that read each other's wire form (the protobuf language guide's compatible groups).
const WIRE_GROUPS = [["int32", "uint32", "int64", "uint64", "bool"], ["sint32", "sint64"], ["string", "bytes"], ["fixed32", "sfixed32"], ["fixed64", "sfixed64"]];
const sameWire = (a: string, b: string) => a === b || WIRE_GROUPS.some((g) => g.includes(a) && g.includes(b));

function protobufCompatible(reader: ResolvedSchema, writer: ResolvedSchema): string[] {
  const problems: string[] = [];
  const readers = new Map(protobufMessages(reader).map((t) => [t.fullName, t]));
  for (const w of protobufMessages(writer)) {
    const r = readers.get(w.fullName);
    if (!r) {
      problems.push(`{errorType:'MESSAGE_REMOVED', description:'The new schema is missing message ${w.fullName.slice(1)}'}`);
      continue;
    }
    for (const wf of w.fieldsArray) {
      const rf = r.fieldsById[wf.id];
      if (!rf) continue;
      const wt = wf.resolvedType ? wf.resolvedType.fullName : wf.type;
      const rt = rf.resolvedType ? rf.resolvedType.fullName : rf.type;
      const scalar = !wf.resolvedType && !rf.resolvedType;
      if (scalar ? !sameWire(wt, rt) : wt !== rt) problems.push(`{errorType:'FIELD_SCALAR_KIND_CHANGED', description:'field ${wf.id} of ${w.fullName.slice(1)} changed type from ${wt} to ${rt}'}`);
      if (Boolean(wf.partOf) !== Boolean(rf.partOf)) problems.push(`{errorType:'${rf.partOf ? "FIELD_MOVED_TO_EXISTING_ONEOF" : "ONEOF_FIELD_REMOVED"}', description:'field ${wf.id} of ${w.fullName.slice(1)} moved in or out of a oneof'}`);
      if (wf.repeated !== rf.repeated) problems.push(`{errorType:'FIELD_KIND_CHANGED', description:'field ${wf.id} of ${w.fullName.slice(1)} changed between repeated and single'}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- JSON Schema

export function jsonSchemaValidator(s: ResolvedSchema): ReturnType<AjvClass["compile"]> {
  const Ajv = ajv();
  // The two formats datagen's schemas use (RFC 3339 date-time and full-date); other formats are not checked.
  const local = new Ajv({
    strict: false,
    allErrors: true,
    formats: {
      "date-time": (v: string) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
      date: (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
    },
  });
  for (const ref of s.references) local.addSchema(JSON.parse(ref.schema) as object, ref.name);
  return local.compile(JSON.parse(s.schema) as object);
}

type JsonNode = { type?: string | string[]; properties?: Record<string, JsonNode>; required?: string[]; additionalProperties?: boolean | JsonNode; enum?: unknown[]; items?: JsonNode };

/**
 * JSON Schema's rules as Confluent's registry applies them, for the common shapes (objects, arrays, scalars,
 * enums): a reader cannot read a writer's data when a type changes, when the reader requires a property the
 * writer may leave out, when an enum narrows, or when a closed writer content model meets new reader properties.
 */
function jsonCompatible(reader: ResolvedSchema, writer: ResolvedSchema): string[] {
  const problems: string[] = [];
  const types = (n: JsonNode) => (n.type === undefined ? undefined : Array.isArray(n.type) ? n.type : [n.type]);
  const walk = (r: JsonNode, w: JsonNode, path: string) => {
    const rt = types(r);
    const wt = types(w);
    if (rt && wt) {
      const widened = (t: string) => rt.includes(t) || (t === "integer" && rt.includes("number"));
      for (const t of wt) if (!widened(t)) problems.push(`{errorType:'TYPE_CHANGED', description:'${path || "#"} changed from ${wt.join("|")} to ${rt.join("|")}'}`);
    } else if (wt && !rt) {
      // An untyped reader reads anything.
    } else if (rt && !wt) problems.push(`{errorType:'TYPE_NARROWED', description:'${path || "#"} now requires type ${rt.join("|")}'}`);
    if (r.enum && (!w.enum || w.enum.some((v) => !r.enum!.some((x) => JSON.stringify(x) === JSON.stringify(v))))) problems.push(`{errorType:'ENUM_ARRAY_NARROWED', description:'${path || "#"} accepts fewer values'}`);
    const wRequired = new Set(w.required ?? []);
    for (const name of r.required ?? []) {
      if (!wRequired.has(name) && (r.properties?.[name] as { default?: unknown } | undefined)?.default === undefined) problems.push(`{errorType:'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', description:'${path}/${name} is required but the writer may omit it'}`);
    }
    for (const [name, rp] of Object.entries(r.properties ?? {})) {
      const wp = w.properties?.[name];
      if (wp) walk(rp, wp, `${path}/properties/${name}`);
      else if (w.additionalProperties !== false && w.additionalProperties !== undefined && typeof w.additionalProperties === "object") walk(rp, w.additionalProperties, `${path}/properties/${name}`);
    }
    if (r.additionalProperties === false) {
      for (const name of Object.keys(w.properties ?? {})) if (!r.properties?.[name]) problems.push(`{errorType:'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', description:'${path}/properties/${name} is no longer allowed'}`);
    }
    if (r.items && w.items) walk(r.items, w.items, `${path}/items`);
  };
  walk(JSON.parse(reader.schema) as JsonNode, JSON.parse(writer.schema) as JsonNode, "");
  return problems;
}

// ---------------------------------------------------------------- common

/** Parses the schema with its type's library; throws Confluent's 42201 "Invalid schema" when it does not parse. */
export function validateSchema(s: ResolvedSchema): void {
  try {
    if (s.schemaType === "AVRO") avroType(s);
    else if (s.schemaType === "PROTOBUF") {
      if (!protobufMessages(s).length) throw new Error("the schema declares no message");
    } else {
      const parsed = JSON.parse(s.schema) as unknown;
      if (typeof parsed !== "object" && typeof parsed !== "boolean") throw new Error("a JSON schema is an object or a boolean");
      jsonSchemaValidator(s);
    }
  } catch (err) {
    throw invalidSchema(`${s.schema.length > 200 ? s.schema.slice(0, 200) + "..." : s.schema}, details: ${(err as Error).message}`);
  }
}

/** The schema's text as the registry compares it: JSON reformatted without white space; .proto text trimmed. */
export function canonicalText(schemaType: SchemaType, schema: string): string {
  if (schemaType === "PROTOBUF") return schema.trim();
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch {
    return schema;
  }
}

/** Why a reader with `reader` cannot read data written with `writer` (empty: it can). */
export function readProblems(reader: ResolvedSchema, writer: ResolvedSchema): string[] {
  if (reader.schemaType !== writer.schemaType) return [`{errorType:'TYPE_MISMATCH', description:'schema type ${writer.schemaType} cannot become ${reader.schemaType}'}`];
  if (reader.schemaType === "AVRO") return avroCompatible(reader, writer);
  if (reader.schemaType === "PROTOBUF") return protobufCompatible(reader, writer);
  return jsonCompatible(reader, writer);
}

export type CompatibilityLevel = "NONE" | "BACKWARD" | "BACKWARD_TRANSITIVE" | "FORWARD" | "FORWARD_TRANSITIVE" | "FULL" | "FULL_TRANSITIVE";
export const COMPATIBILITY_LEVELS: CompatibilityLevel[] = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"];

/**
 * Problems with registering `candidate` after `previous` (oldest first, live versions only) under `level`:
 * BACKWARD, the new schema reads data written with the old; FORWARD, the old reads the new's; FULL, both;
 * plain levels check the latest version, _TRANSITIVE ones every version.
 */
export function compatibilityProblems(level: CompatibilityLevel, candidate: ResolvedSchema, previous: ResolvedSchema[]): string[] {
  if (level === "NONE" || !previous.length) return [];
  const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  const problems: string[] = [];
  for (const old of against) {
    if (backward) problems.push(...readProblems(candidate, old));
    if (forward) problems.push(...readProblems(old, candidate));
  }
  return problems;
}
