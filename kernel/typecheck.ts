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
 * The cell with a `// @ts-ignore` line inserted before each given (zero-based) line. Undefined when such a
 * line starts inside a string or template literal (a comment there would change the string). Line numbers
 * of the result differ from the cell's: it is only compiled and run, its diagnostics are not shown.
 */
export function ignoreLines(code: string, lines: Iterable<number>): string | undefined {
  const ts = typescript();
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const literals: Array<[number, number]> = [];
  walk(source, ts, (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || node.kind === ts.SyntaxKind.TemplateHead) literals.push([node.getStart(source), node.end]);
    return true;
  });
  const text = code.split("\n");
  const starts: number[] = [];
  let offset = 0;
  for (const line of text) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const wanted = [...new Set(lines)].sort((a, b) => b - a);
  for (const line of wanted) {
    if (line < 0 || line >= text.length) return undefined;
    const start = starts[line];
    if (literals.some(([s, e]) => s < start && start < e)) return undefined;
  }
  for (const line of wanted) text.splice(line, 0, "// @ts-ignore");
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
