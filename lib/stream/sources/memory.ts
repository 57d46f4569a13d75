/**
 * MemoryStream (Spark's test source): rows added from code become micro-batches. Offsets are row counts, so
 * a restarted query on the same MemoryStream object re-reads exactly the rows of an unfinished batch.
 */
import type { StreamSource, SourceBatch, SourceProvider, Offset } from "./types";
import { toStructType, type StructType } from "../types";
import { externalToValue } from "../expr/runtime";
import { DataFrame } from "../plan/dataframe";

export class MemoryStream implements SourceProvider {
  readonly schema: StructType;
  readonly name: string;
  private readonly columns: unknown[][];
  private count = 0;
  private static counter = 0;

  constructor(schema: string | StructType, name?: string) {
    this.schema = toStructType(schema);
    this.columns = this.schema.fields.map(() => []);
    this.name = name ?? `MemoryStream[${++MemoryStream.counter}]`;
  }

  /** Append rows: objects keyed by column name, or arrays in column order. Returns the new offset. */
  addData(...rows: (Record<string, unknown> | unknown[] | (Record<string, unknown> | unknown[])[])[]): number {
    const list = rows.length === 1 && Array.isArray(rows[0]) && (rows[0].length === 0 || typeof rows[0][0] === "object") ? (rows[0] as (Record<string, unknown> | unknown[])[]) : (rows as (Record<string, unknown> | unknown[])[]);
    const fields = this.schema.fields;
    for (const row of list) {
      fields.forEach((f, c) => {
        const v = Array.isArray(row) ? row[c] : (row)[f.name];
        this.columns[c].push(externalToValue(v, f.type));
      });
      this.count++;
    }
    return this.count;
  }

  get numRows(): number {
    return this.count;
  }

  toDF(): DataFrame {
    return new DataFrame({ op: "source", schema: this.schema, streaming: true, provider: this });
  }

  create(): StreamSource {
    return {
      schema: this.schema,
      description: () => this.name,
      initialOffset: () => Promise.resolve(0),
      latestOffset: () => Promise.resolve(this.count),
      reportLatestOffset: () => this.count,
      hasData: (start: Offset, end: Offset) => (end as number) > (start as number),
      getBatch: (start: Offset, end: Offset): Promise<SourceBatch> => {
        const s = start as number;
        const e = end as number;
        return Promise.resolve({
          numRows: e - s,
          columns: this.columns.map((c) => c.slice(s, e)),
          describeRow: (r) => `${this.name} row ${s + r}`,
        });
      },
      stop: () => Promise.resolve(),
    };
  }
}
