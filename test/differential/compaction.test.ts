/**
 * Differential scenarios, part 3: log compaction. Kafka's cleaner runs on its own schedule, so a scenario
 * waits until both brokers have cleaned the closed segments and compares what a reader from offset 0 sees as a
 * table (key -> latest value, tombstones included) with each key's offset (offsets survive cleaning), and that
 * older versions are gone; never the exact batches, which depend on when the cleaner ran.
 */
import { describe } from "vitest";
import { tool } from "../support/tools";
import { differential, type Target } from "./runner";
import * as wire from "./wire";
import { RawConnection, withConn } from "./wire";

async function create(c: RawConnection, name: string, configs: Record<string, string>): Promise<void> {
  const err = await wire.createTopic(c, name, 1, 1, configs);
  if (err !== 0) throw new Error(`CreateTopics ${name}: error ${err}`);
  for (let i = 0; i < 100; i++) {
    if ((await wire.listOffset(c, name, 0, -1)).error === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} not ready`);
}

async function readAll(c: RawConnection, topic: string) {
  const records: wire.FetchedRecord[] = [];
  let offset = 0;
  for (let i = 0; i < 100; i++) {
    const f = await wire.fetchPartition(c, topic, 0, offset);
    if (f === "closed") throw new Error("fetch: connection closed");
    if (f.error !== 0) throw new Error(`fetch error ${f.error}`);
    records.push(...f.records);
    const last = f.batches[f.batches.length - 1];
    if (!last) break;
    offset = last.baseOffset + last.lastOffsetDelta + 1;
    if (offset >= f.highWatermark) break;
  }
  return records;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(tool("kafka-reference"))("differential: log compaction", () => {
  const { scenario } = differential("compaction", {
    kafkaProperties: { "log.cleaner.backoff.ms": 200 },
    embeddedOptions: { logCleanerIntervalMs: 200 },
  });

  scenario("compacted topic: a reader from offset 0 sees the latest value per key at its offset, tombstones kept", async (t) =>
    withConn(t, async (c) => {
      const topic = "compacted-table";
      await create(c, topic, { "cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01" });
      // Five rounds over 8 keys, each round in its own segment (segment.ms=100, counted by record timestamps); key k3 deleted in round 4.
      for (let round = 0; round < 5; round++) {
        const records = Array.from({ length: 8 }, (_, k) => ({ key: Buffer.from(`k${k}`), value: round === 4 && k === 3 ? null : Buffer.from(`k${k}=v${round}`) }));
        const ack = await wire.produce(c, topic, 0, wire.buildBatch(records, { baseTimestamp: Date.now() }));
        if (ack === "closed" || ack.error !== 0) throw new Error(`produce: ${JSON.stringify(ack)}`);
        await sleep(150);
      }
      // One more record rolls the last round's segment, so every round is in a closed segment.
      await wire.produce(c, topic, 0, wire.buildBatch([{ key: Buffer.from("roll"), value: Buffer.from("x") }], { baseTimestamp: Date.now() }));
      let records = await readAll(c, topic);
      for (let i = 0; i < 200 && records.length > 9; i++) {
        await sleep(250);
        records = await readAll(c, topic);
      }
      const table: Record<string, { offset: number; value: string | null }> = {};
      for (const r of records) table[r.key ?? "<null>"] = { offset: r.offset, value: r.value };
      return { table, cleaned: records.length === 9, versionsRead: records.length };
    }),
    { timeoutMs: 90_000 },
  );
});
