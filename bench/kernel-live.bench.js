"use strict";
// `1+1` with 50 live views running (issue 19): the real kernel (`streamlab kernel`, a separate process) driven
// over ZeroMQ as Jupyter drives it, 50 live displays of streaming queries updating in the background, and the
// round trip of a `1+1` cell measured from execute_request to execute_reply and to the status idle on IOPub.
// The peer is the same kernel with no view running, measured first in the same run.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { performance } = require("node:perf_hooks");

const root = path.resolve(__dirname, "..");
const out = process.env.STREAMLAB_BENCH_OUT || path.join(__dirname, "results", "kernel-live.md");
const VIEWS = Number(process.env.LIVE_VIEWS || 50);
const CHARTS = Number(process.env.LIVE_CHARTS ?? 10);
const ROUNDS = Number(process.env.LIVE_ROUNDS || 30);
const WARMUP_MS = Number(process.env.LIVE_WARMUP_MS || 5000);
const TARGET_MS = 100;

const zmq = require(require.resolve("zeromq", { paths: [path.dirname(require.resolve("tslab/package.json")), root] }));
const wire = require(path.join(root, "dist", "kernel", "wire.js"));

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = require("node:net").createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });

/** /proc figures of the kernel process: CPU seconds (user+system) and resident memory. */
function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 100; // USER_HZ on Linux
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpu: (Number(f[11]) + Number(f[12])) / tick, rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

class Client {
  constructor(conn) {
    this.conn = conn;
    this.shell = new zmq.Dealer();
    this.iopub = new zmq.Subscriber();
    this.session = require("node:crypto").randomUUID();
    this.pending = new Map(); // msg_id -> { reply, idle, resolveReply, resolveIdle }
    this.iopubCounts = new Map();
    this.errors = [];
  }
  async connect() {
    const url = (p) => `tcp://127.0.0.1:${p}`;
    this.shell.connect(url(this.conn.shell_port));
    this.iopub.connect(url(this.conn.iopub_port));
    this.iopub.subscribe();
    void this.pump(this.shell, "shell");
    void this.pump(this.iopub, "iopub");
  }
  async pump(socket, channel) {
    try {
      for await (const frames of socket) {
        const parsed = wire.parseFrames(frames, this.conn.key, this.conn.signature_scheme);
        if (!parsed.ok) continue;
        const m = parsed.message;
        const waiting = this.pending.get(m.parent.msg_id);
        if (channel === "iopub") {
          this.iopubCounts.set(m.header.msg_type, (this.iopubCounts.get(m.header.msg_type) ?? 0) + 1);
          if (m.header.msg_type === "error" && waiting) this.errors.push(`${m.content.ename}: ${m.content.evalue}`);
          if (waiting && m.header.msg_type === "execute_result") waiting.result = m.content.data["text/plain"];
          if (waiting && m.header.msg_type === "status" && m.content.execution_state === "idle") waiting.onIdle(performance.now());
        } else if (waiting && m.header.msg_type.endsWith("_reply")) waiting.onReply(performance.now(), m.content);
      }
    } catch {
      // socket closed
    }
  }
  /** Send a shell request; resolves with the times of its reply and its idle status, in ms after sending. */
  request(msgType, content) {
    const msg = wire.makeMessage(undefined, msgType, content, { session: this.session });
    const sent = performance.now();
    return new Promise((resolve) => {
      const r = {};
      const done = () => {
        if (r.reply !== undefined && r.idle !== undefined) {
          this.pending.delete(msg.header.msg_id);
          resolve({ reply: r.reply - sent, idle: r.idle - sent, content: r.content, result: entry.result });
        }
      };
      const entry = {
        onReply: (t, c) => ((r.reply = t), (r.content = c), done()),
        onIdle: (t) => ((r.idle = t), done()),
      };
      this.pending.set(msg.header.msg_id, entry);
      void this.shell.send(wire.serialize(msg, this.conn.key, this.conn.signature_scheme));
    });
  }
  async execute(code) {
    const r = await this.request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    if (r.content.status !== "ok") throw new Error(`cell failed (${r.content.ename}: ${r.content.evalue}): ${code.slice(0, 80)}`);
    return r;
  }
  close() {
    this.shell.close();
    this.iopub.close();
  }
}

