/**
 * A small seeded PRNG (sfc32) with the distributions the datasets need.
 *
 * Math.random cannot be seeded, and the same seed must give the same records on every machine and Node
 * version, so every random choice in lib/datagen goes through this class.
 */

/** 32-bit FNV-1a followed by a murmur3 finalizer: turns any seed text into well-mixed 32-bit words. */
export function hash32(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const ID_ALPHABET = Array.from("0123456789abcdefghijklmnopqrstuvwxyz", (c) => c.charCodeAt(0));
/** Reused arrays of character codes, by id length. */
const ID_CODES: number[][] = [];

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: string | number) {
    const text = String(seed);
    this.a = hash32(text, 1);
    this.b = hash32(text, 2);
    this.c = hash32(text, 3);
    this.d = 1;
    // Discard the first outputs: sfc32 mixes its state over the first few rounds.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A child stream: independent of this one's future draws, fixed by (this seed, label). */
  static derive(seed: string | number, ...labels: (string | number)[]): Random {
    return new Random(`${seed}\u0000${labels.join("\u0000")}`);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Weighted choice; weights need not sum to 1. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      x -= weights[i];
      if (x < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** Standard normal by Box-Muller, scaled. */
  normal(mean = 0, stddev = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + stddev * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + stddev * r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal: exp(normal(mu, sigma)); right-skewed like prices, latencies and amounts. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Exponential with the given mean: gaps between independent events. */
  exponential(mean: number): number {
    let u = 0;
    while (u === 0) u = this.next();
    return -Math.log(u) * mean;
  }

  /**
   * Zipf-like rank in [1, n]: a few entities get most of the traffic (popular products, heavy users).
   * Uses the continuous approximation of s = 1, which is cheap for any n.
   */
  zipf(n: number): number {
    const k = Math.floor(Math.exp(this.next() * Math.log(n + 1)));
    return Math.min(n, Math.max(1, k));
  }

  /** 32 random hex digits formatted as a version-4 UUID. */
  uuid(): string {
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    const s = hex(this.nextUint32()) + hex(this.nextUint32()) + hex(this.nextUint32()) + hex(this.nextUint32());
    const variant = ((parseInt(s[16], 16) & 0x3) | 0x8).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }

  /** Short random id of lowercase letters and digits. */
  id(length = 10): string {
    // Character codes gathered first and made one flat string (not a chain of concatenations).
    const codes = length <= 64 ? (ID_CODES[length] ??= new Array<number>(length).fill(0)) : new Array<number>(length).fill(0);
    for (let i = 0; i < length; i++) codes[i] = ID_ALPHABET[this.nextUint32() % 36];
    return String.fromCharCode(...codes);
  }
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

let isoSecond = NaN;
let isoPrefix = "";
let isoLastMs = NaN;
let isoLast = "";
const MS3 = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, "0")}Z`);

/**
 * `new Date(ms).toISOString()`, without a Date per call: generators stamp many records with the same
 * millisecond and second, so the text up to the seconds is reused and only the milliseconds are appended.
 */
export function isoTime(ms: number): string {
  if (ms === isoLastMs) return isoLast;
  if (!(Math.abs(ms) <= 8.64e15)) return new Date(ms).toISOString(); // NaN and out of range: a RangeError, as Date throws
  const t = Math.trunc(ms); // as Date's TimeClip
  const second = Math.floor(t / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  isoLastMs = ms;
  isoLast = isoPrefix + MS3[t - second * 1000];
  return isoLast;
}
