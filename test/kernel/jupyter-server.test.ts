/**
 * End to end through Debian's `jupyter server`: the streamlab kernel started by the server from an installed
 * kernelspec, driven from Node with @jupyterlab/services over a real WebSocket, as JupyterLab drives it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { KernelManager, KernelMessage, ServerConnection, type Kernel } from "@jupyterlab/services";
import { tool } from "../support/tools";
import { installedKernel, type JupyterEnv } from "./support";
import { freePort, waitFor } from "../support/wait";

const token = randomBytes(16).toString("hex");

type IOPub = KernelMessage.IIOPubMessage;

describe.runIf(tool("jupyter-server"))("the streamlab kernel in jupyter server", () => {
  let jupyter: JupyterEnv;
  let server: ChildProcess;
  let serverLog = "";
  let baseUrl = "";
  let manager: KernelManager;
  let kernel: Kernel.IKernelConnection;
  /** Every IOPub message of the kernel, in arrival order. */
  const iopub: IOPub[] = [];

  beforeAll(async () => {
    jupyter = installedKernel();
    const port = await freePort();
    server = spawn(
      "/usr/bin/python3",
      ["-m", "jupyter_server", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`,
        "--ServerApp.port_retries=50", `--ServerApp.token=${token}`, `--ServerApp.root_dir=${jupyter.dir}`],
      { env: jupyter.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const collect = (b: Buffer) => (serverLog += b.toString());
    server.stdout!.on("data", collect);
    server.stderr!.on("data", collect);
    const actual = await waitFor("jupyter server to listen", () => {
      if (server.exitCode !== null) throw new Error(`jupyter server exited: ${serverLog}`);
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(serverLog);
      return m ? Number(m[1]) : undefined;
    });
    baseUrl = `http://127.0.0.1:${actual}/`;
    const serverSettings = ServerConnection.makeSettings({
      baseUrl,
      wsUrl: `ws://127.0.0.1:${actual}/`,
      token,
      appendToken: true,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    manager = new KernelManager({ serverSettings });
    await manager.ready;
    kernel = await manager.startNew({ name: "streamlab" });
    kernel.iopubMessage.connect((_k, msg) => {
      iopub.push(msg);
    });
    await kernel.info;
    await waitFor("kernel idle", () => (kernel.status === "idle" ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    try {
      if (kernel && !kernel.isDisposed) await kernel.shutdown().catch(() => undefined);
      manager?.dispose();
    } finally {
      if (server && server.exitCode === null) {
        server.kill("SIGTERM");
        await waitFor("jupyter server to exit", () => (server.exitCode !== null || server.signalCode !== null ? true : undefined), 30_000).catch(() => server.kill("SIGKILL"));
      }
      jupyter?.cleanup();
    }
  }, 60_000);

  /** Run a cell; resolves with its reply and the IOPub messages parented to it. */
  async function execute(code: string) {
    const future = kernel.requestExecute({ code, stop_on_error: false });
    const msgId = future.msg.header.msg_id;
    const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
    await waitFor("idle for the request", () =>
      iopub.some((m) => m.parent_header && (m.parent_header as { msg_id?: string }).msg_id === msgId && m.header.msg_type === "status" && (m.content as { execution_state: string }).execution_state === "idle") ? true : undefined,
    );
    const outputs = iopub.filter((m) => (m.parent_header as { msg_id?: string }).msg_id === msgId);
    return { reply, outputs, msgId };
  }

  it("runs TypeScript and magics; a bad magic is one error line and the kernel stays healthy", async () => {
    const sum = await execute("const n: number = 20; n + 22");
    expect(sum.reply.content.status).toBe("ok");
    const result = sum.outputs.find((m) => m.header.msg_type === "execute_result")!;
    expect((result.content as { data: Record<string, string> }).data["text/plain"]).toBe("42");

    const ls = await execute("%lsmagic");
    expect(ls.reply.content.status).toBe("ok");
    const lsResult = ls.outputs.find((m) => m.header.msg_type === "execute_result")!;
    expect((lsResult.content as { data: Record<string, string> }).data["text/html"]).toContain("<code>%lsmagic</code>");

    const bad = await execute("%lsmagc --x");
    expect(bad.reply.content.status).toBe("error");
    const errors = bad.outputs.filter((m) => m.header.msg_type === "error").map((m) => m.content as KernelMessage.IErrorMsg["content"]);
    expect(errors).toEqual([
      { ename: "MagicError", evalue: "unknown magic %lsmagc (did you mean %lsmagic?); %lsmagic lists them all", traceback: ["unknown magic %lsmagc (did you mean %lsmagic?); %lsmagic lists them all"] },
    ]);

    const help = await execute("%lsmagic?");
    const text = help.outputs.filter((m) => m.header.msg_type === "stream").map((m) => (m.content as { text: string }).text).join("");
    expect(text).toContain("usage: %lsmagic");

    const after = await execute("n");
    expect(after.reply.content.status).toBe("ok");
  });

  it("sends update_display_data for a display after its cell finished, while another cell runs, and when idle", async () => {
    const create = await execute(
      [
        'const live = new DisplayHandle({ "text/plain": "tick 0" });',
        "let liveTicks = 0;",
        "const liveTimer = setInterval(() => {",
        "  liveTicks++;",
        '  live.update({ "text/plain": `tick ${liveTicks}` });',
        "}, 100);",
        "live.displayId",
      ].join("\n"),
    );
    expect(create.reply.content.status).toBe("ok");
    const displayId = JSON.parse(
      ((create.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]).replace(/'/g, '"'),
    );
    const shown = create.outputs.find((m) => m.header.msg_type === "display_data")!;
    expect((shown.content as { transient: { display_id: string } }).transient.display_id).toBe(displayId);
    const createdAt = iopub.length;

    // A second cell runs while the timer keeps updating the first cell's display.
    const wait = await execute("const startTicks = liveTicks;\nwhile (liveTicks < startTicks + 3) await new Promise((r) => setTimeout(r, 20));\n'waited'");
    expect(wait.reply.content.status).toBe("ok");
    const startedAt = iopub.findIndex((m) => (m.parent_header as { msg_id?: string }).msg_id === wait.msgId && m.header.msg_type === "execute_input");
    const finishedAt = iopub.findIndex((m) => (m.parent_header as { msg_id?: string }).msg_id === wait.msgId && m.header.msg_type === "execute_result");
    const isUpdate = (m: IOPub) => m.header.msg_type === "update_display_data" && (m.content as { transient: { display_id: string } }).transient.display_id === displayId;
    const duringSecondCell = iopub.slice(Math.max(startedAt, createdAt), finishedAt).filter(isUpdate);
    expect(duringSecondCell.length).toBeGreaterThanOrEqual(3);
    const texts = duringSecondCell.map((m) => (m.content as { data: Record<string, string> }).data["text/plain"]);
    expect(new Set(texts).size).toBe(texts.length); // content changes with each update

    // Idle kernel: updates keep coming from the background timer.
    const idleFrom = iopub.length;
    await waitFor("updates while idle", () => (iopub.slice(idleFrom).filter(isUpdate).length >= 2 ? true : undefined));
    const stop = await execute("clearInterval(liveTimer); live.close();");
    expect(stop.reply.content.status).toBe("ok");
  });

  it("survives bad messages on its shell channel (bad signature, malformed JSON, no delimiter)", async () => {
    const runtime = jupyter.env.JUPYTER_RUNTIME_DIR!;
    const connectionFile = await waitFor("the kernel's connection file", () =>
      fs.existsSync(runtime) ? fs.readdirSync(runtime).find((f) => f.includes(kernel.id)) : undefined,
    );
    const info = JSON.parse(fs.readFileSync(path.join(runtime, connectionFile), "utf8"));
    const zmq = await import("zeromq");
    const dealer = new zmq.Dealer();
    dealer.connect(`${info.transport}://${info.ip}:${info.shell_port}`);
    const header = Buffer.from(JSON.stringify({ msg_id: "bad-1", msg_type: "execute_request", session: "x", username: "x", date: new Date().toISOString(), version: "5.3" }));
    const content = Buffer.from(JSON.stringify({ code: "process.exit(3)", silent: false }));
    const delim = Buffer.from("<IDS|MSG>");
    const { createHmac } = await import("node:crypto");
    const sign = (parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHmac("sha256", info.key)).digest("hex");
    const broken = [Buffer.from("{not json"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    await dealer.send([delim, Buffer.from("0".repeat(64)), header, Buffer.from("{}"), Buffer.from("{}"), content]);
    await dealer.send([delim, Buffer.from(sign(broken)), ...broken]);
    await dealer.send([header, Buffer.from("{}"), Buffer.from("{}"), content]);
    await dealer.send([delim]);
    dealer.close();
    const after = await execute("'alive'");
    expect(after.reply.content.status).toBe("ok");
    expect(kernel.status).not.toBe("dead");
  });

  it("interrupts the running cell (REST interrupt = SIGINT, and interrupt_request on control), not background work", async () => {
    await execute("let bgTicks = 0;\nconst bgTimer = setInterval(() => bgTicks++, 20);");
    for (const code of ["await new Promise(() => {})", "while (true) {}"]) {
      const future = kernel.requestExecute({ code });
      const msgId = future.msg.header.msg_id;
      await waitFor("the cell to start", () => (iopub.some((m) => (m.parent_header as { msg_id?: string }).msg_id === msgId && m.header.msg_type === "execute_input") ? true : undefined));
      await new Promise((r) => setTimeout(r, 300)); // let it reach its loop; not a speed assertion
      await kernel.interrupt();
      const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
      expect(reply.content.status, code).toBe("error");
      expect((reply.content as { ename?: string }).ename, code).toBe("Interrupted");
    }
    // interrupt_request over the control channel, as a kernelspec with interrupt_mode "message" would send it.
    const future = kernel.requestExecute({ code: "await new Promise(() => {})" });
    const msgId = future.msg.header.msg_id;
    await waitFor("the cell to start", () => (iopub.some((m) => (m.parent_header as { msg_id?: string }).msg_id === msgId && m.header.msg_type === "execute_input") ? true : undefined));
    const control = kernel.sendControlMessage(
      KernelMessage.createMessage({ channel: "control", msgType: "interrupt_request", session: kernel.clientId, username: kernel.username, content: {} }) as KernelMessage.IControlMessage<"interrupt_request">,
      true,
      true,
    );
    await control.done;
    const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
    expect((reply.content as { ename?: string }).ename).toBe("Interrupted");
    // Background work kept going through all of this.
    const before = await execute("bgTicks");
    const b = Number((before.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]);
    const later = await execute(`while (bgTicks <= ${b}) await new Promise((r) => setTimeout(r, 20));\nclearInterval(bgTimer); bgTicks > ${b}`);
    expect((later.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]).toBe("true");
  });

  it("reports errors thrown by background work without dying", async () => {
    const r = await execute('setTimeout(() => { throw new Error("thrown in a timer"); }, 10);\nvoid Promise.reject(new Error("rejected in the background"));\nawait new Promise((r) => setTimeout(r, 200));');
    expect(r.reply.content.status).toBe("ok");
    const after = await execute("'still here'");
    expect(after.reply.content.status).toBe("ok");
    const stderr = iopub
      .filter((m) => m.header.msg_type === "stream" && (m.content as { name: string }).name === "stderr")
      .map((m) => (m.content as { text: string }).text)
      .join("");
    expect(stderr).toContain("background error: Error: thrown in a timer");
    expect(stderr).toContain("background error: Error: rejected in the background");
  });

  it("restart runs onShutdown hooks and gives a fresh, working kernel", async () => {
    const marker = path.join(jupyter.dir, "restart-hook-ran");
    const before = await execute(`onShutdown(() => { require("node:fs").writeFileSync(${JSON.stringify(marker)}, "stopped"); });\n(globalThis as any).beforeRestart = 1;\nprocess.pid`);
    const oldPid = Number((before.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]);
    await kernel.restart();
    await waitFor("the restart hook", () => (fs.existsSync(marker) ? true : undefined));
    await waitFor("kernel idle after restart", () => (kernel.status === "idle" ? true : undefined));
    const after = await execute("typeof (globalThis as any).beforeRestart + ' ' + process.pid");
    const [kind, pid] = ((after.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]).replace(/'/g, "").split(" ");
    expect(kind).toBe("undefined");
    expect(Number(pid)).not.toBe(oldPid);
    await waitFor("the old kernel process to exit", () => {
      try {
        process.kill(oldPid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
  });

  it("on shutdown runs onShutdown hooks and the kernel process exits", async () => {
    const marker = path.join(jupyter.dir, "shutdown-hook-ran");
    const r = await execute(`onShutdown(() => { require("node:fs").writeFileSync(${JSON.stringify(marker)}, "stopped"); });\nsetInterval(() => undefined, 1000);\nprocess.pid`);
    const pid = Number((r.outputs.find((m) => m.header.msg_type === "execute_result")!.content as { data: Record<string, string> }).data["text/plain"]);
    await kernel.shutdown();
    await waitFor("the shutdown hook", () => (fs.existsSync(marker) ? true : undefined));
    await waitFor("the kernel process to exit", () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
  });
});
