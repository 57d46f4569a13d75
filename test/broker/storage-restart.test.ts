/**
 * Restart time that does not grow with the data held, as in Kafka: a clean stop flushes the segments, writes
 * `recovery-point-offset-checkpoint` and the clean-shutdown marker; the next start loads the .index/.timeindex
 * files and reads only each segment's tail after its last index entry (a byte flipped in an old segment is not
 * read at start; Fetch serves the batch as stored, and the client's CRC check reports it, as with Kafka). After
 * kill -9 a start reads only what follows the last periodic checkpoint, loses nothing acknowledged, and the
 * idempotent producer state comes back from the snapshot taken at that checkpoint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startBroker } from "../../lib/broker";
import { crc32c } from "../../lib/broker/log/crc32c";
import { waitFor } from "./helpers";
import { recordBatch } from "./wire";
import { WireClient } from "./wire-client";

const CLI = path.resolve(__dirname, "../../dist/lib/broker/cli.js");
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** A one-record batch of about 1 KB; with a producer id, epoch and sequence when given (idempotent). */
function batch(i: number, producer?: { id: number; epoch: number; seq: number }): Buffer {
  const b = recordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}|${"x".repeat(1000)}`) }]);
  if (producer) {
    b.writeBigInt64BE(BigInt(producer.id), 43);
    b.writeInt16BE(producer.epoch, 51);
    b.writeInt32BE(producer.seq, 53);
    b.writeUInt32BE(crc32c(b, 21), 17);
  }
  return b;
}

/** Figures from the broker's start line: whether the stop before was clean, bytes held and bytes read. */
function startLine(lines: string[]): { clean: boolean; held: number; read: number } {
  const line = lines.find((l) => l.includes("startup: loaded"));
  if (!line) throw new Error(`no startup line in: ${lines.join("\n")}`);
  const m = /holding (\d+) bytes .* after (a clean|an unclean) shutdown.*: read (\d+) bytes/.exec(line);
  if (!m) throw new Error(`unexpected startup line: ${line}`);
  return { clean: m[2] === "a clean", held: Number(m[1]), read: Number(m[3]) };
}

function segmentsOf(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .sort();
}

async function spawnBroker(dataDir: string): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [CLI, "--port", "0", "--data-dir", dataDir, "--checkpoint-interval-ms", "1000"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  await waitFor("the broker to print its address", () => {
    if (child.exitCode !== null) throw new Error(`broker exited ${child.exitCode}: ${err}`);
    return /listening on \S+:\d+\n/.test(out);
  });
  // The startup line (stderr) is written before the address (stdout); two pipes may deliver them out of order.
  if (fs.existsSync(path.join(dataDir, "topics"))) await waitFor("the broker's startup line", () => err.includes("startup: loaded"));
  return { child, port: Number(/listening on \S+:(\d+)/.exec(out)![1]), stderr: () => err };
}

/** InitProducerId v0 without a transactional id: an idempotent producer's id and epoch. */
async function initProducerId(c: WireClient): Promise<{ id: number; epoch: number }> {
  const r = await c.request(22, 0, (w) => w.nullableString(null).int32(60_000));
  r.int32();
  expect(r.int16()).toBe(0);
  return { id: r.int64(), epoch: r.int16() };
}

describe("restart time", () => {
  it("a clean restart loads the indexes and reads only segment tails: a byte flipped in an old segment is not read at start, and Fetch serves it as stored", async () => {
    const dataDir = tempDir("streamlab-clean-restart-");
    const partDir = path.join(dataDir, "topics", "held", "0");
    let broker = await startBroker({ port: 0, dataDir });
    let c = await WireClient.connect(broker.port);
    const n = 600;
    try {
      expect((await c.createTopic("held", 1, [["segment.bytes", String(64 << 10)]])).errorCode).toBe(0);
      for (let i = 0; i < n; i++) expect(await c.produce("held", 0, batch(i))).toEqual({ errorCode: 0, baseOffset: i });
    } finally {
      c.close();
      await broker.stop();
    }
    // What a clean stop leaves: the marker, and the recovery point at the log end, in Kafka's file format.
    expect(fs.existsSync(path.join(dataDir, "topics", ".kafka_cleanshutdown"))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, "topics", "recovery-point-offset-checkpoint"), "utf8")).toBe(`0\n1\nheld 0 ${n}\n`);
    const segments = segmentsOf(partDir);
    expect(segments.length).toBeGreaterThan(5);

    // A byte in the middle of a record value of the 5th batch of the 2nd segment is flipped behind the broker's back.
    const victim = path.join(partDir, segments[1]);
    const bytes = fs.readFileSync(victim);
    let pos = 0;
    for (let i = 0; i < 4; i++) pos += 12 + bytes.readInt32BE(pos + 8);
    const damagedOffset = Number(bytes.readBigInt64BE(pos));
    const damagedLen = 12 + bytes.readInt32BE(pos + 8);
    bytes[pos + damagedLen - 200] ^= 0xff;
    fs.writeFileSync(victim, bytes);
    const indexes = segments.map((s) => fs.statSync(path.join(partDir, s.replace(".log", ".index"))).mtimeMs);

    const lines: string[] = [];
    broker = await startBroker({ port: 0, dataDir, log: (l) => lines.push(l) });
    c = await WireClient.connect(broker.port);
    try {
      const start = startLine(lines);
      expect(start.clean).toBe(true);
      expect(start.held).toBe(segments.reduce((s, f) => s + fs.statSync(path.join(partDir, f)).size, 0));
      // Only the bytes after each segment's last index entry (index.interval.bytes 4096, plus one batch) are read.
      expect(start.read).toBeLessThanOrEqual(segments.length * (4096 + 2 * damagedLen));
      expect(start.read).toBeLessThan(start.held / 5);
      expect(lines.filter((l) => l.startsWith("recovery:"))).toEqual([]);
      // Index files were loaded, not written again; the marker is gone while the broker runs.
      expect(segments.map((s) => fs.statSync(path.join(partDir, s.replace(".log", ".index"))).mtimeMs)).toEqual(indexes);
      expect(fs.existsSync(path.join(dataDir, "topics", ".kafka_cleanshutdown"))).toBe(false);

      // Every offset is served, the damaged batch as it is stored: its CRC32C no longer matches, which is what a
      // client checking CRCs (Kafka's check.crcs) reports, as it would against Kafka (which does not verify on fetch).
      const all = await c.readAll("held", 0);
      expect(all.map((r) => r.offset)).toEqual(Array.from({ length: n }, (_, i) => i));
      const res = await c.request(1, 4, (w) => {
        w.int32(-1).int32(0).int32(0).int32(1 << 20).int8(0);
        w.array(["held"], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(damagedOffset).int32(damagedLen)));
      });
      res.int32(); // throttle
      res.int32(); // topics
      res.string();
      res.int32(); // partitions
      res.int32();
      expect(res.int16()).toBe(0);
      res.int64();
      res.int64();
      expect(res.int32()).toBeLessThanOrEqual(0); // aborted transactions: none
      const served = res.nullableBytes()!;
      expect(Number(served.readBigInt64BE(0))).toBe(damagedOffset);
      const first = served.subarray(0, 12 + served.readInt32BE(8));
      expect(crc32c(first, 21)).not.toBe(first.readUInt32BE(17));
      // Appends go on after the last offset.
      expect(await c.produce("held", 0, batch(n))).toEqual({ errorCode: 0, baseOffset: n });
    } finally {
      c.close();
      await broker.stop();
    }

    // The same data after a crash before any checkpoint (no marker, no recovery points) is read whole, and the
    // flipped byte is found, reported, and only that segment's tail dropped.
    for (const f of [".kafka_cleanshutdown", "recovery-point-offset-checkpoint"]) fs.rmSync(path.join(dataDir, "topics", f));
    lines.length = 0;
    broker = await startBroker({ port: 0, dataDir, log: (l) => lines.push(l) });
    try {
      const start = startLine(lines);
      expect(start.clean).toBe(false);
      expect(start.read).toBe(start.held + (bytes.length - pos)); // everything, including the bytes it dropped
      const recovery = lines.filter((l) => l.startsWith("recovery:"));
      expect(recovery).toHaveLength(1);
      expect(recovery[0]).toContain(`${segments[1]} has a batch failing its CRC32C at byte ${pos}`);
    } finally {
      await broker.stop();
    }
  });

  it("after kill -9 a start reads only what follows the last recovery-point checkpoint, loses nothing acknowledged, and keeps the idempotent producer's state", async () => {
    const dataDir = tempDir("streamlab-kill-restart-");
    const partDir = path.join(dataDir, "topics", "crashy", "0");
    const checkpointFile = path.join(dataDir, "topics", "recovery-point-offset-checkpoint");
    let broker = await spawnBroker(dataDir);
    let c = await WireClient.connect(broker.port);
    const before = 400;
    const after = 100;
    const sizes: number[] = [];
    let producer: { id: number; epoch: number };
    try {
      expect((await c.createTopic("crashy", 1, [["segment.bytes", String(64 << 10)]])).errorCode).toBe(0);
      producer = await initProducerId(c);
      const send = async (i: number) => {
        const b = batch(i, { ...producer, seq: i });
        sizes.push(b.length);
        expect(await c.produce("crashy", 0, b)).toEqual({ errorCode: 0, baseOffset: i });
      };
      for (let i = 0; i < before; i++) await send(i);
      // A periodic checkpoint (every second here) names at least these offsets before the rest is written.
      const recoveryPoint = () => {
        const m = fs.existsSync(checkpointFile) ? /^crashy 0 (\d+)$/m.exec(fs.readFileSync(checkpointFile, "utf8")) : null;
        return m ? Number(m[1]) : -1;
      };
      await waitFor("a recovery-point checkpoint covering the first batches", () => recoveryPoint() >= before);
      for (let i = before; i < before + after; i++) await send(i);
    } finally {
      c.close();
    }
    broker.child.kill("SIGKILL");
    await new Promise((r) => (broker.child.exitCode !== null || broker.child.signalCode !== null ? r(null) : broker.child.once("exit", r)));
    expect(fs.existsSync(path.join(dataDir, "topics", ".kafka_cleanshutdown"))).toBe(false);
    const point = Number(/^crashy 0 (\d+)$/m.exec(fs.readFileSync(checkpointFile, "utf8"))![1]);
    expect(point).toBeGreaterThanOrEqual(before);
    // The producer-state snapshot was taken at a checkpoint too (not only at a clean stop).
    const snapshot = JSON.parse(fs.readFileSync(path.join(partDir, "producer-state.json"), "utf8")) as { offset: number };
    expect(snapshot.offset).toBeGreaterThanOrEqual(before);
    const total = sizes.reduce((a, b) => a + b, 0);
    const afterPoint = sizes.slice(point).reduce((a, b) => a + b, 0);
    const segments = segmentsOf(partDir).length;

    broker = await spawnBroker(dataDir);
    c = await WireClient.connect(broker.port);
    try {
      const start = startLine(broker.stderr().split("\n"));
      expect(start.clean).toBe(false);
      expect(start.held).toBe(total);
      // Everything after the recovery point is read and verified; before it only the tails after index entries.
      expect(start.read).toBeGreaterThanOrEqual(afterPoint);
      expect(start.read).toBeLessThanOrEqual(afterPoint + segments * (4096 + 2 * sizes[0]));
      expect(start.read).toBeLessThan(total / 2);
      expect(broker.stderr()).not.toContain("recovery:");
      // Nothing acknowledged is lost.
      const all = await c.readAll("crashy", 0);
      expect(all.map((r) => r.value!.toString().split("|")[0])).toEqual(Array.from({ length: before + after }, (_, i) => `value-${i}`));
      // The producer's state: its last batch again is a duplicate (acknowledged at its first offset, not written
      // twice), a gap in sequence is refused, the next sequence goes on.
      const last = before + after - 1;
      expect(await c.produce("crashy", 0, batch(last, { ...producer!, seq: last }))).toEqual({ errorCode: 0, baseOffset: last });
      expect((await c.produce("crashy", 0, batch(last + 2, { ...producer!, seq: last + 2 }))).errorCode).toBe(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
      expect(await c.produce("crashy", 0, batch(last + 1, { ...producer!, seq: last + 1 }))).toEqual({ errorCode: 0, baseOffset: last + 1 });
      expect((await c.fetch("crashy", 0, last + 2)).highWatermark).toBe(last + 2);
    } finally {
      c.close();
      broker.child.kill("SIGTERM");
      await new Promise((r) => (broker.child.exitCode !== null ? r(null) : broker.child.once("exit", r)));
    }
    // A SIGTERM stop is clean: the next start reads only the tails.
    broker = await spawnBroker(dataDir);
    try {
      const start = startLine(broker.stderr().split("\n"));
      expect(start.clean).toBe(true);
      expect(start.read).toBeLessThanOrEqual(segmentsOf(partDir).length * (4096 + 2 * sizes[0]));
    } finally {
      broker.child.kill("SIGTERM");
      await new Promise((r) => (broker.child.exitCode !== null ? r(null) : broker.child.once("exit", r)));
    }
  }, 120_000);

  it("an index file that fails its checks, or names a position that is not its batch's, is rebuilt from the segment, with a recovery line", async () => {
    const dataDir = tempDir("streamlab-bad-index-");
    const partDir = path.join(dataDir, "topics", "idx", "0");
    let broker = await startBroker({ port: 0, dataDir });
    let c = await WireClient.connect(broker.port);
    const n = 300;
    try {
      expect((await c.createTopic("idx", 1, [["segment.bytes", String(64 << 10)]])).errorCode).toBe(0);
      for (let i = 0; i < n; i++) expect((await c.produce("idx", 0, batch(i))).errorCode).toBe(0);
    } finally {
      c.close();
      await broker.stop();
    }
    const segments = segmentsOf(partDir);
    const index = (i: number) => path.join(partDir, segments[i].replace(".log", ".index"));
    // Segment 0: an index cut in the middle of an entry. Segment 1: its last entry moved 10 bytes into a batch.
    fs.truncateSync(index(0), fs.statSync(index(0)).size - 3);
    const idx1 = fs.readFileSync(index(1));
    const good1 = Buffer.from(idx1);
    idx1.writeInt32BE(idx1.readInt32BE(idx1.length - 4) + 10, idx1.length - 4);
    fs.writeFileSync(index(1), idx1);
    const lines: string[] = [];
    broker = await startBroker({ port: 0, dataDir, log: (l) => lines.push(l) });
    c = await WireClient.connect(broker.port);
    try {
      const recovery = lines.filter((l) => l.startsWith("recovery:"));
      expect(recovery).toHaveLength(2);
      expect(recovery[0]).toContain(`index of segment ${segments[0]} is damaged`);
      expect(recovery[1]).toContain(`index of segment ${segments[1]} does not match the segment`);
      const all = await c.readAll("idx", 0);
      expect(all.map((r) => r.value!.toString().split("|")[0])).toEqual(Array.from({ length: n }, (_, i) => `value-${i}`));
      // The rebuilt index files are written again, whole.
      expect(fs.statSync(index(0)).size % 8).toBe(0);
      expect(fs.readFileSync(index(1))).toEqual(good1);
    } finally {
      c.close();
      await broker.stop();
    }
  });
});
