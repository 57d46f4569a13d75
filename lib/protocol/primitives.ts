/**
 * Kafka's wire primitives: big-endian integers, classic int16-length strings, int32-length bytes and
 * int32-count arrays, and the flexible (KIP-482) forms: unsigned varints, compact strings/bytes/arrays whose
 * length is written as length + 1 (0 for null), and UUIDs. The message codec (codec.ts) is built on these.
 */

/** Thrown when a request is shorter than its own fields say: the connection is closed, nothing else. */
export class MalformedRequestError extends Error {}

export class Reader {
  offset: number;
  constructor(readonly buf: Buffer, offset = 0) {
    this.offset = offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new MalformedRequestError(`request truncated: needed ${n} bytes at ${this.offset} of ${this.buf.length}`);
  }

  remaining(): number {
    return this.buf.length - this.offset;
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int64 as a JS number: offsets and timestamps stay far below 2^53 in this broker. */
  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.offset));
    this.offset += 8;
    return v;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString("utf8", this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedRequestError("null where a string is required");
    return s;
  }

  /** A slice of the request buffer (no copy). */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const b = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return b;
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned varint (at most 5 bytes, 32 bits). */
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.offset++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
      if (shift > 28) throw new MalformedRequestError("unsigned varint longer than 5 bytes");
    }
  }

  /** A 16-byte UUID, as 32 lowercase hex digits with dashes (RFC 4122 layout). */
  uuid(): string {
    this.need(16);
    const h = this.buf.toString("hex", this.offset, this.offset + 16);
    this.offset += 16;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Compact length: the uvarint minus one; -1 means null. */
  compactLength(): number {
    return this.uvarint() - 1;
  }

  compactNullableString(): string | null {
    const len = this.compactLength();
    if (len < 0) return null;
    if (len > 0x7fff) throw new MalformedRequestError(`string of ${len} bytes is longer than Kafka allows (32767)`);
    this.need(len);
    const s = this.buf.toString("utf8", this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  compactNullableBytes(): Buffer | null {
    const len = this.compactLength();
    if (len < 0) return null;
    this.need(len);
    const b = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return b;
  }

  /** Skips n bytes (an unknown tagged field). */
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** A nullable array: null when the count is -1. */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    // Each element takes at least one byte: a count larger than what is left is a lie, not a reason to loop.
    if (n > this.remaining()) throw new MalformedRequestError(`array of ${n} elements in ${this.remaining()} bytes`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
}

/**
 * Builds a response as a list of chunks: small fields go into a growing scratch buffer, large record data is
 * appended by reference, so fetch responses never copy the stored batches.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private total = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flushScratch();
    this.buf = Buffer.allocUnsafe(Math.max(n, 1024));
  }

  private flushScratch(): void {
    if (this.pos > 0) {
      this.chunks.push(this.buf.subarray(0, this.pos));
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
  }

  get length(): number {
    return this.total;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    this.total += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    this.total += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    this.total += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    this.total += 4;
    return this;
  }

  int64(v: number | bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    this.total += 8;
    return this;
  }

  nullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.int16(-1);
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.ensure(len);
    this.buf.write(s, this.pos, "utf8");
    this.pos += len;
    this.total += len;
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  nullableBytes(b: Buffer | null | undefined): this {
    if (b === null || b === undefined) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }

  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    this.total += 2;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    this.total += 8;
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      this.total++;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    this.total++;
    return this;
  }

  uuid(id: string): this {
    const hex = id.replace(/-/g, "");
    if (hex.length !== 32) throw new Error(`not a UUID: ${id}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, "hex");
    this.pos += 16;
    this.total += 16;
    return this;
  }

  compactNullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.uvarint(0);
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.ensure(len);
    this.buf.write(s, this.pos, "utf8");
    this.pos += len;
    this.total += len;
    return this;
  }

  compactNullableBytes(b: Buffer | null | undefined): this {
    if (b === null || b === undefined) return this.uvarint(0);
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  /** Appends bytes as they are; big buffers by reference. */
  raw(b: Buffer): this {
    if (b.length === 0) return this;
    if (b.length < 512) {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
    } else {
      this.flushScratch();
      this.chunks.push(b);
    }
    this.total += b.length;
    return this;
  }

  array<T>(items: readonly T[] | null | undefined, item: (w: Writer, v: T) => void): this {
    if (items === null || items === undefined) return this.int32(-1);
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  /** The chunks written so far; the writer must not be used afterwards. */
  finish(): Buffer[] {
    this.flushScratch();
    return this.chunks;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.finish(), this.total);
  }
}
