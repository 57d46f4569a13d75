/**
 * The magic registry: IPython-style `%name args` line magics and `%%name args` cell magics.
 *
 * Each part of lib/ registers its own magics here (lib/datagen registers %datagen, lib/render %chart, ...);
 * the kernel only rewrites cell source into calls to `runMagic` and hosts the context. Keeping the registry in
 * lib/ lets the headless runner and tests use the same magics without a kernel.
 */
import type { DisplayBridge } from "./display";
import { parseDuration } from "./duration";
import { MagicError } from "./errors";
import { didYouMean, shellSplit } from "./text";

export { MagicError };

export type MagicOptionType = "string" | "number" | "boolean" | "duration" | "list";

export interface MagicOption {
  /** Long name without dashes: `rate` for `--rate`. */
  name: string;
  /** One-letter alias without dash: `n` for `-n`. */
  alias?: string;
  type: MagicOptionType;
  help: string;
  default?: unknown;
  /** Allowed values, checked when parsing (one-line error otherwise). */
  choices?: readonly string[];
  /** A string option that may also stand alone: `--registry` means this value, `--registry URL` the URL. */
  bare?: string;
}

export interface ParsedMagicArgs {
  /** Positional words, quotes removed. */
  positional: string[];
  /** Options by long name, converted to their declared type; defaults filled in. */
  options: Record<string, unknown>;
  /** The raw argument string after the magic's name. */
  raw: string;
  /** A `string` option (also the text of a `choices` option); undefined when absent. */
  string(name: string): string | undefined;
  /** A `number` or `duration` (milliseconds) option; undefined when absent. */
  number(name: string): number | undefined;
  /** A `boolean` option: false when absent. */
  flag(name: string): boolean;
  /** A `list` option; undefined when absent. */
  list(name: string): string[] | undefined;
}

export interface MagicContext {
  name: string;
  args: ParsedMagicArgs;
  /** The cell body below a `%%name` line; undefined for line magics. */
  body?: string;
  /** Where output goes (display, live updates, text). */
  display: DisplayBridge;
  /** The notebook's global scope: a magic may define variables here (`%stream orders = ...`). */
  scope: Record<string, unknown>;
  /** Evaluate TypeScript in the notebook's scope (for `%%produce` bodies that are expressions). */
  evaluate(code: string): Promise<unknown>;
  /**
   * Ask the person at the frontend for one line of text (secret: typed hidden, as a password). Absent when
   * nobody can answer, e.g. `streamlab run` or a frontend without stdin.
   */
  prompt?(text: string, options?: { secret?: boolean }): Promise<string>;
}

export interface MagicSpec {
  name: string;
  kind: "line" | "cell" | "both";
  /** One line, shown by %lsmagic. */
  summary: string;
  /** Usage synopsis, e.g. `%tail TOPIC [--from beginning|latest|OFFSET] [--limit N] [--follow]`. */
  usage: string;
  /** Longer help shown by `%name?`, after the options table. */
  help?: string;
  options?: MagicOption[];
  /** Min and max positional words (max undefined = unbounded). */
  positional?: { min?: number; max?: number; names?: string[] };
  /** May return a value: a Displayable becomes the cell's rich result. */
  run(ctx: MagicContext): unknown;
}

const registry = new Map<string, MagicSpec>();

/**
 * Register a magic. A name is registered once: a second registration throws, unless `replace` says the caller
 * means to redefine it (a notebook cell that is run again).
 */
export function registerMagic(spec: MagicSpec, options: { replace?: boolean } = {}): void {
  if (!/^[A-Za-z_][\w-]*$/.test(spec.name)) throw new MagicError(`'${spec.name}' is not a magic name: use letters, digits, _ and -`);
  if (registry.has(spec.name) && !options.replace) {
    throw new MagicError(`magic %${spec.name} is already registered: pick another name, or registerMagic(spec, { replace: true }) to redefine it`);
  }
  registry.set(spec.name, spec);
}

/** Remove a magic; returns whether it was registered. */
export function unregisterMagic(name: string): boolean {
  return registry.delete(name);
}

export function getMagic(name: string): MagicSpec | undefined {
  return registry.get(name);
}

