/**
 * What a cell produces and where it goes: the contracts between the Session (session.ts), its parts (output,
 * results, scope, magic bridge) and the two hosts (the Jupyter server and the headless runner). Types only.
 */

export type MimeBundle = Record<string, unknown>;

export type StreamName = "stdout" | "stderr";

/** Where one cell's outputs go. The kernel sends IOPub messages; the runner records notebook outputs. */
export interface CellSink {
  stream(name: StreamName, text: string): void;
  display(bundle: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void;
  /** Replace every output carrying displayId (update_display_data), wherever it is. */
  update(displayId: string, bundle: MimeBundle, metadata: Record<string, unknown>): void;
  result(executionCount: number, bundle: MimeBundle, metadata: Record<string, unknown>): void;
  error(ename: string, evalue: string, traceback: string[]): void;
  /** Ask the person at the frontend for a line of text; absent when nobody can answer (`streamlab run`). */
  prompt?: (text: string, options: { secret: boolean }) => Promise<string>;
}

export interface ExecuteOptions {
  /** Run without an execution count (silent requests, the hidden prelude). */
  countless?: boolean;
  /** Checked when the cell's turn comes: true skips it (stop_on_error after an earlier failure). */
  shouldAbort?: () => boolean;
  /** Called with the execution count just before the code runs. */
  onStart?: (executionCount: number) => void;
}

export interface ExecuteOutcome {
  status: "ok" | "error" | "aborted";
  executionCount: number;
  /** For status "error": the error's name and message (one line). */
  ename?: string;
  evalue?: string;
  /** The cell was `exit` or `quit` alone (as typed in `jupyter console`): the host should shut down. */
  exitRequested?: boolean;
}

/** Runs code in the notebook's scope; what scope.ts and the magic bridge need from the Session. */
export interface CodeRunner {
  execute(code: string, sink: CellSink, options?: ExecuteOptions): Promise<ExecuteOutcome>;
}

/** A sink that only logs (the hidden prelude, declarations of magic variables). */
export function loggingSink(log: (line: string) => void): CellSink {
  return {
    stream: (_name, text) => log(text.trimEnd()),
    display: () => undefined,
    update: () => undefined,
    result: () => undefined,
    error: (ename, evalue) => log(`${ename}: ${evalue}`),
  };
}
