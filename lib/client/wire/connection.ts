/**
 * One connection to one Kafka broker, speaking lib/protocol's codec: frames requests (header v1, or v2 for
 * flexible versions), matches answers by correlation id, negotiates versions with ApiVersions and
 * authenticates with SASL PLAIN or SCRAM-SHA-256/512 (KIP-152 SaslAuthenticate), over TCP or TLS, the options
 * ClusterConfig has. Errors keep the socket's code (ECONNREFUSED, ...) so callers can tell an outage.
 */
import * as crypto from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import { ErrorCode } from "../../protocol/apis";
import { decodeResponse, encodeRequest, isFlexible, skipTaggedFields, type MessageSpec, type In, type Out } from "../../protocol/codec";
import { ApiVersions, SaslAuthenticate, SaslHandshake } from "../../protocol/messages";
import { Reader, Writer } from "../../protocol/primitives";
import type { ClusterConfig } from "../types";

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** A Kafka error code as its name (6 -> NOT_LEADER_OR_FOLLOWER). */
export function errorName(code: number): string {
  return ERROR_NAMES.get(code) ?? (code === 6 ? "NOT_LEADER_OR_FOLLOWER" : `error ${code}`);
}

export class KafkaProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Connection {
  /** apiKey -> [min, max] the broker serves. */
  readonly versions = new Map<number, [number, number]>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError?: Error;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly clientId: string,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(Object.assign(new Error(`connection closed by ${address}`), { code: "ECONNRESET" })));
  }

  /** Connects, negotiates versions and authenticates. */
  static async open(host: string, port: number, config: ClusterConfig): Promise<Connection> {
    const address = `${host}:${port}`;
    const timeoutMs = config.connectionTimeout ?? 3000;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const ssl = config.ssl;
      const s = ssl
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: typeof ssl === "object" && ssl.ca ? [ssl.ca] : undefined, rejectUnauthorized: typeof ssl === "object" ? ssl.rejectUnauthorized : undefined })
        : net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error(`Connection timeout: no connection to ${address} within ${timeoutMs} ms (ETIMEDOUT)`), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      s.once(ssl ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(s);
      });
      s.once("error", (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const conn = new Connection(socket, address, config.clientId ?? "streamlab");
    try {
      await conn.negotiate();
      if (config.sasl) await conn.authenticate(config.sasl);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.fail(new Error(`connection to ${this.address} was closed`));
    this.socket.destroy();
  }

  /** The highest version of this API both sides speak, at most `wanted`; throws when there is none. */
  version(spec: MessageSpec, wanted: number, least = 0): number {
    const served = this.versions.get(spec.apiKey);
    const v = served ? Math.min(served[1], wanted, spec.validVersions[1]) : -1;
    if (!served || v < Math.max(served[0], least)) throw new Error(`${this.address} does not serve ${spec.name} v${least}-${wanted} (it serves ${served ? served.join("-") : "none"}): use a Kafka 2.x or newer broker`);
    return v;
  }

  /** Sends one request and decodes its answer. */
  async request<M extends MessageSpec>(spec: M, version: number, body: Out<M["request"]>, timeoutMs = 30_000): Promise<In<M["response"]>> {
    const buf = await this.send(spec, version, body, timeoutMs);
    const r = new Reader(buf, 4);
    // Response header v1 (a tagged-field section) for flexible versions, except ApiVersions (always v0).
    if (isFlexible(spec, version) && spec.apiKey !== ApiVersions.apiKey) skipTaggedFields(r);
    return decodeResponse(spec, version, r);
  }

  /** Sends a request that gets no answer (Produce with acks=0); resolves once the socket took it. */
  sendOnly<M extends MessageSpec>(spec: M, version: number, body: Out<M["request"]>): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    const frame = this.frame(spec, version, body, this.nextId++ & 0x7fffffff);
    return new Promise((resolve, reject) => this.write(frame, (err) => (err ? reject(err) : resolve())));
  }

  /** A request as chunks (record batches stay the buffers they are: no copy), its size written first. */
  private frame(spec: MessageSpec, version: number, body: Record<string, unknown>, id: number): Buffer[] {
    const flex = isFlexible(spec, version);
    const w = new Writer(512);
    w.int32(0).int16(spec.apiKey).int16(version).int32(id).nullableString(this.clientId);
    if (flex) w.uvarint(0);
    encodeRequest(spec, version, body as Out<MessageSpec["request"]>, w);
    const size = w.length - 4;
    const chunks = w.finish();
    chunks[0].writeInt32BE(size, 0);
    return chunks;
  }

  private write(chunks: Buffer[], done?: (err?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i], i === chunks.length - 1 ? done : undefined);
    this.socket.uncork();
  }

  private send(spec: MessageSpec, version: number, body: Record<string, unknown>, timeoutMs: number): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++ & 0x7fffffff;
    const frame = this.frame(spec, version, body, id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(Object.assign(new Error(`request timed out: ${spec.name} to ${this.address} had no answer in ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.write(frame);
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    for (;;) {
      if (this.buffered < 4) return;
      let head = this.chunks[0];
      if (head.length < 4) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      let frame: Buffer;
      if (head.length >= 4 + size) {
        frame = head.subarray(4, 4 + size);
        if (head.length === 4 + size) this.chunks.shift();
        else this.chunks[0] = head.subarray(4 + size);
      } else {
        // One copy of a frame that spans chunks; the rest stays queued.
        const all = Buffer.concat(this.chunks, this.buffered);
        frame = all.subarray(4, 4 + size);
        this.chunks = all.length > 4 + size ? [all.subarray(4 + size)] : [];
      }
      this.buffered -= 4 + size;
      const id = frame.readInt32BE(0);
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.resolve(frame);
      }
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private async negotiate(): Promise<void> {
    let res = await this.request(ApiVersions, 3, { clientSoftwareName: "streamlab", clientSoftwareVersion: "1" });
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) res = await this.request(ApiVersions, 0, {});
    if (res.errorCode) throw new KafkaProtocolError(res.errorCode, `ApiVersions to ${this.address} failed: ${errorName(res.errorCode)}`);
    for (const k of res.apiKeys) this.versions.set(k.apiKey, [k.minVersion, k.maxVersion]);
  }

  private async authenticate(sasl: NonNullable<ClusterConfig["sasl"]>): Promise<void> {
    const mechanism = sasl.mechanism.toUpperCase();
    const hs = await this.request(SaslHandshake, this.version(SaslHandshake, 1, 1), { mechanism });
    if (hs.errorCode) throw new Error(`SASL authentication failed: ${this.address} does not enable ${mechanism} (it offers ${hs.mechanisms.join(", ") || "none"}); pick one of those`);
    const v = this.version(SaslAuthenticate, 2);
    const step = async (bytes: Buffer): Promise<Buffer> => {
      const res = await this.request(SaslAuthenticate, v, { authBytes: bytes });
      if (res.errorCode) throw new Error(`SASL authentication failed for user '${sasl.username}' at ${this.address}: ${res.errorMessage ?? errorName(res.errorCode)}; check the username and password`);
      return res.authBytes;
    };
    if (mechanism === "PLAIN") {
      await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`));
      return;
    }
    const hash = mechanism === "SCRAM-SHA-256" ? "sha256" : mechanism === "SCRAM-SHA-512" ? "sha512" : undefined;
    if (!hash) throw new Error(`SASL mechanism ${sasl.mechanism} is not supported: use plain, scram-sha-256 or scram-sha-512`);
    const nonce = crypto.randomBytes(18).toString("base64");
    const user = sasl.username.replace(/=/g, "=3D").replace(/,/g, "=2C");
    const clientFirstBare = `n=${user},r=${nonce}`;
    const serverFirst = (await step(Buffer.from(`n,,${clientFirstBare}`))).toString();
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)] as [string, string]));
    const serverNonce = attrs.get("r") ?? "";
    if (!serverNonce.startsWith(nonce)) throw new Error(`SASL authentication failed at ${this.address}: the server's SCRAM nonce does not extend ours`);
    const salted = crypto.pbkdf2Sync(sasl.password, Buffer.from(attrs.get("s") ?? "", "base64"), Number(attrs.get("i")), hash === "sha256" ? 32 : 64, hash);
    const clientKey = crypto.createHmac(hash, salted).update("Client Key").digest();
    const storedKey = crypto.createHash(hash).update(clientKey).digest();
    const finalNoProof = `c=biws,r=${serverNonce}`;
    const authMessage = `${clientFirstBare},${serverFirst},${finalNoProof}`;
    const signature = crypto.createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    const serverFinal = (await step(Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`))).toString();
    const serverKey = crypto.createHmac(hash, salted).update("Server Key").digest();
    const expected = crypto.createHmac(hash, serverKey).update(authMessage).digest("base64");
    if (serverFinal !== `v=${expected}`) throw new Error(`SASL authentication failed at ${this.address}: the server's SCRAM signature does not verify`);
  }
}
