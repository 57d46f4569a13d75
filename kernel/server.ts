/**
 * The Jupyter kernel: tslab's ZmqServer (sockets, bind, heartbeat) with streamlab's message handling on top.
 * We replace its per-message handler because published tslab throws on a bad signature, malformed JSON or a
 * missing delimiter (an unhandled rejection), has no interrupt_request, and only sends stream/display output.
 */
import * as fs from "node:fs";
import { ZmqServer } from "tslab/dist/jupyter";
import { printQuickInfo } from "tslab/dist/inspect";
import type { CellSink, StreamName } from "./cell";
import { isComplete } from "./completion";
import { describeError, errorText } from "./errors";
import { runShutdownHooks } from "../lib/core/lifecycle";
import {
  field,
  historyItems,
  type CommInfoReply,
  type CompleteReply,
  type HistoryRequest,
  type InspectReply,
  type IOPubContents,
  type IsCompleteReply,
  type KernelInfoReply,
  type ReplyContents,
} from "./messages";
import { captureProcessOutput, StreamCoalescer } from "./output";
import { Session } from "./session";
import { typescript } from "./typescript";
import { makeMessage, parseFrames, serialize, type JupyterMessage } from "./wire";

type Socket = { send(frames: Buffer[]): Promise<void> };

/** Kernel diagnostics go to the real stderr (Jupyter's log), never into a cell. */
const originalStderrWrite = process.stderr.write.bind(process.stderr);
export function kernelLog(line: string): void {
  originalStderrWrite(`[streamlab kernel] ${line}\n`);
}

