/**
 * Chart specs: a compact options object (`{mark: "line", x: "window.start", y: "revenue", color: "region"}`)
 * or a full vega-lite v5 spec, turned into a vega-lite spec whose inline data values streamlab fills.
 * Pure functions: no vega here (see svg.ts for rendering).
 */
import type { SchemaField } from "./contract";
import { flattenSchema, getPath, inferColumns, toEpochMs, type FlatColumn } from "./values";

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

export const COMPACT_MARKS = ["line", "bar", "area", "point", "circle", "square", "tick", "heatmap", "rect", "trail"] as const;
export type CompactMark = (typeof COMPACT_MARKS)[number];

/** The compact chart options. Field names may carry an Altair-style type suffix: `region:N`, `ts:T`, `n:Q`, `n:O`. */
export interface CompactChartSpec {
  mark: CompactMark;
  x: string;
  y: string;
  color?: string;
  size?: string;
  /** Extra fields shown on hover (the encoded ones always are). */
  tooltip?: string[];
  title?: string;
  width?: number;
  height?: number;
  /** Bars and areas stack by color by default; false draws them overlapping. */
  stack?: boolean;
}

export type VegaLiteSpec = Record<string, unknown>;

/** Anything chart() accepts: compact options, or a full vega-lite spec (its data is replaced). */
export type ChartSpecInput = CompactChartSpec | VegaLiteSpec;

const FULL_SPEC_KEYS = ["encoding", "layer", "hconcat", "vconcat", "concat", "facet", "repeat", "spec", "$schema"];

export function isFullVegaLiteSpec(spec: unknown): spec is VegaLiteSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return false;
  return FULL_SPEC_KEYS.some((k) => k in (spec));
}

type EncodingType = "quantitative" | "temporal" | "nominal" | "ordinal";
const TYPE_SUFFIX: Record<string, EncodingType> = { Q: "quantitative", T: "temporal", N: "nominal", O: "ordinal" };

/** `revenue:Q` -> name and explicit type. */
export function parseFieldShorthand(text: string): { name: string; type?: EncodingType } {
  const m = /^(.*):([QTNOqtno])$/.exec(text.trim());
  return m ? { name: m[1], type: TYPE_SUFFIX[m[2].toUpperCase()] } : { name: text.trim() };
}

/** A flattened name as a vega-lite field: dots and brackets escaped, so `window.start` is one field. */
export function vegaField(name: string): string {
  return name.replace(/([.[\]\\])/g, "\\$1");
}

function typeForKind(kind: FlatColumn["kind"] | undefined, channel: "x" | "y" | "color" | "size"): EncodingType {
  if (kind === "timestamp" || kind === "date") return "temporal";
  if (kind === "number") return "quantitative";
  if (kind === undefined || kind === "other") return channel === "color" ? "nominal" : "quantitative";
  return "nominal";
}

/** Check compact options; returns the one-line problem, or undefined when they are usable. */
export function validateCompactSpec(spec: Partial<CompactChartSpec>): string | undefined {
  if (!spec || typeof spec !== "object") return "a chart needs options such as {mark: \"line\", x: \"window.start\", y: \"revenue\"}";
  if (!spec.mark) return `a chart needs a mark: one of ${COMPACT_MARKS.join(", ")}`;
  if (!(COMPACT_MARKS as readonly string[]).includes(spec.mark)) return `unknown mark '${spec.mark}': use one of ${COMPACT_MARKS.join(", ")}`;
  if (!spec.x || typeof spec.x !== "string") return "a chart needs x: the field on the horizontal axis (e.g. x: \"window.start\")";
  if (!spec.y || typeof spec.y !== "string") return "a chart needs y: the field on the vertical axis (e.g. y: \"revenue\")";
  if (spec.mark === "heatmap" && !spec.color) return "a heatmap needs color: the value that colors each cell (e.g. color: \"count\")";
  return undefined;
}

/** Columns a chart can use, from the schema when known, else from the rows. */
export function chartColumns(schema: SchemaField[] | undefined, rows: Record<string, unknown>[]): FlatColumn[] {
  return schema && schema.length ? flattenSchema(schema) : inferColumns(rows);
}

