/**
 * Side by side with real Spark: every corpus query (test/spark/corpus.ts) runs over the same topic contents on
 * the embedded broker, in streamlab and in PySpark 4 (through the Java Kafka client and Spark's connector), each
 * given the same micro-batches (maxOffsetsPerTrigger + availableNow). Emitted rows (per non-empty batch) and
 * output types (Spark's names) must be equal. A query marked `known` must still differ (an expected failure,
 * listed with the difference in docs/conformance.md); when it stops differing, the test says to remove the mark.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startBroker, type RunningBroker } from "../../lib/broker";
import { connect, type KafkaClient } from "../../lib/client";
import { tool } from "../support/tools";
import { startSpark, type SparkDriver } from "../support/spark";
import { CORPUS } from "./corpus";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difference, produceBatches, runSpark, runStreamlab, exportedJob, sortRows } from "./support";
import { ConformanceLog } from "./conformance";

const RUN = Date.now().toString(36);
// A run of some queries (-t) updates theirs and keeps the other queries' saved results; removed queries drop out.
const inCorpus = (c: { name: string }) => CORPUS.some((q) => q.name === c.name);
const log = new ConformanceLog("2-side-by-side", "Side by side with Spark 4 (test/spark/side-by-side.test.ts, corpus test/spark/corpus.ts)", inCorpus);
const exportLog = new ConformanceLog("3-export", "Export to PySpark: every corpus query exported with toPySpark() and run on Spark (test/spark/side-by-side.test.ts)", inCorpus);

describe.runIf(tool("spark"))("side by side with Apache Spark", () => {
  let broker: RunningBroker;
  let client: KafkaClient;
  let driver: SparkDriver;

  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    client = connect(broker.bootstrap);
    driver = await startSpark();
  }, 300_000);
  afterAll(async () => {
    log.save();
    exportLog.save();
    await driver?.stop();
    await client?.close();
    await broker?.stop();
  }, 120_000);

  it("has at least 60 queries, with distinct names", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CORPUS.map((q) => q.name)).size).toBe(CORPUS.length);
  });

  // Queries run concurrently (vitest's maxConcurrency, 5): most of a Spark query's time is waiting (checkpoint
  // files, scheduling), so the JVM serves several at once.
  CORPUS.forEach((q, i) => {
    it.concurrent(`${q.family}: ${q.name}`, async ({ expect }) => {
      const topic = `sbs${i}_${RUN}`;
      await client.createTopic(topic, 1);
      await produceBatches(client, topic, q);
      const [sparkRun, slRun] = await Promise.all([runSpark(driver, broker.bootstrap, topic, q), runStreamlab(broker.bootstrap, topic, q)]);
      // Spark 4 runs in ANSI mode: some queries fail at run time there (division by zero, bad casts, array
      // indexes). That is Spark's answer too: a query where only one engine fails is a difference.
      if (q.sparkRejects) expect(sparkRun.error, "Spark was expected to reject this query").toBeTruthy();
      const diff = difference(sparkRun, slRun);
      log.record({ suite: "side-by-side", family: q.family, name: q.name, status: diff ? "fail" : "pass", reason: diff ? `${q.known ? q.known + ": " : ""}${diff}` : undefined });
      if (q.known) expect(diff, `'${q.name}' now matches Spark: remove its 'known' mark`).toBeDefined();
      else expect(diff).toBeUndefined();

      // Export: streamlab's DataFrame -> toPySpark() -> a job file run on Spark, into a memory table. Its final
      // table must equal the hand-written PySpark query's (and so streamlab's, where they agree).
      if (sparkRun.error || slRun.error) return;
      const dir = mkdtempSync(join(tmpdir(), "streamlab-export-"));
      try {
        const table = `exported_${i}_${RUN}`;
        const job = exportedJob(broker.bootstrap, topic, q, table, join(dir, "checkpoint"));
        const path = join(dir, "job.py");
        writeFileSync(path, job);
        const exported = await driver.script(path, { table });
        const final = (bs: Record<string, unknown>[][]) => ((q.mode ?? "append") === "complete" ? bs.filter((b) => b.length).pop() ?? [] : bs.flat());
        const expected = sortRows(final(sparkRun.batches));
        const got = sortRows(exported.rows ?? []);
        exportLog.record({ suite: "export", family: q.family, name: q.name, status: JSON.stringify(got) === JSON.stringify(expected) ? "pass" : "fail", reason: JSON.stringify(got) === JSON.stringify(expected) ? undefined : `exported job on Spark: ${JSON.stringify(got).slice(0, 300)} vs the PySpark query: ${JSON.stringify(expected).slice(0, 300)}` });
        expect(got, `the exported job (${path}) gives other rows than the hand-written PySpark query`).toEqual(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 900_000);
  });
});
