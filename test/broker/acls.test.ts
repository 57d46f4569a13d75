/**
 * ACLs on the embedded broker beyond the differential scenarios: the authorizer's rules (DENY over ALLOW, implied
 * DESCRIBE, prefixed and wildcard patterns, hosts, super users, allowEveryoneIfNoAclFound), bindings kept across
 * a restart with a data dir, SECURITY_DISABLED without an authorizer, and the Python admin clients
 * (confluent-kafka 2.x and kafka-python from the test venv) creating, listing and deleting ACLs over SASL.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from "kafkajs";
import { AclOperation, Authorizer, Permission, PatternType, ResourceType, type AclBinding } from "../../lib/broker/acl/authorizer";
import { parseBrokerArgs } from "../../lib/broker/cli";
import { Connection } from "../../lib/client/wire/connection";
import { DescribeCluster, Metadata } from "../../lib/protocol/messages";
import { tool } from "../support/tools";
import { venvPython } from "../support/venv";
import { run, withBroker } from "./helpers";

const bind = (b: Partial<AclBinding>): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: "t",
  patternType: PatternType.LITERAL,
  principal: "User:bob",
  host: "*",
  operation: AclOperation.READ,
  permissionType: Permission.ALLOW,
  ...b,
});

describe("the authorizer's rules (Kafka's StandardAuthorizer)", () => {
  it("allows what an ALLOW grants, DENY wins, READ implies DESCRIBE, patterns and hosts match as Kafka's", () => {
    const a = new Authorizer({ superUsers: ["User:admin"] });
    expect(
      a.create([
        bind({}),
        bind({ resourceName: "t", operation: AclOperation.WRITE, permissionType: Permission.DENY }),
        bind({ resourceName: "logs-", patternType: PatternType.PREFIXED, operation: AclOperation.ALL }),
        bind({ resourceName: "*", principal: "User:*", operation: AclOperation.DESCRIBE }),
        bind({ resourceType: ResourceType.GROUP, resourceName: "g", host: "10.0.0.1" }),
      ]).map((r) => r.errorCode),
    ).toEqual([0, 0, 0, 0, 0]);
    const ok = (principal: string, op: number, type: number, name: string, host = "127.0.0.1") => a.authorize(principal, host, op, type, name);
    expect(ok("User:bob", AclOperation.READ, ResourceType.TOPIC, "t")).toBe(true);
    expect(ok("User:bob", AclOperation.WRITE, ResourceType.TOPIC, "t")).toBe(false); // DENY
    expect(ok("User:bob", AclOperation.DESCRIBE, ResourceType.TOPIC, "t")).toBe(true); // implied by READ
    expect(ok("User:bob", AclOperation.DELETE, ResourceType.TOPIC, "logs-2024")).toBe(true); // PREFIXED + ALL
    expect(ok("User:bob", AclOperation.READ, ResourceType.TOPIC, "log")).toBe(false);
    expect(ok("User:eve", AclOperation.DESCRIBE, ResourceType.TOPIC, "anything")).toBe(true); // "*" for User:*
    expect(ok("User:eve", AclOperation.READ, ResourceType.TOPIC, "anything")).toBe(false);
    expect(ok("User:bob", AclOperation.READ, ResourceType.GROUP, "g")).toBe(false); // host 10.0.0.1 only
    expect(ok("User:bob", AclOperation.READ, ResourceType.GROUP, "g", "10.0.0.1")).toBe(true);
    expect(ok("User:admin", AclOperation.ALTER, ResourceType.CLUSTER, "kafka-cluster")).toBe(true); // super user
    expect(ok("User:bob", AclOperation.READ, ResourceType.GROUP, "other")).toBe(false); // no ACL: denied by default
    expect(new Authorizer({ allowEveryoneIfNoAclFound: true }).authorize("User:bob", "h", AclOperation.READ, ResourceType.GROUP, "other")).toBe(true);
  });

  it("refuses malformed bindings one by one and deletes by filter", () => {
    const a = new Authorizer({});
    const r = a.create([bind({ principal: "bob" }), bind({ patternType: PatternType.MATCH }), bind({ resourceType: ResourceType.CLUSTER, resourceName: "x" }), bind({})]);
    expect(r.map((x) => x.errorCode)).toEqual([42, 42, 42, 0]);
    const gone = a.delete([{ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: "User:bob", host: null, operation: AclOperation.ANY, permissionType: Permission.ANY }]);
    expect(gone[0]).toHaveLength(1);
    expect(a.describe({ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: Permission.ANY })).toEqual([]);
  });
});

describe("streamlab broker --super-users", () => {
  it("turns on ACLs with those super users, on a SASL listener only; bad principals get one clear line", () => {
    const users = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-users-")), "users");
    fs.writeFileSync(users, "admin:admin-secret\n");
    expect(parseBrokerArgs(["--listener", "SASL_PLAINTEXT://127.0.0.1:0", "--users", users, "--super-users", "User:admin,User:ops"]).authorizer).toEqual({ superUsers: ["User:admin", "User:ops"] });
    expect(() => parseBrokerArgs(["--super-users", "User:admin"])).toThrow(/--super-users \(ACLs\) needs a SASL listener/);
    expect(() => parseBrokerArgs(["--listener", "SASL_PLAINTEXT://127.0.0.1:0", "--users", users, "--super-users", "admin"])).toThrow(/--super-users takes principals as User:NAME separated by commas, got 'admin'/);
    fs.rmSync(path.dirname(users), { recursive: true, force: true });
  });
});

const USERS = { admin: "admin-secret", bob: "bob-secret" };
const adminSasl = { mechanism: "scram-sha-256" as const, username: "admin", password: USERS.admin };
const any = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };

describe("ACL APIs on the embedded broker", () => {
  it("answer SECURITY_DISABLED without an authorizer, as Kafka", async () => {
    await withBroker(async (b) => {
      const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin.connect();
      const err = await admin.describeAcls(any).then(
        () => "ok",
        (e: { type?: string }) => e.type,
      );
      await admin.disconnect();
      expect(err).toBe("SECURITY_DISABLED");
    });
  });

  it("without an authorizer the authorized-operations fields list every operation Kafka supports on the resource", async () => {
    await withBroker(async (b) => {
      const c = await Connection.open("127.0.0.1", b.port, { bootstrap: [b.bootstrap] });
      try {
        const md = await c.request(Metadata, 10, { topics: [{ name: "ops-open" }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
        const notAsked = await c.request(Metadata, 12, { topics: [{ name: "ops-open" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const cluster = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
        const bits = (ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);
        const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;
        expect(md.topics[0].topicAuthorizedOperations).toBe(bits([READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS]));
        expect(md.clusterAuthorizedOperations).toBe(bits([CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE]));
        expect(cluster.clusterAuthorizedOperations).toBe(md.clusterAuthorizedOperations);
        expect(notAsked.topics[0].topicAuthorizedOperations).toBe(-2147483648); // Kafka's "not requested"
      } finally {
        c.close();
      }
    });
  });

  it("keep the bindings across a restart with a data dir", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-acl-"));
    const opts = { dataDir, users: USERS, authorizer: { superUsers: ["User:admin"] } };
    try {
      await withBroker(async (b) => {
        const admin = new Kafka({ brokers: [b.bootstrap], sasl: adminSasl, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: "kept", resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:bob", host: "*", operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] });
        await admin.disconnect();
      }, opts);
      await withBroker(async (b) => {
        const admin = new Kafka({ brokers: [b.bootstrap], sasl: adminSasl, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const listed = await admin.describeAcls(any);
        await admin.disconnect();
        expect(listed.resources.map((r) => [r.resourceName, r.acls.map((x) => x.principal)])).toEqual([["kept", ["User:bob"]]]);
      }, opts);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("ACLs on transactions", () => {
  it("a transactional producer needs WRITE on its transactional id; then it commits", async () => {
    await withBroker(
      async (b) => {
        const admin = new Kafka({ brokers: [b.bootstrap], sasl: adminSasl, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "acl-txn", numPartitions: 1 }] });
        const grant = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) =>
          admin.createAcls({ acl: [{ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:bob", host: "*", operation, permissionType: AclPermissionTypes.ALLOW }] });
        await grant(AclResourceTypes.TOPIC, "acl-txn", AclOperationTypes.WRITE);
        const bob = new Kafka({ brokers: [b.bootstrap], sasl: { mechanism: "scram-sha-256", username: "bob", password: USERS.bob }, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } });
        const attempt = async () => {
          const p = bob.producer({ transactionalId: "bob-txn", idempotent: true, maxInFlightRequests: 1 });
          await p.connect();
          try {
            const t = await p.transaction();
            await t.send({ topic: "acl-txn", messages: [{ value: "v" }] });
            await t.commit();
            return "committed";
          } catch (e) {
            const err = e as { type?: string; name?: string; originalError?: { type?: string } };
            return err.type ?? err.originalError?.type ?? err.name;
          } finally {
            await p.disconnect().catch(() => undefined);
          }
        };
        const denied = await attempt();
        await grant(AclResourceTypes.TRANSACTIONAL_ID, "bob-txn", AclOperationTypes.WRITE);
        const allowedNow = await attempt();
        await admin.disconnect();
        expect(denied).not.toBe("committed");
        // kafkajs reports the refused FindCoordinator (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) as "coordinator not found".
        expect(String(denied)).toMatch(/TRANSACTIONAL_ID_AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/);
        expect(allowedNow).toBe("committed");
      },
      { users: USERS, authorizer: { superUsers: ["User:admin"] } },
    );
  }, 60_000);
});

describe("ACLs on topic administration and configs", () => {
  it("CreatePartitions needs ALTER, DeleteRecords DELETE, DescribeConfigs DESCRIBE_CONFIGS (implied by ALTER_CONFIGS), AlterConfigs ALTER_CONFIGS", async () => {
    await withBroker(
      async (b) => {
        const admin = new Kafka({ brokers: [b.bootstrap], sasl: adminSasl, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "acl-admin", numPartitions: 1 }] });
        const bobKafka = new Kafka({ brokers: [b.bootstrap], sasl: { mechanism: "scram-sha-256", username: "bob", password: USERS.bob }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
        const bob = bobKafka.admin();
        await bob.connect();
        const code = (p: Promise<unknown>) =>
          p.then(
            () => "ok",
            (e: { type?: string; errors?: { type?: string }[] }) => e.type ?? e.errors?.[0]?.type ?? "error",
          );
        const grant = (operation: AclOperationTypes) =>
          admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: "acl-admin", resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:bob", host: "*", operation, permissionType: AclPermissionTypes.ALLOW }] });
        await grant(AclOperationTypes.DESCRIBE); // bob may see the topic's metadata
        const describeConfigs = () => code(bob.describeConfigs({ resources: [{ type: 2, name: "acl-admin" }], includeSynonyms: false }));
        const alterConfigs = () => code(bob.alterConfigs({ resources: [{ type: 2, name: "acl-admin", configEntries: [{ name: "retention.ms", value: "60000" }] }] }));
        const before = { partitions: await code(bob.createPartitions({ topicPartitions: [{ topic: "acl-admin", count: 2 }] })), describeConfigs: await describeConfigs(), alterConfigs: await alterConfigs() };
        await grant(AclOperationTypes.ALTER);
        await grant(AclOperationTypes.ALTER_CONFIGS);
        const after = { partitions: await code(bob.createPartitions({ topicPartitions: [{ topic: "acl-admin", count: 2 }] })), describeConfigs: await describeConfigs(), alterConfigs: await alterConfigs() };
        await bob.disconnect();
        await admin.disconnect();
        expect(before).toEqual({ partitions: "TOPIC_AUTHORIZATION_FAILED", describeConfigs: "TOPIC_AUTHORIZATION_FAILED", alterConfigs: "TOPIC_AUTHORIZATION_FAILED" });
        expect(after).toEqual({ partitions: "ok", describeConfigs: "ok", alterConfigs: "ok" });
      },
      { users: USERS, authorizer: { superUsers: ["User:admin"] } },
    );
  }, 60_000);
});

const PYTHON_ACLS = String.raw`
import sys, json, time
from confluent_kafka.admin import AdminClient, AclBinding, AclBindingFilter, ResourceType, ResourcePatternType, AclOperation, AclPermissionType
from kafka.admin import KafkaAdminClient, ACL, ACLFilter, ResourcePattern, ResourcePatternFilter, ACLOperation, ACLPermissionType, ResourceType as KPResourceType, ACLResourcePatternType
bootstrap = sys.argv[1]
out = {}
conf = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "admin", "sasl.password": "admin-secret"}
a = AdminClient(conf)
fs = a.create_acls([AclBinding(ResourceType.TOPIC, "ck-topic", ResourcePatternType.LITERAL, "User:bob", "*", AclOperation.READ, AclPermissionType.ALLOW),
                    AclBinding(ResourceType.GROUP, "ck-", ResourcePatternType.PREFIXED, "User:bob", "*", AclOperation.READ, AclPermissionType.ALLOW)])
out["ck_created"] = [f.result() is None for f in fs.values()]
flt = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY)
out["ck_listed"] = sorted("%s:%s:%s:%s" % (b.restype.name, b.name, b.resource_pattern_type.name, b.operation.name) for b in a.describe_acls(flt).result())
kp = KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_plain_username="admin", sasl_plain_password="admin-secret")
res = kp.create_acls([ACL("User:carol", "*", ACLOperation.WRITE, ACLPermissionType.ALLOW, ResourcePattern(KPResourceType.TOPIC, "kp-topic"))])
out["kp_created"] = len(res["succeeded"])
acls, err = kp.describe_acls(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(KPResourceType.ANY, None, ACLResourcePatternType.ANY)))
out["kp_listed"] = sorted("%s:%s" % (x.principal, x.resource_pattern.resource_name) for x in acls)
deleted = kp.delete_acls([ACLFilter("User:carol", None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(KPResourceType.ANY, None, ACLResourcePatternType.ANY))])
out["kp_deleted"] = sum(len(matches) for _, matches, _ in deleted)
kp.close()
out["ck_after"] = len(a.describe_acls(flt).result())
print(json.dumps(out))
`;

describe.runIf(tool("venv-kafka-clients"))("Python admin clients manage ACLs on the embedded broker", () => {
  it("confluent-kafka 2.x and kafka-python create, list and delete ACLs over SASL", async () => {
    await withBroker(
      async (b) => {
        const r = await run(venvPython()!, ["-c", PYTHON_ACLS, b.bootstrap], undefined, 90_000);
        if (r.code !== 0) throw new Error(`python exited ${r.code}: ${r.stderr.slice(-2000)}`);
        const res = JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
        expect(res).toEqual({
          ck_created: [true, true],
          ck_listed: ["GROUP:ck-:PREFIXED:READ", "TOPIC:ck-topic:LITERAL:READ"],
          kp_created: 1,
          kp_listed: ["User:bob:ck-", "User:bob:ck-topic", "User:carol:kp-topic"],
          kp_deleted: 1,
          ck_after: 2,
        });
      },
      { users: USERS, authorizer: { superUsers: ["User:admin"] } },
    );
  }, 120_000);
});
