/**
 * Notebook 7 (from PyPI, in the test venv; built on JupyterLab) in headless Chromium: the same notebook and checks
 * as jupyterlab.test.ts, and the saved notebook reopened trusted and untrusted in Notebook 7.
 * Screenshots in test-output/frontends/notebook-*.png. Needs the compiled kernel (npm run build).
 */
import { describe } from "vitest";
import { tool } from "../support/tools";
import { frontendSuite } from "./scenario";

describe.runIf(tool("notebook7") && tool("chromium"))("Notebook 7", () => {
  frontendSuite("notebook", "Notebook 7");
});
