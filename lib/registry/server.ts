/**
 * The Confluent Schema Registry REST API over HTTP (node:http), on a SchemaStore. Paths, bodies, status codes
 * and error codes follow Confluent's API reference, so its clients (confluent-kafka's SchemaRegistryClient,
 * the npm client, the Java serializers) work unchanged. The handler knows nothing of sockets beyond the route
 * table: `handle(method, path, query, body)` is what the tests of the routes call too.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { RegistryError } from "./errors";
import { SCHEMA_TYPES } from "./formats";
import type { SchemaStore, SchemaRequest } from "./store";
import { registerInProcess } from "./sync";
import { CONTENT_TYPE } from "./wire";

export { CONTENT_TYPE };

export interface Reply {
  status: number;
  body: unknown;
}

type Route = { method: string; pattern: RegExp; run: (m: string[], q: URLSearchParams, body: unknown) => unknown };

const flag = (q: URLSearchParams, name: string) => q.get(name) === "true";

function routes(store: SchemaStore): Route[] {
  const schemaView = (id: number) => {
    const s = store.schemaById(id);
    return { schema: s.schema, ...(s.schemaType !== "AVRO" ? { schemaType: s.schemaType } : {}), ...(s.references.length ? { references: s.references } : {}) };
  };
  const id = (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n)) throw new RegistryError(404, 40403, `Schema ${text} not found`);
    return n;
  };
  const r = (method: string, path: string, run: Route["run"]): Route => ({ method, pattern: new RegExp(`^${path.replace(/:\w+/g, "([^/]+)")}/?$`), run });
  return [
    r("GET", "", () => ({})),
    r("GET", "/schemas/types", () => SCHEMA_TYPES),
    r("GET", "/schemas/ids/:id", ([i]) => schemaView(id(i))),
    r("GET", "/schemas/ids/:id/schema", ([i]) => rawSchema(store.schemaById(id(i)).schema)),
    r("GET", "/schemas/ids/:id/subjects", ([i], q) => [...new Set(store.usesOf(id(i), flag(q, "deleted")).map((u) => u.subject))]),
    r("GET", "/schemas/ids/:id/versions", ([i], q) => store.usesOf(id(i), flag(q, "deleted"))),
    r("GET", "/subjects", (_, q) => store.subjectNames(flag(q, "deleted")).filter((s) => s.startsWith(q.get("subjectPrefix") ?? ""))),
    r("GET", "/subjects/:subject/versions", ([s], q) => store.versions(s, flag(q, "deleted"))),
    r("GET", "/subjects/:subject/versions/:version", ([s, v], q) => store.version(s, v, flag(q, "deleted"))),
    r("GET", "/subjects/:subject/versions/:version/schema", ([s, v], q) => rawSchema(store.version(s, v, flag(q, "deleted")).schema)),
    r("GET", "/subjects/:subject/versions/:version/referencedby", ([s, v]) => {
      const target = store.version(s, v);
      const ids = new Set<number>();
      for (const subject of store.subjectNames()) {
        for (const n of store.versions(subject)) {
          const view = store.version(subject, n);
          if (view.references?.some((ref) => ref.subject === s && ref.version === target.version)) ids.add(view.id);
        }
      }
      return [...ids].sort((a, b) => a - b);
    }),
    r("POST", "/subjects/:subject/versions", ([s], _, body) => store.register(s, body as SchemaRequest)),
    r("POST", "/subjects/:subject", ([s], q, body) => store.lookup(s, body as SchemaRequest, flag(q, "deleted"))),
    r("DELETE", "/subjects/:subject", ([s], q) => store.deleteSubject(s, flag(q, "permanent"))),
    r("DELETE", "/subjects/:subject/versions/:version", ([s, v], q) => store.deleteVersion(s, v, flag(q, "permanent"))),
    r("POST", "/compatibility/subjects/:subject/versions/:version", ([s, v], q, body) => compat(store.testCompatibility(s, v, body as SchemaRequest), flag(q, "verbose"))),
    r("POST", "/compatibility/subjects/:subject/versions", ([s], q, body) => compat(store.testCompatibility(s, undefined, body as SchemaRequest), flag(q, "verbose"))),
    r("GET", "/config", () => ({ compatibilityLevel: store.globalCompatibility() })),
    r("PUT", "/config", async (_, __, body) => ({ compatibility: await store.setCompatibility(null, (body as { compatibility?: unknown })?.compatibility) })),
    r("GET", "/config/:subject", ([s], q) => ({ compatibilityLevel: store.subjectCompatibility(s, flag(q, "defaultToGlobal")) })),
    r("PUT", "/config/:subject", async ([s], _, body) => ({ compatibility: await store.setCompatibility(s, (body as { compatibility?: unknown })?.compatibility) })),
    r("DELETE", "/config/:subject", async ([s]) => ({ compatibilityLevel: await store.deleteCompatibility(s) })),
    r("GET", "/mode", () => ({ mode: "READWRITE" })),
    r("GET", "/mode/:subject", () => ({ mode: "READWRITE" })),
  ];
}

/** GET .../schema answers with the schema itself: JSON for Avro and JSON Schema, the .proto text as a string. */
function rawSchema(schema: string): unknown {
  try {
    return JSON.parse(schema) as unknown;
  } catch {
    return schema;
  }
}

