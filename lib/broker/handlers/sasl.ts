/**
 * SASL authentication (KIP-152 framing): SaslHandshake v1 picks the mechanism, then SaslAuthenticate v0-2
 * carries its exchanges. Mechanisms: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802/7677, as Kafka implements
 * them), against the broker's user list. Until a connection has authenticated on a listener that requires it,
 * the server lets through only ApiVersions, SaslHandshake and SaslAuthenticate (anything else closes it, as
 * Kafka does). A failed authentication answers SASL_AUTHENTICATION_FAILED and the server then closes.
 * The raw-token exchange after a SaslHandshake v0 (clients before Kafka 1.0) is not served.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { SaslAuthenticate, SaslHandshake } from "../../protocol/messages";
import type { RequestContext } from "../core";

export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
const SCRAM_ITERATIONS = 4096;

/** Per-connection authentication state (RequestContext.session). */

export const saslHandshake = defineApi(SaslHandshake, {
  // v0 is listed as Kafka does (librdkafka looks for it before it uses v1 with SaslAuthenticate), but a client
  // that then sends raw v0 tokens without Kafka framing is not served: its next frame closes the connection.
  versions: [0, 1],
  handle(req, ctx) {
    const session = ctx.session;
    const enabled = ctx.core.options.users !== undefined;
    if (!session || !enabled) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (session.principal !== null || session.mechanism) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [...SASL_MECHANISMS] };
    if (!(SASL_MECHANISMS as readonly string[]).includes(req.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
    session.mechanism = req.mechanism;
    return { errorCode: ErrorCode.NONE, mechanisms: [...SASL_MECHANISMS] };
  },
});

function fail(ctx: RequestContext, message: string) {
  if (ctx.session) ctx.session.closeAfterResponse = message;
  return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
}

function ok(authBytes: Buffer = Buffer.alloc(0)) {
  return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs: 0 };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SCRAM's Hi(), HMAC and H() for the mechanism's hash. */
function scramKeys(password: string, salt: Buffer, iterations: number, hash: "sha256" | "sha512") {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, hash === "sha256" ? 32 : 64, hash);
  const clientKey = createHmac(hash, salted).update("Client Key").digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const serverKey = createHmac(hash, salted).update("Server Key").digest();
  return { clientKey, storedKey, serverKey };
}

/** Parses "a=b,c=d" SCRAM attributes (values may contain "="). */
function attributes(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(",")) {
    const i = part.indexOf("=");
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

function saslName(s: string): string {
  return s.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

export const saslAuthenticate = defineApi(SaslAuthenticate, {
  versions: [0, 2],
  handle(req, ctx) {
    const session = ctx.session;
    const users = ctx.core.options.users;
    if (!session || !users || !session.mechanism || session.principal !== null) return fail(ctx, "Unexpected SaslAuthenticate: send SaslHandshake first");
    const token = req.authBytes.toString("utf8");
    if (session.mechanism === "PLAIN") {
      const [authzid, user, password] = token.split("\0");
      if (user === undefined || password === undefined) return fail(ctx, "Invalid SASL/PLAIN response: expected 3 tokens");
      if (authzid && authzid !== user) return fail(ctx, "Authentication failed: Client requested an authorization id that is different from username");
      const expected = users[user];
      if (expected === undefined || !safeEqual(Buffer.from(password), Buffer.from(expected))) return fail(ctx, "Authentication failed: Invalid username or password");
      session.principal = `User:${user}`;
      return ok();
    }
    const hash = session.mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
    if (!session.scram) {
      // client-first-message: gs2-header "n,," (no channel binding) then "n=user,r=nonce".
      const m = /^([ny]|p=[^,]*),([^,]*),(.*)$/.exec(token);
      if (!m) return fail(ctx, "Invalid SCRAM client first message");
      const bare = m[3];
      const a = attributes(bare);
      const user = saslName(a.get("n") ?? "");
      const clientNonce = a.get("r");
      if (!clientNonce) return fail(ctx, "Invalid SCRAM client first message: no nonce");
      const nonce = clientNonce + randomBytes(18).toString("base64").replace(/[=+/]/g, "x");
      // Unknown users go through the exchange with a made-up salt and fail at the proof, as Kafka does.
      const salt = createHash("sha256").update("streamlab-scram-salt\0" + user).digest().subarray(0, 16);
      const serverFirst = `r=${nonce},s=${salt.toString("base64")},i=${SCRAM_ITERATIONS}`;
      session.scram = { user, clientFirstBare: bare, serverFirst, nonce, salt, hash };
      return ok(Buffer.from(serverFirst));
    }
    const s = session.scram;
    const final = attributes(token);
    const proof = final.get("p");
    // Kafka checks that the final nonce ends with the server's (librdkafka before 2.x sends its own nonce again in
    // front); the proof covers the message as sent either way.
    if (!final.get("r")?.endsWith(s.nonce) || !proof) return fail(ctx, "Authentication failed: Invalid client nonce or proof");
    const withoutProof = token.slice(0, token.lastIndexOf(",p="));
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${withoutProof}`;
    const password = users[s.user];
    const keys = scramKeys(password ?? randomBytes(16).toString("hex"), s.salt, SCRAM_ITERATIONS, s.hash);
    const clientSignature = createHmac(s.hash, keys.storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof, "base64");
    if (clientKey.length !== clientSignature.length) return fail(ctx, "Authentication failed: Invalid username or password");
    for (let i = 0; i < clientKey.length; i++) clientKey[i] ^= clientSignature[i];
    const storedKey = createHash(s.hash).update(clientKey).digest();
    if (password === undefined || !safeEqual(storedKey, keys.storedKey)) return fail(ctx, "Authentication failed: Invalid username or password");
    const serverSignature = createHmac(s.hash, keys.serverKey).update(authMessage).digest();
    session.principal = `User:${s.user}`;
    session.scram = undefined;
    return ok(Buffer.from(`v=${serverSignature.toString("base64")}`));
  },
});
