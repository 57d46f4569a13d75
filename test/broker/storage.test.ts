/**
 * The log on disk: ListOffsets by timestamp from the records' own timestamps (also inside gzip batches, and
 * when the producer wrote -1 as the batch's max timestamp), reads served from segment files across many
 * segments and restarts, and memory that does not grow with the data held.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { startBroker } from "../../lib/broker";
import { crc32c } from "../../lib/broker/log/crc32c";
import { WireClient } from "./wire-client";

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/** A RecordBatch v2 whose records carry the given timestamps; header max timestamp as given (-1 by default). */
function timedBatch(timestamps: number[], opts: { headerMax?: number; gzip?: boolean } = {}): Buffer {
  const base = timestamps[0];
  const records = Buffer.concat(
    timestamps.map((ts, i) => {
      const value = Buffer.from(`at-${ts}`);
      const body = Buffer.concat([Buffer.from([0]), varint(ts - base), varint(i), varint(-1), varint(value.length), value, varint(0)]);
      return Buffer.concat([varint(body.length), body]);
    }),
  );
  const section = opts.gzip ? zlib.gzipSync(records) : records;
  const head = Buffer.alloc(61);
  head.writeBigInt64BE(0n, 0);
  head.writeInt32BE(61 - 12 + section.length, 8);
  head.writeInt32BE(0, 12);
  head.writeInt8(2, 16);
  head.writeInt16BE(opts.gzip ? 1 : 0, 21);
  head.writeInt32BE(timestamps.length - 1, 23);
  head.writeBigInt64BE(BigInt(base), 27);
  head.writeBigInt64BE(BigInt(opts.headerMax ?? -1), 35);
  head.writeBigInt64BE(-1n, 43);
  head.writeInt16BE(-1, 51);
  head.writeInt32BE(-1, 53);
  head.writeInt32BE(timestamps.length, 57);
  const batch = Buffer.concat([head, section]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

describe("log storage", () => {
  it("ListOffsets by timestamp is exact: record timestamps, inside gzip batches, whatever the header's max says", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-ts-"));
    temps.push(dataDir);
    const t0 = Date.now() - 3_600_000;
    let broker = await startBroker({ port: 0, dataDir, segmentBytes: 1024 });
    let c = await WireClient.connect(broker.port);
    const check = async () => {
      // Batch 1 (offsets 0-2, plain, header max -1): t0, t0+10, t0+20. Batch 2 (3-5, gzip, header max -1):
      // t0+30, t0+40, t0+50. Then 40 small batches to spread the log over several segments: t0+100+i.
      expect(await c.listOffset("times", 0, t0 + 5)).toEqual({ errorCode: 0, offset: 1, timestamp: t0 + 10 });
      expect(await c.listOffset("times", 0, t0 + 20)).toEqual({ errorCode: 0, offset: 2, timestamp: t0 + 20 });
      expect(await c.listOffset("times", 0, t0 + 21)).toEqual({ errorCode: 0, offset: 3, timestamp: t0 + 30 });
      expect(await c.listOffset("times", 0, t0 + 45)).toEqual({ errorCode: 0, offset: 5, timestamp: t0 + 50 });
      expect(await c.listOffset("times", 0, t0 + 125)).toEqual({ errorCode: 0, offset: 6 + 25, timestamp: t0 + 125 });
      expect(await c.listOffset("times", 0, t0 + 10_000)).toEqual({ errorCode: 0, offset: -1, timestamp: -1 });
    };
    try {
      expect((await c.createTopic("times")).errorCode).toBe(0);
      expect(await c.produce("times", 0, timedBatch([t0, t0 + 10, t0 + 20]))).toEqual({ errorCode: 0, baseOffset: 0 });
      expect(await c.produce("times", 0, timedBatch([t0 + 30, t0 + 40, t0 + 50], { gzip: true }))).toEqual({ errorCode: 0, baseOffset: 3 });
      for (let i = 0; i < 40; i++) expect((await c.produce("times", 0, timedBatch([t0 + 100 + i], { headerMax: t0 + 100 + i }))).errorCode).toBe(0);
      await check();
    } finally {
      c.close();
      await broker.stop();
    }
    // The same answers from the files after a restart (indexes rebuilt).
    broker = await startBroker({ port: 0, dataDir, segmentBytes: 1024 });
    c = await WireClient.connect(broker.port);
    try {
      expect(fs.readdirSync(path.join(dataDir, "topics", "times", "0")).filter((f) => f.endsWith(".log")).length).toBeGreaterThan(3);
      await check();
    } finally {
      c.close();
      await broker.stop();
    }
  });

  it("reads every record back from many segments, with small and large fetch sizes, across a restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-segs-"));
    temps.push(dataDir);
    let broker = await startBroker({ port: 0, dataDir, segmentBytes: 4096 });
    let c = await WireClient.connect(broker.port);
    const t = Date.now();
    const values: string[] = [];
    try {
      expect((await c.createTopic("many")).errorCode).toBe(0);
      for (let i = 0; i < 300; i++) {
        const n = 1 + (i % 5);
        const ts = Array.from({ length: n }, () => t);
        expect((await c.produce("many", 0, timedBatch(ts, { headerMax: t }))).baseOffset).toBe(values.length);
        for (let k = 0; k < n; k++) values.push(`at-${t}`);
      }
    } finally {
      c.close();
      await broker.stop();
    }
    broker = await startBroker({ port: 0, dataDir, segmentBytes: 4096 });
    c = await WireClient.connect(broker.port);
    try {
      const all = await c.readAll("many", 0);
      expect(all.map((r) => r.offset)).toEqual(values.map((_, i) => i));
      // From the middle of a batch, with a fetch size smaller than one batch (KIP-74: one batch still comes).
      const mid = await c.fetch("many", 0, 401, 10);
      expect(mid.records.length).toBeGreaterThan(0);
      expect(mid.records[0].offset).toBeLessThanOrEqual(401);
      expect(mid.records[mid.records.length - 1].offset).toBeGreaterThanOrEqual(401);
      const beyond = await c.fetch("many", 0, values.length + 1);
      expect(beyond.errorCode).toBe(1); // OFFSET_OUT_OF_RANGE
    } finally {
      c.close();
      await broker.stop();
    }
  });

  it("holds 400 MB on disk with memory that does not grow with it", () => {
    // A separate process, so its memory is the log's alone: 400 MB of 100 KB batches appended and read back.
    const script = `
      const { PartitionLog } = require(${JSON.stringify(path.resolve(__dirname, "../../dist/lib/broker/log/partition-log.js"))});
      const { splitBatches } = require(${JSON.stringify(path.resolve(__dirname, "../../dist/lib/broker/log/record-batch.js"))});
      const { crc32c } = require(${JSON.stringify(path.resolve(__dirname, "../../dist/lib/broker/log/crc32c.js"))});
      const dir = process.argv[1];
      function batch(i) {
        const value = Buffer.alloc(100_000, i & 0xff);
        const rec = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from([0xc0, 0x9a, 0x0c]), value, Buffer.from([0])]);
        const len = rec.length;
        const lenVar = Buffer.from([((len * 2) & 0x7f) | 0x80, (((len * 2) >> 7) & 0x7f) | 0x80, (len * 2) >> 14]);
        const records = Buffer.concat([lenVar, rec]);
        const head = Buffer.alloc(61);
        head.writeInt32BE(49 + records.length, 8); head.writeInt8(2, 16);
        head.writeInt32BE(0, 23); head.writeBigInt64BE(BigInt(Date.now()), 27); head.writeBigInt64BE(BigInt(Date.now()), 35);
        head.writeBigInt64BE(-1n, 43); head.writeInt16BE(-1, 51); head.writeInt32BE(-1, 53); head.writeInt32BE(1, 57);
        const b = Buffer.concat([head, records]);
        b.writeUInt32BE(crc32c(b, 21), 17);
        return b;
      }
      const log = new PartitionLog(dir, { retentionBytes: -1, retentionMs: -1, segmentBytes: 64 << 20 });
      global.gc();
      const before = process.memoryUsage();
      for (let i = 0; i < 4000; i++) log.append(splitBatches(batch(i)));
      let read = 0;
      for (let off = 0; off < log.highWatermark; ) { const r = log.read(off, 1 << 20, true); read += r.bytes; off += r.chunks.length ? Math.max(1, Math.floor(r.bytes / 100_061)) : 1; }
      global.gc();
      const after = process.memoryUsage();
      console.log(JSON.stringify({ size: log.size, read, hw: log.highWatermark, heap: after.heapUsed - before.heapUsed, buffers: after.arrayBuffers - before.arrayBuffers, rss: after.rss }));
    `;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-mem-"));
    temps.push(dir);
    const r = spawnSync(process.execPath, ["--expose-gc", "-e", script, dir], { encoding: "utf8", timeout: 110_000 });
    expect(r.stderr).toBe("");
    const m = JSON.parse(r.stdout);
    expect(m.hw).toBe(4000);
    expect(m.size).toBeGreaterThan(400_000_000);
    expect(m.read).toBeGreaterThan(400_000_000);
    expect(m.buffers).toBeLessThan(20 << 20);
    expect(m.heap).toBeLessThan(20 << 20);
  });
});
