/**
 * The Jupyter wire protocol (messaging spec 5.3): frames [identities..., "<IDS|MSG>", hmac, header, parent,
 * metadata, content, buffers...]. Parsing never throws: a bad frame set yields a reason, and the caller logs
 * and drops it (tslab's own parser throws there, which published tslab turns into an unhandled rejection).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const DELIMITER = Buffer.from("<IDS|MSG>");
export const PROTOCOL_VERSION = "5.3";

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

export interface JupyterMessage {
  identities: Buffer[];
  header: MessageHeader;
  parent: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

export type ParseResult = { ok: true; message: JupyterMessage } | { ok: false; reason: string };

function sign(key: string, scheme: string, parts: Buffer[]): string {
  if (!key) return "";
  const algorithm = scheme.replace(/^hmac-/, "");
  const h = createHmac(algorithm, key);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

export function parseFrames(frames: Buffer[], key: string, scheme = "hmac-sha256"): ParseResult {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) return { ok: false, reason: "missing <IDS|MSG> delimiter" };
  if (frames.length < at + 6) return { ok: false, reason: `too few frames after the delimiter (${frames.length - at - 1}, want 5)` };
  const signature = frames[at + 1].toString("ascii");
  const parts = frames.slice(at + 2, at + 6);
  if (key) {
    let expected: string;
    try {
      expected = sign(key, scheme, parts);
    } catch (err) {
      return { ok: false, reason: `cannot check signature: ${(err as Error).message}` };
    }
    const a = Buffer.from(signature);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: "bad HMAC signature" };
  }
  const decoded: unknown[] = [];
  const names = ["header", "parent_header", "metadata", "content"];
  for (let i = 0; i < 4; i++) {
    try {
      decoded.push(JSON.parse(parts[i].toString("utf8")));
    } catch (err) {
      return { ok: false, reason: `malformed JSON in ${names[i]}: ${(err as Error).message}` };
    }
  }
  const [header, parent, metadata, content] = decoded as [MessageHeader, MessageHeader, Record<string, unknown>, Record<string, unknown>];
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(header) || typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    return { ok: false, reason: "header lacks msg_id or msg_type" };
  }
  if (!isObject(parent) || !isObject(metadata) || !isObject(content)) return { ok: false, reason: "parent_header, metadata and content must be objects" };
  return { ok: true, message: { identities: frames.slice(0, at), header, parent, metadata, content, buffers: frames.slice(at + 6) } };
}

/** A reply or broadcast parented to `parent` (routing identities are copied for shell/control replies). */
export function makeMessage(
  parent: JupyterMessage | undefined,
  msgType: string,
  content: Record<string, unknown>,
  options: { identities?: Buffer[]; metadata?: Record<string, unknown>; session?: string } = {},
): JupyterMessage {
  return {
    identities: options.identities ?? parent?.identities ?? [],
    header: {
      msg_id: randomBytes(16).toString("hex"),
      msg_type: msgType,
      session: options.session ?? parent?.header.session ?? "streamlab",
      username: parent?.header.username ?? "streamlab",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent: parent?.header ?? {},
    metadata: options.metadata ?? {},
    content,
    buffers: [],
  };
}

export function serialize(message: JupyterMessage, key: string, scheme = "hmac-sha256"): Buffer[] {
  const parts = [message.header, message.parent, message.metadata, message.content].map((p) => Buffer.from(JSON.stringify(p)));
  return [...message.identities, DELIMITER, Buffer.from(sign(key, scheme, parts)), ...parts, ...message.buffers];
}
