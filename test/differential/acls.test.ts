/**
 * Differential scenarios, part 4: ACLs. Apache Kafka runs with its StandardAuthorizer, the embedded broker with
 * `authorizer`, both with SASL users (alice over PLAIN is a super user, bob over SCRAM-SHA-256 is not) and
 * allow.everyone.if.no.acl.found false. kafkajs's admin creates, lists and deletes ACLs; bob's produce, consume,
 * topic creation and ACL requests are allowed or refused (TOPIC_, GROUP_, CLUSTER_AUTHORIZATION_FAILED) as the
 * ACLs say. (Kafka's own principal on its PLAINTEXT listener is a super user, so everything here goes over SASL.)
 */
import { describe } from "vitest";
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Kafka } from "kafkajs";
import { tool } from "../support/tools";
import { USERS } from "../support/kafka-reference";
import { differential, outcome, type Target } from "./runner";

const ALICE = USERS.plain;
const BOB = USERS.scram256;

function as(t: Target, who: "alice" | "bob"): Kafka {
  const sasl = who === "alice" ? { mechanism: "plain" as const, username: ALICE.username, password: ALICE.password } : { mechanism: "scram-sha-256" as const, username: BOB.username, password: BOB.password };
  return t.kafkajs({ brokers: [t.saslBootstrap], sasl, retry: { retries: 2, initialRetryTime: 100 } });
}

type Resource = { resourceType: number; resourceName: string; resourcePatternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] };

/** Resources and their ACLs in a stable order (brokers list them in no particular order). */
function sorted(resources: Resource[]) {
  return resources
    .map((r) => ({ ...r, acls: [...r.acls].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) }))
    .sort((a, b) => `${a.resourceType}/${a.resourceName}/${a.resourcePatternType}`.localeCompare(`${b.resourceType}/${b.resourceName}/${b.resourcePatternType}`));
}

