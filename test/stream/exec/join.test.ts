import { describe, it, expect } from "vitest";
import { spark } from "../../../lib/stream";

describe("stream-static joins", () => {
  it("joins a stream with a static table (inner and left)", async () => {
    const regions = spark.createDataFrame([{ region: "eu", manager: "Eva" }, { region: "us", manager: "Sam" }]);
    const ms = spark.memoryStream("id INT, region STRING");
    const got: Record<string, unknown>[] = [];
    const q = ms.toDF().join(regions, "region", "left").writeStream.foreachBatch((b: { rows(): Record<string, unknown>[] }) => void got.push(...b.rows()), { raw: true }).trigger({ processingTime: "20 ms" }).start();
    ms.addData([{ id: 1, region: "eu" }, { id: 2, region: "ap" }, { id: 3, region: null }, { id: 4, region: "us" }]);
    await q.processAllAvailable();
    await q.stop();
    expect(got).toEqual([
      { region: "eu", id: 1, manager: "Eva" },
      { region: "ap", id: 2, manager: null },
      { region: null, id: 3, manager: null },
      { region: "us", id: 4, manager: "Sam" },
    ]);
    expect(() => ms.toDF().join(regions, "regio")).toThrow(/column 'regio' does not exist/);
  });
});