export function listMagics(): MagicSpec[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function convertOption(spec: MagicSpec, opt: MagicOption, value: string): unknown {
  const where = `%${spec.name} --${opt.name}`;
  if (opt.choices && !opt.choices.includes(value)) {
    const hint = didYouMean(value, opt.choices);
    throw new MagicError(`${where}: '${value}' is not one of ${opt.choices.join(", ")}${hint ? ` (did you mean '${hint}'?)` : ""}`);
  }
  switch (opt.type) {
    case "number": {
      // Accept rates written as `1000/s` and thousands written as `10_000` or `10,000`.
      const cleaned = value.replace(/\/s$/, "").replace(/[_,]/g, "");
      const n = Number(cleaned);
      if (cleaned === "" || !Number.isFinite(n)) throw new MagicError(`${where} expects a number, got '${value}'`);
      return n;
    }
    case "duration":
      return parseDuration(value, { error: (message) => new MagicError(`${where}: ${message}`) });
    case "boolean":
      if (/^(true|yes|1|on)$/i.test(value)) return true;
      if (/^(false|no|0|off)$/i.test(value)) return false;
      throw new MagicError(`${where} expects true or false, got '${value}'`);
    case "list":
      return value.split(",").map((s) => s.trim()).filter(Boolean);
    default:
      return value;
  }
}

/** Parse `args` against a magic's declared options: `--flag value`, `--flag=value`, `-f value`, `--bool`. */
export function parseMagicArgs(spec: MagicSpec, raw: string): ParsedMagicArgs {
  const words = shellSplit(raw, (message) => new MagicError(message));
  const options: Record<string, unknown> = {};
  const positional: string[] = [];
  const declared = spec.options ?? [];
  const byName = new Map(declared.map((o) => [o.name, o]));
  const byAlias = new Map(declared.filter((o) => o.alias).map((o) => [o.alias as string, o]));
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === "--") {
      positional.push(...words.slice(i + 1));
      break;
    }
    const long = /^--([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(word);
    const short = /^-([A-Za-z])$/.exec(word);
    if (!long && !short) {
      positional.push(word);
      continue;
    }
    const key = long ? long[1] : short![1];
    const opt = long ? byName.get(key) ?? byName.get(key.replace(/-/g, "_")) : byAlias.get(key);
    if (!opt) {
      const names = declared.map((o) => o.name);
      const hint = didYouMean(key, names);
      throw new MagicError(
        `%${spec.name}: unknown option ${long ? "--" : "-"}${key}` +
          (hint ? ` (did you mean --${hint}?)` : names.length ? `; options are ${names.map((n) => "--" + n).join(", ")}` : "; it takes no options") +
          `; see %${spec.name}?`,
      );
    }
    let value: string | undefined = long ? long[2] : undefined;
    if (opt.type === "boolean" && value === undefined) {
      options[opt.name] = true;
      continue;
    }
    if (value === undefined && opt.bare !== undefined && (i + 1 >= words.length || /^--?[A-Za-z]/.test(words[i + 1]))) {
      options[opt.name] = opt.bare;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= words.length) throw new MagicError(`%${spec.name}: --${opt.name} needs a value; see %${spec.name}?`);
      value = words[++i];
    }
    options[opt.name] = convertOption(spec, opt, value);
  }
  for (const opt of declared) {
    if (!(opt.name in options) && opt.default !== undefined) options[opt.name] = opt.default;
  }
  const { min = 0, max } = spec.positional ?? {};
  if (positional.length < min) {
    const names = spec.positional?.names?.slice(positional.length, min).join(" ") ?? "arguments";
    throw new MagicError(`%${spec.name}: missing ${names}; usage: ${spec.usage}`);
  }
  if (max !== undefined && positional.length > max) {
    throw new MagicError(`%${spec.name}: unexpected argument '${positional[max]}'; usage: ${spec.usage}`);
  }
  return typedArgs(spec, positional, options, raw);
}

/** The parsed arguments with typed getters that check the option's declared type (a programming error otherwise). */
function typedArgs(spec: MagicSpec, positional: string[], options: Record<string, unknown>, raw: string): ParsedMagicArgs {
  const declared = new Map((spec.options ?? []).map((o) => [o.name, o]));
  const read = (name: string, types: MagicOptionType[]): unknown => {
    const opt = declared.get(name);
    if (!opt) throw new Error(`%${spec.name} declares no option --${name}`);
    if (!types.includes(opt.type)) throw new Error(`%${spec.name} --${name} is a ${opt.type} option, not ${types.join(" or ")}`);
    return options[name];
  };
  return {
    positional,
    options,
    raw,
    string: (name) => read(name, ["string"]) as string | undefined,
    number: (name) => read(name, ["number", "duration"]) as number | undefined,
    flag: (name) => read(name, ["boolean"]) === true,
    list: (name) => read(name, ["list"]) as string[] | undefined,
  };
}

/** The text shown by `%name?`. */
export function magicHelp(spec: MagicSpec): string {
  const lines = [`${spec.kind === "cell" ? "%%" : "%"}${spec.name}: ${spec.summary}`, "", `usage: ${spec.usage}`];
  if (spec.options?.length) {
    lines.push("", "options:");
    for (const o of spec.options) {
      const flag = `--${o.name}${o.alias ? `, -${o.alias}` : ""}${o.type === "boolean" ? "" : ` ${o.type === "duration" ? "DURATION" : o.type.toUpperCase()}`}`;
      const extra = [o.choices ? `one of ${o.choices.join("|")}` : "", o.default !== undefined ? `default ${typeof o.default === "string" ? o.default : JSON.stringify(o.default)}` : ""].filter(Boolean).join("; ");
      lines.push(`  ${flag.padEnd(28)} ${o.help}${extra ? ` (${extra})` : ""}`);
    }
  }
  if (spec.help) lines.push("", spec.help);
  return lines.join("\n");
}

/** Run a registered magic; unknown names get a did-you-mean. Errors are MagicError with one line. */
export async function runMagic(
  name: string,
  raw: string,
  context: Omit<MagicContext, "name" | "args">,
): Promise<unknown> {
  const spec = registry.get(name);
  if (!spec) {
    const hint = didYouMean(name, registry.keys());
    throw new MagicError(`unknown magic %${name}${hint ? ` (did you mean %${hint}?)` : ""}; %lsmagic lists them all`);
  }
  const isCell = context.body !== undefined;
  if (isCell && spec.kind === "line") throw new MagicError(`%${name} is a line magic: write %${name} on its own line, not %%${name}`);
  if (!isCell && spec.kind === "cell") throw new MagicError(`%%${name} is a cell magic: put %%${name} on the first line of the cell, with the body below it`);
  const args = parseMagicArgs(spec, raw);
  return await spec.run({ ...context, name, args });
}
