/** SQL over streams: spark.sql(text), %%sql's statements, spark.catalog. */
import type { DataFrame } from "../plan/dataframe";
import type { Statement } from "./ast";
import { parseSql, parseStatement } from "./parser";
import { SqlPlanner, type SourceLoader } from "./planner";
import { getView, listViews, dropView, viewNames, type CatalogTable } from "./catalog";

export type { Statement, SourceLoader, CatalogTable };
export { parseSql, parseStatement, getView, listViews, dropView, viewNames };
export { clearViews, putView } from "./catalog";

/** SQL-built DataFrames remember their text, for the PySpark export (spark.sql(...) in the generated job). */
const sqlOf = new WeakMap<object, string>();

export function sqlTextOf(df: DataFrame): string | undefined {
  return sqlOf.get(df.plan);
}

/** One statement -> its DataFrame (a query's result; an empty one for CREATE/DROP). */
export function runStatement(st: Statement, fullText: string, load: SourceLoader): DataFrame {
  const df = new SqlPlanner(fullText, load).run(st);
  if (st.kind === "query") sqlOf.set(df.plan, st.text);
  return df;
}

export function runSql(text: string, load: SourceLoader): DataFrame {
  return runStatement(parseStatement(text), text, load);
}
