/** Every API the broker serves, registered once; the server dispatches on this registry. */
import { ApiRegistry } from "../protocol/api";
import { apiVersions, describeCluster, describeLogDirs, offsetForLeaderEpoch } from "./cluster";
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from "./configs";
import { createPartitions, createTopics, deleteRecords, deleteTopics } from "./create-topics";
import { fetch } from "./fetch";
import { findCoordinator } from "./find-coordinator";
import { deleteGroups, describeGroups, listGroups, offsetDelete } from "./groups-admin";
import { heartbeat } from "./heartbeat";
import { joinGroup } from "./join-group";
import { leaveGroup } from "./leave-group";
import { listOffsets } from "./list-offsets";
import { metadata } from "./metadata";
import { offsetCommit } from "./offset-commit";
import { offsetFetch } from "./offset-fetch";
import { produce } from "./produce";
import { describeProducers, describeTransactions, initProducerId, listTransactions } from "./producers";
import { saslAuthenticate, saslHandshake } from "./sasl";
import { syncGroup } from "./sync-group";
import { addOffsetsToTxn } from "./add-offsets-to-txn";
import { addPartitionsToTxn } from "./add-partitions-to-txn";
import { endTxn } from "./end-txn";
import { txnOffsetCommit } from "./txn-offset-commit";
import { createAcls } from "./create-acls";
import { deleteAcls } from "./delete-acls";
import { describeAcls } from "./describe-acls";
import { consumerGroupHeartbeat } from "./consumer-group-heartbeat";
import { consumerGroupDescribe } from "./consumer-group-describe";

export function buildRegistry(): ApiRegistry {
  const registry = new ApiRegistry();
  registry.register(
    produce,
    fetch,
    listOffsets,
    metadata,
    offsetCommit,
    offsetFetch,
    findCoordinator,
    joinGroup,
    heartbeat,
    leaveGroup,
    syncGroup,
    describeGroups,
    listGroups,
    createTopics,
    deleteTopics,
    deleteRecords,
    initProducerId,
    addPartitionsToTxn,
    addOffsetsToTxn,
    endTxn,
    txnOffsetCommit,
    describeAcls,
    createAcls,
    deleteAcls,
    offsetForLeaderEpoch,
    describeConfigs,
    alterConfigs,
    describeLogDirs,
    createPartitions,
    deleteGroups,
    incrementalAlterConfigs,
    offsetDelete,
    describeCluster,
    describeProducers,
    describeTransactions,
    listTransactions,
    consumerGroupHeartbeat,
    consumerGroupDescribe,
    saslHandshake,
    saslAuthenticate,
  );
  registry.register(apiVersions(registry));
  return registry;
}

/** The broker's registry (built once). */
export const API_REGISTRY = buildRegistry();
