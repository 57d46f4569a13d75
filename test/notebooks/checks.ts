/**
 * What each example notebook must show when it ran, beyond "no errors": the content a reader of the notebook
 * is promised in its markdown. Applied to the outputs of both `streamlab run` and `jupyter nbconvert --execute`.
 */
import { expect } from "vitest";
import { allText, type Notebook } from "./support";

export const EXPECTED_NOTEBOOKS = [
  "01-quickstart.ipynb",
  "02-datagen-tour.ipynb",
  "03-windows-and-watermarks.ipynb",
  "04-live-dashboard.ipynb",
  "05-pipeline-to-topic.ipynb",
  "06-bad-data.ipynb",
  "07-real-kafka.ipynb",
];

type Check = (nb: Notebook, text: string) => void;

/** Rows of a text table that hold all these cells in order (ignoring the column padding). */
function hasRow(text: string, ...cells: (string | number)[]): boolean {
  const pattern = cells.map((c) => String(c).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s|]+");
  return new RegExp(`(^|[\\s|])${pattern}([\\s|]|$)`, "m").test(text);
}

export const CHECKS: Record<string, Check> = {
  "01-quickstart.ipynb": (_nb, text) => {
    expect(text).toMatch(/sent 5 messages to test_topic/);
    // The console sink's first batch and the live table hold the produced records, parsed into columns.
    expect(text).toContain("Batch: 0");
    for (const [key, value] of [["alice", 1], ["bob", 2], ["carol", 3], ["alice", 4], ["bob", 5], ["dave", 6], ["erin", 7]] as const) {
      expect(hasRow(text, key, value), `a table row ${key} | ${value}`).toBe(true);
    }
    expect(text).toMatch(/query: quickstart_records \| state: stopped/);
    expect(text).toContain("7 of 7 rows");
    // Running totals per key (complete mode, memory sink).
    expect(hasRow(text, "alice", 5, 2)).toBe(true);
    expect(hasRow(text, "bob", 7, 2)).toBe(true);
    // The consumer group read everything, then only what came after its committed offsets.
    expect(text).toMatch(/quickstart-readers\s+\S+\s+\d+\s+test_topic\s+0/);
    expect(text).toMatch(/test_topic: 1 read/);
  },
};

export function checkContent(name: string, nb: Notebook): void {
  const check = CHECKS[name];
  expect(check, `test/notebooks/checks.ts has content checks for ${name}`).toBeDefined();
  check!(nb, allText(nb));
}
