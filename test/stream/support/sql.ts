import { spark } from "../../../lib/stream";

/** Evaluate SQL expressions over one row of `row` (schema `ddl`): `{ alias: value }`, as collect() gives it. */
export function evalSql(exprs: Record<string, string>, row: Record<string, unknown> = { one: 1 }, ddl = "one INT"): Record<string, unknown> {
  const df = spark.createDataFrame([row], ddl);
  return df.selectExpr(...Object.entries(exprs).map(([alias, e]) => `${e} AS ${alias}`)).collect()[0];
}
