/** JSON functions: from_json (the parser itself is ../json/), to_json, get_json_object. */
import { metaOf } from "../bound";
import { type StructType, StringType, toStructType } from "../../types";
import { fail, need, isStringy, toString } from "./common";
import { caseInsensitive } from "../../options";
import { makeJsonParser } from "../json/reader";
import { parsedSchema } from "../json/fields";
import { nestingDepthExceeds } from "../json/scanner";
import * as R from "../runtime";
import type { FunctionRegistry } from "./registry";

export function registerJsonFunctions(r: FunctionRegistry): void {
  /** from_json(col, schema, options): PERMISSIVE keeps a malformed record's text in the schema's `_corrupt_record` field (if it has one); FAILFAST throws naming the row. */
  r.scalar("from_json", {
    args: [2, 3],
    resolve(args, e) {
      need("from_json", args[0], isStringy, "a string or binary column");
      const schemaArg = e.args[1];
      let schema: StructType;
      if (schemaArg.t === "lit" && (typeof schemaArg.value === "string" || (schemaArg.value as StructType)?.kind === "struct")) schema = toStructType(schemaArg.value as string | StructType);
      else schema = fail("from_json(): the schema must be a DDL string or a StructType");
      // Spark's option names are case-insensitive: {"MODE": "failfast"} is {"mode": "FAILFAST"}.
      const options = caseInsensitive({ ...((e.options ?? {}) as Record<string, string>), ...((args[2]?.k === "lit" ? (args[2].value as Record<string, string>) : {}) ?? {}) });
      const mode = String(options.mode ?? "PERMISSIVE").toUpperCase();
      // Spark refuses DROPMALFORMED here: from_json maps a value to a value and cannot drop its row.
      if (mode === "DROPMALFORMED") fail(`from_json() does not support mode DROPMALFORMED (nor does Spark's): keep PERMISSIVE, the default, add "_corrupt_record STRING" to the schema and filter on "_corrupt_record IS NULL" to drop malformed records`);
      if (mode !== "PERMISSIVE" && mode !== "FAILFAST") return fail(`from_json(): mode must be PERMISSIVE or FAILFAST, not '${options.mode}'`);
      // As Spark: the malformed record's text is kept only in a field the schema itself names (`_corrupt_record`
      // or the columnNameOfCorruptRecord option); otherwise a malformed record is a struct of nulls.
      const corruptName = String(options.columnNameOfCorruptRecord ?? "_corrupt_record");
      const corruptField = schema.fields.find((f) => f.name === corruptName);
      if (corruptField && corruptField.type.kind !== "string") fail(`from_json(): the corrupt record field '${corruptName}' must be STRING, not ${corruptField.type.kind}`);
      const parsed: StructType = corruptField ? { kind: "struct", fields: schema.fields.filter((f) => f !== corruptField) } : schema;
      return { type: schema, args: [args[0]], meta: { kind: "from_json", schema: parsed, mode, corruptName: corruptField ? corruptName : null } };
    },
    gen(a, cg, call) {
      const { schema, mode, corruptName, keep, asArray } = metaOf(call, "from_json")!;
      // Column pruning tells which fields are read downstream; the others are not parsed at all.
      const parsed = parsedSchema(schema, keep);
      const parse = cg.konst(makeJsonParser(parsed, mode, keep ? null : corruptName, call.args[0].type.kind === "binary", asArray === true));
      return `${parse}(${a[0]}, i)`;
    },
  });
  r.scalar("to_json", {
    args: [1, 2],
    resolve: (args) => (need("to_json", args[0], (t) => t.kind === "struct" || t.kind === "array" || t.kind === "map", "a struct, array or map"), { type: StringType, args: [args[0]] }),
    gen: (a, cg, call) => `${cg.konst(R.valueToJsonText)}(${a[0]}, ${cg.konst(call.args[0].type)})`,
  });
  r.scalar("get_json_object", {
    args: [2, 2],
    resolve: (args) => ({ type: StringType, args: [toString(args[0]), toString(args[1])] }),
    gen: (a, cg) =>
      `${cg.konst((s: string, path: string) => {
        let v: unknown;
        // The same validity rule as from_json: too deep or not JSON is null, as in Spark.
        if (nestingDepthExceeds(s)) return null;
        try {
          v = JSON.parse(s);
        } catch {
          return null;
        }
        for (const part of path.replace(/^\$\.?/, "").split(/\.|\[(\d+)\]/).filter((x) => x)) {
          if (v == null || typeof v !== "object") return null;
          v = (v as Record<string, unknown>)[part];
        }
        return v == null ? null : R.valueText(v);
      })}(${a[0]}, ${a[1]})`,
  });
}
