import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { spark } from "../../lib/stream";

describe("spark.table() is a danfojs DataFrame", () => {
  it("type-checks danfojs methods on it, as a notebook cell would use them", () => {
    // Compile a cell-like snippet with the project's compiler options: with table() typed `unknown` this fails.
    const dir = mkdtempSync(join(tmpdir(), "streamlab-table-type-"));
    try {
      const cell = join(dir, "cell.ts");
      const lib = resolve(__dirname, "../../lib/stream").replace(/\\/g, "/");
      writeFileSync(
        cell,
        `import { spark } from ${JSON.stringify(lib)};\n` +
          `const top = spark.table("orders_tbl").head(3);\n` +
          `const n: number = top.shape[0];\n` +
          `const cols: string[] = spark.table("orders_tbl").columns;\n` +
          `export { n, cols };\n`,
      );
      const program = ts.createProgram([cell], {
        target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
        strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ["node"], lib: ["lib.es2022.d.ts"],
      });
      const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(cell))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("returns a snapshot whose head() has the memory sink's rows", async () => {
    const ms = spark.memoryStream("id STRING, amount DOUBLE");
    ms.addData([{ id: "a", amount: 1.5 }, { id: "b", amount: 2 }]);
    const q = ms.toDF().writeStream.format("memory").queryName("table_type_tbl").trigger({ availableNow: true }).start();
    expect(await q.awaitTermination(60_000)).toBe(true);
    const head = spark.table("table_type_tbl").head(1);
    expect(head.columns).toEqual(["id", "amount"]);
    expect(head.values).toEqual([["a", 1.5]]);
  }, 120_000);
});
