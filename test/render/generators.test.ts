// %streams and %stop with a real data generator producing to the embedded broker over TCP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMagic } from "../../lib/core";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect, type KafkaClient } from "../../lib/client";
import { getDataset, startGenerator, type Generator } from "../../lib/datagen";
import { RecordingBridge } from "./support";
import { display, registerRenderMagics } from "../../lib/render";
import { setDisplayBridge } from "../../lib/core";
import { spark } from "../../lib/stream";

registerRenderMagics();

async function waitFor(cond: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("%streams and %stop with a data generator", () => {
  let broker: RunningBroker;
  let client: KafkaClient;
  let generator: Generator | undefined;

  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    client = connect(broker.bootstrap);
  });

  afterAll(async () => {
    await generator?.stop().catch(() => undefined);
    await client?.close();
    await broker?.stop();
  });

  it("a live table of a Kafka stream shows the rows and the consumer lag in its status line", async () => {
    const feeder = startGenerator(getDataset("orders")!, { topic: "render_lag", rate: 400, client, name: "render-lag" });
    const bridge = new RecordingBridge();
    const previous = setDisplayBridge(bridge);
    try {
      const orders = spark.readStream
        .format("kafka")
        .option("kafka.bootstrap.servers", broker.bootstrap)
        .option("subscribe", "render_lag")
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "20")
        .load()
        .selectExpr("CAST(value AS STRING) AS json");
      display(orders, { name: "render_lag_table", rows: 3, trigger: { processingTime: "200 milliseconds" } });
      // 20 records a batch, 5 batches a second, against 400 produced a second: the query falls behind.
      await waitFor(() => /lag: [1-9][\d,]* msgs/.test(String(bridge.last()?.["text/plain"] ?? "")), "a positive lag in the status line");
      const text = String(bridge.last()!["text/plain"]);
      expect(text).toContain("query: render_lag_table | state: active");
      expect(text).toContain('{"order_id":');
      expect(String(bridge.last()!["text/html"])).toMatch(/<b>lag<\/b> [1-9][\d,]* msgs/);
    } finally {
      setDisplayBridge(previous);
      await spark.streams.get("render_lag_table")?.stop();
      await feeder.stop();
    }
  });

  it("shows the running generator on the dashboard and stops it by name", async () => {
    generator = startGenerator(getDataset("orders")!, { topic: "render_orders", rate: 50, client, name: "render-orders" });
    await waitFor(() => generator!.sent > 0, "the generator to send");
    const bridge = new RecordingBridge();
    const context = { display: bridge, scope: {}, evaluate: async () => undefined };

    await runMagic("streams", "--once", context);
    await waitFor(() => String(bridge.last()?.["text/plain"] ?? "").includes("final state"), "the dashboard");
    const dashboard = String(bridge.last()!["text/plain"]);
    expect(dashboard).toMatch(/render-orders\|\s*render_orders\|\s*running\|\s*\d+\|/);
    expect(String(bridge.last()!["text/html"])).toContain("<td>render_orders</td>");

    await expect(runMagic("stop", "render-ordres", context)).rejects.toThrow(/no query or generator named 'render-ordres' \(did you mean 'render-orders'\?\)/);
    await runMagic("stop", "render-orders", context);
    expect(bridge.outputs.at(-1)).toMatchObject({ kind: "print", text: "stopped generator render-orders" });
    expect(generator.status).toBe("stopped");
    const sent = generator.sent;
    expect(sent).toBeGreaterThan(0);

    // Stopped generators stay on the dashboard with their final count.
    await runMagic("streams", "--once", context);
    await waitFor(() => String(bridge.last()?.["text/plain"] ?? "").includes("final state"), "the second dashboard");
    expect(String(bridge.last()!["text/plain"])).toMatch(new RegExp(`render-orders\\|\\s*render_orders\\|\\s*stopped\\|\\s*${sent}\\|`));
  });
});
