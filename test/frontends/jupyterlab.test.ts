/**
 * JupyterLab 4 (from PyPI, in the test venv) in headless Chromium: README's first notebook run cell by cell,
 * live table and vega-lite chart, %streams, %stop, errors, completion and inspection, then the saved notebook
 * reopened trusted and untrusted and rendered by nbconvert. Screenshots in test-output/frontends/lab-*.png.
 * Needs the compiled kernel (npm run build; `npm test` builds first).
 */
import { describe } from "vitest";
import { tool } from "../support/tools";
import { frontendSuite } from "./scenario";

describe.runIf(tool("jupyterlab") && tool("chromium"))("JupyterLab 4", () => {
  frontendSuite("lab", "JupyterLab 4", { nbconvert: true });
});
