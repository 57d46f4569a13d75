/**
 * The Generate operator (explode, posexplode, inline; outer or not), Spark's GenerateExec over column arrays:
 * one pass over the input column counts and lays out the output rows, then each output column is filled in one
 * loop (the other columns gathered by source row, the generated ones from the elements).
 */
import type { PlanNode } from "../plan/nodes";
import type { Batch } from "./batch";
import type { PhysicalOperator } from "./operator";
import type { DataType } from "../types";

type GenerateNode = Extract<PlanNode, { op: "generate" }>;

export class GenerateOperator implements PhysicalOperator {
  readonly name = "generate";
  private readonly numericKeys: boolean;
  constructor(private readonly node: GenerateNode) {
    const t = node.child.schema.fields[node.input].type;
    this.numericKeys = t.kind === "map" && isNumeric(t.keyType);
  }
  run(b: Batch): Batch {
    const { input, at, width, gen, outer } = this.node;
    const col = b.cols[input];
    const isMap = this.node.child.schema.fields[input].type.kind === "map";
    // Source row and element index (-1: the null row of an outer generator) of each output row.
    const src: number[] = [];
    const elem: number[] = [];
    const items: unknown[][] = new Array<unknown[]>(b.n);
    for (let i = 0; i < b.n; i++) {
      const v = col[i];
      let list: unknown[] | null = null;
      if (v != null) list = isMap ? Object.entries(v as Record<string, unknown>) : (v as unknown[]);
      items[i] = list ?? [];
      const len = list ? list.length : 0;
      if (len === 0) {
        if (outer) {
          src.push(i);
          elem.push(-1);
        }
        continue;
      }
      for (let k = 0; k < len; k++) {
        src.push(i);
        elem.push(k);
      }
    }
    const m = src.length;
    // The generated columns, by position in the generator's output.
    const genCols: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(m));
    const withPos = gen === "posexplode";
    for (let r = 0; r < m; r++) {
      const k = elem[r];
      if (k < 0) {
        for (let c = 0; c < width; c++) genCols[c][r] = null;
        continue;
      }
      const x = items[src[r]][k];
      let c = 0;
      if (withPos) genCols[c++][r] = k;
      if (gen === "inline") {
        const names = this.structNames();
        for (let f = 0; f < width; f++) genCols[f][r] = x == null ? null : ((x as Record<string, unknown>)[names[f]] ?? null);
      } else if (isMap) {
        const [key, value] = x as [string, unknown];
        genCols[c++][r] = this.numericKeys ? Number(key) : key;
        genCols[c][r] = value ?? null;
      } else genCols[c][r] = x ?? null;
    }
    const cols: unknown[][] = [];
    b.cols.forEach((bc, j) => {
      if (j === input) return;
      if (cols.length === at) cols.push(...genCols);
      if (bc.length === 0) {
        cols.push(bc); // a pruned column
        return;
      }
      const out = new Array<unknown>(m);
      for (let r = 0; r < m; r++) out[r] = bc[src[r]];
      cols.push(out);
    });
    if (cols.length === at) cols.push(...genCols);
    const rowIds = new Int32Array(m);
    for (let r = 0; r < m; r++) rowIds[r] = b.rowIds ? b.rowIds[src[r]] : src[r];
    return { n: m, cols, rowIds };
  }
  private names?: string[];
  /** inline: the struct's field names in the input (the output may be renamed by aliases). */
  private structNames(): string[] {
    if (!this.names) {
      const t = this.node.child.schema.fields[this.node.input].type;
      this.names = t.kind === "array" && t.elementType.kind === "struct" ? t.elementType.fields.map((f) => f.name) : [];
    }
    return this.names;
  }
}

function isNumeric(t: DataType): boolean {
  return ["integer", "long", "short", "byte", "double", "float", "decimal"].includes(t.kind);
}