function compat(result: { is_compatible: boolean; messages: string[] }, verbose: boolean) {
  return verbose ? result : { is_compatible: result.is_compatible };
}

/** A GET answered synchronously (the read routes do not wait on anything), for the engine in this process. */
function answerSync(table: Route[], path: string): Reply {
  const url = new URL(path, "http://registry");
  for (const route of table) {
    const m = route.pattern.exec(url.pathname.replace(/\/+$/, ""));
    if (!m || route.method !== "GET") continue;
    try {
      return { status: 200, body: route.run(m.slice(1).map((x) => decodeURIComponent(x)), url.searchParams, undefined) };
    } catch (err) {
      if (err instanceof RegistryError) return { status: err.status, body: { error_code: err.code, message: err.message } };
      throw err;
    }
  }
  return { status: 404, body: { error_code: 404, message: "HTTP 404 Not Found" } };
}

/** Routes a request; errors become Confluent's `{error_code, message}` bodies. */
export async function handle(store: SchemaStore, table: Route[], method: string, path: string, query: URLSearchParams, body: unknown): Promise<Reply> {
  const clean = path.replace(/\/+$/, "");
  let pathMatched = false;
  for (const route of table) {
    const m = route.pattern.exec(clean);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    try {
      const args = m.slice(1).map((x) => decodeURIComponent(x));
      return { status: 200, body: await route.run(args, query, body) };
    } catch (err) {
      if (err instanceof RegistryError) return { status: err.status, body: { error_code: err.code, message: err.message } };
      return { status: 500, body: { error_code: 50001, message: `Error in the backend data store: ${(err as Error).message}` } };
    }
  }
  return pathMatched ? { status: 405, body: { error_code: 405, message: "HTTP 405 Method Not Allowed" } } : { status: 404, body: { error_code: 404, message: "HTTP 404 Not Found" } };
}

export interface RunningRegistry {
  url: string;
  port: number;
  store: SchemaStore;
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/**
 * Serves the store on host:port (0: any free port). With `basicAuth` ("user:password", Confluent's
 * authentication.method=BASIC), every request without those credentials gets 401 and a WWW-Authenticate.
 */
export async function serveRegistry(store: SchemaStore, options: { host?: string; port?: number; basicAuth?: string } = {}): Promise<RunningRegistry> {
  const table = routes(store);
  const expected = options.basicAuth ? `Basic ${Buffer.from(options.basicAuth).toString("base64")}` : undefined;
  const server = http.createServer((req, res) => {
    if (expected && req.headers.authorization !== expected) {
      res.setHeader("WWW-Authenticate", 'Basic realm="SchemaRegistry"');
      reply(res, { status: 401, body: { error_code: 401, message: "Unauthorized" } });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reply(res, { status: 413, body: { error_code: 413, message: `request body over ${MAX_BODY} bytes` } });
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      const url = new URL(req.url ?? "/", "http://registry");
      let body: unknown;
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch (err) {
          return reply(res, { status: 400, body: { error_code: 400, message: `Unexpected character in the request body: ${(err as Error).message}` } });
        }
      }
      handle(store, table, req.method ?? "GET", url.pathname, url.searchParams, body).then(
        (r) => reply(res, r),
        (err: Error) => reply(res, { status: 500, body: { error_code: 50001, message: err.message } }),
      );
    });
  });
  server.keepAliveTimeout = 5000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  // The engine in this very process is answered directly, credentials or not (HTTP from a child process
  // could not be answered while this process waits for it).
  const unregister = registerInProcess(url, (path) => answerSync(table, path));
  return {
    url,
    port,
    store,
    stop: async () => {
      unregister();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

function reply(res: http.ServerResponse, r: Reply): void {
  const text = JSON.stringify(r.body);
  res.writeHead(r.status, { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

