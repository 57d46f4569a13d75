/**
 * Group administration: DescribeGroups v0-6, ListGroups v0-5 (states and types filters), DeleteGroups v0-2 and
 * OffsetDelete v0.
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { DeleteGroups, DescribeGroups, ListGroups, OffsetDelete } from "../../protocol/messages";
import { AclOperation, ResourceType, authorizedOperations, groupAllowed, topicAllowed } from "../acl/check";
import { NO_AUTHORIZED_OPERATIONS, type RequestContext } from "../core";
import type { Group } from "../group/coordinator";

/**
 * A group Kafka would list and describe: any the coordinator knows (it joined or committed once), also when its
 * last member is gone (state Empty), until DeleteGroups removes it.
 */
function visible(g: Group | undefined): g is Group {
  return !!g && (g.members.size > 0 || g.offsets.size > 0 || g.generationId > 0);
}

/** A KIP-848 consumer group (its committed offsets are kept in the classic coordinator's Group of the same id). */
function consumerGroup(ctx: RequestContext, id: string) {
  return ctx.core.consumerGroups.groups.get(id);
}

export const describeGroups = defineApi(DescribeGroups, {
  versions: [0, 6],
  handle(req, ctx) {
    return {
      groups: req.groups.map((id) => {
        if (!groupAllowed(ctx, AclOperation.DESCRIBE, id))
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: "", protocolType: "", protocolData: "", members: [], authorizedOperations: NO_AUTHORIZED_OPERATIONS };
        const g = ctx.core.groups.groups.get(id);
        const d = ctx.core.groups.describe(id);
        // v6 (KIP-1043) answers GROUP_ID_NOT_FOUND for a group that does not exist; older versions "Dead". A
        // KIP-848 consumer group is not a classic group: DescribeGroups does not know it either (as in Kafka).
        const missing = !visible(g) || !!consumerGroup(ctx, id);
        if (missing && ctx.version >= 6)
          return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${id} not found.`, groupId: id, groupState: "Dead", protocolType: "", protocolData: "", members: [], authorizedOperations: NO_AUTHORIZED_OPERATIONS };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId: id,
          groupState: missing ? "Dead" : d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolName,
          members: d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
          authorizedOperations: ctx.version >= 3 && req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, id) : NO_AUTHORIZED_OPERATIONS,
        };
      }),
    };
  },
});

export const listGroups = defineApi(ListGroups, {
  versions: [0, 5],
  handle(req, ctx) {
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((s) => s.toLowerCase()));
    const classic = [...ctx.core.groups.groups.values()]
      .filter(visible)
      .filter((g) => !consumerGroup(ctx, g.groupId))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType || "consumer", groupState: g.state, groupType: "classic" }));
    // KIP-848 consumer groups: type "consumer", protocol type "consumer", states Empty/Assigning/Reconciling/Stable.
    const modern = [...ctx.core.consumerGroups.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: "consumer", groupState: g.state, groupType: "consumer" }));
    const groups = [...classic, ...modern]
      .filter((g) => groupAllowed(ctx, AclOperation.DESCRIBE, g.groupId)) // with an authorizer: the groups one may describe
      .filter((g) => states.size === 0 || states.has(g.groupState.toLowerCase()))
      .filter((g) => types.size === 0 || types.has(g.groupType));
    return { errorCode: ErrorCode.NONE, groups };
  },
});

export const deleteGroups = defineApi(DeleteGroups, {
  versions: [0, 2],
  handle(req, ctx) {
    const coordinator = ctx.core.groups;
    return {
      results: req.groupsNames.map((groupId) => {
        if (!groupAllowed(ctx, AclOperation.DELETE, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
        const cg = consumerGroup(ctx, groupId);
        if (cg) {
          if (cg.members.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
          ctx.core.consumerGroups.delete(groupId);
          coordinator.deleteGroup(groupId);
          return { groupId, errorCode: ErrorCode.NONE };
        }
        const g = coordinator.groups.get(groupId);
        if (!visible(g)) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (g.members.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        coordinator.deleteGroup(groupId);
        return { groupId, errorCode: ErrorCode.NONE };
      }),
    };
  },
});

export const offsetDelete = defineApi(OffsetDelete, {
  versions: [0, 0],
  handle(req, ctx) {
    const coordinator = ctx.core.groups;
    // With an authorizer: DELETE on the group, then READ on each topic (TOPIC_AUTHORIZATION_FAILED), as Kafka.
    if (!groupAllowed(ctx, AclOperation.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const g = coordinator.groups.get(req.groupId);
    const cg = consumerGroup(ctx, req.groupId);
    if (!visible(g) && !cg) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    // Offsets of topics the group's consumers are subscribed to stay (GROUP_SUBSCRIBED_TO_TOPIC), as in Kafka.
    const subscribed = cg ? ctx.core.consumerGroups.subscribedTopicsOf(req.groupId) : coordinator.subscribedTopics(req.groupId);
    const deleted: { topic: string; partition: number }[] = [];
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode: number = ErrorCode.NONE;
        if (!topicAllowed(ctx, AclOperation.READ, t.name)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (!ctx.core.topics.get(t.name)?.partitions[p.partitionIndex]) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (subscribed.has(t.name)) errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else deleted.push({ topic: t.name, partition: p.partitionIndex });
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    if (deleted.length) coordinator.deleteOffsets(req.groupId, deleted);
    return { errorCode: ErrorCode.NONE, topics };
  },
});
