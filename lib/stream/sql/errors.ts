/** Spark's SQL error texts: PARSE_SYNTAX_ERROR with line, pos and a caret; UNRESOLVED_COLUMN; TABLE_OR_VIEW_NOT_FOUND. */
import { editDistance } from "../../core";
import { AnalysisError } from "../expr/bound";
import { ParseError } from "../expr/parser";

/** Line (1-based) and column (0-based, Spark's `pos`) of an offset. */
export function lineCol(text: string, offset: number): { line: number; pos: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  return { line, pos: offset - (before.lastIndexOf("\n") + 1) };
}

/** `== SQL ==` block with a `----^^^` line under the line of the error, as Spark's ParseException prints it. */
export function caretBlock(text: string, offset: number): string {
  const { line, pos } = lineCol(text, offset);
  const lines = text.split("\n");
  const out = [...lines.slice(0, line), `${"-".repeat(pos)}^^^`, ...lines.slice(line)];
  return `== SQL ==\n${out.join("\n")}`;
}

/** `[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'. SQLSTATE: 42601 (line 1, pos 7)` + the caret block. */
export function syntaxError(text: string, offset: number, near: string | null, hint?: string): ParseError {
  const { line, pos } = lineCol(text, offset);
  const where = near === null ? "end of input" : `'${near}'`;
  const msg = `[PARSE_SYNTAX_ERROR] Syntax error at or near ${where}.${hint ? ` ${hint}` : ""} SQLSTATE: 42601 (line ${line}, pos ${pos})\n\n${caretBlock(text, offset)}`;
  return new ParseError(msg, offset);
}

/** The closest names first, at most five, backquoted as Spark lists them. */
export function suggestions(name: string, candidates: string[]): string[] {
  const lower = name.toLowerCase();
  return [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 5)
    .map((x) => `\`${x.c}\``);
}

function at(text: string, offset: number | undefined): string {
  if (offset === undefined || offset < 0) return "";
  const { line, pos } = lineCol(text, offset);
  return `; line ${line} pos ${pos}`;
}

export function unresolvedColumn(name: string, candidates: string[], text: string, offset?: number): AnalysisError {
  const s = suggestions(name, candidates);
  const quoted = name.split(".").map((p) => `\`${p}\``).join(".");
  if (!s.length) return new AnalysisError(`[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, or function parameter with name ${quoted} cannot be resolved. SQLSTATE: 42703${at(text, offset)}`);
  return new AnalysisError(`[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name ${quoted} cannot be resolved. Did you mean one of the following? [${s.join(", ")}]. SQLSTATE: 42703${at(text, offset)}`);
}

export function tableNotFound(name: string, candidates: string[], text: string, offset?: number): AnalysisError {
  const quoted = name.split(".").map((p) => `\`${p}\``).join(".");
  const s = suggestions(name, candidates).slice(0, 3);
  const hint = s.length && editDistance(name.toLowerCase(), s[0].slice(1, -1).toLowerCase()) <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean ${s[0]}?` : "";
  return new AnalysisError(
    `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${quoted} cannot be found. Verify the spelling and correctness of the schema and catalog.${hint} ` +
      `To tolerate the error on drop use DROP VIEW IF EXISTS or DROP TABLE IF EXISTS; define a view with df.createOrReplaceTempView("${name}"), %stream ${name} = TOPIC, or CREATE TEMPORARY VIEW ${name} USING kafka OPTIONS (subscribe '${name}'). SQLSTATE: 42P01${at(text, offset)}`,
  );
}
