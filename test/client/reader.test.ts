/**
 * lib/client's own protocol path (wire/): the columnar PartitionReader and the batch producer against the
 * embedded broker over TCP. Record batches written by librdkafka (confluent-kafka, an encoder streamlab did not
 * write) with every codec decode to the same columns; headers come only when asked; SASL PLAIN and SCRAM, and
 * TLS, authenticate as the client config says.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { startBroker } from "../../lib/broker";
import { connect } from "../../lib/client";
import { PartitionReader } from "../../lib/client/reader";
import { WireProducer } from "../../lib/client/wire/producer";
import { crc32c, decodeBatches, emptyColumns, encodeBatch } from "../../lib/client/wire/batches";
import { tool } from "../support/tools";

const PRODUCE_PY = `
import sys, json
from confluent_kafka import Producer
bootstrap, topic, codec, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = Producer({"bootstrap.servers": bootstrap, "compression.codec": codec, "linger.ms": 5, "log_level": 0})
errors = []
def report(err, msg):
    if err is not None:
        errors.append(str(err))
for i in range(n):
    p.produce(topic, on_delivery=report, key=("k%d" % i).encode(), value=json.dumps({"i": i, "codec": codec}).encode(), partition=i % 2, headers=[("h", ("x%d" % i).encode())] if i % 3 == 0 else None)
left = p.flush(30)
if left or errors:
    sys.exit("%d records undelivered: %s" % (left, errors[:3]))
`;

describe("lib/client wire path", () => {
  it("reads what librdkafka wrote with none, gzip, snappy, lz4 and zstd, as columns, headers only when asked", async () => {
    if (!tool("confluent-kafka")) return;
    const python = "/usr/bin/python3";
    const broker = await startBroker({ port: 0 });
    const client = connect(broker.bootstrap);
    const reader = new PartitionReader({ bootstrap: [broker.bootstrap] }, { maxWaitTimeMs: 50 });
    try {
      for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
        const topic = `codec-${codec}`;
        await client.createTopic(topic, 2);
        // Asynchronously: the broker runs in this process.
        const failed = await new Promise<string | null>((resolve) => execFile(python, ["-c", PRODUCE_PY, broker.bootstrap, topic, codec, "300"], (err, _out, stderr) => resolve(err ? `${err.message} ${stderr}` : null)));
        expect(failed).toBeNull();
        const offsets = await reader.topicOffsets(topic);
        expect(offsets.map((o) => Number(o.high))).toEqual([150, 150]);
        const [p0, p1] = await reader.read([
          { topic, partition: 0, from: 0, to: 150 },
          { topic, partition: 1, from: 10, to: 20 },
        ]);
        expect(p0.offsets).toEqual([...Array(150).keys()]);
        expect(p0.values.map((v) => JSON.parse(String(v)) as { i: number; codec: string })).toEqual([...Array(150).keys()].map((k) => ({ i: 2 * k, codec })));
        expect(p0.keys.map(String)).toEqual([...Array(150).keys()].map((k) => `k${2 * k}`));
        expect(p0.headers).toBeNull();
        expect(p1.offsets).toEqual([...Array(10).keys()].map((k) => k + 10));
        expect(p1.keys.map(String)).toEqual([...Array(10).keys()].map((k) => `k${2 * (k + 10) + 1}`));
        expect(p0.timestamps.every((t) => Math.abs(t - Date.now()) < 60_000)).toBe(true);
        const [h] = await reader.read([{ topic, partition: 0, from: 0, to: 6 }], undefined, { headers: true });
        // Records 0, 3, 6, 9 (every third) carry h; partition 0 holds the even ones: 0, 6 of the first six records.
        expect(h.headers!.map((x) => (x ? String(x.h as Buffer) : null))).toEqual(["x0", null, null, "x6", null, null]);
      }
    } finally {
      await reader.close();
      await client.close();
      await broker.stop();
    }
  }, 120_000);

  it("readAvailable reads what is there now without waiting, and says how far it got", async () => {
    const broker = await startBroker({ port: 0 });
    const producer = new WireProducer({ bootstrap: [broker.bootstrap] });
    // Its own reads would long-poll for 10 minutes: readAvailable must not (the test would time out).
    const reader = new PartitionReader({ bootstrap: [broker.bootstrap] }, { maxWaitTimeMs: 600_000 });
    try {
      const admin = connect(broker.bootstrap);
      await admin.createTopic("avail", 1);
      await admin.close();
      await producer.send("avail", [...Array(10).keys()].map((i) => ({ key: null, value: `v${i}`, partition: 0 })));
      await reader.topicOffsets("avail"); // leaders known
      const got = await reader.readAvailable([{ topic: "avail", partition: 0, from: 3, to: Number.MAX_SAFE_INTEGER }]);
      const nothing = await reader.readAvailable([{ topic: "avail", partition: 0, from: 10, to: Number.MAX_SAFE_INTEGER }]);
      expect(got.columns[0].offsets).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(got.columns[0].values.map(String)).toEqual(["v3", "v4", "v5", "v6", "v7", "v8", "v9"]);
      expect(got.reached).toEqual([10]);
      expect(nothing.columns[0].offsets).toEqual([]);
      expect(nothing.reached).toEqual([10]);
      // A range it stops short of: reached tells where read() goes on.
      const part = await reader.readAvailable([{ topic: "avail", partition: 0, from: 0, to: 4 }]);
      expect(part.columns[0].offsets).toEqual([0, 1, 2, 3]);
      expect(part.reached).toEqual([4]);
    } finally {
      await reader.close();
      await producer.close();
      await broker.stop();
    }
  }, 60_000);

  it("the batch producer writes what kafkajs reads back, with keys on murmur2 partitions and every codec it writes", async () => {
    const broker = await startBroker({ port: 0 });
    const client = connect(broker.bootstrap);
    const producer = new WireProducer({ bootstrap: [broker.bootstrap] });
    const reader = new PartitionReader({ bootstrap: [broker.bootstrap] }, { maxWaitTimeMs: 50 });
    try {
      await client.createTopic("wp", 3);
      let sent = 0;
      for (const compression of ["none", "gzip", "snappy", "lz4"] as const) {
        const res = await producer.send("wp", [...Array(50).keys()].map((i) => ({ key: `key-${i}`, value: `${compression}-${i}`, headers: { n: String(i) } })), { compression });
        expect(res.reduce((s, r) => s + 1, 0)).toBe(3);
        sent += 50;
      }
      await expect(producer.send("wp", [{ value: "x" }], { compression: "zstd" })).rejects.toThrow(/compression zstd is not supported when producing: use none, gzip, snappy or lz4/);
      const offsets = await client.topicOffsets("wp");
      expect(offsets.reduce((s, o) => s + Number(o.high), 0)).toBe(sent);
      const cols = await reader.read(offsets.map((o) => ({ topic: "wp", partition: o.partition, from: 0, to: Number(o.high) })), undefined, { headers: true });
      const got = cols.flatMap((c) => c.values.map(String)).sort();
      expect(got).toEqual(["none", "gzip", "snappy", "lz4"].flatMap((c) => [...Array(50).keys()].map((i) => `${c}-${i}`)).sort());
      // A key lands where kafkajs' (the Java client's) murmur2 partitioner puts it.
      const kjs = await client.producer({ idempotent: true });
      const [r] = await kjs.send("wp", [{ key: "key-7", value: "from kafkajs" }]);
      await kjs.close();
      const p7 = cols[r.partition];
      expect(p7.keys.map(String)).toContain("key-7");
      expect(cols.every((c) => c.headers!.every((h) => h !== null && typeof h.n !== "undefined"))).toBe(true);
      // The auto-created topic of a first send.
      await producer.send("wp-auto", [{ value: "first" }]);
      const [auto] = await reader.read([{ topic: "wp-auto", partition: 0, from: 0, to: 1 }], 10_000);
      expect(auto.values.map(String)).toEqual(["first"]);
    } finally {
      await producer.close();
      await reader.close();
      await client.close();
      await broker.stop();
    }
  }, 120_000);

  it("skips records before `from` in a batch and stops at `to`; encodeBatch round-trips nulls", () => {
    const batch = encodeBatch([
      { key: null, value: Buffer.from("a"), timestamp: 1000 },
      { key: Buffer.from("k"), value: null, timestamp: 1005 },
      { key: null, value: Buffer.from("c"), timestamp: 990 },
    ]);
    batch.writeInt32BE(0, 0);
    batch.writeInt32BE(40, 4); // base offset 40
    const c = emptyColumns();
    expect(decodeBatches(batch, { from: 41, to: 42, headers: false, aborted: null }, c)).toBe(43);
    expect(c.offsets).toEqual([41]);
    expect(c.keys.map((k) => k && String(k))).toEqual(["k"]);
    expect(c.values).toEqual([null]);
    expect(c.timestamps).toEqual([1005]);
    const all = emptyColumns();
    decodeBatches(Buffer.concat([batch, batch.subarray(0, 30)]), { from: 0, to: 100, headers: false, aborted: null }, all);
    expect(all.timestamps).toEqual([1000, 1005, 990]);
    // A timestamp delta past 2^28 ms (a varlong of five bytes and more) and CRC-32C's check value.
    const far = encodeBatch([
      { key: null, value: Buffer.from("x"), timestamp: 1_700_000_000_000 },
      { key: null, value: Buffer.from("y"), timestamp: 1_700_000_000_000 + 2 ** 40 },
      { key: null, value: Buffer.from("z"), timestamp: 1_700_000_000_000 - 2 ** 33 },
    ]);
    const f = emptyColumns();
    decodeBatches(far, { from: 0, to: 10, headers: false, aborted: null }, f);
    expect(f.timestamps).toEqual([1_700_000_000_000, 1_700_000_000_000 + 2 ** 40, 1_700_000_000_000 - 2 ** 33]);
    expect(crc32c(Buffer.from("123456789"), 0, 9)).toBe(0xe3069283);
    expect(crc32c(Buffer.from("x123456789abcdefghij"), 1, 10)).toBe(0xe3069283);
    // The word-at-a-time path (64 bytes and more) at every alignment, against a bitwise CRC-32C.
    const bitwise = (b: Uint8Array, s: number, e: number) => {
      let c = ~0;
      for (let i = s; i < e; i++) {
        c ^= b[i];
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let s = 0; s < 9; s++) for (const e of [s + 63, s + 64, s + 71, 300]) expect(crc32c(data.subarray(1), s, e - 1)).toBe(bitwise(data.subarray(1), s, e - 1));
  });

  it("encodeBatch writes string keys and values as UTF-8 in place, the same bytes as Buffers give", () => {
    const texts = ["plain", "", "grüße ✓ 𝄞", '{"a":"\u0000"}'];
    const asStrings = encodeBatch(texts.map((t, i) => ({ key: i % 2 ? null : `k-${t}`, value: t, timestamp: 5000 + i })));
    const asBuffers = encodeBatch(texts.map((t, i) => ({ key: i % 2 ? null : Buffer.from(`k-${t}`), value: Buffer.from(t), timestamp: 5000 + i })));
    expect(asStrings.equals(asBuffers)).toBe(true);
    // Byte lengths given by the caller are used; the batch is checked to hold exactly what they said.
    const given = encodeBatch([{ key: null, value: "grüße", valueBytes: Buffer.byteLength("grüße"), timestamp: 1 }]);
    expect(given.equals(encodeBatch([{ key: null, value: Buffer.from("grüße"), timestamp: 1 }]))).toBe(true);
    expect(() => encodeBatch([{ key: null, value: "grüße", valueBytes: 5, timestamp: 1 }])).toThrow(/computed/);
    const c = emptyColumns();
    decodeBatches(asStrings, { from: 0, to: 10, headers: false, aborted: null }, c);
    expect(c.values.map((v) => v && v.toString("utf8"))).toEqual(texts);
    expect(c.keys.map((k) => k && k.toString("utf8"))).toEqual(["k-plain", null, "k-grüße ✓ 𝄞", null]);
  });

  it("refuses a batch whose CRC-32C does not match (check.crcs), unless the check is off", () => {
    const batch = encodeBatch([{ key: null, value: "hello", timestamp: 1 }]);
    batch[batch.length - 3] ^= 1; // one bit of the value flipped
    expect(() => decodeBatches(batch, { from: 0, to: 10, headers: false, aborted: null }, emptyColumns())).toThrow(/CRC-32C.*kafka\.check\.crcs=false/);
    const c = emptyColumns();
    decodeBatches(batch, { from: 0, to: 10, headers: false, aborted: null, checkCrcs: false }, c);
    expect(c.values.length).toBe(1);
  });

  describe("authentication", () => {
    const USERS = { alice: "alice-secret", "b,o=b": "pässword" };
    it.each([["plain"], ["scram-sha-256"], ["scram-sha-512"]] as const)("SASL %s reads and writes; a wrong password fails with one clear line", async (mechanism) => {
      const broker = await startBroker({ port: 0, users: USERS });
      try {
        for (const [username, password] of Object.entries(USERS)) {
          const config = { bootstrap: [broker.bootstrap], sasl: { mechanism, username, password } };
          const producer = new WireProducer(config);
          const reader = new PartitionReader(config, { maxWaitTimeMs: 50 });
          const topic = `sasl-${mechanism}-${username.length}`;
          await producer.send(topic, [{ value: "v1" }, { value: "v2" }]);
          const [c] = await reader.read([{ topic, partition: 0, from: 0, to: 2 }], 10_000);
          expect(c.values.map(String)).toEqual(["v1", "v2"]);
          await producer.close();
          await reader.close();
        }
        const bad = new PartitionReader({ bootstrap: [broker.bootstrap], sasl: { mechanism, username: "alice", password: "wrong" } });
        await expect(bad.topicOffsets("x")).rejects.toThrow(/^SASL authentication failed for user 'alice' at .*; check the username and password$/);
        await bad.close();
      } finally {
        await broker.stop();
      }
    }, 60_000);

    it("TLS with a CA it trusts, then SCRAM-SHA-512; an untrusted certificate is refused", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-wire-tls-"));
      const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
      const pem = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
      const broker = await startBroker({ port: 0, users: USERS, tls: pem });
      try {
        const sasl = { mechanism: "scram-sha-512" as const, username: "alice", password: USERS.alice };
        const config = { bootstrap: [broker.bootstrap], ssl: { ca: pem.cert.toString() }, sasl };
        const producer = new WireProducer(config);
        await producer.send("tls", [{ value: "secret" }]);
        await producer.close();
        const reader = new PartitionReader(config, { maxWaitTimeMs: 50 });
        const [c] = await reader.read([{ topic: "tls", partition: 0, from: 0, to: 1 }], 10_000);
        expect(c.values.map(String)).toEqual(["secret"]);
        await reader.close();
        const untrusted = new PartitionReader({ bootstrap: [broker.bootstrap], ssl: true, sasl });
        await expect(untrusted.topicOffsets("tls")).rejects.toThrow(/self.signed|certificate/i);
        await untrusted.close();
      } finally {
        await broker.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
