/**
 * The Jupyter kernel: tslab's ZmqServer (sockets, bind, heartbeat) with streamlab's message handling on top.
 * We replace its per-message handler because published tslab throws on a bad signature, malformed JSON or a
 * missing delimiter (an unhandled rejection), has no interrupt_request, and only sends stream/display output.
 */
import * as fs from "node:fs";
import { ZmqServer } from "tslab/dist/jupyter";
import { isCompleteCode } from "tslab/dist/converter";
import { printQuickInfo } from "tslab/dist/inspect";
import { Session, describeError, type CellSink } from "./session";
import { rewriteMagics } from "./magic-syntax";
import { runShutdownHooks } from "../lib/core/lifecycle";
import { makeMessage, parseFrames, serialize, type JupyterMessage } from "./wire";

type Socket = { send(frames: Buffer[]): Promise<void> };

/** Kernel diagnostics go to the real stderr (Jupyter's log), never into a cell. */
const originalStderrWrite = process.stderr.write.bind(process.stderr);
export function kernelLog(line: string): void {
  originalStderrWrite(`[streamlab kernel] ${line}\n`);
}

function packageVersion(root: string): string {
  try {
    return JSON.parse(fs.readFileSync(`${root}/package.json`, "utf8")).version as string;
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

  constructor(session: Session, connectionFile: string) {
    // The handler is only used by ZmqServer.close(); every message is dispatched by handleShellMessage below.
    const handler = { close: () => session.close() } as unknown as ConstructorParameters<typeof ZmqServer>[0];
    super(handler, connectionFile);
    this.session = session;
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
          pending.resolve(String(parsed.message.content.value ?? ""));
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

  private iopubSend(parent: JupyterMessage | undefined, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): void {
    this.send(this.iopub, makeMessage(parent, msgType, content, { identities: [Buffer.from(`kernel.${msgType}`)], metadata }));
  }

  private reply(sock: unknown, request: JupyterMessage, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): void {
    this.send(sock, makeMessage(request, msgType, content, { metadata }));
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
          this.reply(sock, msg, "is_complete_reply", this.isComplete(String(msg.content.code ?? "")));
          break;
        case "complete_request":
          this.reply(sock, msg, "complete_reply", this.complete(String(msg.content.code ?? ""), Number(msg.content.cursor_pos ?? 0)));
          break;
        case "inspect_request":
          this.reply(sock, msg, "inspect_reply", this.inspect(String(msg.content.code ?? ""), Number(msg.content.cursor_pos ?? 0)));
          break;
        case "history_request":
          this.reply(sock, msg, "history_reply", { status: "ok", history: [] });
          break;
        case "comm_info_request":
          this.reply(sock, msg, "comm_info_reply", { status: "ok", comms: {} });
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

  kernelInfo(): Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab/package.json")] })) as { version: string };
    return {
      status: "ok",
      protocol_version: "5.3",
      implementation: "streamlab",
      implementation_version: packageVersion(this.session.root),
      language_info: {
        name: "typescript",
        version: ts.version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        // Makes both JupyterLab and classic Notebook highlight TypeScript (tslab's finding, issue #18 there).
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner: `streamlab ${packageVersion(this.session.root)}: TypeScript for streaming data (tslab, Node ${process.version}). %lsmagic lists the magics.`,
      help_links: [{ text: "streamlab", url: "https://github.com/" }],
    };
  }

  private isComplete(code: string): Record<string, unknown> {
    const res = isCompleteCode(rewriteMagics(code).code);
    return res.completed ? { status: "complete" } : { status: "incomplete", indent: res.indent ?? "" };
  }

  private complete(code: string, cursor: number): Record<string, unknown> {
    try {
      const info = this.session.complete(code, cursor);
      return { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} };
    } catch (err) {
      kernelLog(`completion failed: ${(err as Error).message}`);
      return { status: "ok", matches: [], cursor_start: cursor, cursor_end: cursor, metadata: {} };
    }
  }

  private inspect(code: string, cursor: number): Record<string, unknown> {
    try {
      const help = this.session.magicHelpAt(code, cursor);
      if (help) return { status: "ok", found: true, data: { "text/plain": help }, metadata: {} };
      const info = this.session.inspect(code, cursor);
      if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
      return { status: "ok", found: true, data: { "text/plain": printQuickInfo(info) }, metadata: {} };
    } catch (err) {
      kernelLog(`inspection failed: ${(err as Error).message}`);
      return { status: "ok", found: false, data: {}, metadata: {} };
    }
  }

  /** Outputs of one execute request: IOPub messages parented to it, also after it finished. */
  private sinkFor(request: JupyterMessage): CellSink {
    return {
      stream: (name, text) => this.iopubSend(request, "stream", { name, text }),
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
    const code = String(msg.content.code ?? "");
    const silent = msg.content.silent === true;
    const stopOnError = msg.content.stop_on_error !== false;
    const sink = this.sinkFor(msg);
    const outcome = await this.session.execute(code, sink, {
      countless: silent,
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
    this.reply(sock, msg, "execute_reply", { status: "ok", execution_count: outcome.executionCount, payload: [], user_expressions: {} }, { status: "ok" });
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

/** `streamlab kernel CONNECTION_FILE`. */
export async function startKernel(connectionFile: string): Promise<StreamlabServer> {
  if (!fs.existsSync(connectionFile)) throw new Error(`kernel: connection file ${connectionFile} does not exist`);
  let server: StreamlabServer | undefined;
  // Work started by a cell may fail long after the cell finished: report it, never die of it.
  process.on("unhandledRejection", (reason) => {
    const d = describeError(reason);
    kernelLog(`unhandled rejection in background work: ${d.ename}: ${d.evalue}`);
    server?.session.writeStream("stderr", `background error: ${d.ename}: ${d.evalue}\n`);
  });
  process.on("uncaughtException", (err) => {
    const d = describeError(err);
    kernelLog(`uncaught exception in background work: ${d.traceback.join("\n")}`);
    server?.session.writeStream("stderr", `background error: ${d.ename}: ${d.evalue}\n`);
  });
  const session = new Session({ log: kernelLog });
  await session.init();
  server = new StreamlabServer(session, connectionFile);
  const s = server;
  // Output written with console.log or process.stdout goes to the cell that owns the work (or the last one).
  const redirect = (name: "stdout" | "stderr", original: typeof process.stdout.write) =>
    function (this: unknown, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (s.session.writeStream(name, text)) {
        const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (original as (...a: unknown[]) => boolean).call(name === "stdout" ? process.stdout : process.stderr, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = redirect("stdout", process.stdout.write.bind(process.stdout));
  process.stderr.write = redirect("stderr", originalStderrWrite as typeof process.stderr.write);
  process.on("SIGINT", () => {
    kernelLog("SIGINT: interrupting the running cell");
    s.cancelInput();
    s.session.interrupt();
  });
  process.on("SIGTERM", () => void s.shutdown("SIGTERM"));
  await server.init();
  kernelLog(`kernel started (pid ${process.pid}); connection file ${connectionFile}`);
  return server;
}
