/**
 * IPython magic syntax on top of TypeScript: `%name args` lines where a statement could stand and `%%name args`
 * on a cell's first line are rewritten into calls to the magic registry (lib/core/magics.ts) before tslab's
 * converter sees the cell. One line in, one line out, so compiler line numbers stay right.
 *
 * As in IPython, a magic line's arguments expand `$name` and `{expression}` (see parseArgTemplate). The
 * expressions are compiled into the rewritten line itself, so they see the cell's own variables as well as
 * earlier cells', are type-checked, and are evaluated when the line runs.
 */

/**
 * The object the rewritten code calls. The session installs it on globalThis and declares it (typed any) in a
 * hidden first cell: tslab only notices top-level await on a declared value, not on `(globalThis as any).x`, and it mangles
 * names that start with two underscores.
 */
export const MAGIC_GLOBAL = "$streamlab";
const CALLEE = MAGIC_GLOBAL;
export const MAGIC_DECLARATION = `const ${MAGIC_GLOBAL}: any = (globalThis as any).${MAGIC_GLOBAL};`;

export interface MagicUse {
  name: string;
  kind: "line" | "cell";
  /** `%name?`: show help instead of running. */
  help: boolean;
  args: string;
  /** Zero-based line of the magic in the cell. */
  line: number;
}

export interface RewriteResult {
  code: string;
  magics: MagicUse[];
}

const LINE_MAGIC = /^(\s*)%([A-Za-z_][\w-]*)(\?{1,2})?(?:[ \t]+(.*?))?\s*$/;
const CELL_MAGIC = /^%%([A-Za-z_][\w-]*)(\?{1,2})?(?:[ \t]+(.*?))?\s*$/;
const MISPLACED_CELL_MAGIC = /^\s*%%([A-Za-z_][\w-]*)/;

/**
 * For each line, whether it starts in plain code (not inside a string, template literal or comment), the
 * brace/paren depth there, and whether the previous code ends in a way that makes `%` a modulo operator.
 */
interface LineState {
  inCode: boolean;
  braces: number;
  nested: boolean;
  continues: boolean;
}

