/**
 * Our layer over tslab's converter: type errors as warnings (`%typecheck strict|warn|off`, default warn:
 * tslab alone refuses to run any cell with a type error) and top-level await that tslab's converter misses
 * (`await (await fetch(u)).json()`: an await nested in another one is compiled but not noticed, so the cell
 * was run outside an async function and failed with a SyntaxError).
 */
import type * as TS from "typescript";
import type { Converter, ConvertResult, Diagnostic } from "tslab/dist/converter";
import { formatDiagnostic } from "./errors";
import { typescript } from "./typescript";

export type TypeCheckMode = "strict" | "warn" | "off";
export const TYPECHECK_MODES: readonly TypeCheckMode[] = ["strict", "warn", "off"];

export interface TypeCheckPolicy {
  mode: TypeCheckMode;
  /** Called with the formatted type errors of a cell that runs anyway (mode warn). */
  warn(lines: string[]): void;
}

/** Names that do not exist fail at run time anyway (and magics explain them): never downgraded. */
const CANNOT_FIND = new Set([2304, 2552, 2580, 2581, 2582, 2583, 2584, 2585, 2591, 2592, 2593]);

/** Diagnostics a cell can run with: type errors in the cell itself, not syntax errors or missing names. */
export function onlyTypeErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.every((d) => d.code >= 2000 && !CANNOT_FIND.has(d.code) && !d.fileName);
}

function walk(node: TS.Node, ts: typeof TS, visit: (node: TS.Node) => boolean): void {
  if (!visit(node)) return;
  ts.forEachChild(node, (child) => walk(child, ts, visit));
}

/** True when the cell has an `await` (or `for await`) outside any function or class. */
export function hasTopLevelAwait(code: string): boolean {
  const ts = typescript();
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let found = false;
  walk(source, ts, (node) => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isModuleDeclaration(node)) return false;
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier !== undefined)) found = true;
    return !found;
  });
  return found;
}

/**
 * The cell with `// @ts-ignore` at the end of the line before each given (zero-based) line, and one empty
 * line first so that line 0 has a line before it too. Undefined when a line end lies inside a string,
 * template literal or comment (a comment there would change the code or not work).
 */
export function ignoreLines(code: string, lines: Iterable<number>): string | undefined {
  const ts = typescript();
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const literals: Array<[number, number]> = [];
  walk(source, ts, (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || node.kind === ts.SyntaxKind.TemplateHead) literals.push([node.getStart(source), node.end]);
    return true;
  });
  const inComment = (pos: number) => (ts.getLeadingCommentRanges(code, pos) ?? []).some((r) => r.pos < pos && pos < r.end);
  const text = ["", ...code.split("\n")];
  let offset = 0;
  const lineEnds = code.split("\n").map((l) => (offset += l.length + 1) - 1);
  for (const line of new Set(lines)) {
    if (line < 0 || line >= lineEnds.length) return undefined;
    if (line > 0) {
      const end = lineEnds[line - 1];
      if (literals.some(([s, e]) => s < end && end < e) || inComment(end)) return undefined;
    }
    // text[line] is the line before `line` once the empty first line is added.
    if (!text[line].includes("// @ts-ignore")) text[line] = `${text[line]} // @ts-ignore`;
  }
  return text.join("\n");
}

/** Wrap a tslab converter with the type-check policy and the nested top-level await fix. */
export function withPolicy(inner: Converter, policy: TypeCheckPolicy): Converter {
  const fixAwait = (src: string, result: ConvertResult): ConvertResult =>
    result.diagnostics.length === 0 && result.output && !result.hasToplevelAwait && /\bawait\b/.test(src) && hasTopLevelAwait(src)
      ? { ...result, hasToplevelAwait: true }
      : result;
  return {
    close: () => inner.close(),
    inspect: (prevDecl, src, position) => inner.inspect(prevDecl, src, position),
    complete: (prevDecl, src, position) => inner.complete(prevDecl, src, position),
    addModule: (name, content, meta) => inner.addModule(name, content, meta),
    convert(prevDecl: string, src: string): ConvertResult {
      const first = inner.convert(prevDecl, src);
      if (policy.mode === "strict" || first.diagnostics.length === 0 || !onlyTypeErrors(first.diagnostics)) return fixAwait(src, first);
      const ignored = ignoreLines(src, first.diagnostics.map((d) => d.start.line));
      if (ignored === undefined) return first;
      const second = inner.convert(prevDecl, ignored);
      if (second.diagnostics.length > 0) return first;
      if (policy.mode === "warn") policy.warn(first.diagnostics.map(formatDiagnostic));
      return fixAwait(ignored, second);
    },
  };
}
