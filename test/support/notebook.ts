/** A notebook file (.ipynb JSON) with streamlab's kernelspec and these code cells, for the browser suites. */
export function notebookJson(cells: string[]): string {
  return JSON.stringify(
    {
      cells: cells.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
      metadata: {
        kernelspec: { display_name: "TypeScript (streamlab)", language: "typescript", name: "streamlab" },
        language_info: { name: "typescript" },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}