async function timeOnePlusOne(client, rounds, gapMs) {
  const reply = [];
  const idle = [];
  for (let i = 0; i < rounds; i++) {
    const r = await client.execute("1+1");
    reply.push(r.reply);
    idle.push(r.idle);
    await new Promise((res) => setTimeout(res, gapMs));
  }
  return { reply, idle };
}

const viewsCell = (views, charts) => `
const benchQueries: unknown[] = [];
for (let i = 0; i < ${views}; i++) {
  const df = spark.readStream.format("rate").option("rowsPerSecond", 200).load()
    .groupBy(window(col("timestamp"), "1 second")).agg(count("*").alias("n"), sum("value").alias("total"));
  const trigger = { processingTime: "200 ms" };
  benchQueries.push(i < ${charts}
    ? startChart(df, { mark: "line", x: "window.start", y: "n" }, { name: \`bench_chart_\${i}\`, trigger, outputMode: "complete" })
    : startDisplay(df, { name: \`bench_view_\${i}\`, trigger, outputMode: "complete", rows: 10 }));
}
benchQueries.length`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-kernel-"));
  const ports = [];
  while (ports.length < 5) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const conn = {
    transport: "tcp", ip: "127.0.0.1", shell_port: ports[0], iopub_port: ports[1], stdin_port: ports[2], control_port: ports[3], hb_port: ports[4],
    key: require("node:crypto").randomBytes(16).toString("hex"), signature_scheme: "hmac-sha256", kernel_name: "streamlab",
  };
  const connFile = path.join(dir, "kernel.json");
  fs.writeFileSync(connFile, JSON.stringify(conn));
  // LIVE_KERNEL_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the kernel.
  const nodeArgs = (process.env.LIVE_KERNEL_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const kernel = spawn(process.execPath, [...nodeArgs, path.join(root, "bin", "streamlab.js"), "kernel", connFile], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, STREAMLAB_HOME: path.join(dir, "home") },
  });
  let stderr = "";
  kernel.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20000)));
  const client = new Client(conn);
  await client.connect();
  try {
    // kernel_info until it answers (the kernel binds its sockets after loading TypeScript and lib/).
    const started = performance.now();
    for (;;) {
      const r = await Promise.race([client.request("kernel_info_request", {}), new Promise((res) => setTimeout(() => res(undefined), 2000))]);
      if (r) break;
      if (kernel.exitCode !== null) throw new Error(`kernel exited: ${stderr}`);
      if (performance.now() - started > 120_000) throw new Error(`kernel did not answer kernel_info in 120 s: ${stderr}`);
    }
    await client.execute("1+1"); // the first cell pays for the prelude
    const loadStart = os.loadavg()[0];
    const quiet = await timeOnePlusOne(client, ROUNDS, 300);

    const created = await client.execute(viewsCell(VIEWS, CHARTS));
    await new Promise((res) => setTimeout(res, WARMUP_MS));
    const updatesBefore = client.iopubCounts.get("update_display_data") ?? 0;
    const cpuBefore = procStats(kernel.pid).cpu;
    const t0 = performance.now();
    const busy = await timeOnePlusOne(client, ROUNDS, 300);
    const seconds = (performance.now() - t0) / 1000;
    const cpuShare = (procStats(kernel.pid).cpu - cpuBefore) / seconds;
    const updates = (client.iopubCounts.get("update_display_data") ?? 0) - updatesBefore;
    const mem = procStats(kernel.pid);
    // How far the queries got: micro-batches run by all of them since they started.
    const batches = (await client.execute("benchQueries.reduce((n: number, q: any) => n + Number(q.lastProgress?.batchId ?? -1) + 1, 0)")).result;
    const stopped = await client.execute("%stop --all");

    const ms = (x) => x.toFixed(1);
    const row = (label, t) =>
      `| ${label} | ${ms(percentile(t.reply, 0.5))} | ${ms(percentile(t.reply, 0.9))} | ${ms(Math.max(...t.reply))} | ${ms(percentile(t.idle, 0.5))} | ${ms(percentile(t.idle, 0.9))} |`;
    const p90 = percentile(busy.idle, 0.9);
    const lines = [
      "## `1+1` with live views running (kernel-live.bench.js)",
      "",
      `Command: \`npm run bench -- kernel-live\`. The kernel as Jupyter runs it (\`streamlab kernel CONNECTION_FILE\`, its own`,
      "process), driven over ZeroMQ by a client in the benchmark (shell DEALER, IOPub SUB, HMAC-signed messages). Peer: the",
      `same kernel with no view, measured first in the same run. Then one cell starts ${VIEWS} live views (${VIEWS - CHARTS} \`display(df)\` tables`,
      `and ${CHARTS} \`chart(df, ...)\` line charts), each over its own streaming query (rate source, 200 rows/s, 1-second window count and`,
      `sum, complete mode, trigger every 200 ms); after ${WARMUP_MS / 1000} s, \`1+1\` runs ${ROUNDS} times, 300 ms apart. Latency from execute_request`,
      "sent to execute_reply received, and to the cell's status idle on IOPub (when a frontend shows the cell done).",
      "",
      "| kernel | reply median ms | reply p90 | reply max | idle median ms | idle p90 |",
      "|---|---:|---:|---:|---:|---:|",
      row("no live view (peer)", quiet),
      row(`${VIEWS} live views`, busy),
      "",
      `With the views running: ${(updates / seconds).toFixed(1)} display updates a second in all (update_display_data on IOPub; ${client.iopubCounts.get("display_data") ?? 0} views shown), ${batches} micro-batches run by the ${VIEWS} queries in all, kernel CPU ${(cpuShare * 100).toFixed(0)}% of one core, ` +
        `resident memory ${mem.rssMiB.toFixed(0)} MiB (peak ${mem.hwmMiB.toFixed(0)} MiB). ` +
        `Ratio with views / without (idle median): ${(percentile(busy.idle, 0.5) / percentile(quiet.idle, 0.5)).toFixed(2)}×. ` +
        `Target (issue 19): \`1+1\` under ${TARGET_MS} ms: ${p90 < TARGET_MS ? "met" : "missed"} at p90 (idle p90 ${ms(p90)} ms), ${percentile(busy.idle, 0.5) < TARGET_MS ? "met" : "missed"} at the median. ` +
        `Load average (1 min) of this shared 2-core machine: ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.` +
        (p90 >= TARGET_MS && cpuShare < 0.5 && percentile(quiet.idle, 0.9) >= TARGET_MS
          ? ` The kernel itself used ${(cpuShare * 100).toFixed(0)}% of one core with the views running, and the peer's p90 (${ms(percentile(quiet.idle, 0.9))} ms, no view at all) is over the target too: the slow tail is the wait for a core on this loaded machine, not the views' work (the render budget keeps rendering at most 25% of the kernel's main thread and 20 renders a second).`
          : ""),
      "",
    ];
    void created;
    void stopped;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, lines.join("\n"));
    console.log(lines.join("\n"));
    if (client.errors.length) console.error(`errors shown in cells: ${client.errors.join("; ")}`);
  } finally {
    await Promise.race([client.request("shutdown_request", { restart: false }), new Promise((res) => setTimeout(res, 5000))]).catch(() => undefined);
    client.close();
    const exited = new Promise((res) => kernel.once("exit", res));
    if (kernel.exitCode === null) {
      setTimeout(() => kernel.kill("SIGKILL"), 10_000).unref();
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
