/**
 * DescribeAcls v1-3 (v0 was removed in Kafka 4.0): the bindings matching a filter, grouped by resource.
 * Without an authorizer SECURITY_DISABLED, as Kafka; DESCRIBE on the cluster is required.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { DescribeAcls } from "../../protocol/messages";
import { AclOperation, clusterAllowed } from "../acl/check";

export const describeAcls = defineApi(DescribeAcls, {
  versions: [1, 3],
  handle(req, ctx) {
    const a = ctx.core.authorizer;
    if (!a) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: "No Authorizer is configured.", resources: [] };
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "Cluster authorization failed.", resources: [] };
    const found = a.describe({
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    });
    const byResource = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
    for (const b of found) {
      const k = `${b.resourceType}\0${b.patternType}\0${b.resourceName}`;
      let r = byResource.get(k);
      if (!r) byResource.set(k, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byResource.values()] };
  },
});
