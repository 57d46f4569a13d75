export async function runNotebookCommand(argv: string[]): Promise<number> { void argv; throw new Error("run: not implemented yet"); }
