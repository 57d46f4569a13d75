/** Text helpers every room shares: did-you-mean hints, shell-like splitting, HTML escaping. */
import { UserError, type ErrorFactory } from "./errors";

/** Levenshtein distance, for did-you-mean hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate (case-insensitive) within a small distance, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Split like a POSIX shell: whitespace separates words, single and double quotes group, backslash escapes.
 * An unclosed quote throws a one-line error (a `UserError`, or what `error` makes of the message).
 */
export function shellSplit(input: string, error: ErrorFactory = (m) => new UserError(m)): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < input.length && '"\\$`'.includes(input[i + 1])) current += input[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < input.length) {
      current += input[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw error(`unclosed ${quote} quote in arguments: close it or escape it with \\${quote}`);
  if (inWord) words.push(current);
  return words;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Look up an option by name ignoring case, as Spark does (`numRows`, `numrows` and `NUMROWS` are one option). */
export function getOption<T>(options: Record<string, T> | undefined, name: string): T | undefined {
  if (!options) return undefined;
  if (Object.prototype.hasOwnProperty.call(options, name)) return options[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(options)) if (key.toLowerCase() === lower) return options[key];
  return undefined;
}

/** Any value as text, never "[object Object]": strings as they are, other primitives by toString, objects as JSON. */
export function toText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
    case "symbol":
      return value.toString();
    case "undefined":
      return "undefined";
    case "function":
      return `function ${value.name}`;
    default:
      if (value === null) return "null";
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
      try {
        return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      } catch {
        return Object.prototype.toString.call(value);
      }
  }
}

/** The message of anything thrown: an Error's message, anything else as `toText` writes it. */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === "string" ? message : toText(err);
}