function scanLines(src: string): LineState[] {
  const states: LineState[] = [];
  // Lexer modes: code, line comment, block comment, single/double quoted string, template literal.
  type Mode = "code" | "line" | "block" | "'" | '"' | "`";
  let mode: Mode = "code";
  // Template literals nest through `${ ... }`; this stack remembers the brace depth where each `${` opened.
  const templateStack: number[] = [];
  let braces = 0;
  let parens = 0;
  let lastCodeChar = "";
  const pushState = () =>
    states.push({
      inCode: mode === "code",
      braces,
      nested: parens > 0 || templateStack.length > 0,
      continues: /[-+*/%=&|^<>?:,(.[!~]$/.test(lastCodeChar),
    });
  pushState();
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    const next = src[i + 1];
    if (ch === "\n") {
      if (mode === "line" || mode === "'" || mode === '"') mode = "code";
      pushState();
      continue;
    }
    switch (mode) {
      case "line":
        break;
      case "block":
        if (ch === "*" && next === "/") {
          mode = "code";
          i++;
        }
        break;
      case "'":
      case '"':
        if (ch === "\\") i++;
        else if (ch === mode) mode = "code";
        break;
      case "`":
        if (ch === "\\") i++;
        else if (ch === "`") mode = "code";
        else if (ch === "$" && next === "{") {
          templateStack.push(braces);
          braces++;
          i++;
          mode = "code";
        }
        break;
      case "code":
        if (ch === "/" && next === "/") {
          mode = "line";
          i++;
        } else if (ch === "/" && next === "*") {
          mode = "block";
          i++;
        } else if (ch === "'" || ch === '"' || ch === "`") {
          mode = ch;
          lastCodeChar = ch;
        } else if (ch === "{") {
          braces++;
          lastCodeChar = ch;
        } else if (ch === "}") {
          braces = Math.max(0, braces - 1);
          if (templateStack.length && templateStack[templateStack.length - 1] === braces) {
            templateStack.pop();
            mode = "`";
          }
          lastCodeChar = ch;
        } else if (ch === "(" || ch === "[") {
          parens++;
          lastCodeChar = ch;
        } else if (ch === ")" || ch === "]") {
          parens = Math.max(0, parens - 1);
          lastCodeChar = ch;
        } else if (!/\s/.test(ch)) {
          lastCodeChar = ch;
        }
        break;
    }
  }
  return states;
}

function call(method: string, ...args: unknown[]): string {
  return `${CALLEE}.${method}(${args.map((a) => (a === undefined ? "undefined" : JSON.stringify(a))).join(", ")})`;
}

/**
 * A magic line's arguments split the way IPython expands them: literal text around `$name` and `{expr}`
 * placeholders. `$$`, `{{` and `}}` stand for a literal `$`, `{`, `}`; a `$` not followed by a name and a `{`
 * without its `}` stay as written.
 */
export interface ArgTemplate {
  /** Literal pieces, one more than `expressions`. */
  strings: string[];
  /** TypeScript expressions as written: `bootstrap` for `$bootstrap`, `a.b + 1` for `{a.b + 1}`. */
  expressions: string[];
  /** Each placeholder as the user wrote it (`$bootstrap`, `{a.b + 1}`), for error messages. */
  sources: string[];
}

export function parseArgTemplate(args: string): ArgTemplate {
  const strings: string[] = [];
  const expressions: string[] = [];
  const sources: string[] = [];
  let literal = "";
  let i = 0;
  while (i < args.length) {
    const ch = args[i];
    const next = args[i + 1];
    if ((ch === "$" && next === "$") || (ch === "{" && next === "{") || (ch === "}" && next === "}")) {
      literal += ch;
      i += 2;
      continue;
    }
    if (ch === "$") {
      const name = /^[A-Za-z_][\w]*/.exec(args.slice(i + 1));
      if (name) {
        strings.push(literal);
        literal = "";
        expressions.push(name[0]);
        sources.push("$" + name[0]);
        i += 1 + name[0].length;
        continue;
      }
    }
    if (ch === "{") {
      const end = closingBrace(args, i);
      if (end > i + 1 && args.slice(i + 1, end).trim() !== "") {
        strings.push(literal);
        literal = "";
        expressions.push(args.slice(i + 1, end));
        sources.push(args.slice(i, end + 1));
        i = end + 1;
        continue;
      }
    }
    literal += ch;
    i++;
  }
  strings.push(literal);
  return { strings, expressions, sources };
}

/** Index of the `}` closing the `{` at `open` (nested braces and quoted strings skipped), or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  let quote = "";
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}

/**
 * The argument expression a rewritten magic line passes: a string literal when nothing needs expanding,
 * else a call that joins the literal pieces with the values, evaluated right there, in the cell's scope.
 */
function argsCode(args: string): string {
  const template = parseArgTemplate(args);
  if (template.expressions.length === 0) return JSON.stringify(template.strings[0]);
  const values = template.expressions.map((e) => `(${e})`).join(", ");
  return `${CALLEE}.expand(${JSON.stringify(template.strings)}, [${values}], ${JSON.stringify(template.sources)})`;
}

/** Rewrite magics in a cell. Cells without magics come back unchanged. */
export function rewriteMagics(src: string): RewriteResult {
  const magics: MagicUse[] = [];
  const lines = src.split("\n");
  // A cell magic owns the whole cell: its first non-blank line, the rest is the body, as in IPython.
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first >= 0) {
    const m = CELL_MAGIC.exec(lines[first].replace(/\r$/, ""));
    if (m) {
      const [, name, question, args = ""] = m;
      const body = lines.slice(first + 1).join("\n");
      const use: MagicUse = { name, kind: "cell", help: !!question, args, line: first };
      magics.push(use);
      const code = question ? call("help", name) : `await ${CALLEE}.magic(${JSON.stringify(name)}, ${argsCode(args)}, ${JSON.stringify(body)})`;
      // Keep the line count so that positions in error messages still point into the cell.
      const out = lines.map(() => "");
      out[first] = code;
      return { code: out.join("\n"), magics };
    }
  }
  const states = scanLines(src);
  let changed = false;
  const out = lines.map((rawLine, index) => {
    const line = rawLine.replace(/\r$/, "");
    const state = states[index];
    if (!state || !state.inCode || state.nested || state.continues) return rawLine;
    const misplaced = MISPLACED_CELL_MAGIC.exec(line);
    if (misplaced) {
      changed = true;
      magics.push({ name: misplaced[1], kind: "cell", help: false, args: "", line: index });
      return `;${call("misplacedCellMagic", misplaced[1])};`;
    }
    const m = LINE_MAGIC.exec(line);
    if (!m) return rawLine;
    const [, indent, name, question, args = ""] = m;
    changed = true;
    magics.push({ name, kind: "line", help: !!question, args, line: index });
    if (question) return `${indent};${call("help", name)};`;
    // At top level the cell awaits the magic, and its value can be the cell's result. Inside a block (maybe
    // a non-async function) `await` may be illegal, so the magic runs detached and reports its own errors.
    if (state.braces === 0) return `${indent};await ${CALLEE}.magic(${JSON.stringify(name)}, ${argsCode(args)})`;
    return `${indent};${CALLEE}.magicDetached(${JSON.stringify(name)}, ${argsCode(args)});`;
  });
  return { code: changed ? out.join("\n") : src, magics };
}
