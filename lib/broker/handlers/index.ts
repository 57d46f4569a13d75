/** API key -> handler. */
import { ApiKey } from "../protocol/apis";
import type { Handler } from "../core";
import { handleApiVersions } from "./api-versions";
import { handleCreateTopics, handleDeleteTopics } from "./create-topics";
import { handleDescribeConfigs } from "./describe-configs";
import { handleDescribeGroups, handleListGroups } from "./describe-groups";
import { handleFetch } from "./fetch";
import { handleFindCoordinator } from "./find-coordinator";
import { handleHeartbeat } from "./heartbeat";
import { handleInitProducerId } from "./init-producer-id";
import { handleJoinGroup } from "./join-group";
import { handleLeaveGroup } from "./leave-group";
import { handleListOffsets } from "./list-offsets";
import { handleMetadata } from "./metadata";
import { handleOffsetCommit } from "./offset-commit";
import { handleOffsetFetch } from "./offset-fetch";
import { handleProduce } from "./produce";
import { handleSyncGroup } from "./sync-group";

export const HANDLERS: Record<number, Handler> = {
  [ApiKey.Produce]: handleProduce,
  [ApiKey.Fetch]: handleFetch,
  [ApiKey.ListOffsets]: handleListOffsets,
  [ApiKey.Metadata]: handleMetadata,
  [ApiKey.OffsetCommit]: handleOffsetCommit,
  [ApiKey.OffsetFetch]: handleOffsetFetch,
  [ApiKey.FindCoordinator]: handleFindCoordinator,
  [ApiKey.JoinGroup]: handleJoinGroup,
  [ApiKey.Heartbeat]: handleHeartbeat,
  [ApiKey.LeaveGroup]: handleLeaveGroup,
  [ApiKey.SyncGroup]: handleSyncGroup,
  [ApiKey.DescribeGroups]: handleDescribeGroups,
  [ApiKey.ListGroups]: handleListGroups,
  [ApiKey.ApiVersions]: handleApiVersions,
  [ApiKey.CreateTopics]: handleCreateTopics,
  [ApiKey.DeleteTopics]: handleDeleteTopics,
  [ApiKey.InitProducerId]: handleInitProducerId,
  [ApiKey.DescribeConfigs]: handleDescribeConfigs,
};
