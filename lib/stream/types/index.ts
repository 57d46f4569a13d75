/**
 * Spark SQL data types, as plain data. Runtime values: string -> JS string, binary -> Buffer, integral and
 * fractional numbers -> number, boolean -> boolean, timestamp -> milliseconds since the epoch (number),
 * date -> days since the epoch (number), struct -> plain object keyed by field name, array -> JS array,
 * map -> plain object. Null is `null` everywhere. Dates and timestamps become `Date` only at the edges.
 */
export type PrimitiveKind =
  | "string" | "binary" | "boolean" | "byte" | "short" | "integer" | "long" | "float" | "double" | "decimal"
  | "timestamp" | "date" | "interval" | "null";

export type DataType =
  | { kind: Exclude<PrimitiveKind, "decimal"> }
  /** DECIMAL(precision, scale); a bare DECIMAL is decimal(10,0), as Spark's. Values: exact text (expr/decimal.ts). */
  | { kind: "decimal"; precision?: number; scale?: number }
  | { kind: "struct"; fields: StructField[] }
  | { kind: "array"; elementType: DataType }
  | { kind: "map"; keyType: DataType; valueType: DataType };

export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  /** Set by withWatermark on the event-time column (and carried to windows over it). */
  watermarkDelayMs?: number;
}

export type StructType = { kind: "struct"; fields: StructField[] };

const prim = (kind: PrimitiveKind): DataType => ({ kind });
export const StringType = prim("string");
export const BinaryType = prim("binary");
export const BooleanType = prim("boolean");
export const ByteType = prim("byte");
export const ShortType = prim("short");
export const IntegerType = prim("integer");
export const LongType = prim("long");
export const FloatType = prim("float");
export const DoubleType = prim("double");
export const DecimalType = prim("decimal");
export const TimestampType = prim("timestamp");
export const DateType = prim("date");
export const NullType = prim("null");
/** A day-time interval; the runtime value is milliseconds. */
export const IntervalType = prim("interval");

export function structType(fields: StructField[]): StructType {
  return { kind: "struct", fields };
}
export function field(name: string, type: DataType, nullable = true): StructField {
  return { name, type, nullable };
}
export function arrayType(elementType: DataType): DataType {
  return { kind: "array", elementType };
}
export function mapType(keyType: DataType, valueType: DataType): DataType {
  return { kind: "map", keyType, valueType };
}

const NUMERIC_RANK: Partial<Record<string, number>> = { byte: 1, short: 2, integer: 3, long: 4, decimal: 5, float: 6, double: 7 };

export function isNumeric(t: DataType): boolean {
  return NUMERIC_RANK[t.kind] !== undefined;
}
export function isIntegral(t: DataType): boolean {
  return t.kind === "byte" || t.kind === "short" || t.kind === "integer" || t.kind === "long";
}

/** A decimal's or an integral type's precision and scale (Spark's DecimalType.forType). */
export function decimalParams(t: DataType): { p: number; s: number } {
  if (t.kind === "decimal") return { p: t.precision ?? 10, s: t.scale ?? 0 };
  return { p: t.kind === "byte" ? 3 : t.kind === "short" ? 5 : t.kind === "integer" ? 10 : 20, s: 0 };
}

/** The wider of two numeric types (Spark's numeric promotion; decimals widen as Spark's widerDecimalType). */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if ((a.kind === "decimal" && (isIntegral(b) || b.kind === "decimal")) || (b.kind === "decimal" && isIntegral(a))) {
    const x = decimalParams(a);
    const y = decimalParams(b);
    const s = Math.max(x.s, y.s);
    const range = Math.max(x.p - x.s, y.p - y.s);
    return range + s <= 38 ? { kind: "decimal", precision: range + s, scale: s } : { kind: "decimal", precision: 38, scale: Math.max(0, 38 - range) };
  }
  const ra = NUMERIC_RANK[a.kind] ?? 7;
  const rb = NUMERIC_RANK[b.kind] ?? 7;
  return ra >= rb ? a : b;
}

/** The common type of two values compared or unioned (CASE branches, IN lists, coalesce). */
export function commonType(a: DataType, b: DataType): DataType | undefined {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if (sameType(a, b)) return a;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  if ((a.kind === "timestamp" && b.kind === "date") || (a.kind === "date" && b.kind === "timestamp")) return TimestampType;
  if (a.kind === "string" || b.kind === "string") {
    // Spark implicitly casts strings to the other side in comparisons (ts > '2024-01-01').
    const other = a.kind === "string" ? b : a;
    if (isNumeric(other)) return DoubleType;
    if (other.kind === "timestamp" || other.kind === "date" || other.kind === "boolean") return other;
    return StringType;
  }
  return undefined;
}

export function sameType(a: DataType, b: DataType): boolean {
  return typeString(a) === typeString(b);
}

