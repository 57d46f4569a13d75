/**
 * Differential scenarios, part 1: producing (every codec, and which codec was actually stored), records
 * (keys, values, headers, timestamps), size limits, offsets for times, fetch errors, metadata, topic admin and
 * the error codes for bad requests. Each scenario runs against Apache Kafka and the embedded broker and the
 * observations must be equal (see runner.ts).
 */
import { describe } from "vitest";
import { CompressionTypes } from "kafkajs";
import { tool } from "../support/tools";
import { differential, outcome, run, type Target } from "./runner";
import * as wire from "./wire";
import { RawConnection, withConn } from "./wire";

const T0 = 1_700_000_000_000;

/** Creates topics (CreateTopics v2) and waits until metadata shows them led. */
async function create(c: RawConnection, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const err = await wire.createTopic(c, name, partitions, 1, configs);
  if (err !== 0) throw new Error(`CreateTopics ${name}: error ${err}`);
  for (let i = 0; i < 100; i++) {
    const md = await wire.metadata(c, [name], false);
    if (md.topics[0].error === 0 && md.topics[0].partitions.length === partitions && md.topics[0].partitions.every((p) => p.leader >= 0)) {
      // Kafka answers metadata before every partition's leader takes writes: wait until each answers ListOffsets.
      const ready = await Promise.all(md.topics[0].partitions.map((p) => wire.listOffset(c, name, p.id, -1)));
      if (ready.every((r) => r.error === 0)) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} not ready`);
}

/** Everything stored in a partition: batch headers and (for none/gzip) records. */
async function readPartition(c: RawConnection, topic: string, partition = 0, isolation: 0 | 1 = 0) {
  const batches: wire.StoredBatch[] = [];
  const records: wire.FetchedRecord[] = [];
  let offset = 0;
  let hw = -1;
  let lso = -1;
  let aborted = 0;
  for (let i = 0; i < 50; i++) {
    const f = await wire.fetchPartition(c, topic, partition, offset, { isolation });
    if (f === "closed") throw new Error("fetch: connection closed");
    if (f.error !== 0) return { error: f.error, batches, records };
    hw = f.highWatermark;
    lso = f.lastStableOffset;
    aborted += f.abortedTransactions;
    batches.push(...f.batches);
    records.push(...f.records);
    const last = f.batches[f.batches.length - 1];
    if (!last) break;
    offset = last.baseOffset + last.lastOffsetDelta + 1;
    if (offset >= (isolation ? lso : hw)) break;
  }
  return { error: 0, highWatermark: hw, lastStableOffset: lso, abortedTransactions: aborted, batches, records };
}

/** What the client observes of a stored partition without batch boundaries (which depend on client timing). */
function codecsOf(batches: wire.StoredBatch[]): string[] {
  return [...new Set(batches.filter((b) => !b.control).map((b) => b.codec))];
}

describe.runIf(tool("kafka-reference"))("differential: produce, fetch, offsets, admin, errors", () => {
  const { scenario } = differential("produce");

  // ---- kafkajs producing ----
  for (const [label, compression, codec] of [
    ["uncompressed", CompressionTypes.None, "none"],
    ["gzip", CompressionTypes.GZIP, "gzip"],
  ] as const) {
    scenario(`kafkajs produce ${label}: acks, stored codec, records`, async (t) => {
      const topic = `kjs-${label}`;
      return withConn(t, async (c) => {
        await create(c, topic, 1);
        const producer = t.kafkajs().producer();
        await producer.connect();
        const acks = await producer.send({ topic, compression, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value ${i}`, timestamp: String(T0 + i) })) });
        await producer.disconnect();
        const stored = await readPartition(c, topic);
        return { acks, codec: codecsOf(stored.batches), expected: codec, records: stored.records, highWatermark: stored.highWatermark };
      });
    });
  }

  // ---- librdkafka (kcat) with every codec: the stored batch must carry the codec the client asked for ----
  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    scenario(`kcat produce ${codec}: stored codec and consumed records`, async (t) => {
      const topic = `kcat-${codec}`;
      return withConn(t, async (c) => {
        await create(c, topic, 1);
        const lines = Array.from({ length: 50 }, (_, i) => `k${i}:${"v".repeat(20)}${i}`).join("\n") + "\n";
        const p = await run("kcat", ["-P", "-b", t.bootstrap, "-t", topic, "-p", "0", "-K:", "-z", codec, "-X", "linger.ms=50"], lines);
        if (p.code !== 0) throw new Error(`kcat -P: ${p.stderr}`);
        const stored = await readPartition(c, topic);
        const consumed = await run("kcat", ["-C", "-b", t.bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%o %k=%s\\n"]);
        return { codec: codecsOf(stored.batches), highWatermark: stored.highWatermark, consumed: consumed.stdout.trim().split("\n"), warnings: /does not support compression/.test(p.stderr) };
      });
    });
  }

  scenario("raw gzip batch: stored as gzip, records intact", async (t) =>
    withConn(t, async (c) => {
      await create(c, "raw-gzip", 1);
      const batch = wire.buildBatch(Array.from({ length: 5 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestampDelta: i })), { gzip: true });
      const ack = await wire.produce(c, "raw-gzip", 0, batch);
      const stored = await readPartition(c, "raw-gzip");
      return { ack, codec: codecsOf(stored.batches), records: stored.records };
    }),
  );

  // ---- record contents ----
  scenario("keys, null keys, empty and null values, binary", async (t) =>
    withConn(t, async (c) => {
      await create(c, "contents", 1);
      const batch = wire.buildBatch([
        { key: null, value: Buffer.from("no key") },
        { key: Buffer.alloc(0), value: Buffer.from("empty key") },
        { key: Buffer.from("tombstone"), value: null },
        { key: Buffer.from("empty"), value: Buffer.alloc(0) },
        { key: Buffer.from([0, 1, 2, 255]), value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
        { key: null, value: null },
      ]);
      const ack = await wire.produce(c, "contents", 0, batch);
      const stored = await readPartition(c, "contents");
      return { ack, records: stored.records };
    }),
  );

  scenario("headers: several, repeated keys, null and binary values", async (t) =>
    withConn(t, async (c) => {
      await create(c, "headers", 1);
      const batch = wire.buildBatch([
        { key: Buffer.from("a"), value: Buffer.from("1"), headers: [{ key: "trace", value: Buffer.from("t-1") }, { key: "trace", value: Buffer.from("t-2") }, { key: "empty", value: Buffer.alloc(0) }, { key: "null", value: null }, { key: "bin", value: Buffer.from([0, 255]) }] },
        { key: Buffer.from("b"), value: Buffer.from("2"), headers: [] },
      ]);
      const ack = await wire.produce(c, "headers", 0, batch);
      return { ack, records: (await readPartition(c, "headers")).records };
    }),
  );

  scenario("kafkajs headers and timestamps round trip through a consumer", async (t) => {
    const topic = "kjs-headers";
    await withConn(t, (c) => create(c, topic, 1));
    const producer = t.kafkajs().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "k", value: "v", timestamp: String(T0 + 5), headers: { a: "1", b: ["x", "y"] } }, { key: null, value: "no key", timestamp: String(T0 + 6) }] });
    await producer.disconnect();
    const consumer = t.kafkajs().consumer({ groupId: "g-kjs-headers" });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, timestamp: message.timestamp, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)])) });
            if (seen.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return seen;
  });

  scenario("keyed messages over 4 partitions land where the client's partitioner puts them", async (t) => {
    const topic = "keyed4";
    await withConn(t, (c) => create(c, topic, 4));
    const producer = t.kafkajs().producer();
    await producer.connect();
    const acks = await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `user-${i % 7}`, value: String(i), timestamp: String(T0) })) });
    await producer.disconnect();
    const ends = await withConn(t, async (c) => Promise.all([0, 1, 2, 3].map((p) => wire.listOffset(c, topic, p, -1))));
    return { acks: acks.sort((a, b) => a.partition - b.partition), ends };
  });

  scenario("LogAppendTime topic: stored timestamp type and the broker's time", async (t) =>
    withConn(t, async (c) => {
      await create(c, "log-append", 1, { "message.timestamp.type": "LogAppendTime" });
      const before = Date.now();
      const ack = await wire.produce(c, "log-append", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }], { baseTimestamp: T0 }));
      const stored = await readPartition(c, "log-append");
      return { ack, type: stored.batches.map((b) => b.timestampType), brokerTime: stored.records.map((r) => r.timestamp >= before - 1000) };
    }),
  );

  // ---- size limits ----
  scenario("900 KB message on a default topic is accepted", async (t) =>
    withConn(t, async (c) => {
      await create(c, "big-ok", 1);
      return wire.produce(c, "big-ok", 0, wire.buildBatch([{ key: null, value: Buffer.alloc(900_000, 7) }]));
    }),
  );

  scenario("2 MB message on a default topic: MESSAGE_TOO_LARGE", async (t) =>
    withConn(t, async (c) => {
      await create(c, "big-default", 1);
      const ack = await wire.produce(c, "big-default", 0, wire.buildBatch([{ key: null, value: Buffer.alloc(2_000_000, 7) }]));
      return { ack, end: await wire.listOffset(c, "big-default", 0, -1) };
    }),
  );

  scenario("topic max.message.bytes: a larger batch gets MESSAGE_TOO_LARGE, a smaller one is stored", async (t) =>
    withConn(t, async (c) => {
      await create(c, "small-limit", 1, { "max.message.bytes": "10000" });
      const big = await wire.produce(c, "small-limit", 0, wire.buildBatch([{ key: null, value: Buffer.alloc(20_000, 1) }]));
      const small = await wire.produce(c, "small-limit", 0, wire.buildBatch([{ key: null, value: Buffer.alloc(5_000, 1) }]));
      return { big, small };
    }),
  );

  scenario("kafkajs send of a too large message rejects with MESSAGE_TOO_LARGE", async (t) => {
    await withConn(t, (c) => create(c, "kjs-too-large", 1, { "max.message.bytes": "5000" }));
    const producer = t.kafkajs({ retry: { retries: 0 } }).producer();
    await producer.connect();
    const r = await outcome(() => producer.send({ topic: "kjs-too-large", messages: [{ value: "x".repeat(10_000) }] }));
    await producer.disconnect();
    return r;
  });

  // ---- produce error codes ----
  scenario("produce with a corrupt CRC: CORRUPT_MESSAGE", async (t) =>
    withConn(t, async (c) => {
      await create(c, "bad-crc", 1);
      return wire.produce(c, "bad-crc", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }], { corruptCrc: true }));
    }),
  );

  scenario("produce with acks=2: INVALID_REQUIRED_ACKS", async (t) =>
    withConn(t, async (c) => {
      await create(c, "bad-acks", 1);
      return wire.produce(c, "bad-acks", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }]), { acks: 2 });
    }),
  );

  scenario("produce to a partition that does not exist", async (t) =>
    withConn(t, async (c) => {
      await create(c, "one-part", 1);
      return wire.produce(c, "one-part", 5, wire.buildBatch([{ key: null, value: Buffer.from("x") }]));
    }),
  );

  scenario("produce to a topic that does not exist does not create it", async (t) =>
    withConn(t, async (c) => {
      const ack = await wire.produce(c, "never-created", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }]));
      const md = await wire.metadata(c, ["never-created"], false);
      return { ack, metadata: md.topics.map((x) => x.error) };
    }),
  );

  scenario("produce to an invalid topic name", async (t) => withConn(t, (c) => wire.produce(c, "bad name!", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }]))));

  scenario("produce a magic v1 (pre-0.11) message set", async (t) =>
    withConn(t, async (c) => {
      await create(c, "magic1", 1);
      // A v1 message: offset, size, crc, magic 1, attributes, timestamp, key, value.
      const body = new wire.W().int8(1).int8(0).int64(T0).bytes(null).bytes(Buffer.from("old")).buffer();
      const msg = new wire.W().uint32(0).raw(body).buffer();
      const set = new wire.W().int64(0).int32(msg.length).raw(msg).buffer();
      return wire.produce(c, "magic1", 0, set);
    }),
  );

  scenario("produce with acks=1 and acks=0 then read back", async (t) =>
    withConn(t, async (c) => {
      await create(c, "acks-levels", 1);
      const one = await wire.produce(c, "acks-levels", 0, wire.buildBatch([{ key: null, value: Buffer.from("one") }]), { acks: 1 });
      // acks=0 gets no answer: send it without waiting, then read.
      void c.request(wire.API.Produce, 7, (w) => {
        w.string(null).int16(0).int32(1000);
        w.array(["acks-levels"], (w, tp) => w.string(tp).array([0], (w, p) => w.int32(p).bytes(wire.buildBatch([{ key: null, value: Buffer.from("zero") }]))));
      }, 2000).catch(() => undefined);
      for (let i = 0; i < 50 && (await wire.listOffset(c, "acks-levels", 0, -1)).offset < 2; i++) await new Promise((r) => setTimeout(r, 100));
      return { one, records: (await readPartition(c, "acks-levels")).records.map((r) => r.value) };
    }),
  );

  // ---- old protocol versions ----
  for (const v of [0, 1, 2]) {
    scenario(`Produce v${v} (removed in Kafka 4)`, async (t) =>
      withConn(t, async (c) => {
        await create(c, `old-produce-${v}`, 1);
        return wire.produce(c, `old-produce-${v}`, 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }]), { version: v });
      }),
    );
  }
  for (const v of [0, 3]) {
    scenario(`Fetch v${v} (removed in Kafka 4)`, async (t) =>
      withConn(t, async (c) => {
        await create(c, `old-fetch-${v}`, 1);
        const f = await wire.fetchPartition(c, `old-fetch-${v}`, 0, 0, { version: v });
        return f === "closed" ? f : { error: f.error };
      }),
    );
  }

  scenario("ApiVersions: minimum versions of the APIs clients use", async (t) =>
    withConn(t, async (c) => {
      const { error, versions } = await wire.apiVersions(c);
      const keys = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 32];
      return { error, minVersion: Object.fromEntries(keys.map((k) => [k, versions.get(k)?.[0] ?? "absent"])) };
    }),
  );

  scenario("ApiVersions: the admin, transaction and SASL APIs offered", async (t) =>
    withConn(t, async (c) => {
      const { versions } = await wire.apiVersions(c);
      const keys = { SaslHandshake: 17, DeleteRecords: 21, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28, DescribeAcls: 29, AlterConfigs: 33, CreatePartitions: 37, SaslAuthenticate: 36, DeleteGroups: 42, IncrementalAlterConfigs: 44, OffsetDelete: 47, DescribeCluster: 60 };
      return Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, versions.has(k)]));
    }),
  );

  scenario("ApiVersions v3 (flexible) from a new client", async (t) =>
    withConn(t, async (c) => {
      // ApiVersions v3 has a flexible body but, for this API only, brokers answer with header v0.
      const a = await c.request(wire.API.ApiVersions, 3, (w) => w.int8(0).raw(Buffer.from([8])).raw(Buffer.from("client1")).raw(Buffer.from([6])).raw(Buffer.from("1.0.0")).int8(0));
      if ("closed" in a) return "closed";
      return { error: new wire.R(a.body).int16() };
    }),
  );

  // ---- fetch ----
  scenario("fetch beyond the end: OFFSET_OUT_OF_RANGE", async (t) =>
    withConn(t, async (c) => {
      await create(c, "fetch-oor", 1);
      await wire.produce(c, "fetch-oor", 0, wire.buildBatch([{ key: null, value: Buffer.from("x") }]));
      const f = await wire.fetchPartition(c, "fetch-oor", 0, 100);
      const atEnd = await wire.fetchPartition(c, "fetch-oor", 0, 1);
      return { beyond: f === "closed" ? f : f.error, atEnd: atEnd === "closed" ? atEnd : { error: atEnd.error, hw: atEnd.highWatermark, records: atEnd.records.length } };
    }),
  );

  scenario("fetch of an unknown topic", async (t) =>
    withConn(t, async (c) => {
      const f = await wire.fetchPartition(c, "no-such-topic-fetch", 0, 0);
      return f === "closed" ? f : f.error;
    }),
  );

  scenario("fetch from the middle of a batch returns the whole batch", async (t) =>
    withConn(t, async (c) => {
      await create(c, "mid-batch", 1);
      await wire.produce(c, "mid-batch", 0, wire.buildBatch(Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) }))));
      const f = await wire.fetchPartition(c, "mid-batch", 0, 5);
      return f === "closed" ? f : { first: f.records[0]?.offset, count: f.records.length, batches: f.batches.map((b) => b.baseOffset) };
    }),
  );

  // ---- offsets for times ----
  scenario("ListOffsets earliest/latest on empty and written partitions", async (t) =>
    withConn(t, async (c) => {
      await create(c, "lo-basic", 2);
      await wire.produce(c, "lo-basic", 1, wire.buildBatch([{ key: null, value: Buffer.from("a") }, { key: null, value: Buffer.from("b") }]));
      const q = async (p: number, ts: number) => {
        const r = await wire.listOffset(c, "lo-basic", p, ts);
        return { error: r.error, offset: r.offset };
      };
      return { p0: [await q(0, -2), await q(0, -1)], p1: [await q(1, -2), await q(1, -1)], unknownPartition: (await wire.listOffset(c, "lo-basic", 9, -1)).error };
    }),
  );

  scenario("ListOffsets by timestamp across uncompressed batches", async (t) =>
    withConn(t, async (c) => {
      await create(c, "lo-time", 1);
      for (let b = 0; b < 3; b++) await wire.produce(c, "lo-time", 0, wire.buildBatch([0, 1].map((i) => ({ key: null, value: Buffer.from(`${b}-${i}`), timestampDelta: i * 10 })), { baseTimestamp: T0 + b * 100 }));
      const at = async (ts: number) => wire.listOffset(c, "lo-time", 0, ts);
      return { exact: await at(T0 + 100), between: await at(T0 + 105), inside: await at(T0 + 210), first: await at(0), after: await at(T0 + 10_000) };
    }),
  );

  scenario("ListOffsets by timestamp inside one gzip batch is exact", async (t) =>
    withConn(t, async (c) => {
      await create(c, "lo-gzip", 1);
      await wire.produce(c, "lo-gzip", 0, wire.buildBatch(Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)), timestampDelta: i * 10 })), { baseTimestamp: T0, gzip: true }));
      return { at35: await wire.listOffset(c, "lo-gzip", 0, T0 + 35), at50: await wire.listOffset(c, "lo-gzip", 0, T0 + 50), at90: await wire.listOffset(c, "lo-gzip", 0, T0 + 90) };
    }),
  );

  scenario("ListOffsets by timestamp when the batch header's max timestamp is -1", async (t) =>
    withConn(t, async (c) => {
      await create(c, "lo-maxts", 1);
      const ack = await wire.produce(c, "lo-maxts", 0, wire.buildBatch([0, 1, 2].map((i) => ({ key: null, value: Buffer.from(String(i)), timestampDelta: i * 10 })), { baseTimestamp: T0, maxTimestamp: -1 }));
      return { ack, at15: await wire.listOffset(c, "lo-maxts", 0, T0 + 15), at20: await wire.listOffset(c, "lo-maxts", 0, T0 + 20) };
    }),
  );

  scenario("kafkajs admin fetchTopicOffsets and fetchTopicOffsetsByTimestamp", async (t) => {
    await withConn(t, async (c) => {
      await create(c, "kjs-offsets", 2);
      await wire.produce(c, "kjs-offsets", 0, wire.buildBatch([0, 1, 2].map((i) => ({ key: null, value: Buffer.from("x"), timestampDelta: i * 100 })), { baseTimestamp: T0 }));
    });
    const admin = t.kafkajs().admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets("kjs-offsets");
    const byTime = await admin.fetchTopicOffsetsByTimestamp("kjs-offsets", T0 + 150);
    await admin.disconnect();
    return { offsets: offsets.sort((a, b) => a.partition - b.partition), byTime: byTime.sort((a, b) => a.partition - b.partition) };
  });

  // ---- metadata ----
  scenario("Metadata: broker, controller, partitions, replicas, isr", async (t) =>
    withConn(t, async (c) => {
      await create(c, "md-shape", 3);
      const md = await wire.metadata(c, ["md-shape"], false);
      return { brokers: md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, rack: b.rack })), controllerId: md.controllerId, topics: md.topics };
    }),
  );

  scenario("Metadata auto-creates an unknown topic with the default partitions", async (t) =>
    withConn(t, async (c) => {
      let md = await wire.metadata(c, ["auto-created"], true);
      for (let i = 0; i < 50 && (md.topics[0].error !== 0 || md.topics[0].partitions.length === 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
        md = await wire.metadata(c, ["auto-created"], true);
      }
      return md.topics.map((x) => ({ name: x.name, error: x.error, partitions: x.partitions.length }));
    }),
  );

  scenario("Metadata without auto-create: UNKNOWN_TOPIC_OR_PARTITION", async (t) => withConn(t, async (c) => (await wire.metadata(c, ["not-auto"], false)).topics));

  scenario("Metadata of an invalid topic name: INVALID_TOPIC_EXCEPTION", async (t) => withConn(t, async (c) => (await wire.metadata(c, ["bad/name"], true)).topics.map((x) => ({ name: x.name, error: x.error }))));

  scenario("Metadata of __consumer_offsets after a group committed: internal topic", async (t) =>
    withConn(t, async (c) => {
      await create(c, "for-offsets", 1);
      await wire.findCoordinator(c, "md-internal");
      await wire.commitOffset(c, "md-internal", -1, "", "for-offsets", 0, 1);
      const md = await wire.metadata(c, ["__consumer_offsets"], false);
      const all = await wire.metadata(c, null);
      return { explicit: md.topics.map((x) => ({ name: x.name, error: x.error, internal: x.internal })), listedInternal: all.topics.filter((x) => x.internal).map((x) => x.name) };
    }),
  );

  scenario("kafkajs describeCluster and fetchTopicMetadata", async (t) => {
    await withConn(t, (c) => create(c, "kjs-md", 2));
    const admin = t.kafkajs().admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    const md = await admin.fetchTopicMetadata({ topics: ["kjs-md"] });
    await admin.disconnect();
    return { brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host })), controller: cluster.controller, clusterId: cluster.clusterId, md };
  }, { differences: ["cluster-id"] });

  // ---- topic admin ----
  scenario("CreateTopics: already exists", async (t) =>
    withConn(t, async (c) => {
      await create(c, "dup", 1);
      return wire.createTopic(c, "dup", 1, 1);
    }),
  );

  for (const [label, partitions, replication, name, configs] of [
    ["zero partitions", 0, 1, "zero-parts", {}],
    ["replication factor 3 on one broker", 1, 3, "rf3", {}],
    ["invalid name", 1, 1, "bad name", {}],
    ["name of 250 characters", 1, 1, "x".repeat(250), {}],
    ["name '..'", 1, 1, "..", {}],
    ["invalid config value", 1, 1, "bad-config-value", { "retention.ms": "soon" }],
    ["unknown config", 1, 1, "unknown-config", { "no.such.config": "1" }],
    ["default partitions (-1)", -1, -1, "defaults-minus-one", {}],
  ] as const) {
    scenario(`CreateTopics: ${label}`, async (t) =>
      withConn(t, async (c) => {
        const error = await wire.createTopic(c, name, partitions, replication, configs as Record<string, string>);
        const md = await wire.metadata(c, [name], false);
        return { error, exists: md.topics[0].error === 0, partitions: md.topics[0].partitions.length };
      }),
    );
  }

  scenario("CreateTopics validate-only creates nothing", async (t) =>
    withConn(t, async (c) => {
      const error = await wire.createTopic(c, "validate-only", 3, 1, {}, true);
      return { error, after: (await wire.metadata(c, ["validate-only"], false)).topics[0].error };
    }),
  );

  scenario("DeleteTopics: existing then unknown", async (t) =>
    withConn(t, async (c) => {
      await create(c, "to-delete", 1);
      const first = await wire.deleteTopic(c, "to-delete");
      let after = (await wire.metadata(c, ["to-delete"], false)).topics[0].error;
      for (let i = 0; i < 50 && after === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = (await wire.metadata(c, ["to-delete"], false)).topics[0].error;
      }
      return { first, after, unknown: await wire.deleteTopic(c, "never-existed") };
    }),
  );

  scenario("kafkajs admin createTopics, listTopics, deleteTopics", async (t) => {
    const admin = t.kafkajs().admin();
    await admin.connect();
    const created = await admin.createTopics({ topics: [{ topic: "kjs-admin-a", numPartitions: 2 }, { topic: "kjs-admin-b", numPartitions: 1, configEntries: [{ name: "retention.ms", value: "60000" }] }], waitForLeaders: true });
    const again = await admin.createTopics({ topics: [{ topic: "kjs-admin-a" }] });
    const listed = (await admin.listTopics()).filter((n) => n.startsWith("kjs-admin-")).sort();
    await admin.deleteTopics({ topics: ["kjs-admin-b"] });
    let remaining = (await admin.listTopics()).filter((n) => n.startsWith("kjs-admin-")).sort();
    for (let i = 0; i < 50 && remaining.includes("kjs-admin-b"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      remaining = (await admin.listTopics()).filter((n) => n.startsWith("kjs-admin-")).sort();
    }
    await admin.disconnect();
    return { created, again, listed, remaining };
  });

  scenario("kafkajs admin describeConfigs of a topic: values set at creation", async (t) => {
    const admin = t.kafkajs().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "kjs-configs", numPartitions: 1, configEntries: [{ name: "retention.ms", value: "123456" }, { name: "cleanup.policy", value: "delete" }, { name: "max.message.bytes", value: "200000" }] }], waitForLeaders: true });
    const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "kjs-configs", configNames: ["retention.ms", "cleanup.policy", "max.message.bytes"] }] });
    await admin.disconnect();
    return r.resources.map((res) => ({ errorCode: res.errorCode, name: res.resourceName, configs: res.configEntries.map((e) => ({ name: e.configName, value: e.configValue, isDefault: e.isDefault, readOnly: e.readOnly })).sort((a, b) => a.name.localeCompare(b.name)) }));
  });

  scenario("kafkajs admin describeConfigs of an unknown topic", async (t) => {
    const admin = t.kafkajs().admin();
    await admin.connect();
    const r = await outcome(() => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "no-such-configs" }] }));
    await admin.disconnect();
    return r;
  });

  scenario("kafkajs admin createPartitions", async (t) => {
    const admin = t.kafkajs().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "kjs-grow", numPartitions: 1 }], waitForLeaders: true });
    const grown = await outcome(() => admin.createPartitions({ topicPartitions: [{ topic: "kjs-grow", count: 3 }] }));
    const md = await admin.fetchTopicMetadata({ topics: ["kjs-grow"] });
    await admin.disconnect();
    return { grown, partitions: md.topics[0].partitions.length };
  });

  scenario("kafkajs admin alterConfigs then describeConfigs", async (t) => {
    const admin = t.kafkajs().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "kjs-alter", numPartitions: 1 }], waitForLeaders: true });
    const altered = await outcome(() => admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "kjs-alter", configEntries: [{ name: "retention.ms", value: "777000" }] }] }));
    const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "kjs-alter", configNames: ["retention.ms"] }] });
    await admin.disconnect();
    return { altered: "error" in (altered as object) ? altered : "ok", value: r.resources[0].configEntries.map((e) => e.configValue) };
  });

  scenario("kafkajs admin deleteTopicRecords", async (t) => {
    await withConn(t, async (c) => {
      await create(c, "kjs-delrec", 1);
      await wire.produce(c, "kjs-delrec", 0, wire.buildBatch(Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) }))));
    });
    const admin = t.kafkajs().admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ["kjs-delrec"] });
    const r = await outcome(() => admin.deleteTopicRecords({ topic: "kjs-delrec", partitions: [{ partition: 0, offset: "4" }] }));
    const offsets = await admin.fetchTopicOffsets("kjs-delrec");
    await admin.disconnect();
    return { r: r ?? "ok", offsets };
  });
});
