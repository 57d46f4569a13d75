/**
 * `%kafka start` when the default port is taken by the time the broker binds it: a real broker process, a real
 * port held by this test (never 9092: STREAMLAB_BROKER_PORT names the port this test holds).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

const home = mkdtempSync(path.join(tmpdir(), "streamlab-port-"));
process.env.STREAMLAB_HOME = home;
delete process.env.STREAMLAB_BOOTSTRAP;

import { runMagic, setDisplayBridge, type DisplayBridge, type MimeBundle } from "../../lib/core";
import { portAnswers, readBrokerState, stopEmbeddedBroker } from "../../lib/client/embedded";
import { registerClientMagics } from "../../lib/client";

registerClientMagics();

const root = path.resolve(__dirname, "../..");
const built = existsSync(path.join(root, "dist/lib/broker/cli.js"));

const printed: string[] = [];
const bridge: DisplayBridge = { display: () => undefined, update: () => undefined, print: (text: string) => void printed.push(text) };
setDisplayBridge(bridge);

async function kafka(args: string): Promise<string> {
  const result = (await runMagic("kafka", args, { display: bridge, scope: {}, evaluate: async () => undefined })) as { toMimeBundle(): MimeBundle } | undefined;
  return String(result?.toMimeBundle()["text/plain"] ?? "");
}

describe.runIf(built)("embedded broker start when its default port is taken", () => {
  const holder = net.createServer();
  let held = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: "127.0.0.1", exclusive: true }, resolve));
    held = (holder.address() as net.AddressInfo).port;
    // The default the broker tries first; another process (this test) already has it.
    process.env.STREAMLAB_BROKER_PORT = String(held);
  });

  afterAll(async () => {
    await stopEmbeddedBroker().catch(() => undefined);
    await new Promise((resolve) => holder.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  it("an explicit --port that is taken is one error line, and nothing starts", async () => {
    const error = await kafka(`start --port ${held}`).then(() => undefined, (err: Error) => err.message);
    expect(error).toBeDefined();
    expect(error!.split("\n")).toHaveLength(1);
    expect(error).toContain(`port ${held} on 127.0.0.1 is already in use`);
    expect(readBrokerState()).toBeUndefined();
  });

  it("with no --port it falls back to a free port and says which, in one line; the broker answers there", async () => {
    // --no-registry: this test is about the broker's port (the registry beside it has its own fallback).
    const message = await kafka("start --no-registry");
    expect(message.split("\n")).toHaveLength(1);
    const m = /^started the embedded Kafka broker at 127\.0\.0\.1:(\d+) \(port (\d+) was taken, so it listens on any free port; pid \d+, data in .*\)$/.exec(message);
    expect(m, message).not.toBeNull();
    const port = Number(m![1]);
    expect(Number(m![2])).toBe(held);
    expect(port).not.toBe(held);
    expect(readBrokerState()?.port).toBe(port);
    expect(await portAnswers("127.0.0.1", port)).toBe(true);
    expect(await kafka("stop")).toMatch(/stopped the embedded broker/);
  });
});
