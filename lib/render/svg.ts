/**
 * Charts rendered to SVG in Node with vega, so that viewers without a vega-lite renderer (classic Notebook,
 * nbconvert HTML, GitHub) still show them. Headless: `renderer: "none"` needs no canvas; text is measured by
 * vega's estimate. Nothing is fetched: the loader refuses every URL, and the data is inline.
 */
import type { VegaLiteSpec } from "./spec";

type VegaModule = typeof import("vega");
type VegaLiteModule = typeof import("vega-lite");

let vegaModule: VegaModule | undefined;
let vegaLiteModule: VegaLiteModule | undefined;

// Loaded on first use: about 0.2 s each, which a kernel that never draws a chart should not pay at start.
function vega(): VegaModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (vegaModule ??= require("vega") as VegaModule);
}
function vegaLite(): VegaLiteModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (vegaLiteModule ??= require("vega-lite") as VegaLiteModule);
}

/** Compile vega-lite to a vega spec (the step JupyterLab's renderer does in the browser). */
export function compileVegaLite(spec: VegaLiteSpec): Record<string, unknown> {
  const warnings: string[] = [];
  const logger = {
    level(): never | number { return 0; },
    error(...args: unknown[]) { throw new Error(args.map(String).join(" ")); },
    warn(...args: unknown[]) { warnings.push(args.map(String).join(" ")); return logger; },
    info() { return logger; },
    debug() { return logger; },
  };
  type Compile = VegaLiteModule["compile"];
  // Our spec type is a plain JSON object and our logger a structural one; vega-lite checks both at run time.
  const options = { logger: logger as unknown as NonNullable<Parameters<Compile>[1]>["logger"] };
  return vegaLite().compile(spec as unknown as Parameters<Compile>[0], options).spec as unknown as Record<string, unknown>;
}

function offlineLoader() {
  const loader = vega().loader();
  const refuse = (uri: string): Promise<never> =>
    Promise.reject(new Error(`streamlab charts load nothing from URLs (asked for ${uri}): put the data in the spec`));
  loader.load = refuse;
  loader.sanitize = refuse;
  return loader;
}

/** Render a compiled vega spec to an SVG document string. */
export async function renderVegaSvg(vegaSpec: Record<string, unknown>): Promise<string> {
  const v = vega();
  // vega reports dataflow errors (a refused URL, a bad expression) to its logger, not as rejections: collect them.
  const errors: string[] = [];
  let level = v.Error;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      errors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
      return logger;
    },
    warn(...args: unknown[]) {
      // A refused or failed data load is only a warning to vega; for a chart it means no data: an error.
      const text = args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
      if (/^Loading failed/.test(text)) errors.push(text);
      return logger;
    },
    info() { return logger; },
    debug() { return logger; },
  };
  type ViewOptions = NonNullable<ConstructorParameters<VegaModule["View"]>[1]>;
  const view = new v.View(v.parse(vegaSpec), { renderer: "none", loader: offlineLoader(), logger: logger as unknown as ViewOptions["logger"] });
  try {
    const svg = await view.toSVG();
    if (errors.length) throw new Error(errors[0]);
    return svg;
  } finally {
    view.finalize();
  }
}

/** vega-lite spec -> SVG. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  return renderVegaSvg(compileVegaLite(spec));
}

/** Number of data marks (lines, bars, points, cells) in an SVG drawn by vega; axes and legends not counted. */
export function countSvgMarks(svg: string): number {
  const marks = svg.split(/<g class="mark-[a-z]+ role-mark\b/).slice(1);
  // Each data mark is one element with role graphics-symbol inside a role-mark group.
  return marks.reduce((n, part) => n + (part.split("</g>")[0].match(/role="graphics-symbol"/g) ?? []).length, 0);
}
