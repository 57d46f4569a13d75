/**
 * The record-batch codecs, for both ends of the wire: the client inflates what it fetches and compresses what it
 * produces; the broker's log cleaner inflates compressed batches and writes the records it keeps back with the
 * same codec. gzip (node:zlib), snappy (snappyjs; raw, or xerial-framed as the Java client writes it, and written
 * back the same way), lz4 (lz4js, LZ4 frames as Kafka uses them) and zstd (fzstd: decompression only, so there
 * is no zstd compressor here: a zstd batch the cleaner rewrites is written gzip-compressed, see
 * lib/broker/README.md, and producers cannot choose zstd).
 */
import * as zlib from "node:zlib";
import * as fzstd from "fzstd";
import * as lz4js from "lz4js";
import * as snappyjs from "snappyjs";

export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;

/** snappy-java's stream header (SnappyOutputStream), then version 1 and compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** snappy-java's default block size. */
const XERIAL_BLOCK = 32 * 1024;

function view(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function isXerial(data: Buffer): boolean {
  return data.length >= 16 && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** The uncompressed length a raw snappy block declares (its leading varint), checked before inflating. */
function snappyLength(data: Buffer): number {
  let n = 0;
  for (let i = 0, mul = 1; i < 5 && i < data.length; i++, mul *= 128) {
    n += (data[i] & 0x7f) * mul;
    if ((data[i] & 0x80) === 0) return n;
  }
  return Number.POSITIVE_INFINITY;
}

/** A batch's records section inflated; throws on a codec it does not know or on data that does not inflate. */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer {
  let out: Buffer;
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
    case CODEC_SNAPPY:
      if (isXerial(data)) {
        const parts: Buffer[] = [];
        let total = 0;
        for (let at = 16; at + 4 <= data.length; ) {
          const n = data.readInt32BE(at);
          if (n < 0 || at + 4 + n > data.length) throw new Error("xerial snappy block past the end of the data");
          const part = view(snappyjs.uncompress(data.subarray(at + 4, at + 4 + n)));
          total += part.length;
          if (total > maxBytes) throw new Error(`inflates past ${maxBytes} bytes`);
          parts.push(part);
          at += 4 + n;
        }
        return Buffer.concat(parts);
      }
      if (snappyLength(data) > maxBytes) throw new Error(`inflates past ${maxBytes} bytes`);
      out = view(snappyjs.uncompress(data));
      break;
    case CODEC_LZ4:
      out = view(lz4js.decompress(data));
      break;
    case CODEC_ZSTD:
      out = view(fzstd.decompress(data));
      break;
    default:
      throw new Error(`unknown compression codec ${codec}`);
  }
  if (out.length > maxBytes) throw new Error(`inflates past ${maxBytes} bytes`);
  return out;
}

/**
 * Compresses a records section with the codec its batch had (`original` is the batch's compressed section, so a
 * xerial-framed snappy section is framed again); zstd, which has no compressor here, becomes gzip. Returns the
 * codec used and the bytes. `gzipLevel`: the producer trades ratio for speed (1), the cleaner keeps zlib's default.
 */
export function compress(codec: number, data: Buffer, original?: Buffer, gzipLevel?: number): { codec: number; data: Buffer } {
  switch (codec) {
    case CODEC_NONE:
      return { codec, data };
    case CODEC_GZIP:
    case CODEC_ZSTD:
      return { codec: CODEC_GZIP, data: zlib.gzipSync(data, gzipLevel === undefined ? {} : { level: gzipLevel }) };
    case CODEC_SNAPPY: {
      if (!original || !isXerial(original)) return { codec, data: view(snappyjs.compress(data)) };
      const head = Buffer.alloc(16);
      XERIAL_MAGIC.copy(head, 0);
      head.writeInt32BE(1, 8);
      head.writeInt32BE(1, 12);
      const parts: Buffer[] = [head];
      for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
        const block = view(snappyjs.compress(data.subarray(at, at + XERIAL_BLOCK)));
        const len = Buffer.alloc(4);
        len.writeInt32BE(block.length, 0);
        parts.push(len, block);
      }
      return { codec, data: Buffer.concat(parts) };
    }
    case CODEC_LZ4:
      return { codec, data: view(lz4js.compress(data)) };
    default:
      throw new Error(`unknown compression codec ${codec}`);
  }
}
