/**
 * Temporary views: names for logical plans, as Spark's session catalog keeps them. Names are case-insensitive
 * (Spark's default); global temporary views live in the `global_temp` database. Views hold plans (data), so a
 * view over a stream is read afresh by every query that names it.
 */
import type { PlanNode } from "../plan/nodes";

export interface ViewEntry {
  name: string;
  plan: PlanNode;
  /** The SQL text that defined it, when it came from SQL (used by the PySpark export). */
  sql?: string;
}

/** PySpark's `Table` as `spark.catalog.listTables()` returns it. */
export interface CatalogTable {
  name: string;
  catalog: string | null;
  namespace: string[] | null;
  description: string | null;
  tableType: "TEMPORARY" | "MANAGED" | "VIEW";
  isTemporary: boolean;
}

export const GLOBAL_TEMP = "global_temp";

const local = new Map<string, ViewEntry>();
const global = new Map<string, ViewEntry>();

export function putView(name: string, plan: PlanNode, options: { global?: boolean; replace?: boolean; sql?: string } = {}): void {
  const map = options.global ? global : local;
  const key = name.toLowerCase();
  if (!options.replace && map.has(key)) {
    throw new Error(`[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view \`${name}\` because it already exists. Choose a different name, drop or replace the existing view, or add the IF NOT EXISTS clause to tolerate pre-existing views. SQLSTATE: 42P07`);
  }
  map.set(key, { name, plan, sql: options.sql });
}

/** `name` or `global_temp.name`. */
export function getView(path: string[]): ViewEntry | undefined {
  if (path.length === 2 && path[0].toLowerCase() === GLOBAL_TEMP) return global.get(path[1].toLowerCase());
  if (path.length === 1) return local.get(path[0].toLowerCase());
  return undefined;
}

export function dropView(path: string[]): boolean {
  if (path.length === 2 && path[0].toLowerCase() === GLOBAL_TEMP) return global.delete(path[1].toLowerCase());
  if (path.length === 1) return local.delete(path[0].toLowerCase());
  return false;
}

export function viewNames(): string[] {
  return [...[...local.values()].map((v) => v.name), ...[...global.values()].map((v) => `${GLOBAL_TEMP}.${v.name}`)];
}

/** Session views (and, with `global_temp`, the global ones), sorted as SHOW TABLES lists them. */
export function listViews(namespace?: string): CatalogTable[] {
  const out: CatalogTable[] = [];
  const entry = (v: ViewEntry, ns: string[]): CatalogTable => ({ name: v.name, catalog: null, namespace: ns, description: null, tableType: "TEMPORARY", isTemporary: true });
  if (namespace?.toLowerCase() === GLOBAL_TEMP) for (const v of global.values()) out.push(entry(v, [GLOBAL_TEMP]));
  for (const v of local.values()) out.push(entry(v, []));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Drop every view (tests). */
export function clearViews(): void {
  local.clear();
  global.clear();
}
