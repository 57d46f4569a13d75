/** foreachBatch: the user's function gets each batch as a danfojs DataFrame and its batch id. */
import { registerSinkFormat, type OutputBatch } from "./registry";
import { toDanfo } from "../danfo";

export type ForeachBatchFunction = (batch: any, batchId: number) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const functions = new Map<string, ForeachBatchFunction>();
let counter = 0;

/** The writer stores the function under a key passed as an option (options are strings). */
export function registerForeachFunction(fn: ForeachBatchFunction): string {
  const key = `fb${++counter}`;
  functions.set(key, fn);
  return key;
}

registerSinkFormat("foreachBatch", (ctx) => {
  const fn = functions.get(ctx.options.__function ?? "");
  if (!fn) throw new Error("foreachBatch sink without a function: use df.writeStream.foreachBatch((batch, batchId) => ...)");
  const raw = ctx.options.__raw === "true";
  return {
    async addBatch(batch: OutputBatch) {
      await fn(raw ? batch : toDanfo(batch), batch.batchId);
    },
  };
});
