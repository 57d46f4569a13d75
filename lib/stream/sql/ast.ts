/** The SQL front end's statements: data, turned into the DataFrame API's logical plan by planner.ts. */
import type { Expr } from "../expr/ast";

export interface Watermark {
  column: string[];
  delayMs: number;
}

export type Relation =
  | { kind: "table"; name: string[]; alias?: string; watermark?: Watermark; pos: number }
  | { kind: "subquery"; query: Query; alias?: string; watermark?: Watermark; pos: number }
  | { kind: "join"; left: Relation; right: Relation; how: "inner" | "left" | "right" | "full" | "cross" | "left_semi" | "left_anti"; on?: Expr; using?: string[]; pos: number };

export interface SortItem {
  expr: Expr;
  desc: boolean;
  nullsFirst?: boolean;
}

export interface Select {
  kind: "select";
  distinct: boolean;
  items: Expr[];
  from: Relation | null;
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
  pos: number;
}

export type QueryBody = Select | { kind: "union"; left: QueryBody; right: QueryBody; all: boolean; pos: number } | { kind: "nested"; query: Query };

export interface Query {
  ctes: { name: string; query: Query }[];
  body: QueryBody;
  orderBy?: SortItem[];
  limit?: number;
  pos: number;
}

export type Statement =
  | { kind: "query"; query: Query; text: string }
  | { kind: "explain"; mode: string; statement: Statement; text: string }
  | { kind: "createView"; name: string[]; replace: boolean; global: boolean; temporary: boolean; ifNotExists: boolean; query: Query; text: string }
  | { kind: "createViewUsing"; name: string[]; replace: boolean; global: boolean; provider: string; options: Record<string, string>; schema?: string; text: string }
  | { kind: "dropView"; name: string[]; ifExists: boolean; text: string }
  | { kind: "showTables"; namespace?: string; pattern?: string; text: string };
