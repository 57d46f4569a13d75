/**
 * Transaction protocol version 2 (KIP-890 part 2) on the embedded broker beyond what the differential scenarios
 * play against Apache Kafka (test/differential/transactions-v2.test.ts): the epoch bumped by EndTxn v5 survives
 * a restart with a data dir, and an epoch about to overflow moves the transactional id to a new producer id
 * (the answer names it), after which the old producer id is fenced from the partitions.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Connection } from "../../lib/client/wire/connection";
import { CreateTopics, EndTxn, InitProducerId, Produce } from "../../lib/protocol/messages";
import * as wire from "../differential/wire";
import { withBroker } from "./helpers";

async function open(port: number): Promise<Connection> {
  return Connection.open("127.0.0.1", port, { bootstrap: [`127.0.0.1:${port}`] });
}

function txnBatch(value: string, producerId: number, producerEpoch: number): Buffer {
  return wire.buildBatch([{ key: null, value: Buffer.from(value) }], { producerId, producerEpoch, baseSequence: 0, transactional: true, baseTimestamp: Date.now() });
}

async function produce(c: Connection, id: string, topic: string, producerId: number, epoch: number, value: string): Promise<number> {
  const r = await c.request(Produce, 12, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: txnBatch(value, producerId, epoch) }] }] });
  return r.responses[0].partitionResponses[0].errorCode;
}

describe("transaction protocol version 2 on the embedded broker", () => {
  it("the epoch EndTxn v5 bumped is kept across a restart with a data dir", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-tv2-"));
    try {
      const { producerId, epoch } = await withBroker(
        async (b) => {
          const c = await open(b.port);
          try {
            const p = await c.request(InitProducerId, 5, { transactionalId: "tv2-restart", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
            await c.request(CreateTopics, 7, { topics: [{ name: "tv2-restart", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
            expect(await produce(c, "tv2-restart", "tv2-restart", p.producerId, p.producerEpoch, "a")).toBe(0);
            const end = await c.request(EndTxn, 5, { transactionalId: "tv2-restart", producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
            expect({ error: end.errorCode, producerId: end.producerId, epoch: end.producerEpoch }).toEqual({ error: 0, producerId: p.producerId, epoch: p.producerEpoch + 1 });
            return { producerId: end.producerId, epoch: end.producerEpoch };
          } finally {
            c.close();
          }
        },
        { dataDir },
      );
      await withBroker(
        async (b) => {
          const c = await open(b.port);
          try {
            // The previous epoch is fenced after the restart too; the bumped one goes on.
            expect(await produce(c, "tv2-restart", "tv2-restart", producerId, epoch - 1, "stale")).toBe(47);
            expect(await produce(c, "tv2-restart", "tv2-restart", producerId, epoch, "b")).toBe(0);
            const end = await c.request(EndTxn, 5, { transactionalId: "tv2-restart", producerId, producerEpoch: epoch, committed: true });
            expect([end.errorCode, end.producerEpoch]).toEqual([0, epoch + 1]);
          } finally {
            c.close();
          }
        },
        { dataDir },
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("an epoch about to overflow moves to a new producer id at EndTxn v5; the old id is then refused", async () => {
    await withBroker(async (b) => {
      const c = await open(b.port);
      try {
        const p = await c.request(InitProducerId, 5, { transactionalId: "tv2-overflow", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
        // Aborts with nothing open bump the epoch too (KIP-890): walk it to the top, one EndTxn at a time.
        let producerId = p.producerId;
        let epoch = p.producerEpoch;
        let moved: { from: number; to: number; epoch: number } | undefined;
        for (let i = 0; i < 40_000 && !moved; i++) {
          const end = await c.request(EndTxn, 5, { transactionalId: "tv2-overflow", producerId, producerEpoch: epoch, committed: false });
          expect(end.errorCode).toBe(0);
          if (end.producerId !== producerId) moved = { from: epoch, to: end.producerId, epoch: end.producerEpoch };
          producerId = end.producerId;
          epoch = end.producerEpoch;
        }
        expect(moved).toBeDefined();
        expect(moved!.from).toBe(32766); // the last epoch handed out under the old producer id
        expect(moved!.to).not.toBe(p.producerId);
        expect(moved!.epoch).toBe(0);
        const stale = await c.request(EndTxn, 5, { transactionalId: "tv2-overflow", producerId: p.producerId, producerEpoch: 32766, committed: true });
        expect(stale.errorCode).toBe(49); // INVALID_PRODUCER_ID_MAPPING
      } finally {
        c.close();
      }
    });
  }, 300_000);
});
