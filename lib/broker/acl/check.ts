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

/** The operations Kafka reports for each resource type in the authorized-operations fields (AclEntry.supportedOperations). */
const SUPPORTED_OPERATIONS: Record<number, readonly number[]> = {
  [ResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [ResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
};

/**
 * The authorized-operations bit field of a resource (bit n set: operation code n allowed), as Kafka's
 * AuthHelper.authorizedOperations: every supported operation without an authorizer, else the allowed ones.
 */
export function authorizedOperations(ctx: RequestContext, type: number, name: string): number {
  let bits = 0;
  for (const op of SUPPORTED_OPERATIONS[type] ?? []) if (allowed(ctx, op, type, name)) bits |= 1 << op;
  return bits;
}

/** The cluster's authorized operations as DescribeCluster and Metadata v8-10 answer them: 0 without DESCRIBE on it. */
export function clusterAuthorizedOperations(ctx: RequestContext): number {
  return clusterAllowed(ctx, AclOperation.DESCRIBE) ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME) : 0;
}