const SQL_NAME: Record<PrimitiveKind, string> = {
  string: "string", binary: "binary", boolean: "boolean", byte: "tinyint", short: "smallint", integer: "int",
  long: "bigint", float: "float", double: "double", decimal: "decimal", timestamp: "timestamp", date: "date", interval: "interval", null: "void",
};

/** Spark's simpleString: `struct<start:timestamp,end:timestamp>`, `bigint`, `array<string>`. */
export function typeString(t: DataType): string {
  switch (t.kind) {
    case "struct":
      return `struct<${t.fields.map((f) => `${f.name}:${typeString(f.type)}`).join(",")}>`;
    case "array":
      return `array<${typeString(t.elementType)}>`;
    case "map":
      return `map<${typeString(t.keyType)},${typeString(t.valueType)}>`;
    case "decimal":
      return `decimal(${t.precision ?? 10},${t.scale ?? 0})`;
    default:
      return SQL_NAME[t.kind];
  }
}

/** DDL form of a schema: `a STRING, b BIGINT`. */
export function toDDL(schema: StructType): string {
  const ddlType = (t: DataType): string => {
    if (t.kind === "struct") return `STRUCT<${t.fields.map((f) => `${quoteName(f.name)}: ${ddlType(f.type)}`).join(", ")}>`;
    if (t.kind === "array") return `ARRAY<${ddlType(t.elementType)}>`;
    if (t.kind === "map") return `MAP<${ddlType(t.keyType)}, ${ddlType(t.valueType)}>`;
    if (t.kind === "decimal") return `DECIMAL(${t.precision ?? 10},${t.scale ?? 0})`;
    return SQL_NAME[t.kind].toUpperCase();
  };
  return schema.fields.map((f) => `${quoteName(f.name)} ${ddlType(f.type)}${f.nullable ? "" : " NOT NULL"}`).join(", ");
}

function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "`" + name.replace(/`/g, "``") + "`";
}

const TYPE_NAME: Record<PrimitiveKind, string> = {
  string: "string", binary: "binary", boolean: "boolean", byte: "byte", short: "short", integer: "integer",
  long: "long", float: "float", double: "double", decimal: "decimal(10,0)", timestamp: "timestamp", date: "date",
  interval: "interval day to second", null: "void",
};

/** Spark's DataType.typeName, the name printSchema shows: `integer`, `long`, `struct`, `array`. */
export function typeName(t: DataType): string {
  if (t.kind === "decimal") return typeString(t);
  return t.kind === "struct" || t.kind === "array" || t.kind === "map" ? t.kind : TYPE_NAME[t.kind];
}

