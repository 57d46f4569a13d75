/**
 * DeleteAcls v1-3 (v0 was removed in Kafka 4.0): removes the bindings each filter matches and lists them.
 * Without an authorizer SECURITY_DISABLED, as Kafka; ALTER on the cluster is required.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { DeleteAcls } from "../../protocol/messages";
import { AclOperation, clusterAllowed } from "../acl/check";

export const deleteAcls = defineApi(DeleteAcls, {
  versions: [1, 3],
  handle(req, ctx) {
    const a = ctx.core.authorizer;
    const all = (errorCode: number, errorMessage: string) => ({ filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!a) return all(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    const deleted = a.delete(
      req.filters.map((f) => ({
        resourceType: f.resourceTypeFilter,
        resourceName: f.resourceNameFilter,
        patternType: f.patternTypeFilter,
        principal: f.principalFilter,
        host: f.hostFilter,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    );
    return { filterResults: deleted.map((list) => ({ errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: list.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })) })) };
  },
});
