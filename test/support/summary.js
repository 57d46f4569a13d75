#!/usr/bin/env node
"use strict";
// Prints the plain closing line `tests: N passed, N failed, N skipped` from vitest's JSON report, so a CI log
// says in one line what ran. Exits 1 when the report is missing or counts no test at all.
const fs = require("node:fs");
const path = require("node:path");

const file = path.join(__dirname, "..", "..", "test-output", "vitest.json");
if (!fs.existsSync(file)) {
  console.log("tests: no report at test-output/vitest.json (did vitest run?)");
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, "utf8"));
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(passed + failed === 0 ? 1 : 0);
