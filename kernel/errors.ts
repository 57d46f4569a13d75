/** Thrown values and compiler diagnostics as a notebook's author should see them. */
import * as util from "node:util";

const INTERRUPTED_MESSAGES = ["Interrupted asynchronously", "Script execution was interrupted by `SIGINT`"];

export interface DescribedError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Thrown value -> (ename, evalue, traceback). A MagicError is one line, never a stack. */
export function describeError(err: unknown): DescribedError {
  if (err instanceof Error || (typeof err === "object" && err !== null && "message" in err)) {
    const e = err as Error;
    const ename = e.name || "Error";
    const evalue = String(e.message);
    if (ename === "MagicError") return { ename, evalue, traceback: [evalue] };
    if (INTERRUPTED_MESSAGES.some((m) => evalue.includes(m))) {
      const text = "the cell was interrupted (background queries keep running)";
      return { ename: "Interrupted", evalue: text, traceback: [`Interrupted: ${text}`] };
    }
    const stack = typeof e.stack === "string" ? e.stack : `${ename}: ${evalue}`;
    // Frames inside the kernel itself say nothing to the notebook's author.
    const lines = stack.split("\n").filter((l) => !/node_modules[\\/]tslab|[\\/]kernel[\\/](session|scope|output|results|magic-bridge|typecheck)\.|node:internal/.test(l));
    return { ename, evalue, traceback: lines };
  }
  return { ename: "Error", evalue: String(err), traceback: [`Uncaught ${util.inspect(err)}`] };
}

/** One line of text for a thrown value, for logs. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A tslab diagnostic as tslab prints it: `LINE:COL - message` (1-based). */
export interface Diagnostic {
  start: { line: number; character: number };
  messageText: string;
  code: number;
  fileName?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.fileName ? d.fileName + " " : ""}${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`;
}

/**
 * A `$name` / `{expr}` on a magic line naming something that does not exist fails to compile; say that in
 * the magic's terms (one line) rather than as a TypeScript error in the rewritten line.
 */
export function unknownNameInMagic(diagnostics: string[], magicLines: Map<number, { kind: "line" | "cell"; name: string }>): string | undefined {
  for (const diagnostic of diagnostics) {
    const m = /^(\d+):\d+ - Cannot find name '([^']+)'\.(?: Did you mean '([^']+)'\?)?/.exec(diagnostic);
    const use = m && magicLines.get(Number(m[1]) - 1);
    if (!m || !use) continue;
    const prefix = use.kind === "cell" ? "%%" : "%";
    const hint = m[3] ? ` (did you mean ${m[3]}?)` : "";
    return `${prefix}${use.name}: no variable named ${m[2]}${hint}; define it in an earlier line or cell, or write $$ / {{ }} for a literal $ / {`;
  }
  return undefined;
}
