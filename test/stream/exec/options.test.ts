/** Spark option names are case-insensitive everywhere (readers, writers, sinks, from_json). */
import { describe, it, expect } from "vitest";
import { setDisplayBridge, consoleBridge } from "../../../lib/core";
import { spark } from "../../../lib/stream";

describe("case-insensitive options", () => {
  it("the console sink reads numRows and truncate whatever their case", async () => {
    const printed: string[] = [];
    const previous = setDisplayBridge({ ...consoleBridge, print: (text) => printed.push(text) });
    try {
      const ms = spark.memoryStream("s STRING");
      const q = ms.toDF().writeStream.format("console").option("NUMROWS", 1).option("Truncate", "false").trigger({ processingTime: "10 ms" }).start();
      ms.addData([{ s: "a".repeat(30) }, { s: "b" }]);
      await q.processAllAvailable();
      await q.stop();
    } finally {
      setDisplayBridge(previous);
    }
    const batch = printed.find((p) => p.includes("Batch: 0"))!;
    expect(batch).toContain("a".repeat(30));
    expect(batch).not.toContain("|  b|");
    expect(batch).toContain("only showing top 1 row");
  });

  it("the rate source reads rowsPerSecond whatever its case", () => {
    expect(() => spark.readStream.format("rate").option("ROWSPERSECOND", 0).load()).toThrow(/rowsPerSecond must be a positive number/);
  });
});
