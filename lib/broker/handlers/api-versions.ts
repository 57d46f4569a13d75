/** ApiVersions v0-2: the advertised non-flexible ranges. */
import { ErrorCode, SUPPORTED_VERSIONS } from "../protocol/apis";
import { Writer } from "../protocol/primitives";
import type { RequestContext } from "../core";

export function encodeApiVersions(version: number, errorCode: number): Writer {
  const w = new Writer();
  w.int16(errorCode);
  const keys = Object.keys(SUPPORTED_VERSIONS).map(Number).sort((a, b) => a - b);
  w.array(keys, (w, k) => w.int16(k).int16(SUPPORTED_VERSIONS[k][0]).int16(SUPPORTED_VERSIONS[k][1]));
  if (version >= 1) w.int32(0);
  return w;
}

export function handleApiVersions(ctx: RequestContext): Writer {
  // The request body has no fields below v3; a newer client gets the v0 body and UNSUPPORTED_VERSION, and
  // retries with a version from the list (the server sends this before looking at the body).
  return encodeApiVersions(ctx.version, ErrorCode.NONE);
}
