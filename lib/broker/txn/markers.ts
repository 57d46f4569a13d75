/**
 * Transaction markers: the control batches (attributes transactional | control) that end a transaction in each
 * of its partitions. One record; its key is (version 0, type 0 ABORT / 1 COMMIT), its value (version 0,
 * coordinator epoch), as Kafka's EndTransactionMarker. Written by the transaction coordinator through the same
 * append path as produced batches, and recorded in the partition's producer state.
 */
import type { PartitionLog } from "../log/partition-log";
import { crc32c } from "../log/crc32c";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, readBatchAt } from "../log/record-batch";
import { producerState } from "./producer-state";

function zigzag(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

/** A control batch for (producerId, epoch) saying commit or abort, stamped `now`. */
export function buildMarker(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, now: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  const body = Buffer.from([0, ...zigzag(0), ...zigzag(0), ...zigzag(key.length), ...key, ...zigzag(value.length), ...value, ...zigzag(0)]);
  const record = Buffer.concat([Buffer.from(zigzag(body.length)), body]);
  const batch = Buffer.alloc(61 + record.length);
  batch.writeBigInt64BE(0n, 0); // base offset, assigned by the log
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(0, 12); // partition leader epoch
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(ATTR_TRANSACTIONAL | ATTR_CONTROL, 21);
  batch.writeInt32BE(0, 23); // last offset delta
  batch.writeBigInt64BE(BigInt(now), 27);
  batch.writeBigInt64BE(BigInt(now), 35);
  batch.writeBigInt64BE(BigInt(producerId), 43);
  batch.writeInt16BE(producerEpoch, 51);
  batch.writeInt32BE(-1, 53); // base sequence: none for control batches
  batch.writeInt32BE(1, 57);
  record.copy(batch, 61);
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
  return batch;
}

/** Appends a marker to a partition and records it in its producer state; returns its offset. */
export function writeMarker(log: PartitionLog, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, now = Date.now()): number {
  const state = producerState(log); // built before the append, so the rebuild does not see the marker twice
  const info = readBatchAt(buildMarker(producerId, producerEpoch, commit, coordinatorEpoch, now), 0, false);
  if (typeof info === "string") throw new Error(`marker batch is malformed: ${info}`);
  const offset = log.append([info], now);
  state.onMarker(producerId, producerEpoch, commit, offset, coordinatorEpoch, now);
  return offset;
}
