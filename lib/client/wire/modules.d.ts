// Types for the pure-JS codecs lib/client/wire/batches.ts uses (the packages ship none).
declare module "snappyjs" {
  export function uncompress(data: Uint8Array): Uint8Array;
  export function compress(data: Uint8Array): Uint8Array;
}
declare module "lz4js" {
  export function decompress(data: Uint8Array, maxSize?: number): Uint8Array;
  export function compress(data: Uint8Array, maxSize?: number): Uint8Array;
}
