/**
 * What a handler asks before acting: `allowed(ctx, op, type, name)` is true when the broker runs without an
 * authorizer (the zero-setup default: everyone may do everything), else the authorizer's answer for the
 * connection's principal ("User:ANONYMOUS" on a listener without SASL) and client address.
 */
import type { RequestContext } from "../core";
import { AclOperation, CLUSTER_NAME, ResourceType } from "./authorizer";

export { AclOperation, ResourceType } from "./authorizer";

export function principalOf(ctx: RequestContext): string {
  return ctx.session?.principal ?? "User:ANONYMOUS";
}

export function allowed(ctx: RequestContext, op: number, type: number, name: string): boolean {
  const a = ctx.core.authorizer;
  if (!a) return true;
  return a.authorize(principalOf(ctx), ctx.clientHost.replace(/^\//, ""), op, type, name);
}

export function clusterAllowed(ctx: RequestContext, op: number): boolean {
  return allowed(ctx, op, ResourceType.CLUSTER, CLUSTER_NAME);
}

export const topicAllowed = (ctx: RequestContext, op: number, topic: string) => allowed(ctx, op, ResourceType.TOPIC, topic);
export const groupAllowed = (ctx: RequestContext, op: number, group: string) => allowed(ctx, op, ResourceType.GROUP, group);
export const transactionalIdAllowed = (ctx: RequestContext, op: number, id: string) => allowed(ctx, op, ResourceType.TRANSACTIONAL_ID, id);
export { AclOperation as Op };
