/**
 * The bridge between rewritten magic lines (magic-syntax.ts) and lib/'s magic registry: the `$streamlab`
 * global the rewritten code calls, the context a magic runs with, and the kernel's own magics (%lsmagic,
 * %typecheck).
 */
import type * as DisplayModule from "../lib/core";
import { describeError } from "./errors";
import { MAGIC_GLOBAL } from "./magic-syntax";
import type { OutputRouter } from "./output";
import type { Library, MagicVariables } from "./scope";
import { TYPECHECK_MODES, type TypeCheckMode, type TypeCheckPolicy } from "./typecheck";

export interface MagicHost {
  readonly library: Library;
  readonly router: OutputRouter;
  readonly variables: MagicVariables;
  readonly policy: TypeCheckPolicy;
  evaluate(code: string): Promise<unknown>;
}

function runMagic(host: MagicHost, name: string, args: string, body: string | undefined): Promise<unknown> {
  const prompt = host.router.current()?.prompt;
  return host.library.magics.runMagic(name, args, {
    body,
    prompt: prompt ? (text: string, options: { secret?: boolean } = {}) => prompt(text, { secret: options.secret === true }) : undefined,
    display: host.library.display.getDisplayBridge(),
    scope: host.variables.scope(),
    evaluate: (code: string) => host.evaluate(code),
  });
}

/** A value expanded into a magic line: strings as they are, objects as JSON. */
function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || typeof value === "symbol") return value.toString();
  if (typeof value === "function") return Function.prototype.toString.call(value);
  return JSON.stringify(value);
}

/** Install the object rewritten magic lines call (`$streamlab.magic(...)`). */
export function installMagicGlobal(host: MagicHost): void {
  const { magics, display } = host.library;
  const api = {
    magic: (name: string, args: string, body?: string) => runMagic(host, name, args, body),
    magicDetached: (name: string, args: string) => {
      const sink = host.router.current();
      runMagic(host, name, args, undefined).catch((err: unknown) => {
        const d = describeError(err);
        sink?.error(d.ename, d.evalue, d.traceback);
      });
    },
    help: (name: string) => {
      const spec = magics.getMagic(name);
      if (!spec) {
        const hint = magics.didYouMean(name, magics.listMagics().map((m) => m.name));
        throw new magics.MagicError(`unknown magic %${name}${hint ? ` (did you mean %${hint}?)` : ""}; %lsmagic lists them all`);
      }
      display.getDisplayBridge().print(magics.magicHelp(spec));
    },
    expand: (strings: string[], values: unknown[], sources: string[]) => {
      let text = strings[0];
      values.forEach((value, i) => {
        if (value === undefined || value === null) {
          throw new magics.MagicError(`${sources[i]} is ${String(value)}: give it a value before the magic line, or write $$ / {{ }} for a literal $ / {`);
        }
        text += asText(value) + strings[i + 1];
      });
      return text;
    },
    get magicValues() {
      return host.variables.values;
    },
    misplacedCellMagic: (name: string) => {
      throw new magics.MagicError(`%%${name} must be the first line of its cell: move it to the top, or write %${name} for a line magic`);
    },
  };
  (globalThis as Record<string, unknown>)[MAGIC_GLOBAL] = api;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The session whose policy %typecheck changes (the magic registry is process-wide, the policy per session). */
let activeHost: MagicHost | undefined;

/** %lsmagic and %typecheck; registered once per process, acting on the latest session. */
export function registerKernelMagics(host: MagicHost): void {
  activeHost = host;
  const { registerMagic, listMagics, getMagic, MagicError } = host.library.magics;
  if (!getMagic("lsmagic")) {
    registerMagic({
      name: "lsmagic",
      kind: "line",
      summary: "list every magic with a one-line summary",
      usage: "%lsmagic",
      positional: { max: 0 },
      run: (): DisplayModule.Displayable => {
        const specs = listMagics();
        const rows = specs.map((s) => `${(s.kind === "cell" ? "%%" : s.kind === "both" ? "%/%%" : "%") + s.name}`.padEnd(16) + ` ${s.summary}`);
        const text = ["Available magics (%name? shows help and options):", ...rows].join("\n");
        const html =
          `<table><thead><tr><th style="text-align:left">magic</th><th style="text-align:left">what it does</th></tr></thead><tbody>` +
          specs.map((s) => `<tr><td style="text-align:left"><code>${s.kind === "cell" ? "%%" : "%"}${esc(s.name)}</code></td><td style="text-align:left">${esc(s.summary)}</td></tr>`).join("") +
          `</tbody></table>`;
        return { toMimeBundle: () => ({ "text/plain": text, "text/html": html }) };
      },
    });
  }
  if (!getMagic("typecheck")) {
    registerMagic({
      name: "typecheck",
      kind: "line",
      summary: "how type errors are treated: strict (the cell does not run), warn (default) or off",
      usage: "%typecheck [strict|warn|off]",
      help:
        "warn (the default): type errors are shown on stderr as a warning and the cell runs anyway.\n" +
        "strict: a cell with a type error does not run (tslab's behaviour). off: type errors are not shown.\n" +
        "Syntax errors and unknown names always stop a cell. Without an argument, shows the current mode.",
      positional: { max: 1, names: ["mode"] },
      run: (ctx) => {
        const policy = activeHost?.policy;
        if (!policy) throw new MagicError("%typecheck: no session is running");
        const wanted = ctx.args.positional[0];
        if (wanted === undefined) {
          ctx.display.print(`%typecheck ${policy.mode}`);
          return undefined;
        }
        if (!TYPECHECK_MODES.includes(wanted as TypeCheckMode)) throw new MagicError(`%typecheck: unknown mode '${wanted}'; use strict, warn or off`);
        policy.mode = wanted as TypeCheckMode;
        ctx.display.print(`type errors: ${policy.mode === "strict" ? "stop the cell" : policy.mode === "warn" ? "shown as warnings, the cell runs" : "not shown, the cell runs"}`);
        return undefined;
      },
    });
  }
}
