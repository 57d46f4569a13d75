/** `streamlab broker` as a process: the ready line, a clean stop on SIGTERM/SIGINT, and one-line errors. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseBrokerArgs } from "../../lib/broker/cli";
import { run, waitFor } from "./helpers";
import { apiVersionsRequest, exchange } from "./wire";

const CLI = path.resolve(__dirname, "../../dist/lib/broker/cli.js");

describe("streamlab broker command", () => {
  it("parses its options and rejects bad ones with a clear message", () => {
    expect(parseBrokerArgs(["--port", "0", "--data-dir=/tmp/x", "--partitions", "3"])).toMatchObject({ host: "127.0.0.1", port: 0, dataDir: "/tmp/x", defaultPartitions: 3 });
    expect(() => parseBrokerArgs(["--partitions", "zero"])).toThrow(/--partitions must be an integer from 1/);
    expect(() => parseBrokerArgs(["--colour"])).toThrow(/unknown option '--colour'. usage: streamlab broker/);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("prints 'listening on HOST:PORT', serves, and exits 0 on %s", async (signal) => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const child = spawn(process.execPath, [CLI, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await waitFor("the ready line", () => out.includes("\n"));
    const m = /^listening on 127\.0\.0\.1:(\d+)\n$/.exec(out);
    expect(m).not.toBeNull();
    const res = await exchange(Number(m![1]), apiVersionsRequest(3));
    expect(res.responses.length).toBe(1);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill(signal);
    expect(await exited).toBe(0);
  });

  it("exits non-zero with one line when the port is taken", async () => {
    const first = spawn(process.execPath, [CLI, "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    first.stdout.on("data", (d) => (out += d));
    try {
      await waitFor("the ready line", () => out.includes("\n"));
      const port = /:(\d+)/.exec(out)![1];
      const second = await run(process.execPath, [CLI, "--port", port]);
      expect(second.code).toBe(1);
      expect(second.stderr.trim().split("\n")).toEqual([`streamlab broker: port ${port} on 127.0.0.1 is already in use: choose another with --port, or 0 for any free port`]);
    } finally {
      first.kill("SIGTERM");
    }
  });
});
