/**
 * The memory sink: results kept in the process under the query name, read with `spark.table(name)`.
 * Complete mode replaces the table each batch; append and update modes append the batch's rows, as Spark's.
 * A batch id seen before (a batch replayed after recovery) replaces that batch's rows instead of adding twice.
 */
import type { OutputBatch } from "./registry";
import { registerSinkFormat } from "./registry";
import { AnalysisError } from "../expr/bound";

export interface MemoryTable {
  name: string;
  schema: { name: string; type: string }[];
  /** Per batch id, its rows column-major; complete mode keeps only the last. */
  batches: Map<number, unknown[][]>;
  numRows(): number;
  columns(): unknown[][];
}

const tables = new Map<string, MemoryTable>();

export function memoryTable(name: string): MemoryTable | undefined {
  return tables.get(name);
}
export function memoryTableNames(): string[] {
  return [...tables.keys()].sort();
}

function newTable(name: string): MemoryTable {
  const t: MemoryTable = {
    name,
    schema: [],
    batches: new Map(),
    numRows() {
      let n = 0;
      for (const b of t.batches.values()) n += b.length ? b[0].length : 0;
      return n;
    },
    columns() {
      const ids = [...t.batches.keys()].sort((a, b) => a - b);
      return t.schema.map((_, c) => ids.flatMap((id) => t.batches.get(id)![c] ?? []));
    },
  };
  return t;
}

registerSinkFormat("memory", (ctx) => {
  const name = ctx.query.name;
  if (!name) throw new AnalysisError("the memory sink needs a query name: add .queryName(\"NAME\") and read it with spark.table(\"NAME\")");
  // A new query with this name starts a new table; a restart from a checkpoint keeps the rows it has.
  const table = tables.get(name) && ctx.options.__recovering === "true" ? tables.get(name)! : newTable(name);
  tables.set(name, table);
  return {
    addBatch(batch: OutputBatch) {
      table.schema = batch.schema;
      if (batch.mode === "complete") table.batches.clear();
      table.batches.set(batch.batchId, batch.columns.map((c) => (c.length === batch.numRows ? c.slice() : c.slice(0, batch.numRows))));
    },
  };
});
