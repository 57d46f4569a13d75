#!/usr/bin/env node
"use strict";
// The `streamlab` command: install, kernel, run, broker, datagen. The TypeScript sources compile to dist/.
let cli;
try {
  cli = require("../dist/kernel/cli.js");
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes("dist/kernel/cli.js")) {
    console.error("streamlab: not built yet: run `npm run build` in the streamlab folder");
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => { if (typeof code === "number") process.exitCode = code; },
  (err) => {
    console.error(`streamlab: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
