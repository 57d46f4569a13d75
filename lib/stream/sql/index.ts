/** SQL over streams: spark.sql(text), %%sql's statements, spark.catalog. */
import type { DataFrame } from "../plan/dataframe";
import type { Query, QueryBody, Relation, Statement } from "./ast";
import { parseSql, parseStatement } from "./parser";
import { SqlPlanner, type SourceLoader } from "./planner";
import { getView, listViews, dropView, viewNames, type CatalogTable } from "./catalog";

export type { Statement, SourceLoader, CatalogTable };
export { parseSql, parseStatement, getView, listViews, dropView, viewNames };
export { clearViews, putView } from "./catalog";

/** The views and tables a statement reads (not its CTEs), as name paths. */
export function referencedTables(st: Statement): string[][] {
  const out: string[][] = [];
  const ctes = new Set<string>();
  const rel = (r: Relation): void => {
    if (r.kind === "table") {
      if (!(r.name.length === 1 && ctes.has(r.name[0].toLowerCase())) && !out.some((p) => p.join(".").toLowerCase() === r.name.join(".").toLowerCase())) out.push(r.name);
    } else if (r.kind === "subquery") query(r.query);
    else {
      rel(r.left);
      rel(r.right);
    }
  };
  const body = (b: QueryBody): void => {
    if (b.kind === "select") {
      if (b.from) rel(b.from);
    } else if (b.kind === "union") {
      body(b.left);
      body(b.right);
    } else query(b.query);
  };
  const query = (q: Query): void => {
    for (const c of q.ctes) {
      query(c.query);
      ctes.add(c.name.toLowerCase());
    }
    body(q.body);
  };
  if (st.kind === "query" || st.kind === "createView") query(st.query);
  else if (st.kind === "explain") return referencedTables(st.statement);
  return out;
}

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
