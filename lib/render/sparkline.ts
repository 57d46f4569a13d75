/**
 * A small input-rate vs processing-rate chart per query for %streams and display(query): hand-built SVG
 * (a few polylines), because a dashboard refreshes every query every second and vega would cost far more.
 */
import { escapeHtml } from "../core";

export interface RateSeries {
  label: string;
  color: string;
  values: (number | undefined)[];
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

/** An SVG of one or more series over the same x (batches), y from 0 to the largest value. */
export function sparklineSvg(series: RateSeries[], width = 220, height = 56): string {
  const pad = { left: 2, right: 2, top: 12, bottom: 2 };
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => typeof v === "number" && Number.isFinite(v))));
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  const y = (v: number) => pad.top + h - (max > 0 ? (v / max) * h : 0);
  const lines = series.map((s) => {
    const pts = s.values
      .map((v, i) => (typeof v === "number" && Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p): p is string => p !== null);
    if (pts.length === 0) return "";
    if (pts.length === 1) {
      const [px, py] = pts[0].split(",");
      return `<circle class="mark" cx="${px}" cy="${py}" r="2" fill="${s.color}"/>`;
    }
    return `<polyline class="mark" fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.join(" ")}"/>`;
  });
  // Labels side by side, each as wide as its text (about 5 px a character at 9 px), the max on the right.
  let at = pad.left;
  const legend = series
    .map((s) => {
      const text = `<text x="${at}" y="9" font-size="9" font-family="sans-serif" fill="${s.color}">${escapeHtml(s.label)}</text>`;
      at += s.label.length * 5 + 8;
      return text;
    })
    .join("");
  const maxLabel = `<text x="${width - pad.right}" y="9" font-size="9" font-family="sans-serif" fill="#57606a" text-anchor="end">max ${compact(max)} rows/s</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="streamlab-sparkline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>` +
    `<line x1="${pad.left}" y1="${pad.top + h}" x2="${width - pad.right}" y2="${pad.top + h}" stroke="#d0d7de"/>` +
    legend + maxLabel + lines.join("") + `</svg>`
  );
}

export const INPUT_COLOR = "#0969da";
export const PROCESSED_COLOR = "#bc4c00";

/** The rates chart of a query from its recent progress reports. */
export function rateSparkline(progress: { inputRowsPerSecond?: number; processedRowsPerSecond?: number }[], width?: number, height?: number): string {
  const recent = progress.slice(-60);
  return sparklineSvg(
    [
      { label: "input", color: INPUT_COLOR, values: recent.map((p) => p.inputRowsPerSecond) },
      { label: "processed", color: PROCESSED_COLOR, values: recent.map((p) => p.processedRowsPerSecond) },
    ],
    width,
    height,
  );
}
