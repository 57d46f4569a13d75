/**
 * TCP framing and connections. Each request is a 4-byte size then the body; requests on one connection are
 * handled one after another and answered in order, as Kafka does (a long-polling fetch holds back the
 * connection's later requests, which is why clients open separate connections for fetching). A frame over
 * the size limit, a malformed request, or an unknown API closes that connection only.
 */
import * as net from "node:net";
import { ErrorCode } from "../protocol/apis";
import { decodeRequest, encodeResponse, isFlexible, skipTaggedFields } from "../protocol/codec";
import { MalformedRequestError, Reader, Writer } from "../protocol/primitives";
import { API_REGISTRY } from "./handlers";
import type { BrokerCore, RequestContext } from "./core";
import type { SaslSession } from "./core";

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/** Requests read ahead of the one being handled before the socket stops reading (backpressure). */
const MAX_QUEUED_REQUESTS = 64;
/** Response bytes a client may leave unread before the broker stops reading its requests. */
const MAX_BUFFERED_RESPONSE_BYTES = 16 << 20;
/** Kafka's connections.max.idle.ms default: a connection with no traffic and no request in progress closes. */
const CONNECTIONS_MAX_IDLE_MS = 600_000;
/** A request frame must arrive whole within this time of its first byte. */
const PARTIAL_REQUEST_TIMEOUT_MS = 30_000;

