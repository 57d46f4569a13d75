/**
 * The contents of the Jupyter messages the kernel reads and sends (messaging spec 5.3), typed. wire.ts
 * frames and signs them; server.ts handles them.
 * https://jupyter-client.readthedocs.io/en/latest/messaging.html
 */
import type { MimeBundle, StreamName } from "./cell";

export interface HelpLink {
  text: string;
  url: string;
}

export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  codemirror_mode: string | Record<string, unknown>;
  pygments_lexer?: string;
}

export interface KernelInfoReply {
  status: "ok";
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: LanguageInfo;
  banner: string;
  help_links: HelpLink[];
  debugger: boolean;
}

export interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
  user_expressions?: Record<string, string>;
}

/** A payload asking the frontend to exit (IPython's `exit`; `jupyter console` quits on it). */
export interface AskExitPayload {
  source: "ask_exit";
  keepkernel: boolean;
}

export type ExecuteReply =
  | { status: "ok"; execution_count: number; payload: AskExitPayload[]; user_expressions: Record<string, unknown> }
  | { status: "error"; execution_count: number; ename: string; evalue: string; traceback: string[] }
  | { status: "aborted"; execution_count: number };

export interface CompleteRequest {
  code: string;
  cursor_pos: number;
}

export interface CompleteReply {
  status: "ok";
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: { _jupyter_types_experimental?: { start: number; end: number; text: string; type: string }[] };
}

export interface InspectRequest {
  code: string;
  cursor_pos: number;
  detail_level?: 0 | 1;
}

export interface InspectReply {
  status: "ok";
  found: boolean;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface IsCompleteRequest {
  code: string;
}

export type IsCompleteReply = { status: "complete" } | { status: "incomplete"; indent: string } | { status: "invalid" } | { status: "unknown" };

export interface HistoryRequest {
  output?: boolean;
  raw?: boolean;
  hist_access_type: "range" | "tail" | "search";
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** [session, line, input] or, with output requested, [session, line, [input, output]]. */
export type HistoryItem = [number, number, string] | [number, number, [string, string | null]];

export interface HistoryReply {
  status: "ok";
  history: HistoryItem[];
}

export interface CommInfoRequest {
  target_name?: string;
}

export interface CommInfoReply {
  status: "ok";
  comms: Record<string, { target_name: string }>;
}

export interface CommOpen {
  comm_id: string;
  target_name: string;
  data: Record<string, unknown>;
}

export interface CommClose {
  comm_id: string;
  data: Record<string, unknown>;
}

export interface ShutdownRequest {
  restart: boolean;
}

export interface ShutdownReply {
  status: "ok";
  restart: boolean;
}

export interface InterruptReply {
  status: "ok";
}

export interface InputRequest {
  prompt: string;
  password: boolean;
}

export interface InputReply {
  value: string;
}

export interface StatusContent {
  execution_state: "busy" | "idle" | "starting";
}

export interface StreamContent {
  name: StreamName;
  text: string;
}

export interface DisplayDataContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export interface ExecuteInputContent {
  code: string;
  execution_count: number;
}

export interface ExecuteResultContent {
  execution_count: number;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** IOPub message types and their contents. */
export interface IOPubContents {
  status: StatusContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: DisplayDataContent;
  execute_input: ExecuteInputContent;
  execute_result: ExecuteResultContent;
  error: ErrorContent;
  comm_close: CommClose;
}

/** Shell and control replies and their contents. */
export interface ReplyContents {
  kernel_info_reply: KernelInfoReply;
  execute_reply: ExecuteReply;
  complete_reply: CompleteReply;
  inspect_reply: InspectReply;
  is_complete_reply: IsCompleteReply;
  history_reply: HistoryReply;
  comm_info_reply: CommInfoReply;
  shutdown_reply: ShutdownReply;
  interrupt_reply: InterruptReply;
}

/** A request's content read defensively: a field of the wrong type is absent. */
export function field<T extends "string" | "number" | "boolean">(content: Record<string, unknown>, name: string, type: T): (T extends "string" ? string : T extends "number" ? number : boolean) | undefined {
  const value = content[name];
  return typeof value === type ? (value as T extends "string" ? string : T extends "number" ? number : boolean) : undefined;
}

/** The entries of history_request, from the session's executed cells (session number 1: this run). */
export function historyItems(cells: readonly { count: number; code: string }[], request: Partial<HistoryRequest>, sessionNumber = 1): HistoryItem[] {
  const item = (c: { count: number; code: string }): HistoryItem => (request.output ? [sessionNumber, c.count, [c.code, null]] : [sessionNumber, c.count, c.code]);
  const n = typeof request.n === "number" && request.n >= 0 ? request.n : 10;
  switch (request.hist_access_type) {
    case "tail":
      return n === 0 ? [] : cells.slice(-n).map(item);
    case "range": {
      // session 0 (or this one) is the current session; earlier sessions are not stored.
      if (request.session !== undefined && request.session !== 0 && request.session !== sessionNumber) return [];
      const start = request.start ?? 1;
      const stop = request.stop ?? Number.MAX_SAFE_INTEGER;
      return cells.filter((c) => c.count >= start && c.count < stop).map(item);
    }
    case "search": {
      // IPython's glob: * and ? wildcards, matched against the whole input.
      const pattern = request.pattern ?? "*";
      const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]")}$`);
      let found = cells.filter((c) => regex.test(c.code));
      if (request.unique) {
        const seen = new Set<string>();
        found = found.reverse().filter((c) => !seen.has(c.code) && (seen.add(c.code), true)).reverse();
      }
      return (n === 0 ? found : found.slice(-n)).map(item);
    }
    default:
      return [];
  }
}
