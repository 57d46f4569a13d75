/**
 * Differential scenarios, part 5: ACLs on the admin and transaction-inspection APIs and the authorized-operations
 * fields. Apache Kafka runs with its StandardAuthorizer, the embedded broker with `authorizer`, both with SASL
 * users (alice over PLAIN is a super user, bob over SCRAM-SHA-256 is not) and allow.everyone.if.no.acl.found
 * false. Requests go through lib/protocol's codec (lib/client's Connection) so every field is visible.
 */
import { describe } from "vitest";
import { tool } from "../support/tools";
import { USERS } from "../support/kafka-reference";
import { differential, type Target } from "./runner";
import * as wire from "./wire";
import { Connection } from "../../lib/client/wire/connection";
import {
  AlterConfigs,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteGroups,
  DeleteRecords,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  DescribeLogDirs,
  DescribeProducers,
  DescribeTransactions,
  FindCoordinator,
  IncrementalAlterConfigs,
  InitProducerId,
  ListTransactions,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetForLeaderEpoch,
  Produce,
} from "../../lib/protocol/messages";

const ALICE = USERS.plain;
const BOB = USERS.scram256;
const TOPIC = "adm-t";
const OPS_TOPIC = "adm-ops";
const GROUP = "adm-g";
const TXN = "adm-txn";

// Kafka's resource types and operations as CreateAcls takes them.
const R = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;
const OP = { READ: 3, DESCRIBE: 8, ALTER_CONFIGS: 11 } as const;

async function as(t: Target, who: "alice" | "bob"): Promise<Connection> {
  const [host, port] = t.saslBootstrap.split(":");
  const sasl = who === "alice" ? { mechanism: "plain" as const, username: ALICE.username, password: ALICE.password } : { mechanism: "scram-sha-256" as const, username: BOB.username, password: BOB.password };
  return Connection.open(host, Number(port), { bootstrap: [t.saslBootstrap], clientId: "differential-acl", sasl });
}

const byName = (a: { name: string | null }, b: { name: string | null }) => String(a.name).localeCompare(String(b.name));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function retried<T>(call: () => Promise<T>, code: (r: T) => number): Promise<T> {
  for (let i = 0; ; i++) {
    const r = await call();
    if (![14, 15, 16, 51].includes(code(r)) || i > 100) return r;
    await sleep(100);
  }
}

/** As alice: the topics, a record, a group with a committed offset, an open transaction on TOPIC. */
async function prepare(alice: Connection): Promise<void> {
  await alice.request(CreateTopics, 7, {
    topics: [TOPIC, OPS_TOPIC].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 30_000,
    validateOnly: false,
  });
  for (let i = 0; i < 100; i++) {
    const md = await alice.request(Metadata, 12, { topics: [{ name: TOPIC }, { name: OPS_TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    if (md.topics.every((x) => x.errorCode === 0 && x.partitions.length === 1)) break;
    await sleep(100);
  }
  const plain = wire.buildBatch([{ key: null, value: Buffer.from("v") }], { baseTimestamp: Date.now() });
  await alice.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: plain }] }] });
  await retried(() => alice.request(FindCoordinator, 4, { keyType: 0, coordinatorKeys: [GROUP] }), (r) => r.coordinators[0].errorCode);
  await retried(
    () => alice.request(OffsetCommit, 2, { groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: "", retentionTimeMs: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] }),
    (r) => r.topics[0].partitions[0].errorCode,
  );
  await retried(() => alice.request(FindCoordinator, 4, { keyType: 1, coordinatorKeys: [TXN] }), (r) => r.coordinators[0].errorCode);
  const p = await retried(() => alice.request(InitProducerId, 5, { transactionalId: TXN, transactionTimeoutMs: 120_000, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode);
  const txn = wire.buildBatch([{ key: null, value: Buffer.from("t") }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, baseTimestamp: Date.now() });
  await alice.request(Produce, 12, { transactionalId: TXN, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: txn }] }] });
}

