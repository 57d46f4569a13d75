/**
 * Completion, inspection and is_complete for a cell: magic names and `--options` after `%`, else TypeScript's
 * own answers on the cell with its magic lines rewritten (one line for one, so positions map line by line).
 * Needs no Jupyter: the engine is tslab's executor (or anything with its complete/inspect).
 */
import type * as TS from "typescript";
import { rewriteMagics } from "./magic-syntax";
import { typescript } from "./typescript";

/** tslab's executor as completion sees it. */
export interface CompletionEngine {
  complete(code: string, cursor: number): { start: number; end: number; candidates: string[]; original?: { entries?: readonly { name: string; kind: string }[] } };
  inspect(code: string, cursor: number): TS.QuickInfo | undefined;
}

/** The magic registry as completion sees it (lib/core/magics.ts). */
export interface MagicCatalog<Spec extends { name: string; options?: readonly { name: string }[] }> {
  listMagics(): Spec[];
  getMagic(name: string): Spec | undefined;
  magicHelp(spec: Spec): string;
}

/** One entry of complete_reply's metadata._jupyter_types_experimental (JupyterLab and VS Code read it). */
export interface CompletionType {
  start: number;
  end: number;
  text: string;
  type: string;
}

export interface Completion {
  start: number;
  end: number;
  candidates: string[];
  types: CompletionType[];
}

/** TypeScript's ScriptElementKind in the words Jupyter frontends use for their completion icons. */
const KIND_NAMES: Record<string, string> = {
  method: "function",
  function: "function",
  "local function": "function",
  constructor: "function",
  property: "property",
  getter: "property",
  setter: "property",
  "JSX attribute": "property",
  class: "class",
  "local class": "class",
  interface: "interface",
  type: "type",
  "type parameter": "type",
  enum: "enum",
  "enum member": "property",
  module: "module",
  "external module name": "module",
  keyword: "keyword",
  var: "variable",
  let: "variable",
  const: "variable",
  "local var": "variable",
  parameter: "variable",
  alias: "module",
  string: "text",
};

export function jupyterType(kind: string | undefined): string {
  return kind === undefined ? "text" : (KIND_NAMES[kind] ?? kind);
}

/** The rewritten cell and the cursor in it; undefined when the cursor is on a magic line. */
export function mapToRewritten(code: string, cursor: number): { code: string; cursor: number; shift: number } | undefined {
  const rewritten = rewriteMagics(code).code;
  if (rewritten === code) return { code, cursor, shift: 0 };
  const original = code.split("\n");
  const changed = rewritten.split("\n");
  let offsetOriginal = 0;
  let offsetRewritten = 0;
  for (let i = 0; i < original.length; i++) {
    const end = offsetOriginal + original[i].length;
    if (cursor <= end) {
      if (original[i] !== changed[i]) return undefined;
      const shift = offsetRewritten - offsetOriginal;
      return { code: rewritten, cursor: cursor + shift, shift };
    }
    offsetOriginal = end + 1;
    offsetRewritten += (changed[i] ?? "").length + 1;
  }
  return undefined;
}

export class Completer<Spec extends { name: string; options?: readonly { name: string }[] }> {
  constructor(
    private readonly engine: CompletionEngine,
    private readonly magics: MagicCatalog<Spec>,
  ) {}

  complete(code: string, cursor: number): Completion {
    const lineStart = code.lastIndexOf("\n", cursor - 1) + 1;
    const beforeCursor = code.slice(lineStart, cursor);
    const magicName = /^\s*%%?([\w-]*)$/.exec(beforeCursor);
    if (magicName) {
      const prefix = magicName[1];
      const names = this.magics.listMagics().map((m) => m.name).filter((n) => n.startsWith(prefix));
      return this.withTypes(cursor - prefix.length, cursor, names, () => "magic");
    }
    const option = /^\s*%%?([\w-]+)\s(?:.*\s)?(--?[\w-]*)$/.exec(beforeCursor);
    if (option) {
      const spec = this.magics.getMagic(option[1]);
      const typed = option[2];
      const names = (spec?.options ?? []).map((o) => `--${o.name}`).filter((n) => n.startsWith(typed));
      return this.withTypes(cursor - typed.length, cursor, names, () => "option");
    }
    const mapped = mapToRewritten(code, cursor);
    if (!mapped) return { start: cursor, end: cursor, candidates: [], types: [] };
    const info = this.engine.complete(mapped.code, mapped.cursor);
    const kinds = new Map<string, string>();
    for (const entry of info.original?.entries ?? []) if (!kinds.has(entry.name)) kinds.set(entry.name, entry.kind);
    return this.withTypes(info.start - mapped.shift, info.end - mapped.shift, info.candidates, (name) => jupyterType(kinds.get(name)));
  }

  private withTypes(start: number, end: number, candidates: string[], type: (name: string) => string): Completion {
    return { start, end, candidates, types: candidates.map((text) => ({ start, end, text, type: type(text) })) };
  }

  /** TypeScript's quick info at the cursor, or undefined (also on a magic line: see magicHelpAt). */
  inspect(code: string, cursor: number): TS.QuickInfo | undefined {
    const mapped = mapToRewritten(code, cursor);
    if (!mapped) return undefined;
    return this.engine.inspect(mapped.code, mapped.cursor);
  }

  /** Help for the magic on the cursor's line (hover / shift-tab on `%name`), or undefined. */
  magicHelpAt(code: string, cursor: number): string | undefined {
    const lineStart = code.lastIndexOf("\n", Math.max(0, cursor - 1)) + 1;
    const lineEnd = code.indexOf("\n", cursor);
    const line = code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd);
    const m = /^\s*%%?([\w-]+)/.exec(line);
    if (!m) return undefined;
    const spec = this.magics.getMagic(m[1]);
    return spec ? this.magics.magicHelp(spec) : undefined;
  }
}

export type IsCompleteStatus = { status: "complete" } | { status: "incomplete"; indent: string } | { status: "invalid" };

/** TypeScript's parser messages that mean "the code stops too early" when they sit at its very end. */
const UNTERMINATED = new Set([
  1002, // Unterminated string literal.
  1010, // '*/' expected.
  1160, // Unterminated template literal.
  1161, // Unterminated regular expression literal.
]);

function indentAfter(code: string): string {
  const line = /[^\n]*$/.exec(code)?.[0] ?? "";
  const current = /^\s*/.exec(line)?.[0] ?? "";
  return /[{[(]\s*$/.test(line) ? current + "  " : current;
}

/**
 * is_complete for a cell, as a console needs it: "incomplete" when the code stops too early (an open
 * bracket, an unterminated string, template literal or comment), "invalid" when it has a syntax error that
 * more lines cannot fix, else "complete". Two blank lines at the end force "complete" (as tslab does), so a
 * person can always submit.
 */
export function isComplete(cell: string): IsCompleteStatus {
  const code = rewriteMagics(cell).code;
  if (/(^|\n)\s*\n\s*$/.test(code) && code.trim() !== "") return { status: "complete" };
  const ts = typescript();
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics?: readonly TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (diagnostics.length === 0) return { status: "complete" };
  const end = code.trimEnd().length;
  const atEnd = (d: TS.DiagnosticWithLocation) => d.start >= end;
  for (const d of diagnostics) {
    const text = typeof d.messageText === "string" ? d.messageText : d.messageText.messageText;
    if (UNTERMINATED.has(d.code)) return { status: "incomplete", indent: indentAfter(code) };
    if (atEnd(d) && text.endsWith(" expected.")) return { status: "incomplete", indent: indentAfter(code) };
  }
  return { status: "invalid" };
}
