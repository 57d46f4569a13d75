/**
 * TCP framing and connections. Each request is a 4-byte size then the body; requests on one connection are
 * handled one after another and answered in order, as Kafka does (a long-polling fetch holds back the
 * connection's later requests, which is why clients open separate connections for fetching). A frame over
 * the size limit, a malformed request, or an unknown API closes that connection only.
 */
import * as net from "node:net";
import { API_NAMES, ApiKey, ErrorCode, SUPPORTED_VERSIONS } from "./protocol/apis";
import { MalformedRequestError, Reader, Writer } from "./protocol/primitives";
import { encodeApiVersions } from "./handlers/api-versions";
import { HANDLERS } from "./handlers";
import type { BrokerCore, RequestContext } from "./core";

/** Requests read ahead of the one being handled before the socket stops reading (backpressure). */
const MAX_QUEUED_REQUESTS = 64;

export interface ServerOptions {
  maxRequestBytes: number;
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
  readonly clientHost: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly core: BrokerCore,
    private readonly opts: ServerOptions,
  ) {
    this.clientHost = "/" + (socket.remoteAddress ?? "unknown");
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => (this.closed = true));
  }

  close(reason?: string): void {
    if (reason) this.opts.log?.(`closing connection from ${this.clientHost}: ${reason}`);
    this.closed = true;
    this.queue = [];
    this.chunks = [];
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
      this.queue.push(this.take(4 + size).subarray(4));
    }
    if (this.queue.length > MAX_QUEUED_REQUESTS && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.pump();
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
          const frame = this.queue.shift()!;
          if (this.paused && this.queue.length < MAX_QUEUED_REQUESTS / 4) {
            this.paused = false;
            this.socket.resume();
          }
          await this.handle(frame);
        }
      } finally {
        this.busy = false;
      }
    })();
  }

  private async handle(frame: Buffer): Promise<void> {
    let correlationId = 0;
    let apiKey = -1;
    try {
      const r = new Reader(frame);
      apiKey = r.int16();
      const version = r.int16();
      correlationId = r.int32();
      const clientId = r.nullableString() ?? "";
      const range = SUPPORTED_VERSIONS[apiKey];
      const handler = HANDLERS[apiKey];
      if (!range || !handler) {
        this.close(`unknown API key ${apiKey}`);
        return;
      }
      if (version < range[0] || version > range[1]) {
        if (apiKey === ApiKey.ApiVersions) {
          // What Kafka does: the v0 body with UNSUPPORTED_VERSION, so the client can pick a version it shares.
          this.send(correlationId, encodeApiVersions(0, ErrorCode.UNSUPPORTED_VERSION));
        } else this.close(`${API_NAMES[apiKey]} v${version} is not supported (supported: v${range[0]}-v${range[1]})`);
        return;
      }
      const ctx: RequestContext = { core: this.core, apiKey, version, correlationId, clientId, clientHost: this.clientHost };
      const body = await handler(ctx, r);
      if (body) this.send(correlationId, body);
    } catch (err) {
      if (err instanceof MalformedRequestError) this.close(`malformed ${API_NAMES[apiKey] ?? "request"}: ${err.message}`);
      else this.close(`error handling ${API_NAMES[apiKey] ?? "request"}: ${(err as Error)?.stack ?? String(err)}`);
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
