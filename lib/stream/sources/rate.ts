/** Spark's `rate` source: `rowsPerSecond` rows of (timestamp, value), reproducible from the offset alone. */
import type { StreamSource, SourceProvider, Offset } from "./types";
import type { StructType } from "../types";
import { AnalysisError } from "../expr/bound";
import { getOption } from "../../core";

interface RateOffset {
  startMs: number;
  rows: number;
}

export class RateSourceProvider implements SourceProvider {
  readonly name = "RateStreamV2";
  readonly schema: StructType = {
    kind: "struct",
    fields: [
      { name: "timestamp", type: { kind: "timestamp" }, nullable: true },
      { name: "value", type: { kind: "long" }, nullable: true },
    ],
  };
  private readonly rowsPerSecond: number;
  constructor(options: Record<string, string>) {
    this.rowsPerSecond = Number(getOption(options, "rowsPerSecond") ?? 1);
    if (!(this.rowsPerSecond > 0)) throw new AnalysisError(`rate source: rowsPerSecond must be a positive number, got '${options.rowsPerSecond}'`);
  }
  create(): StreamSource {
    const rps = this.rowsPerSecond;
    const startMs = Date.now();
    const available = (o: RateOffset) => Math.floor(((Date.now() - o.startMs) / 1000) * rps);
    return {
      schema: this.schema,
      description: () => `RateStreamV2[rowsPerSecond=${rps}]`,
      initialOffset: () => Promise.resolve({ startMs, rows: 0 }),
      latestOffset: (start: Offset) => Promise.resolve({ ...(start as RateOffset), rows: available(start as RateOffset) }),
      hasData: (s: Offset, e: Offset) => (e as RateOffset).rows > (s as RateOffset).rows,
      getBatch(s: Offset, e: Offset) {
        const a = (s as RateOffset).rows;
        const b = (e as RateOffset).rows;
        const base = (e as RateOffset).startMs;
        const ts: number[] = [];
        const value: number[] = [];
        for (let i = a; i < b; i++) {
          ts.push(base + Math.floor((i * 1000) / rps));
          value.push(i);
        }
        return Promise.resolve({ numRows: b - a, columns: [ts, value] });
      },
      stop: () => Promise.resolve(),
    };
  }
}
