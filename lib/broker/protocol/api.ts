/**
 * What a handler file exports, and the registry the server dispatches on. A handler names its message spec,
 * the versions it serves, and a `handle(request, ctx)` that takes the decoded request and returns the response
 * to encode (or undefined for none, as for Produce with acks=0). The ApiVersions table is built from the
 * registered handlers; registering an API key twice is a programming error and throws.
 */
import type { RequestContext } from "../core";
import type { MessageSpec, RequestOf, ResponseOf } from "../../protocol/codec";

export interface ApiHandler<M extends MessageSpec = MessageSpec> {
  apiKey: number;
  name: string;
  spec: M;
  /** [min, max] versions served. */
  versions: [number, number];
  /**
   * The minimum advertised in ApiVersions when it differs from the served one: Kafka 4.0 advertises Produce
   * from v0 though it serves v3+, because librdkafka otherwise disables compression (KAFKA-18659).
   */
  advertisedMin?: number;
  handle(request: RequestOf<M>, ctx: RequestContext): ResponseOf<M> | undefined | Promise<ResponseOf<M> | undefined>;
}

export function defineApi<M extends MessageSpec>(
  spec: M,
  def: { versions: [number, number]; advertisedMin?: number; handle: (request: RequestOf<M>, ctx: RequestContext) => ResponseOf<M> | undefined | Promise<ResponseOf<M> | undefined> },
): ApiHandler<M> {
  const [min, max] = def.versions;
  if (min < spec.validVersions[0] || max > spec.validVersions[1] || min > max) throw new Error(`${spec.name}: versions ${min}-${max} outside the spec's ${spec.validVersions.join("-")}`);
  return { apiKey: spec.apiKey, name: spec.name, spec, versions: def.versions, advertisedMin: def.advertisedMin, handle: def.handle };
}

export class ApiRegistry {
  private readonly byKey = new Map<number, ApiHandler<any>>();

  register(...handlers: ApiHandler<any>[]): this {
    for (const h of handlers) {
      const existing = this.byKey.get(h.apiKey);
      if (existing) throw new Error(`API key ${h.apiKey} (${h.name}) is registered twice`);
      this.byKey.set(h.apiKey, h);
    }
    return this;
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.byKey.get(apiKey);
  }

  name(apiKey: number): string {
    return this.byKey.get(apiKey)?.name ?? `API ${apiKey}`;
  }

  /** The ApiVersions entries: every registered key with its advertised range, by key. */
  versionTable(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.advertisedMin ?? h.versions[0], maxVersion: h.versions[1] }));
  }
}
