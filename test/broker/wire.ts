/** Raw Kafka requests for the protocol and fuzz tests, built with the broker's own primitive writer. */
import * as net from "node:net";
import { Writer, Reader } from "../../lib/protocol/primitives";
import { crc32c } from "../../lib/broker/log/crc32c";

export function frame(apiKey: number, version: number, correlationId: number, body: (w: Writer) => void, clientId = "wire-test"): Buffer {
  const w = new Writer();
  w.int16(apiKey).int16(version).int32(correlationId).nullableString(clientId);
  body(w);
  const payload = w.toBuffer();
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

function varint(n: number): Buffer {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  while ((z & ~0x7f) !== 0) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return Buffer.from(out);
}

/** An uncompressed RecordBatch v2 with valid CRC32C. */
export function recordBatch(records: { key: Buffer | null; value: Buffer | null }[], timestamp = Date.now(), magic = 2): Buffer {
  const recs = records.map((r, i) => {
    const parts = [Buffer.from([0]), varint(0), varint(i), r.key ? Buffer.concat([varint(r.key.length), r.key]) : varint(-1), r.value ? Buffer.concat([varint(r.value.length), r.value]) : varint(-1), varint(0)];
    const body = Buffer.concat(parts);
    return Buffer.concat([varint(body.length), body]);
  });
  const tail = new Writer();
  tail.int16(0).int32(records.length - 1).int64(timestamp).int64(timestamp).int64(-1).int16(-1).int32(-1).int32(records.length);
  const afterCrc = Buffer.concat([tail.toBuffer(), ...recs]);
  const head = new Writer();
  head.int64(0).int32(4 + 1 + 4 + afterCrc.length).int32(0).int8(magic).uint32(crc32c(afterCrc));
  return Buffer.concat([head.toBuffer(), afterCrc]);
}

export function produceRequest(correlationId: number, topic: string, partition: number, records: Buffer, acks = -1): Buffer {
  return frame(0, 7, correlationId, (w) => {
    w.nullableString(null).int16(acks).int32(5000);
    w.array([topic], (w, t) => {
      w.string(t);
      w.array([partition], (w, p) => w.int32(p).bytes(records));
    });
  });
}

/** Produce v7 response: [topic, partition, errorCode, baseOffset] of the first partition. */
export function parseProduceResponse(body: Buffer): { errorCode: number; baseOffset: number } {
  const r = new Reader(body, 4);
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return { errorCode: r.int16(), baseOffset: r.int64() };
}

/** Sends bytes on a new connection, half-closes, and collects every response frame until the broker closes. */
export function exchange(port: number, data: Buffer | Buffer[], opts: { end?: boolean; timeoutMs?: number; responses?: number } = {}): Promise<{ responses: Buffer[]; closedByBroker: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const responses: Buffer[] = [];
    let done = false;
    const finish = (closedByBroker: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, closedByBroker });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 30_000);
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0);
        responses.push(buf.subarray(4, 4 + n));
        buf = buf.subarray(4 + n);
      }
      if (opts.responses !== undefined && responses.length >= opts.responses) finish(false);
    });
    socket.on("error", (e) => (done ? undefined : (e as NodeJS.ErrnoException).code === "ECONNRESET" ? finish(true) : reject(e)));
    socket.on("close", () => finish(true));
    socket.on("connect", () => {
      for (const d of Array.isArray(data) ? data : [data]) socket.write(d);
      if (opts.end !== false) socket.end();
    });
  });
}

export function apiVersionsRequest(correlationId: number, version = 0): Buffer {
  return frame(18, version, correlationId, () => {});
}

/** Metadata v4 for the topics: auto-creates them (Produce does not, as in Kafka). */
export function metadataRequest(correlationId: number, topics: string[]): Buffer {
  return frame(3, 4, correlationId, (w) => w.array(topics, (w, t) => w.string(t)).bool(true));
}
