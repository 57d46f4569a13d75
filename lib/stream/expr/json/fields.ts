/** Which fields a from_json call parses (column pruning) and where each sits in its positional result. */
import { metaOf, type CallExpr } from "../bound";
import type { StructType } from "../../types";

export function parsedSchema(schema: StructType, keep?: string[]): StructType {
  return keep ? { kind: "struct", fields: schema.fields.filter((f) => keep.includes(f.name)) } : schema;
}

/** Where a field of a from_json result sits when the parser returns its values as an array (`asArray`). */
export function jsonFieldIndex(call: CallExpr, name: string): number {
  const { schema, keep, corruptName } = metaOf(call, "from_json")!;
  const fields = parsedSchema(schema, keep).fields;
  const i = fields.findIndex((f) => f.name === name);
  if (i >= 0) return i;
  return !keep && corruptName === name ? fields.length : -1;
}
