/** nbformat 4 notebooks: just the parts the headless runner reads and writes. */
import * as fs from "node:fs";

export type MultilineString = string | string[];

export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: "stdout" | "stderr";
  text?: MultilineString;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  id?: string;
  attachments?: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

export function joinSource(source: MultilineString | undefined): string {
  if (source === undefined) return "";
  return Array.isArray(source) ? source.join("") : source;
}

export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`run: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(text) as Notebook;
  } catch (err) {
    throw new Error(`run: ${file} is not a notebook (invalid JSON: ${(err as Error).message})`);
  }
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells)) {
    throw new Error(`run: ${file} is not an nbformat 4 notebook (no cells list)`);
  }
  if (nb.nbformat !== 4) throw new Error(`run: ${file} is nbformat ${nb.nbformat}; convert it to nbformat 4 (jupyter nbconvert --to notebook)`);
  return nb;
}

/** Split text the way Jupyter stores it: a list of lines, each keeping its newline. */
export function toLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.filter((l) => l.length > 0);
}