/** Spark's printSchema tree (StructType.treeString): typeName labels, arrays' elements and maps' keys/values. */
export function treeString(schema: StructType): string {
  const lines = ["root"];
  const nested = (t: DataType, prefix: string) => {
    if (t.kind === "struct") for (const f of t.fields) line(prefix, f.name, f.type, `nullable = ${f.nullable}`);
    else if (t.kind === "array") line(prefix, "element", t.elementType, "containsNull = true");
    else if (t.kind === "map") {
      line(prefix, "key", t.keyType, null);
      line(prefix, "value", t.valueType, "valueContainsNull = true");
    }
  };
  const line = (prefix: string, name: string, t: DataType, note: string | null) => {
    lines.push(`${prefix}-- ${name}: ${typeName(t)}${note ? ` (${note})` : ""}`);
    nested(t, `${prefix}    |`);
  };
  nested(schema, " |");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// DDL parser: `order_id STRING, amount DOUBLE, o STRUCT<a: INT, b: ARRAY<STRING>>, d DECIMAL(10,2) NOT NULL`.

const TYPE_ALIASES: Record<string, PrimitiveKind> = {
  string: "string", varchar: "string", char: "string", text: "string",
  binary: "binary", bytes: "binary",
  boolean: "boolean", bool: "boolean",
  tinyint: "byte", byte: "byte",
  smallint: "short", short: "short",
  int: "integer", integer: "integer",
  bigint: "long", long: "long",
  float: "float", real: "float",
  double: "double",
  decimal: "decimal", dec: "decimal", numeric: "decimal",
  timestamp: "timestamp", timestamp_ntz: "timestamp", timestamp_ltz: "timestamp",
  date: "date",
  void: "null", null: "null",
};

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

class DDLLexer {
  pos = 0;
  constructor(readonly text: string) {}
  skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }
  peek(): string {
    this.skip();
    return this.text[this.pos] ?? "";
  }
  atEnd(): boolean {
    this.skip();
    return this.pos >= this.text.length;
  }
  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  tryChar(ch: string): boolean {
    if (this.peek() === ch) {
      this.pos++;
      return true;
    }
    return false;
  }
  ident(): string {
    this.skip();
    if (this.text[this.pos] === "`") {
      let out = "";
      this.pos++;
      while (this.pos < this.text.length) {
        if (this.text[this.pos] === "`") {
          if (this.text[this.pos + 1] === "`") {
            out += "`";
            this.pos += 2;
            continue;
          }
          this.pos++;
          return out;
        }
        out += this.text[this.pos++];
      }
      this.fail("unclosed ` quote");
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail("expected a name");
    this.pos += m[0].length;
    return m[0];
  }
  tryWord(word: string): boolean {
    this.skip();
    const re = new RegExp(`^${word}\\b`, "i");
    const m = re.exec(this.text.slice(this.pos));
    if (m) {
      this.pos += m[0].length;
      return true;
    }
    return false;
  }
  fail(what: string): never {
    throw new SchemaError(`bad schema '${this.text}': ${what} at position ${this.pos + 1}; write e.g. "id STRING, amount DOUBLE, ts TIMESTAMP"`);
  }
}

function parseDDLType(lx: DDLLexer): DataType {
  const name = lx.ident().toLowerCase();
  if (name === "struct") {
    lx.expect("<");
    const fields: StructField[] = [];
    if (!lx.tryChar(">")) {
      do {
        const fname = lx.ident();
        lx.tryChar(":");
        const ftype = parseDDLType(lx);
        const notNull = lx.tryWord("NOT") ? (lx.tryWord("NULL") || lx.fail("expected NULL after NOT"), true) : false;
        if (lx.tryWord("COMMENT")) skipString(lx);
        fields.push({ name: fname, type: ftype, nullable: !notNull });
      } while (lx.tryChar(","));
      lx.expect(">");
    }
    return { kind: "struct", fields };
  }
  if (name === "array") {
    lx.expect("<");
    const elementType = parseDDLType(lx);
    lx.expect(">");
    return { kind: "array", elementType };
  }
  if (name === "map") {
    lx.expect("<");
    const keyType = parseDDLType(lx);
    lx.expect(",");
    const valueType = parseDDLType(lx);
    lx.expect(">");
    return { kind: "map", keyType, valueType };
  }
  const kind = TYPE_ALIASES[name];
  if (!kind) lx.fail(`unknown type '${name}' (types: string, int, bigint, double, boolean, timestamp, date, binary, decimal, struct<...>, array<...>, map<...>)`);
  if (kind === "decimal" && lx.tryChar("(")) {
    const m = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(lx.text.slice(lx.pos));
    if (!m) lx.fail("expected DECIMAL(precision, scale), e.g. DECIMAL(10,2)");
    lx.pos += m[0].length;
    const precision = Number(m[1]);
    const scale = Number(m[2] ?? 0);
    if (precision < 1 || precision > 38 || scale > precision) lx.fail(`DECIMAL(${precision},${scale}): the precision must be 1 to 38 and the scale at most the precision`);
    return { kind, precision, scale };
  }
  if (kind === "decimal") return { kind, precision: 10, scale: 0 };
  if (lx.tryChar("(")) {
    // Length arguments (varchar(20)) do not change the runtime representation.
    while (!lx.tryChar(")")) {
      if (lx.atEnd()) lx.fail("unclosed '('");
      lx.pos++;
    }
  }
  return { kind: kind };
}

function skipString(lx: DDLLexer): void {
  const q = lx.peek();
  if (q !== "'" && q !== '"') lx.fail("expected a quoted comment");
  lx.pos++;
  while (lx.pos < lx.text.length && lx.text[lx.pos] !== q) lx.pos++;
  lx.pos++;
}

/** Parse a single DDL type: `bigint`, `array<string>`, `struct<a:int>`. */
export function parseDataType(text: string): DataType {
  const lx = new DDLLexer(text);
  const t = parseDDLType(lx);
  if (!lx.atEnd()) lx.fail("unexpected text after the type");
  return t;
}

/** Parse a schema in DDL: `a STRING, b BIGINT NOT NULL`; also accepts `struct<a:string>`. */
export function parseDDL(text: string): StructType {
  const trimmed = text.trim();
  if (/^struct\s*</i.test(trimmed)) return parseDataType(trimmed) as StructType;
  const lx = new DDLLexer(text);
  const fields: StructField[] = [];
  if (lx.atEnd()) lx.fail("the schema is empty");
  do {
    const name = lx.ident();
    lx.tryChar(":");
    const type = parseDDLType(lx);
    let nullable = true;
    if (lx.tryWord("NOT")) {
      if (!lx.tryWord("NULL")) lx.fail("expected NULL after NOT");
      nullable = false;
    }
    if (lx.tryWord("COMMENT")) skipString(lx);
    if (fields.some((f) => f.name.toLowerCase() === name.toLowerCase())) lx.fail(`column '${name}' appears twice`);
    fields.push({ name, type, nullable });
  } while (lx.tryChar(","));
  if (!lx.atEnd()) lx.fail("expected ',' between columns");
  return { kind: "struct", fields };
}

/** A schema given as DDL text or as a StructType. */
export function toStructType(schema: string | StructType): StructType {
  if (typeof schema === "string") return parseDDL(schema);
  if (!schema || schema.kind !== "struct") throw new SchemaError("a schema must be a DDL string like \"a STRING, b DOUBLE\" or a StructType");
  return schema;
}