/** Every admin and inspection API as `c` sees it: error codes and authorized operations only. */
async function probe(c: Connection) {
  const topicMd = await c.request(Metadata, 12, { topics: [{ name: TOPIC }, { name: OPS_TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
  const allMd = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
  const clusterMd = await c.request(Metadata, 10, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: false });
  const cluster = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
  const groups = await c.request(DescribeGroups, 5, { groups: [GROUP], includeAuthorizedOperations: true });
  const configs = await c.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ["retention.ms"] }, { resourceType: 4, resourceName: "0", configurationKeys: ["log.retention.hours"] }], includeSynonyms: false, includeDocumentation: false });
  const alter = await c.request(AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: "retention.ms", value: "86400000" }] }], validateOnly: true });
  const incremental = await c.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: "retention.ms", configOperation: 0, value: "86400000" }] }], validateOnly: true });
  const partitions = await c.request(CreatePartitions, 3, { topics: [{ name: TOPIC, count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: true });
  const records = await c.request(DeleteRecords, 2, { topics: [{ name: OPS_TOPIC, partitions: [{ partitionIndex: 0, offset: 0 }] }], timeoutMs: 10_000 });
  const offsetDelete = await c.request(OffsetDelete, 0, { groupId: GROUP, topics: [{ name: OPS_TOPIC, partitions: [{ partitionIndex: 0 }] }] });
  const deleteGroups = await c.request(DeleteGroups, 2, { groupsNames: ["adm-no-such-group"] });
  const logDirs = await c.request(DescribeLogDirs, 4, { topics: [{ topic: OPS_TOPIC, partitions: [0] }] });
  const producers = await c.request(DescribeProducers, 0, { topics: [{ name: TOPIC, partitionIndexes: [0] }, { name: OPS_TOPIC, partitionIndexes: [0] }] });
  const list = await c.request(ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
  const txns = await c.request(DescribeTransactions, 0, { transactionalIds: [TXN] });
  const epochs = await c.request(OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [TOPIC, OPS_TOPIC].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })) });
  return {
    // Topics in name order (Kafka answers them in no particular order).
    metadata: topicMd.topics.map((x) => ({ name: x.name, error: x.errorCode, ops: x.topicAuthorizedOperations })).sort(byName),
    metadataAll: allMd.topics.filter((x) => x.name === TOPIC || x.name === OPS_TOPIC).map((x) => ({ name: x.name, ops: x.topicAuthorizedOperations })).sort(byName),
    metadataClusterOps: clusterMd.clusterAuthorizedOperations,
    describeCluster: { error: cluster.errorCode, ops: cluster.clusterAuthorizedOperations },
    describeGroups: groups.groups.map((g) => ({ error: g.errorCode, ops: g.authorizedOperations })),
    describeConfigs: configs.results.map((r) => ({ type: r.resourceType, error: r.errorCode })),
    alterConfigs: alter.responses.map((r) => r.errorCode),
    incrementalAlterConfigs: incremental.responses.map((r) => r.errorCode),
    createPartitions: partitions.results.map((r) => r.errorCode),
    deleteRecords: records.topics.flatMap((x) => x.partitions.map((p) => p.errorCode)),
    offsetDelete: { error: offsetDelete.errorCode, partitions: offsetDelete.topics.flatMap((x) => x.partitions.map((p) => p.errorCode)) },
    deleteGroups: deleteGroups.results.map((r) => r.errorCode),
    describeLogDirs: { error: logDirs.errorCode, results: logDirs.results.map((r) => ({ error: r.errorCode, topics: r.topics.map((x) => x.name) })) },
    describeProducers: producers.topics.map((x) => ({ name: x.name, errors: x.partitions.map((p) => p.errorCode) })),
    listTransactions: list.transactionStates.map((s) => s.transactionalId).sort(),
    describeTransactions: txns.transactionStates.map((s) => ({ error: s.errorCode, state: s.transactionState, topics: s.topics.map((x) => x.topic) })),
    offsetForLeaderEpoch: epochs.topics.sort((a, b) => a.topic.localeCompare(b.topic)).map((x) => ({ topic: x.topic, errors: x.partitions.map((p) => p.errorCode) })),
  };
}

describe.runIf(tool("kafka-reference"))("differential: ACLs on the admin APIs and authorized operations", () => {
  const { scenario } = differential("acls-admin", {
    kafkaAuthorizer: { superUsers: [`User:${ALICE.username}`] },
    embeddedOptions: {
      users: { [ALICE.username]: ALICE.password, [BOB.username]: BOB.password, [USERS.scram512.username]: USERS.scram512.password },
      authorizer: { superUsers: [`User:${ALICE.username}`] },
    },
  });

  scenario("admin and inspection APIs: a super user, a user without ACLs, then with DESCRIBE and READ ACLs", async (t) => {
    const alice = await as(t, "alice");
    const bob = await as(t, "bob");
    try {
      await prepare(alice);
      const superUser = await probe(alice);
      const noAcls = await probe(bob);
      const allow = (resourceType: number, resourceName: string, operation: number) => ({ resourceType, resourceName, resourcePatternType: 3, principal: `User:${BOB.username}`, host: "*", operation, permissionType: 3 });
      const created = await alice.request(CreateAcls, 3, {
        creations: [
          allow(R.TOPIC, OPS_TOPIC, OP.READ),
          allow(R.TOPIC, TOPIC, OP.ALTER_CONFIGS),
          allow(R.GROUP, GROUP, OP.DESCRIBE),
          allow(R.CLUSTER, "kafka-cluster", OP.DESCRIBE),
          allow(R.TRANSACTIONAL_ID, TXN, OP.DESCRIBE),
        ],
      });
      await sleep(1500); // Kafka applies ACLs from its metadata log
      const someAcls = await probe(bob);
      return { created: created.results.map((r) => r.errorCode), superUser, noAcls, someAcls };
    } finally {
      alice.close();
      bob.close();
    }
  }, { timeoutMs: 90_000 });
});