/** A value as vega-lite data: timestamps as epoch milliseconds, bytes as text, bigints as numbers. */
function dataValue(value: unknown, kind: FlatColumn["kind"] | undefined): unknown {
  if (value === undefined) return null;
  if (kind === "timestamp") return toEpochMs(value);
  if (kind === "date" && typeof value === "number") return value * 86_400_000;
  if (value instanceof Date) return value.getTime();
  if (typeof value === "bigint") return Number(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value as Uint8Array).toString("utf8");
  return value;
}

/**
 * One label format for a time axis, from what the data needs: milliseconds when a time has them (sub-second
 * windows), seconds within a day, the date when the data spans days. vega's default mixes formats per tick
 * (".500 .500 .500 :38"), which reads badly for the windows a streaming chart shows.
 */
export function timeAxisFormat(values: unknown[]): string {
  const times = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (!times.length) return "%H:%M:%S";
  const min = Math.min(...times);
  const max = Math.max(...times);
  const clock = times.some((t) => t % 1000 !== 0) ? "%H:%M:%S.%L" : times.some((t) => t % 60_000 !== 0) ? "%H:%M:%S" : "%H:%M";
  if (max - min >= 86_400_000) return times.some((t) => t % 86_400_000 !== 0) ? `%Y-%m-%d ${clock}` : "%Y-%m-%d";
  return clock;
}

/** Nested rows with plain-JSON values, for full specs that address fields their own way. */
function plainValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "bigint") return Number(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value as Uint8Array).toString("utf8");
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
    return out;
  }
  return value === undefined ? null : value;
}

export interface BuiltChart {
  spec: VegaLiteSpec;
  /** Number of data points in the spec. */
  points: number;
}

/**
 * Build the vega-lite spec of a compact chart over rows. Field names are checked against the columns when
 * those are known (an unknown field throws a one-line error listing the columns).
 */
export function buildCompactSpec(options: CompactChartSpec, rows: Record<string, unknown>[], schema?: SchemaField[]): BuiltChart {
  const problem = validateCompactSpec(options);
  if (problem) throw new Error(problem);
  const columns = chartColumns(schema, rows);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const channels: { channel: "x" | "y" | "color" | "size"; text: string }[] = [
    { channel: "x", text: options.x },
    { channel: "y", text: options.y },
  ];
  if (options.color) channels.push({ channel: "color", text: options.color });
  if (options.size) channels.push({ channel: "size", text: options.size });
  const used = new Map<string, FlatColumn | undefined>();
  const encoding: Record<string, unknown> = {};
  const heatmap = options.mark === "heatmap";
  for (const { channel, text } of channels) {
    const { name, type } = parseFieldShorthand(text);
    const col = byName.get(name);
    if (!col && columns.length > 0) {
      throw new Error(`chart ${channel}: no column '${name}' in the result; columns are ${columns.map((c) => c.name).join(", ")}`);
    }
    used.set(name, col);
    let encType = type ?? typeForKind(col?.kind, channel);
    const enc: Record<string, unknown> = { field: vegaField(name), type: encType, title: name };
    if (heatmap && (channel === "x" || channel === "y")) {
      // A heatmap's cells are discrete: time becomes an ordinal time unit, numbers ordinal bins of their own.
      if (encType === "temporal") {
        enc.timeUnit = "yearmonthdatehoursminutesseconds";
        encType = "ordinal";
      } else if (encType === "quantitative") encType = "ordinal";
      enc.type = encType;
    }
    if (channel === "y" && (options.mark === "bar" || options.mark === "area") && options.stack === false) enc.stack = null;
    if (channel === "color" && heatmap && !type) enc.type = "quantitative";
    encoding[channel] = enc;
  }
  for (const extra of options.tooltip ?? []) {
    const { name } = parseFieldShorthand(extra);
    const col = byName.get(name);
    if (!col && columns.length > 0) throw new Error(`chart tooltip: no column '${name}' in the result; columns are ${columns.map((c) => c.name).join(", ")}`);
    used.set(name, col);
  }
  encoding.tooltip = [...used.entries()].map(([name, col]) => {
    const type = typeForKind(col?.kind, "color");
    return { field: vegaField(name), type, title: name, ...(type === "temporal" ? { format: "%Y-%m-%d %H:%M:%S" } : {}) };
  });
  const fields = [...used.entries()].map(([name, col]) => ({ name, col, path: col?.path ?? name.split(".") }));
  const values = rows.map((row) => {
    const point: Record<string, unknown> = {};
    for (const f of fields) {
      // Look the name up flat first: rows may already be flattened (`{"window.start": ...}`).
      const raw = f.name in row ? row[f.name] : getPath(row, f.path);
      point[f.name] = dataValue(raw, f.col?.kind);
    }
    return point;
  });
  if (!heatmap) {
    for (const { channel, text } of channels.slice(0, 2)) {
      const enc = encoding[channel] as Record<string, unknown>;
      if (enc.type !== "temporal") continue;
      const name = parseFieldShorthand(text).name;
      enc.axis = { format: timeAxisFormat(values.map((v) => v[name])), labelOverlap: true };
    }
  }
  const mark: Record<string, unknown> = { type: heatmap ? "rect" : options.mark, tooltip: true };
  if (options.mark === "line" || options.mark === "trail") mark.point = values.length <= 60;
  if (options.mark === "area") mark.opacity = 0.7;
  const spec: VegaLiteSpec = {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 480,
    height: options.height ?? 240,
    data: { values },
    mark,
    encoding,
  };
  return { spec, points: values.length };
}

