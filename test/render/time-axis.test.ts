// Time axes a person can read: sub-second windows labelled with their milliseconds, not vega's mixed
// ".500 .500 :38"; checked on the SVG vega actually draws.
import { describe, expect, it } from "vitest";
import { buildCompactSpec, timeAxisFormat } from "../../lib/render/spec";
import { renderSvg } from "../../lib/render/svg";

const at = (ms: number) => new Date(Date.UTC(2024, 0, 1, 12, 0, 0) + ms);

function tickLabels(svg: string): string[] {
  // vega draws axis labels as <text> elements inside the axis-label role group.
  const group = svg.split('role-axis-label').slice(1).join("");
  return [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe("time axis labels", () => {
  it("picks one format from what the data needs", () => {
    expect(timeAxisFormat([at(0).getTime(), at(500).getTime()])).toBe("%H:%M:%S.%L");
    expect(timeAxisFormat([at(0).getTime(), at(10_000).getTime()])).toBe("%H:%M:%S");
    expect(timeAxisFormat([at(0).getTime(), at(120_000).getTime()])).toBe("%H:%M");
    expect(timeAxisFormat([at(0).getTime(), at(3 * 86_400_000 + 1000).getTime()])).toBe("%Y-%m-%d %H:%M:%S");
    expect(timeAxisFormat([])).toBe("%H:%M:%S");
  });

  it("labels half-second windows with their milliseconds in the drawn SVG", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ window: { start: at(i * 500), end: at(i * 500 + 500) }, n: i }));
    const schema = [{ name: "window", type: "struct<start:timestamp,end:timestamp>" }, { name: "n", type: "bigint" }];
    const { spec } = buildCompactSpec({ mark: "line", x: "window.start", y: "n" }, rows, schema as never);
    const labels = tickLabels(await renderSvg(spec));
    const times = labels.filter((l) => /:/.test(l));
    expect(times.length).toBeGreaterThan(2);
    for (const l of times) expect(l).toMatch(/^12:00:0\d\.\d{3}$/);
    expect(labels.some((l) => /^\.\d{3}$/.test(l))).toBe(false);
  });
});