export interface ServerOptions {
  maxRequestBytes: number;
  /** Requests read ahead of the one being handled (then reading stops). Default 64. */
  maxQueuedRequests?: number;
  /** Unread response bytes after which reading from the client stops until it reads. Default 16 MiB. */
  maxBufferedResponseBytes?: number;
  /** connections.max.idle.ms: default 600,000 (10 minutes), as Kafka. */
  idleTimeoutMs?: number;
  /** Time a partly received request may take to arrive whole. Default 30 s. */
  partialRequestTimeoutMs?: number;
  /** Called with one line when a connection is dropped for bad input (for logs). */
  log?: (line: string) => void;
}

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  private paused = false;
  private queuedBytes = 0;
  private partialTimer: NodeJS.Timeout | undefined;
  private readonly aborter = new AbortController();
  readonly clientHost: string;
  /** Authentication state: anonymous unless the broker has SASL users, then unauthenticated until SaslAuthenticate. */
  private readonly session: SaslSession;

  constructor(
    private readonly socket: net.Socket,
    private readonly core: BrokerCore,
    private readonly opts: ServerOptions,
  ) {
    this.clientHost = "/" + (socket.remoteAddress ?? "unknown");
    this.session = { principal: core.options.users ? null : "User:ANONYMOUS" };
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("drain", () => {
      if (this.paused && !this.mustWait()) {
        this.paused = false;
        this.socket.resume();
        this.armPartialTimer();
      }
    });
    socket.on("error", () => this.close());
    socket.on("close", () => {
      this.closed = true;
      clearTimeout(this.partialTimer);
      this.aborter.abort();
    });
    // No bytes either way for connections.max.idle.ms, and no request in progress (a long poll counts): close.
    socket.setTimeout(opts.idleTimeoutMs ?? CONNECTIONS_MAX_IDLE_MS, () => {
      if (!this.busy) this.close(`idle for ${opts.idleTimeoutMs ?? CONNECTIONS_MAX_IDLE_MS} ms (connections.max.idle.ms)`);
    });
  }

  /** Aborted when the connection closes: long polls stop waiting for a client that is gone. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  close(reason?: string): void {
    if (reason) this.opts.log?.(`closing connection from ${this.clientHost}: ${reason}`);
    this.closed = true;
    this.queue = [];
    this.chunks = [];
    this.queuedBytes = 0;
    clearTimeout(this.partialTimer);
    this.aborter.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.close(`request of ${size} bytes is over the limit of ${this.opts.maxRequestBytes} (maxRequestBytes)`);
        return;
      }
      if (size < 8) {
        this.close(`request of ${size} bytes is too short for a header`);
        return;
      }
      if (this.buffered < 4 + size) break;
      const frame = this.take(4 + size).subarray(4);
      this.queue.push(frame);
      this.queuedBytes += frame.length;
      // A frame completed: the clock of the partial-request time-out starts again for the next one.
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    }
    if (this.mustWait() && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.armPartialTimer();
    this.pump();
  }

  /**
   * A request must arrive whole within partialRequestTimeoutMs of its first byte (a client holding a half-sent
   * 60 MB frame otherwise pins that memory for as long as it likes). Not while the broker itself stops reading.
   */
  private armPartialTimer(): void {
    if (this.buffered === 0 || this.paused || this.closed) {
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    } else if (!this.partialTimer) {
      const ms = this.opts.partialRequestTimeoutMs ?? PARTIAL_REQUEST_TIMEOUT_MS;
      this.partialTimer = setTimeout(() => this.close(`a request did not arrive whole within ${ms} ms (${this.buffered} bytes of it so far)`), ms);
      this.partialTimer.unref();
    }
  }

  /** Whether reading stops: too many requests queued, or too many response bytes the client has not read. */
  private mustWait(): boolean {
    return (
      this.queue.length >= (this.opts.maxQueuedRequests ?? MAX_QUEUED_REQUESTS) ||
      this.queuedBytes > 2 * this.opts.maxRequestBytes ||
      this.socket.writableLength > (this.opts.maxBufferedResponseBytes ?? MAX_BUFFERED_RESPONSE_BYTES)
    );
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, Math.min(this.buffered, 4));
    return head.readInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const all = Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return out;
  }

  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    void (async () => {
      try {
        while (!this.closed && this.queue.length > 0) {
          // A client that does not read its responses gets no more answers (and is not read) until it does.
          if (this.socket.writableLength > (this.opts.maxBufferedResponseBytes ?? MAX_BUFFERED_RESPONSE_BYTES)) {
            await new Promise<void>((resolve) => {
              const done = () => {
                this.socket.off("drain", done);
                this.socket.off("close", done);
                resolve();
              };
              this.socket.on("drain", done);
              this.socket.on("close", done);
            });
            continue;
          }
          const frame = this.queue.shift()!;
          this.queuedBytes -= frame.length;
          await this.handle(frame);
          if (this.paused && !this.mustWait()) {
            this.paused = false;
            this.socket.resume();
            this.armPartialTimer();
          }
        }
      } finally {
        this.busy = false;
      }
    })();
  }

  private async handle(frame: Buffer): Promise<void> {
    let correlationId = 0;
    let apiKey = -1;
    const apis = API_REGISTRY;
    try {
      const r = new Reader(frame);
      apiKey = r.int16();
      const version = r.int16();
      correlationId = r.int32();
      const clientId = r.nullableString() ?? "";
      const api = apis.get(apiKey);
      if (!api) {
        this.close(`unknown API key ${apiKey}`);
        return;
      }
      const [min, max] = api.versions;
      if (version < min || version > max) {
        if (apiKey === API_VERSIONS) {
          // What Kafka does: the v0 body with UNSUPPORTED_VERSION and the table, so the client can pick a version
          // it shares (sent before looking at the body, which a newer version may have changed).
          this.send(correlationId, encodeResponse(api.spec, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apis.versionTable() }));
        } else this.close(`${api.name} v${version} is not supported (supported: v${min}-v${max})`);
        return;
      }
      // On a SASL listener only ApiVersions and the SASL exchange come before authentication, as in Kafka.
      if (this.session.principal === null && apiKey !== API_VERSIONS && apiKey !== SASL_HANDSHAKE && apiKey !== SASL_AUTHENTICATE) {
        this.close(`${api.name} before SASL authentication`);
        return;
      }
      const flexible = isFlexible(api.spec, version);
      if (flexible) skipTaggedFields(r); // request header v2
      const request = decodeRequest(api.spec, version, r);
      const ctx: RequestContext = { core: this.core, apiKey, version, correlationId, clientId, clientHost: this.clientHost, signal: this.aborter.signal, session: this.session };
      const response = await api.handle(request, ctx);
      if (response === undefined) return;
      const w = new Writer(256);
      // Response header v1 (flexible) adds an empty tagged-field section; ApiVersions always uses header v0 so
      // that a client can read it whatever it asked for.
      if (flexible && apiKey !== API_VERSIONS) w.uvarint(0);
      this.send(correlationId, encodeResponse(api.spec, version, response, w));
      if (this.session.closeAfterResponse) this.socket.end(); // a failed authentication: answered, then closed
    } catch (err) {
      if (err instanceof MalformedRequestError) this.close(`malformed ${apis.name(apiKey)}: ${err.message}`);
      else this.close(`error handling ${apis.name(apiKey)}: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private send(correlationId: number, body: Writer): void {
    if (this.closed) return;
    const chunks = body.finish();
    const head = Buffer.allocUnsafe(8);
    head.writeInt32BE(body.length + 4, 0);
    head.writeInt32BE(correlationId, 4);
    this.socket.cork();
    this.socket.write(head);
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }
}