/** Fill a full vega-lite spec with rows: its top-level data (or its named dataset) becomes the values. */
export function fillFullSpec(spec: VegaLiteSpec, rows: Record<string, unknown>[]): BuiltChart {
  const values = rows.map((r) => plainValue(r));
  const copy = JSON.parse(JSON.stringify(spec)) as VegaLiteSpec;
  if (!copy.$schema) copy.$schema = VEGA_LITE_SCHEMA;
  const data = copy.data as { name?: unknown } | undefined;
  if (data && typeof data.name === "string") {
    copy.datasets = { ...((copy.datasets) ?? {}), [data.name]: values };
  } else {
    copy.data = { values };
  }
  return { spec: copy, points: values.length };
}

export function buildChartSpec(input: ChartSpecInput, rows: Record<string, unknown>[], schema?: SchemaField[]): BuiltChart {
  return isFullVegaLiteSpec(input) ? fillFullSpec(input, rows) : buildCompactSpec(input, rows, schema);
}

/** One line for text/plain: what the chart shows. */
export function describeChart(input: ChartSpecInput, points: number): string {
  if (isFullVegaLiteSpec(input)) return `vega-lite chart: ${points} data point${points === 1 ? "" : "s"}`;
  const c = input;
  return `${c.mark} chart of ${c.y} by ${c.x}${c.color ? `, colored by ${c.color}` : ""}: ${points} point${points === 1 ? "" : "s"}`;
}

/** Compact options from string options (sink .option() values, magic flags). */
export function compactSpecFromOptions(options: Record<string, string | undefined>): CompactChartSpec {
  const num = (v: string | undefined) => (v === undefined || v === "" ? undefined : Number(v));
  const list = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : undefined);
  const spec: CompactChartSpec = {
    mark: (options.mark ?? "line") as CompactMark,
    x: options.x ?? "",
    y: options.y ?? "",
  };
  if (options.color) spec.color = options.color;
  if (options.size) spec.size = options.size;
  if (options.title) spec.title = options.title;
  const width = num(options.width);
  const height = num(options.height);
  if (width !== undefined && Number.isFinite(width)) spec.width = width;
  if (height !== undefined && Number.isFinite(height)) spec.height = height;
  const tooltip = list(options.tooltip);
  if (tooltip) spec.tooltip = tooltip;
  if (options.stack !== undefined) spec.stack = !/^(false|no|0|off)$/i.test(options.stack);
  return spec;
}
