/**
 * The Python virtual environment that test/setup/install.sh builds from test/setup/requirements-*.txt
 * (pip packages the tests need beyond Debian's: newer Kafka clients, pyspark, JupyterLab, ...).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** install.sh links this checkout's venv here (the venv itself lives in ~/.cache/streamlab, by content hash). */
export const VENV_DIR = join(__dirname, "..", "..", ".streamlab", "venv");

/** The venv's python, or undefined when install.sh has not built it. */
export function venvPython(): string | undefined {
  const py = join(VENV_DIR, "bin", "python");
  return existsSync(py) ? py : undefined;
}
