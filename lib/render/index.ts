/**
 * Live tables and charts: display(), chart(), the "display" and "chart" sink formats, and the %display,
 * %chart, %streams and %stop magics (`registerRenderMagics()`, called by lib/index.ts).
 */
import { ensureSinksRegistered } from "./peers";

export { display, chart, startDisplay, startChart, type DisplayOptions, type ChartOptions } from "./api";
export { LiveTable, LiveChart, LiveQueryStatus, LiveDisplay, type TableDisplayOptions, type ChartDisplayOptions, type SvgPolicy } from "./live";
export { StreamsDashboard } from "./dashboard";
export { buildHtmlTable, buildTextTable, parseSort, type DisplayStatus } from "./table";
export { buildChartSpec, buildCompactSpec, type CompactChartSpec, type ChartSpecInput, type VegaLiteSpec } from "./spec";
export { renderSvg } from "./svg";
export { ThrottledUpdater } from "./throttle";
export { registerRenderSinks, createDisplaySink, createChartSink } from "./sinks";
export { registerRenderMagics } from "./magics";

// df.writeStream.format("display") and format("chart") work as soon as streamlab is loaded.
ensureSinksRegistered();
