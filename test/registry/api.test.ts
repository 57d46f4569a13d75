/**
 * The embedded Schema Registry's REST API over real HTTP, checked against what Confluent's API reference
 * specifies: ids, versions, lookups, compatibility levels (plain and transitive) for Avro, Protobuf and JSON
 * Schema, soft and hard deletes with their error codes, per-subject config, references, bad input.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startRegistry, type RunningRegistry } from "../../lib/registry";

let registry: RunningRegistry;
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(registry.url + path, { method, headers: { "Content-Type": "application/vnd.schemaregistry.v1+json" }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  expect(res.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
  return { status: res.status, body: await res.json() };
}
const avro = (fields: object[], name = "Order") => JSON.stringify({ type: "record", name, namespace: "shop", fields });
const V1 = avro([{ name: "id", type: "string" }, { name: "amount", type: "double" }]);
const V2_DEFAULT = avro([{ name: "id", type: "string" }, { name: "amount", type: "double" }, { name: "region", type: "string", default: "eu" }]);
const V2_NO_DEFAULT = avro([{ name: "id", type: "string" }, { name: "amount", type: "double" }, { name: "region", type: "string" }]);

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describe("schema registry REST API", () => {
  it("registers versions, reuses ids for the same schema, and answers the read endpoints", async () => {
    expect((await call("GET", "/schemas/types")).body).toEqual(["JSON", "PROTOBUF", "AVRO"]);
    const a = await call("POST", "/subjects/orders-value/versions", { schema: V1 });
    expect(a).toEqual({ status: 200, body: { id: 1 } });
    // The same schema again (other white space): the same id, no new version.
    expect((await call("POST", "/subjects/orders-value/versions", { schema: JSON.stringify(JSON.parse(V1), null, 2) })).body).toEqual({ id: 1 });
    expect((await call("GET", "/subjects/orders-value/versions")).body).toEqual([1]);
    // The same schema under another subject shares its id.
    expect((await call("POST", "/subjects/other-value/versions", { schema: V1 })).body).toEqual({ id: 1 });
    const b = await call("POST", "/subjects/orders-value/versions", { schema: V2_DEFAULT });
    expect(b.body).toEqual({ id: 2 });
    expect((await call("GET", "/subjects")).body).toEqual(["orders-value", "other-value"]);
    expect((await call("GET", "/subjects/orders-value/versions/latest")).body).toEqual({ subject: "orders-value", version: 2, id: 2, schema: V2_DEFAULT });
    expect((await call("GET", "/subjects/orders-value/versions/1/schema")).body).toEqual(JSON.parse(V1));
    expect((await call("GET", "/schemas/ids/2")).body).toEqual({ schema: V2_DEFAULT });
    expect((await call("GET", "/schemas/ids/1/versions")).body).toEqual([{ subject: "orders-value", version: 1 }, { subject: "other-value", version: 1 }]);
    expect((await call("POST", "/subjects/orders-value", { schema: V1 })).body).toMatchObject({ subject: "orders-value", version: 1, id: 1 });
  });

  it("answers missing things with Confluent's error codes", async () => {
    expect(await call("GET", "/subjects/nope/versions")).toEqual({ status: 404, body: { error_code: 40401, message: "Subject 'nope' not found." } });
    expect((await call("GET", "/subjects/orders-value/versions/9")).body.error_code).toBe(40402);
    expect((await call("GET", "/schemas/ids/999")).body.error_code).toBe(40403);
    expect((await call("POST", "/subjects/orders-value", { schema: avro([{ name: "x", type: "int" }]) })).body.error_code).toBe(40403);
    expect((await call("GET", "/subjects/orders-value/versions/zero")).body.error_code).toBe(42202);
    expect((await call("POST", "/subjects/bad-value/versions", { schema: '{"type": "record", "name": "R"}' })).body.error_code).toBe(42201);
    expect((await call("POST", "/subjects/bad-value/versions", { schema: "not json" })).status).toBe(422);
    expect((await call("POST", "/subjects/bad-value/versions", "{not json")).status).toBe(400);
    expect((await call("GET", "/config/orders-value")).body.error_code).toBe(40408);
    expect((await call("PUT", "/config", { compatibility: "SIDEWAYS" })).body.error_code).toBe(42203);
    expect((await call("GET", "/no/such/path")).status).toBe(404);
  });

  it("refuses an incompatible Avro change under BACKWARD, and allows it under NONE", async () => {
    expect((await call("GET", "/config")).body).toEqual({ compatibilityLevel: "BACKWARD" });
    const s = "orders2-value";
    expect((await call("POST", `/subjects/${s}/versions`, { schema: V1 })).body).toEqual({ id: 1 });
    // A new field without a default: the new schema cannot read the data written with V1.
    const refused = await call("POST", `/subjects/${s}/versions`, { schema: V2_NO_DEFAULT });
    expect(refused.status).toBe(409);
    expect(refused.body.error_code).toBe(409);
    expect(refused.body.message).toMatch(/^Schema being registered is incompatible with an earlier schema for subject "orders2-value"/);
    expect((await call("POST", `/compatibility/subjects/${s}/versions/latest`, { schema: V2_NO_DEFAULT })).body).toEqual({ is_compatible: false });
    expect((await call("POST", `/compatibility/subjects/${s}/versions/latest?verbose=true`, { schema: V2_NO_DEFAULT })).body.messages.length).toBeGreaterThan(0);
    expect((await call("POST", `/compatibility/subjects/${s}/versions/latest`, { schema: V2_DEFAULT })).body).toEqual({ is_compatible: true });
    expect((await call("PUT", `/config/${s}`, { compatibility: "none" })).body).toEqual({ compatibility: "NONE" });
    expect((await call("GET", `/config/${s}`)).body).toEqual({ compatibilityLevel: "NONE" });
    expect((await call("POST", `/subjects/${s}/versions`, { schema: V2_NO_DEFAULT })).body).toEqual({ id: 3 });
    expect((await call("DELETE", `/config/${s}`)).body).toEqual({ compatibilityLevel: "NONE" });
    expect((await call("GET", `/config/${s}?defaultToGlobal=true`)).body).toEqual({ compatibilityLevel: "BACKWARD" });
  });

  it("checks FORWARD, FULL and the transitive levels against the right versions", async () => {
    const s = "levels-value";
    const r1 = avro([{ name: "a", type: "int" }], "L");
    const r2 = avro([{ name: "a", type: "int" }, { name: "b", type: "string", default: "" }], "L");
    const r3 = avro([{ name: "b", type: "string", default: "" }], "L"); // drops a (no default): old readers break
    await call("PUT", `/config/${s}`, { compatibility: "FORWARD" });
    expect((await call("POST", `/subjects/${s}/versions`, { schema: r1 })).status).toBe(200);
    expect((await call("POST", `/subjects/${s}/versions`, { schema: r2 })).status).toBe(200);
    // r2 readers read r3 data (b has a default... and a is gone from the writer: r2 reader's a has no default).
    expect((await call("POST", `/subjects/${s}/versions`, { schema: r3 })).status).toBe(409);
    await call("PUT", `/config/${s}`, { compatibility: "BACKWARD" });
    // r3 reads r2's data (a is ignored, b present).
    expect((await call("POST", `/compatibility/subjects/${s}/versions/latest`, { schema: r3 })).body).toEqual({ is_compatible: true });
    await call("PUT", `/config/${s}`, { compatibility: "FULL_TRANSITIVE" });
    expect((await call("POST", `/compatibility/subjects/${s}/versions`, { schema: r3 })).body).toEqual({ is_compatible: false });
    await call("PUT", `/config/${s}`, { compatibility: "BACKWARD_TRANSITIVE" });
    // r3 reads r1's data (b's default fills in): compatible with every version.
    expect((await call("POST", `/compatibility/subjects/${s}/versions`, { schema: r3 })).body).toEqual({ is_compatible: true });
  });

  it("soft-deletes, then hard-deletes, with the order Confluent requires", async () => {
    const s = "gone-value";
    await call("POST", `/subjects/${s}/versions`, { schema: avro([{ name: "g", type: "int" }], "G") });
    expect((await call("DELETE", `/subjects/${s}?permanent=true`)).body.error_code).toBe(40405);
    expect((await call("DELETE", `/subjects/${s}`)).body).toEqual([1]);
    expect((await call("GET", `/subjects/${s}/versions`)).body.error_code).toBe(40401);
    expect((await call("GET", "/subjects")).body).not.toContain(s);
    expect((await call("GET", "/subjects?deleted=true")).body).toContain(s);
    expect((await call("GET", `/subjects/${s}/versions?deleted=true`)).body).toEqual([1]);
    expect((await call("DELETE", `/subjects/${s}`)).body.error_code).toBe(40404);
    expect((await call("DELETE", `/subjects/${s}?permanent=true`)).body).toEqual([1]);
    expect((await call("GET", "/subjects?deleted=true")).body).not.toContain(s);
    // A version: soft then hard.
    await call("POST", `/subjects/${s}/versions`, { schema: avro([{ name: "g", type: "int" }], "G") });
    expect((await call("DELETE", `/subjects/${s}/versions/1?permanent=true`)).body.error_code).toBe(40407);
    expect((await call("DELETE", `/subjects/${s}/versions/1`)).body).toBe(1);
    expect((await call("DELETE", `/subjects/${s}/versions/1`)).body.error_code).toBe(40406);
  });

  it("holds Protobuf and JSON Schema, with their compatibility rules", async () => {
    const p1 = 'syntax = "proto3";\npackage shop;\nmessage Payment { string id = 1; int64 cents = 2; }\n';
    const p2 = 'syntax = "proto3";\npackage shop;\nmessage Payment { string id = 1; int64 cents = 2; string currency = 3; }\n';
    const pBad = 'syntax = "proto3";\npackage shop;\nmessage Payment { string id = 1; string cents = 2; }\n';
    const a = await call("POST", "/subjects/payments-value/versions", { schema: p1, schemaType: "PROTOBUF" });
    expect(a.status).toBe(200);
    expect((await call("POST", "/subjects/payments-value/versions", { schema: p2, schemaType: "PROTOBUF" })).status).toBe(200);
    expect((await call("POST", "/subjects/payments-value/versions", { schema: pBad, schemaType: "PROTOBUF" })).status).toBe(409);
    expect((await call("GET", `/schemas/ids/${a.body.id}`)).body).toEqual({ schema: p1, schemaType: "PROTOBUF" });
    expect((await call("POST", "/subjects/bad-proto/versions", { schema: "message {", schemaType: "PROTOBUF" })).body.error_code).toBe(42201);

    const j1 = JSON.stringify({ type: "object", properties: { id: { type: "string" }, n: { type: "integer" } }, required: ["id"] });
    const j2 = JSON.stringify({ type: "object", properties: { id: { type: "string" }, n: { type: "number" } }, required: ["id"] });
    const jBad = JSON.stringify({ type: "object", properties: { id: { type: "string" }, n: { type: "integer" }, must: { type: "string" } }, required: ["id", "must"] });
    expect((await call("POST", "/subjects/events-value/versions", { schema: j1, schemaType: "JSON" })).status).toBe(200);
    expect((await call("POST", "/subjects/events-value/versions", { schema: j2, schemaType: "JSON" })).status).toBe(200);
    expect((await call("POST", "/subjects/events-value/versions", { schema: jBad, schemaType: "JSON" })).status).toBe(409);
  });

  it("resolves schema references (an Avro record using a type of another subject)", async () => {
    const address = JSON.stringify({ type: "record", name: "Address", namespace: "shop", fields: [{ name: "city", type: "string" }] });
    const ref = await call("POST", "/subjects/address/versions", { schema: address });
    const customer = JSON.stringify({ type: "record", name: "Customer", namespace: "shop", fields: [{ name: "name", type: "string" }, { name: "home", type: "shop.Address" }] });
    const refs = [{ name: "shop.Address", subject: "address", version: 1 }];
    expect((await call("POST", "/subjects/customer-value/versions", { schema: customer })).body.error_code).toBe(42201);
    const c = await call("POST", "/subjects/customer-value/versions", { schema: customer, references: refs });
    expect(c.status).toBe(200);
    expect((await call("GET", `/schemas/ids/${c.body.id}`)).body).toEqual({ schema: customer, references: refs });
    expect((await call("GET", "/subjects/address/versions/1/referencedby")).body).toEqual([c.body.id]);
    expect(ref.body.id).not.toBe(c.body.id);
  });
});