function packageVersion(root: string): string {
  try {
    return (JSON.parse(fs.readFileSync(`${root}/package.json`, "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export class StreamlabServer extends ZmqServer {
  readonly session: Session;
  private readonly sendChains = new Map<unknown, { promise: Promise<void> }>();
  private arrivals = 0;
  /** Execute requests that arrived before a failure finished are aborted (stop_on_error), as ipykernel does. */
  private abortThrough = 0;
  private shuttingDown = false;
  private closedSockets = false;
  /** Stream output per request, sent as few bounded messages (see output.ts). */
  private readonly streams = new StreamCoalescer<JupyterMessage>((parent, name, text) => this.sendIOPub(parent, "stream", { name, text }));

  constructor(session: Session, connectionFile: string) {
    // The handler is only used by ZmqServer.close(); every message is dispatched by handleShellMessage below.
    const handler = { close: () => session.close() } as unknown as ConstructorParameters<typeof ZmqServer>[0];
    super(handler, connectionFile);
    this.session = session;
    // Past the high-water mark a PUB socket drops messages silently, status messages included (a kernel that
    // stays "busy" forever). With noDrop a send waits instead; send() below queues sends in order. Set before
    // bind (tslab's bindSocket is private, so the instance's is wrapped).
    const self = this as unknown as { bindSocket: (sock: unknown, port: number) => Promise<void> };
    const bind = self.bindSocket.bind(this);
    self.bindSocket = (sock, port) => {
      if (sock === this.iopub) (sock as { noDrop: boolean }).noDrop = true;
      return bind(sock, port);
    };
  }

  /** The input_request waiting for its input_reply on the stdin channel, if any (one at a time, as in ipykernel). */
  private pendingInput?: { resolve: (value: string) => void; reject: (err: Error) => void };

  /** Read input_reply messages from the stdin channel (tslab binds that socket but never reads it). */
  override async init(): Promise<void> {
    await super.init();
    void (async () => {
      try {
        for await (const frames of this.stdin as unknown as AsyncIterable<Buffer[]>) {
          const parsed = parseFrames(frames, this.key, this.scheme);
          if (!parsed.ok) {
            kernelLog(`dropped a message on the stdin channel: ${parsed.reason}`);
            continue;
          }
          const pending = this.pendingInput;
          if (parsed.message.header.msg_type !== "input_reply" || !pending) continue;
          this.pendingInput = undefined;
          pending.resolve(field(parsed.message.content, "value", "string") ?? "");
        }
      } catch (err) {
        if (!this.closedSockets) kernelLog(`the stdin channel failed: ${(err as Error).message}`);
      }
    })();
  }

  /** An interrupted cell stops waiting for its input_reply; a later prompt may ask again. */
  cancelInput(): void {
    const pending = this.pendingInput;
    this.pendingInput = undefined;
    pending?.reject(new Error("interrupted while waiting for input"));
  }

  /** Ask the frontend for a line of input (password: true hides it as it is typed); the value is never logged. */
  private requestInput(request: JupyterMessage, prompt: string, password: boolean): Promise<string> {
    if (this.pendingInput) return Promise.reject(new Error("another input request is still waiting for an answer"));
    return new Promise<string>((resolve, reject) => {
      this.pendingInput = { resolve, reject };
      this.send(this.stdin, makeMessage(request, "input_request", { prompt, password }));
    });
  }

  private get key(): string {
    return this.connInfo.key ?? "";
  }

  private get scheme(): string {
    return this.connInfo.signature_scheme || "hmac-sha256";
  }

  /**
   * Sends on one socket are serialized (zeromq allows one pending send per socket). When the socket is idle the
   * send starts synchronously, so a message is on the wire before a cell's code can block the event loop.
   */
  send(sock: unknown, message: JupyterMessage): void {
    if (this.closedSockets) return;
    const frames = serialize(message, this.key, this.scheme);
    const fail = (err: Error) => kernelLog(`could not send ${message.header.msg_type}: ${err.message}`);
    const chain = this.sendChains.get(sock);
    let next: Promise<void>;
    if (!chain) {
      try {
        next = (sock as Socket).send(frames).catch(fail);
      } catch (err) {
        fail(err as Error);
        return;
      }
    } else {
      next = chain.promise.then(() => (this.closedSockets ? undefined : (sock as Socket).send(frames))).catch(fail);
    }
    const entry = { promise: next };
    this.sendChains.set(sock, entry);
    void next.then(() => {
      if (this.sendChains.get(sock) === entry) this.sendChains.delete(sock);
    });
  }

  private sendIOPub<T extends keyof IOPubContents>(parent: JupyterMessage | undefined, msgType: T, content: IOPubContents[T]): void {
    this.send(this.iopub, makeMessage(parent, msgType, { ...content }, { identities: [Buffer.from(`kernel.${msgType}`)] }));
  }

  /** Any IOPub message but stream output: pending stream text goes first, so the order is the order of events. */
  private iopubSend<T extends keyof IOPubContents>(parent: JupyterMessage | undefined, msgType: T, content: IOPubContents[T]): void {
    this.streams.flush();
    this.sendIOPub(parent, msgType, content);
  }

  private stream(parent: JupyterMessage, name: StreamName, text: string): void {
    this.streams.write(parent, name, text);
  }

  private reply<T extends keyof ReplyContents>(sock: unknown, request: JupyterMessage, msgType: T, content: ReplyContents[T], metadata?: Record<string, unknown>): void {
    this.send(sock, makeMessage(request, msgType, { ...content }, { metadata }));
  }

  private status(state: "busy" | "idle" | "starting", parent?: JupyterMessage): void {
    this.iopubSend(parent, "status", { execution_state: state });
  }

  /** Replaces tslab's handler: never throws, never rejects; bad input is logged and dropped. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async handleShellMessage(sock: any, ...frames: Buffer[]): Promise<void> {
    try {
      const parsed = parseFrames(frames, this.key, this.scheme);
      if (!parsed.ok) {
        kernelLog(`dropped a message on the ${sock === this.control ? "control" : "shell"} channel: ${parsed.reason}`);
        return;
      }
      await this.dispatch(sock, parsed.message);
    } catch (err) {
      kernelLog(`error while handling a message: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private async dispatch(sock: unknown, msg: JupyterMessage): Promise<void> {
    const type = msg.header.msg_type;
    this.status("busy", msg);
    let idleSent = false;
    try {
      switch (type) {
        case "kernel_info_request":
          this.reply(sock, msg, "kernel_info_reply", this.kernelInfo());
          break;
        case "execute_request":
          // Idle goes out just before the reply, so every IOPub message of the cell is already queued when a
          // client reads the reply (jupyter_kernel_test polls IOPub for only 0.1 s after it; on a loaded
          // machine an idle sent after the reply can miss that window). Clients wait for both, in any order.
          await this.handleExecuteRequest(sock, msg, () => {
            this.status("idle", msg);
            idleSent = true;
          });
          break;
        case "is_complete_request":
          this.reply(sock, msg, "is_complete_reply", this.isComplete(field(msg.content, "code", "string") ?? ""));
          break;
        case "complete_request": {
          const code = field(msg.content, "code", "string") ?? "";
          this.reply(sock, msg, "complete_reply", this.complete(code, field(msg.content, "cursor_pos", "number") ?? code.length));
          break;
        }
        case "inspect_request": {
          const code = field(msg.content, "code", "string") ?? "";
          this.reply(sock, msg, "inspect_reply", this.inspect(code, field(msg.content, "cursor_pos", "number") ?? code.length));
          break;
        }
        case "history_request":
          this.reply(sock, msg, "history_reply", { status: "ok", history: historyItems(this.session.history(), msg.content as Partial<HistoryRequest>) });
          break;
        case "comm_info_request":
          // No comm targets: streamlab's live views are plain mime bundles updated by display_id.
          this.reply(sock, msg, "comm_info_reply", { status: "ok", comms: {} } satisfies CommInfoReply);
          break;
        case "comm_open": {
          // As ipykernel does for a target nobody registered: close the comm at once, so the frontend stops waiting.
          const commId = field(msg.content, "comm_id", "string");
          kernelLog(`comm_open for unknown target ${String(msg.content.target_name)}: closed`);
          if (commId) this.iopubSend(msg, "comm_close", { comm_id: commId, data: {} });
          break;
        }
        case "comm_msg":
        case "comm_close":
          break;
        case "interrupt_request":
          kernelLog("interrupt requested over the control channel");
          this.cancelInput();
          this.session.interrupt();
          this.reply(sock, msg, "interrupt_reply", { status: "ok" });
          break;
        case "shutdown_request": {
          const restart = msg.content.restart === true;
          this.reply(sock, msg, "shutdown_reply", { status: "ok", restart });
          this.status("idle", msg);
          await this.shutdown(restart ? "restart requested" : "shutdown requested");
          return;
        }
        default:
          kernelLog(`ignored a ${type} message (not supported)`);
      }
    } finally {
      if (!idleSent) this.status("idle", msg);
    }
  }

  kernelInfo(): KernelInfoReply {
    return {
      status: "ok",
      protocol_version: "5.3",
      implementation: "streamlab",
      implementation_version: packageVersion(this.session.root),
      language_info: {
        name: "typescript",
        version: typescript().version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        pygments_lexer: "typescript",
        // Makes both JupyterLab and classic Notebook highlight TypeScript (tslab's finding, issue #18 there).
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner: `streamlab ${packageVersion(this.session.root)}: TypeScript for streaming data (tslab, Node ${process.version}). %lsmagic lists the magics.`,
      help_links: [
        { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
        { text: "tslab", url: "https://github.com/yunabe/tslab" },
        { text: "Node.js API", url: "https://nodejs.org/api/" },
      ],
      // No debug_request support: frontends (VS Code, JupyterLab) then hide their debugger instead of failing.
      debugger: false,
    };
  }

  private isComplete(code: string): IsCompleteReply {
    try {
      return isComplete(code);
    } catch (err) {
      kernelLog(`is_complete failed: ${errorText(err)}`);
      return { status: "unknown" };
    }
  }

  private complete(code: string, cursor: number): CompleteReply {
    try {
      const info = this.session.completer.complete(code, cursor);
      return { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: { _jupyter_types_experimental: info.types } };
    } catch (err) {
      kernelLog(`completion failed: ${errorText(err)}`);
      return { status: "ok", matches: [], cursor_start: cursor, cursor_end: cursor, metadata: {} };
    }
  }

  private inspect(code: string, cursor: number): InspectReply {
    try {
      const help = this.session.completer.magicHelpAt(code, cursor);
      if (help) return { status: "ok", found: true, data: { "text/plain": help }, metadata: {} };
      const info = this.session.completer.inspect(code, cursor);
      if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
      const text = printQuickInfo(info as Parameters<typeof printQuickInfo>[0]);
      return { status: "ok", found: true, data: { "text/plain": text, "text/markdown": "```typescript\n" + text + "\n```" }, metadata: {} };
    } catch (err) {
      kernelLog(`inspection failed: ${errorText(err)}`);
      return { status: "ok", found: false, data: {}, metadata: {} };
    }
  }

  /** Outputs of one execute request: IOPub messages parented to it, also after it finished. */
  private sinkFor(request: JupyterMessage): CellSink {
    return {
      stream: (name, text) => this.stream(request, name, text),
      display: (data, metadata, displayId) =>
        this.iopubSend(request, "display_data", { data, metadata, transient: displayId ? { display_id: displayId } : {} }),
      update: (displayId, data, metadata) =>
        this.iopubSend(request, "update_display_data", { data, metadata, transient: { display_id: displayId } }),
      result: (executionCount, data, metadata) => this.iopubSend(request, "execute_result", { execution_count: executionCount, data, metadata }),
      error: (ename, evalue, traceback) => this.iopubSend(request, "error", { ename, evalue, traceback }),
      // Only frontends that said they can answer (allow_stdin) get asked; others make the magic say what to do.
      prompt: request.content.allow_stdin === true ? (text, options) => this.requestInput(request, text, options.secret) : undefined,
    };
  }

  private async handleExecuteRequest(sock: unknown, msg: JupyterMessage, beforeReply: () => void): Promise<void> {
    const arrival = ++this.arrivals;
    const code = field(msg.content, "code", "string") ?? "";
    const silent = msg.content.silent === true;
    // store_history false (VS Code's own requests) neither counts nor enters history, as in IPython.
    const countless = silent || msg.content.store_history === false;
    const stopOnError = msg.content.stop_on_error !== false;
    const sink = this.sinkFor(msg);
    const outcome = await this.session.execute(code, sink, {
      countless,
      shouldAbort: () => stopOnError && arrival <= this.abortThrough,
      onStart: (count) => {
        if (!silent) this.iopubSend(msg, "execute_input", { code, execution_count: count });
      },
    });
    beforeReply();
    if (outcome.status === "aborted") {
      this.reply(sock, msg, "execute_reply", { status: "aborted", execution_count: outcome.executionCount }, { status: "aborted" });
      return;
    }
    if (outcome.status === "error") {
      if (stopOnError) this.abortThrough = this.arrivals;
      this.reply(
        sock,
        msg,
        "execute_reply",
        { status: "error", execution_count: outcome.executionCount, ename: outcome.ename ?? "Error", evalue: outcome.evalue ?? "", traceback: [] },
        { status: "error" },
      );
      return;
    }
    if (outcome.exitRequested) {
      // As IPython's `exit`: `jupyter console` quits on the ask_exit payload; the kernel shuts down cleanly.
      this.reply(sock, msg, "execute_reply", { status: "ok", execution_count: outcome.executionCount, payload: [{ source: "ask_exit", keepkernel: false }], user_expressions: {} }, { status: "ok" });
      void this.shutdown("exit requested in a cell");
      return;
    }
    this.reply(sock, msg, "execute_reply", { status: "ok", execution_count: outcome.executionCount, payload: [], user_expressions: {} }, { status: "ok" });
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stop background work, close sockets, exit. The embedded broker is detached and keeps running. */
  async shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    kernelLog(`shutting down: ${reason}`);
    const force = setTimeout(() => {
      kernelLog("shutdown took too long; exiting now");
      process.exit(0);
    }, 15_000);
    force.unref();
    // Jupyter waits about 5 s for a kernel to exit after shutdown_request before it signals it: stay within.
    await runShutdownHooks(4000, kernelLog);
    this.streams.close();
    // Let the replies already queued reach the client before the sockets close.
    await Promise.race([Promise.all([...this.sendChains.values()].map((c) => c.promise)), new Promise((r) => setTimeout(r, 1000))]);
    this.closedSockets = true;
    try {
      this.close();
    } catch (err) {
      kernelLog(`closing sockets: ${(err as Error).message}`);
    }
    // Kafka clients and timers of background work must not keep a dead kernel alive.
    setTimeout(() => process.exit(0), 50).unref();
  }
}

/**
 * Shut down when the process that started us (the Jupyter server, `jupyter console`, a test) dies, as
 * ipykernel's ParentPollerUnix does: the parent's death re-parents us (to init or a subreaper), so the
 * parent pid changes.
 */
export function watchParent(onDeath: (reason: string) => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onDeath(`parent process ${parent} exited`);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** `streamlab kernel CONNECTION_FILE`. */
export async function startKernel(connectionFile: string): Promise<StreamlabServer> {
  if (!fs.existsSync(connectionFile)) throw new Error(`kernel: connection file ${connectionFile} does not exist`);
  const started: { server?: StreamlabServer } = {};
  // Work started by a cell may fail long after the cell finished: report it, never die of it.
  process.on("unhandledRejection", (reason) => {
    const d = describeError(reason);
    // tslab's receive loops end with this when shutdown closes their sockets: expected, not an error.
    if (started.server?.isShuttingDown && d.evalue === "Socket is closed") return;
    kernelLog(`unhandled rejection in background work: ${d.ename}: ${d.evalue}`);
    started.server?.session.writeStream("stderr", `background error: ${d.ename}: ${d.evalue}\n`);
  });
  process.on("uncaughtException", (err) => {
    const d = describeError(err);
    kernelLog(`uncaught exception in background work: ${d.traceback.join("\n")}`);
    started.server?.session.writeStream("stderr", `background error: ${d.ename}: ${d.evalue}\n`);
  });
  const session = new Session({ log: kernelLog });
  await session.init();
  const s = new StreamlabServer(session, connectionFile);
  started.server = s;
  // Output written with console.log or process.stdout goes to the cell that owns the work (or the last one);
  // kernelLog keeps writing to the real stderr.
  captureProcessOutput((name, text) => s.session.writeStream(name, text));
  process.on("SIGINT", () => {
    kernelLog("SIGINT: interrupting the running cell");
    s.cancelInput();
    s.session.interrupt();
  });
  process.on("SIGTERM", () => void s.shutdown("SIGTERM"));
  watchParent((reason) => void s.shutdown(reason));
  await s.init();
  kernelLog(`kernel started (pid ${process.pid}); connection file ${connectionFile}`);
  return s;
}
