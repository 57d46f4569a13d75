/**
 * CreateAcls v1-3 (v0 was removed in Kafka 4.0): stores bindings (kept in acls.json with a data dir). Without an
 * authorizer SECURITY_DISABLED, as Kafka; ALTER on the cluster is required.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { CreateAcls } from "../../protocol/messages";
import { AclOperation, clusterAllowed } from "../acl/check";

export const createAcls = defineApi(CreateAcls, {
  versions: [1, 3],
  handle(req, ctx) {
    const a = ctx.core.authorizer;
    const all = (errorCode: number, errorMessage: string) => ({ results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (!a) return all(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    return {
      results: a.create(
        req.creations.map((c) => ({ resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType, principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType })),
      ),
    };
  },
});
