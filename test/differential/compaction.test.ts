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

  scenario("compacted topic with transactions: aborted records are cleaned away and do not supersede earlier values; committed ones do", async (t) =>
    withConn(t, async (c) => {
      const topic = "compacted-txn";
      const id = "compacted-txn-id";
      await create(c, topic, { "cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01" });
      const f = await wire.findCoordinator(c, id, 1);
      if (f.error) throw new Error(`FindCoordinator(transaction): ${f.error}`);
      const p = await wire.initProducerId(c, id);
      if (p.error) throw new Error(`InitProducerId: ${p.error}`);
      const records = (tag: string, keys: number[]) => keys.map((k) => ({ key: Buffer.from(`k${k}`), value: Buffer.from(`k${k}=${tag}`) }));
      const ok = (ack: Awaited<ReturnType<typeof wire.produce>>) => {
        if (ack === "closed" || ack.error !== 0) throw new Error(`produce: ${JSON.stringify(ack)}`);
      };
      ok(await wire.produce(c, topic, 0, wire.buildBatch(records("v0", [0, 1, 2, 3]), { baseTimestamp: Date.now() })));
      await sleep(150);
      // Two transactions, each in its own segment: the first aborted (all four keys), the second committed (k0, k1).
      let seq = 0;
      for (const [tag, keys, commit] of [["aborted", [0, 1, 2, 3], false], ["committed", [0, 1], true]] as const) {
        const added = await wire.addPartitionsToTxn(c, id, p.producerId, p.epoch, topic, [0]);
        if (added.some((e) => e !== 0)) throw new Error(`AddPartitionsToTxn: ${added.join(",")}`);
        ok(await wire.produce(c, topic, 0, wire.buildBatch(records(tag, [...keys]), { producerId: p.producerId, producerEpoch: p.epoch, baseSequence: seq, transactional: true, baseTimestamp: Date.now() }), { transactionalId: id }));
        seq += keys.length;
        const ended = await wire.endTxn(c, id, p.producerId, p.epoch, commit);
        if (ended !== 0) throw new Error(`EndTxn: ${ended}`);
        await sleep(150);
      }
      // One more record rolls the last segment, so every transaction and its marker are in closed segments.
      ok(await wire.produce(c, topic, 0, wire.buildBatch([{ key: Buffer.from("roll"), value: Buffer.from("x") }], { baseTimestamp: Date.now() })));
      // 11 versions written (4 + 4 aborted + 2 committed + 1); 5 once cleaned. When the cleaner runs first is each broker's own.
      let read = await readAll(c, topic);
      for (let i = 0; i < 200 && read.length > 5; i++) {
        await sleep(250);
        read = await readAll(c, topic);
      }
      const table: Record<string, { offset: number; value: string | null }> = {};
      for (const r of read) table[r.key ?? "<null>"] = { offset: r.offset, value: r.value };
      return { table, versionsAfter: read.length };
    }),
    { timeoutMs: 90_000 },
  );
});
