import { describe, it, expect } from "vitest";
import * as net from "node:net";
import { connect } from "../../lib/client";
import { startGenerator, getDataset, listGenerators } from "../../lib/datagen";

/** A port that refuses connections: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("generator lifecycle without a reachable broker", () => {
  it("fails with the connection error, shown in its display and in the registry", async () => {
    const port = await closedPort();
    const client = connect(`127.0.0.1:${port}`);
    const gen = startGenerator(getDataset("orders")!, { topic: "nowhere", rate: 10, count: 5, client, name: "unreachable" });
    expect(listGenerators().some((g) => g.name === "unreachable")).toBe(true);
    await gen.done;
    expect(gen.status).toBe("failed");
    expect(gen.lastError).toMatch(/ECONNREFUSED|Connection error|connect/i);
    expect(gen.sent).toBe(0);
    const bundle = gen.toMimeBundle();
    expect(String(bundle["text/plain"])).toMatch(/unreachable: orders → nowhere  failed  sent 0/);
    expect(String(bundle["text/html"])).toContain("last error:");
    await client.close();
  });

  it("rejects bad options in one line before starting", () => {
    const ds = getDataset("orders")!;
    expect(() => startGenerator(ds, { topic: "bad topic!" })).toThrow(/not a valid topic name/);
    expect(() => startGenerator(ds, { topic: "t", rate: -1 })).toThrow(/--rate must be a number/);
    expect(() => startGenerator(ds, { topic: "t", late: 3 })).toThrow(/--late is a share/);
  });
});