const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes, resourcePatternType = ResourcePatternTypes.LITERAL) => ({
  resourceType,
  resourceName,
  resourcePatternType,
  principal: `User:${BOB.username}`,
  host: "*",
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

describe.runIf(tool("kafka-reference"))("differential: ACLs", () => {
  const { scenario } = differential("acls", {
    kafkaAuthorizer: { superUsers: [`User:${ALICE.username}`] },
    embeddedOptions: {
      users: { [ALICE.username]: ALICE.password, [BOB.username]: BOB.password, [USERS.scram512.username]: USERS.scram512.password },
      authorizer: { superUsers: [`User:${ALICE.username}`] },
    },
  });

  scenario("kafkajs admin: createAcls, describeAcls (filters), deleteAcls as a super user", async (t) => {
    const admin = as(t, "alice").admin();
    await admin.connect();
    try {
      const created = await admin.createAcls({
        acl: [
          allow(AclResourceTypes.TOPIC, "acl-topic", AclOperationTypes.READ),
          allow(AclResourceTypes.TOPIC, "acl-topic", AclOperationTypes.WRITE),
          allow(AclResourceTypes.TOPIC, "acl-pre-", AclOperationTypes.DESCRIBE, ResourcePatternTypes.PREFIXED),
          allow(AclResourceTypes.GROUP, "acl-group", AclOperationTypes.READ),
        ],
      });
      const any = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
      // ACLs reach Kafka's authorizer through the metadata log: wait until all four are listed.
      let all = await admin.describeAcls(any);
      for (let i = 0; i < 50 && all.resources.reduce((n, r) => n + r.acls.length, 0) < 4; i++) {
        await new Promise((r) => setTimeout(r, 100));
        all = await admin.describeAcls(any);
      }
      const topicsOnly = await admin.describeAcls({ ...any, resourceType: AclResourceTypes.TOPIC });
      const matching = await admin.describeAcls({ ...any, resourceType: AclResourceTypes.TOPIC, resourceName: "acl-pre-x", resourcePatternType: ResourcePatternTypes.MATCH });
      const deleted = await admin.deleteAcls({ filters: [{ ...any, resourceType: AclResourceTypes.TOPIC, resourceName: "acl-topic", resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.WRITE }] });
      let after = await admin.describeAcls(any);
      for (let i = 0; i < 50 && after.resources.reduce((n, r) => n + r.acls.length, 0) > 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await admin.describeAcls(any);
      }
      const invalid = await outcome(() => admin.createAcls({ acl: [{ ...allow(AclResourceTypes.TOPIC, "x", AclOperationTypes.READ), principal: "bob" }] }));
      return {
        created: created ?? "ok",
        all: sorted(all.resources as Resource[]),
        topicsOnly: sorted(topicsOnly.resources as Resource[]),
        matching: sorted(matching.resources as Resource[]),
        deleted: deleted.filterResponses.map((f) => ({ errorCode: f.errorCode, matching: f.matchingAcls.map((m) => ({ ...m, errorMessage: undefined })) })),
        after: sorted(after.resources as Resource[]),
        invalid,
      };
    } finally {
      await admin.disconnect();
    }
  });

  scenario("a user without ACLs is refused; with ACLs on the topic and group it produces and consumes", async (t) => {
    const root = as(t, "alice").admin();
    await root.connect();
    await root.createTopics({ topics: [{ topic: "acl-enforced", numPartitions: 1 }] });
    const bob = as(t, "bob");
    const producer = bob.producer();
    await producer.connect();
    const writeDenied = await outcome(() => producer.send({ topic: "acl-enforced", messages: [{ value: "x" }] }));
    const createDenied = await outcome(async () => {
      const a = bob.admin();
      await a.connect();
      try {
        return await a.createTopics({ topics: [{ topic: "bob-made" }] });
      } finally {
        await a.disconnect();
      }
    });
    const aclsDenied = await outcome(async () => {
      const a = bob.admin();
      await a.connect();
      try {
        return await a.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      } finally {
        await a.disconnect();
      }
    });
    await root.createAcls({ acl: [allow(AclResourceTypes.TOPIC, "acl-enforced", AclOperationTypes.WRITE), allow(AclResourceTypes.TOPIC, "acl-enforced", AclOperationTypes.READ)] });
    await new Promise((r) => setTimeout(r, 1000)); // Kafka applies ACLs from its metadata log
    const written = await outcome(() => producer.send({ topic: "acl-enforced", messages: [{ value: "allowed" }] }));
    await producer.disconnect();
    const readGroupDenied = await outcome(async () => {
      const c = bob.consumer({ groupId: "acl-no-group" });
      await c.connect();
      try {
        await c.subscribe({ topic: "acl-enforced", fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          c.on(c.events.CRASH, (e) => reject((e.payload as { error: Error }).error));
          void c.run({ eachMessage: async () => resolve() }).catch(reject);
          setTimeout(resolve, 15_000);
        });
        return "consumed";
      } finally {
        await c.disconnect();
      }
    });
    await root.createAcls({ acl: [allow(AclResourceTypes.GROUP, "acl-yes-group", AclOperationTypes.READ)] });
    await new Promise((r) => setTimeout(r, 1000));
    const consumed: string[] = [];
    const c = bob.consumer({ groupId: "acl-yes-group" });
    await c.connect();
    await c.subscribe({ topic: "acl-enforced", fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void consumed.push(String(message.value)) });
    for (let i = 0; i < 200 && consumed.length < 1; i++) await new Promise((r) => setTimeout(r, 100));
    await c.disconnect();
    await root.disconnect();
    const metaOf = (x: unknown) => (x && typeof x === "object" && "error" in x ? x : "ok");
    return { writeDenied: metaOf(writeDenied), createDenied: metaOf(createDenied), aclsDenied: metaOf(aclsDenied), written: metaOf(written), readGroupDenied, consumed };
  }, { timeoutMs: 90_000 });
});
