/** The PySpark export of SQL-built queries: the views they read, then spark.sql(...) with the same text. */
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spark, col, from_json } from "../../../lib/stream";
import { clearViews } from "../../../lib/stream/sql";

afterEach(() => clearViews());

/** Python's own parser accepts the job (no Spark needed for that). */
function compiles(code: string): void {
  const dir = mkdtempSync(join(tmpdir(), "sqlexport-"));
  try {
    const file = join(dir, "job.py");
    writeFileSync(file, code);
    execFileSync("/usr/bin/python3", ["-m", "py_compile", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("toPySpark for SQL queries", () => {
  it("a view from the DataFrame API, a view USING kafka and a SQL view, then spark.sql(...)", () => {
    spark.readStream.format("kafka").option("subscribe", "orders").option("startingOffsets", "earliest").option("kafka.bootstrap.servers", "localhost:1").load()
      .select(from_json(col("value").cast("string"), "id STRING, region STRING, amount DOUBLE, ts TIMESTAMP").alias("o")).select("o.*")
      .createOrReplaceTempView("orders");
    spark.sql("CREATE TEMPORARY VIEW clicks (page STRING, ts TIMESTAMP) USING kafka OPTIONS (subscribe 'clicks', kafka.bootstrap.servers 'localhost:1')");
    spark.sql("CREATE OR REPLACE TEMP VIEW big AS SELECT * FROM orders WHERE amount > 100");
    const text = "SELECT region, count(*) AS n\nFROM big WATERMARK ts DELAY OF INTERVAL 30 SECONDS\nGROUP BY window(ts, '1 minute'), region";
    const job = spark.sql(text).toPySpark({ format: "console", outputMode: "update", queryName: "big_by_region" });
    expect(job).toContain('.createOrReplaceTempView("orders")');
    expect(job).toContain('spark.sql("CREATE OR REPLACE TEMP VIEW big AS SELECT * FROM orders WHERE amount > 100")');
    expect(job).toContain(`result = spark.sql("""${text}""")`);
    expect(job).not.toContain("clicks");
    expect(job.indexOf('createOrReplaceTempView("orders")')).toBeLessThan(job.indexOf("CREATE OR REPLACE TEMP VIEW big"));
    compiles(job);

    const clicks = spark.sql("SELECT page, count(*) FROM clicks GROUP BY page").toPySpark({ format: "console", outputMode: "complete" });
    expect(clicks).toContain('spark.readStream.format("kafka")');
    expect(clicks).toContain('.option("subscribe", "clicks")');
    expect(clicks).toContain('.select(F.from_json(F.col("value").cast("string"), "page STRING, ts TIMESTAMP").alias("data"))');
    expect(clicks).toContain('.createOrReplaceTempView("clicks")');
    expect(clicks).toContain('result = spark.sql("SELECT page, count(*) FROM clicks GROUP BY page")');
    expect(clicks).not.toContain('.option("kafka.bootstrap.servers"'); // the address comes from kafka_options()
    compiles(clicks);
  });

  it("a view the export cannot see is refused in one line", () => {
    spark.memoryStream("k STRING").toDF().createOrReplaceTempView("mem");
    expect(() => spark.sql("SELECT k FROM mem").toPySpark()).toThrow(/^toPySpark: .*MemoryStream\) has no PySpark equivalent/);
  });
});
