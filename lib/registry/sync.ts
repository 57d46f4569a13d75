/**
 * Synchronous registry look-ups for the engine. Expressions are typed when a DataFrame is defined and run
 * synchronously inside a micro-batch, but HTTP is asynchronous in Node: the first sight of a subject or a
 * schema id asks the registry from a short child process (Node's own fetch), and the answer is cached for the
 * process's life (a schema id never changes meaning). A batch pays this once per new id, not per record.
 */
import { execFileSync } from "node:child_process";
import type { SchemaReference, SchemaType } from "./formats";
import { Codec } from "./wire";

const FETCH_SCRIPT = `
const [url, auth] = process.argv.slice(1);
const headers = { Accept: "application/vnd.schemaregistry.v1+json" };
if (auth) headers.Authorization = "Basic " + Buffer.from(auth).toString("base64");
fetch(url, { headers }).then(async (r) => {
  const text = await r.text();
  process.stdout.write(JSON.stringify({ status: r.status, text }));
}, (e) => { process.stdout.write(JSON.stringify({ status: 0, text: String(e && e.cause ? e.cause.message || e.cause.code : e.message) })); });
`;

interface SchemaAnswer {
  id?: number;
  version?: number;
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
}

/**
 * Registries served by this process, by URL: asked directly, since a child process could not get an answer
 * from a server whose event loop is waiting for that very child.
 */
const syncAnswers = new Map<string, (path: string) => { status: number; body: unknown }>();

/** Called by serveRegistry: lets the engine read this registry synchronously, without HTTP. */
export function registerInProcess(url: string, answer: (path: string) => { status: number; body: unknown }): () => void {
  syncAnswers.set(url.replace(/\/+$/, ""), answer);
  return () => syncAnswers.delete(url.replace(/\/+$/, ""));
}

function getSync<T>(base: string, path: string, auth?: string): T {
  const local = syncAnswers.get(base.replace(/\/+$/, "").replace("//localhost:", "//127.0.0.1:"));
  if (local) {
    const { status, body } = local(path);
    if (status !== 200) throw new Error(`schema registry at ${base}: ${(body as { message?: string })?.message ?? `HTTP ${status}`}`);
    return body as T;
  }
  const url = `${base.replace(/\/+$/, "")}${path}`;
  const out = execFileSync(process.execPath, ["-e", FETCH_SCRIPT, url, auth ?? ""], { encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } });
  const { status, text } = JSON.parse(out) as { status: number; text: string };
  if (status === 0) throw new Error(`schema registry at ${base} cannot be reached (${text}): start it (%kafka start starts one) or check the address`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (status !== 200) {
    const e = body as { message?: string };
    throw new Error(`schema registry at ${base}: ${e?.message ?? `HTTP ${status}`}`);
  }
  return body as T;
}

const codecs = new Map<string, Codec>();
const latest = new Map<string, { id: number; codec: Codec }>();

function resolveRefs(base: string, refs: SchemaReference[] = [], auth?: string): { name: string; schema: string }[] {
  const out: { name: string; schema: string }[] = [];
  for (const ref of refs) {
    const v = getSync<SchemaAnswer>(base, `/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`, auth);
    out.push(...resolveRefs(base, v.references, auth), { name: ref.name, schema: v.schema });
  }
  return out;
}

/** The codec of a schema id at a registry, cached. */
export function codecByIdSync(base: string, id: number, auth?: string): Codec {
  const key = `${base}#${id}`;
  let c = codecs.get(key);
  if (!c) {
    const s = getSync<SchemaAnswer>(base, `/schemas/ids/${id}`, auth);
    c = new Codec({ schemaType: s.schemaType ?? "AVRO", schema: s.schema, references: resolveRefs(base, s.references, auth) }, id);
    codecs.set(key, c);
  }
  return c;
}

/** The latest version of a subject (its id and codec), asked once per process and subject. */
export function latestSync(base: string, subject: string, auth?: string): { id: number; codec: Codec } {
  const key = `${base}#${subject}`;
  let l = latest.get(key);
  if (!l) {
    const s = getSync<SchemaAnswer>(base, `/subjects/${encodeURIComponent(subject)}/versions/latest`, auth);
    const codec = new Codec({ schemaType: s.schemaType ?? "AVRO", schema: s.schema, references: resolveRefs(base, s.references, auth) }, s.id);
    l = { id: s.id!, codec };
    latest.set(key, l);
    codecs.set(`${base}#${s.id}`, codec);
  }
  return l;
}

/** Forget cached latest versions (a notebook that registered a new version and re-runs its query). */
export function forgetLatest(): void {
  latest.clear();
}
