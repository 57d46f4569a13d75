/**
 * The registry's state and operations, the way Confluent's Schema Registry defines them: subjects with
 * numbered versions, schemas with global ids (the same schema under two subjects shares its id), compatibility
 * levels globally and per subject, soft and hard deletes, schema references. Every change is a record in the
 * log, written before it is applied, so replaying the log rebuilds the same state (keys and values are
 * Confluent's `_schemas` JSON).
 */
import {
  RegistryError,
  incompatible,
  invalidCompatibility,
  invalidVersion,
  schemaNotFound,
  subjectLevelConfigNotFound,
  subjectNotFound,
  subjectNotSoftDeleted,
  subjectSoftDeleted,
  versionNotFound,
  versionNotSoftDeleted,
  versionSoftDeleted,
} from "./errors";
import {
  COMPATIBILITY_LEVELS,
  canonicalText,
  compatibilityProblems,
  parseSchemaType,
  validateSchema,
  type CompatibilityLevel,
  type ResolvedSchema,
  type SchemaReference,
  type SchemaType,
} from "./formats";
import type { LogRecord, SchemaLog } from "./log";

export interface SchemaEntry {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

interface VersionEntry {
  version: number;
  id: number;
  deleted: boolean;
}

/** What a client sends to register or look up a schema. */
export interface SchemaRequest {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

/** A subject's version as GET /subjects/S/versions/V returns it (schemaType left out for AVRO, as Confluent does). */
export interface VersionView {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
}

type SchemaKey = { keytype: "SCHEMA"; subject: string; version: number; magic: 1 };
type ConfigKey = { keytype: "CONFIG"; subject: string | null; magic: 0 };
type SchemaValue = { subject: string; version: number; id: number; schemaType?: SchemaType; references?: SchemaReference[]; schema: string; deleted: boolean };

const DEFAULT_LEVEL: CompatibilityLevel = "BACKWARD";

export class SchemaStore {
  private readonly schemas = new Map<number, SchemaEntry>();
  private readonly idsByContent = new Map<string, number>();
  private readonly subjects = new Map<string, VersionEntry[]>();
  private globalLevel: CompatibilityLevel = DEFAULT_LEVEL;
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private maxId = 0;
  /** Operations one at a time: each reads the state, writes its record, then applies it. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly log: SchemaLog) {}

  /** Replays the log into a new store. A record the store cannot read is skipped with a warning, not fatal. */
  static async open(log: SchemaLog, warn: (message: string) => void = (m) => process.emitWarning(m)): Promise<SchemaStore> {
    const store = new SchemaStore(log);
    for (const record of await log.readAll()) {
      try {
        store.apply(record);
      } catch (err) {
        warn(`schema registry: skipped an unreadable record in ${log.description}: ${(err as Error).message}`);
      }
    }
    return store;
  }

  get description(): string {
    return this.log.description;
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(key: SchemaKey | ConfigKey, value: object | null): Promise<void> {
    const record: LogRecord = { key: Buffer.from(JSON.stringify(key)), value: value === null ? null : Buffer.from(JSON.stringify(value)) };
    await this.log.append(record);
    this.apply(record);
  }

  /** One log record into the state. */
  private apply(record: LogRecord): void {
    const key = JSON.parse(record.key.toString("utf8")) as SchemaKey | ConfigKey | { keytype: string };
    if (key.keytype === "SCHEMA") {
      const k = key as SchemaKey;
      const versions = this.subjects.get(k.subject) ?? [];
      const at = versions.findIndex((v) => v.version === k.version);
      if (record.value === null) {
        if (at >= 0) versions.splice(at, 1);
        if (versions.length) this.subjects.set(k.subject, versions);
        else this.subjects.delete(k.subject);
        return;
      }
      const v = JSON.parse(record.value.toString("utf8")) as SchemaValue;
      const entry: SchemaEntry = { id: v.id, schemaType: v.schemaType ?? "AVRO", schema: v.schema, references: v.references ?? [] };
      if (!this.schemas.has(v.id)) {
        this.schemas.set(v.id, entry);
        this.idsByContent.set(contentKey(entry), v.id);
      }
      this.maxId = Math.max(this.maxId, v.id);
      const ve = { version: v.version, id: v.id, deleted: Boolean(v.deleted) };
      if (at >= 0) versions[at] = ve;
      else {
        versions.push(ve);
        versions.sort((a, b) => a.version - b.version);
      }
      this.subjects.set(k.subject, versions);
    } else if (key.keytype === "CONFIG") {
      const k = key as ConfigKey;
      const level = record.value === null ? null : (JSON.parse(record.value.toString("utf8")) as { compatibilityLevel: CompatibilityLevel }).compatibilityLevel;
      if (k.subject === null) this.globalLevel = level ?? DEFAULT_LEVEL;
      else if (level === null) this.subjectLevels.delete(k.subject);
      else this.subjectLevels.set(k.subject, level);
    }
    // Other key types (NOOP, MODE, DELETE_SUBJECT, CONTEXT...) change nothing this registry keeps.
  }

  // ------------------------------------------------------------------ reading

  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects].filter(([, vs]) => includeDeleted || vs.some((v) => !v.deleted)).map(([s]) => s).sort();
  }

  private liveVersions(subject: string, includeDeleted = false): VersionEntry[] {
    const vs = this.subjects.get(subject);
    if (!vs) throw subjectNotFound(subject);
    const out = vs.filter((v) => includeDeleted || !v.deleted);
    if (!out.length && !includeDeleted) throw subjectNotFound(subject);
    return out;
  }

  versions(subject: string, includeDeleted = false): number[] {
    return this.liveVersions(subject, includeDeleted).map((v) => v.version);
  }

  private findVersion(subject: string, version: string | number, includeDeleted = false): VersionEntry {
    const n = parseVersion(version);
    const vs = this.liveVersions(subject, includeDeleted);
    const found = n === -1 ? vs[vs.length - 1] : vs.find((v) => v.version === n);
    if (!found) throw versionNotFound(n === -1 ? "latest" : n);
    return found;
  }

  version(subject: string, version: string | number, includeDeleted = false): VersionView {
    return this.view(subject, this.findVersion(subject, version, includeDeleted));
  }

  private view(subject: string, v: VersionEntry): VersionView {
    const s = this.schemas.get(v.id)!;
    return { subject, version: v.version, id: v.id, schema: s.schema, ...(s.schemaType !== "AVRO" ? { schemaType: s.schemaType } : {}), ...(s.references.length ? { references: s.references } : {}) };
  }

  schemaById(id: number): SchemaEntry {
    const s = this.schemas.get(id);
    if (!s) throw schemaNotFound(`Schema ${id} not found`);
    return s;
  }

  /** Subject/version pairs that use a schema id. */
  usesOf(id: number, includeDeleted = false): { subject: string; version: number }[] {
    this.schemaById(id);
    const out: { subject: string; version: number }[] = [];
    for (const [subject, vs] of this.subjects) for (const v of vs) if (v.id === id && (includeDeleted || !v.deleted)) out.push({ subject, version: v.version });
    return out;
  }

  /** The schema text with its references' texts, resolved through their subjects and versions. */
  resolve(entry: { schemaType: SchemaType; schema: string; references: SchemaReference[] }, seen = new Set<string>()): ResolvedSchema {
    const refs: { name: string; schema: string }[] = [];
    for (const ref of entry.references) {
      const key = `${ref.subject}/${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let target: VersionEntry;
      try {
        target = this.findVersion(ref.subject, ref.version, true);
      } catch (err) {
        if (err instanceof RegistryError) throw new RegistryError(422, 42201, `Invalid schema: reference '${ref.name}' names ${ref.subject} version ${ref.version}, which does not exist`);
        throw err;
      }
      const inner = this.resolve(this.schemas.get(target.id)!, seen);
      refs.push(...inner.references, { name: ref.name, schema: inner.schema });
    }
    return { schemaType: entry.schemaType, schema: entry.schema, references: refs };
  }

  globalCompatibility(): CompatibilityLevel {
    return this.globalLevel;
  }

  subjectCompatibility(subject: string, defaultToGlobal = false): CompatibilityLevel {
    const level = this.subjectLevels.get(subject);
    if (level) return level;
    if (defaultToGlobal) return this.globalLevel;
    throw subjectLevelConfigNotFound(subject);
  }

  // ------------------------------------------------------------------ writing

  private parseRequest(req: SchemaRequest): SchemaEntry {
    if (typeof req.schema !== "string" || !req.schema.trim()) throw new RegistryError(422, 42201, "Invalid schema: the request needs a 'schema' string");
    const schemaType = parseSchemaType(req.schemaType);
    const references = parseReferences(req.references);
    return { id: 0, schemaType, schema: req.schema, references };
  }

  /** POST /subjects/S/versions: the schema's id, registering it as the subject's next version if it is new there. */
  register(subject: string, req: SchemaRequest): Promise<{ id: number }> {
    return this.serial(async () => {
      const entry = this.parseRequest(req);
      const resolved = this.resolve(entry);
      validateSchema(resolved);
      const content = contentKey(entry);
      const all = this.subjects.get(subject) ?? [];
      const live = all.filter((v) => !v.deleted);
      const existing = live.find((v) => contentKey(this.schemas.get(v.id)!) === content);
      if (existing) return { id: existing.id };
      const level = this.subjectLevels.get(subject) ?? this.globalLevel;
      const problems = compatibilityProblems(level, resolved, live.map((v) => this.resolve(this.schemas.get(v.id)!)));
      if (problems.length) throw incompatible(subject, problems);
      const id = this.idsByContent.get(content) ?? this.maxId + 1;
      const version = (all.length ? Math.max(...all.map((v) => v.version)) : 0) + 1;
      const value: SchemaValue = { subject, version, id, ...(entry.schemaType !== "AVRO" ? { schemaType: entry.schemaType } : {}), ...(entry.references.length ? { references: entry.references } : {}), schema: entry.schema, deleted: false };
      await this.write({ keytype: "SCHEMA", subject, version, magic: 1 }, value);
      return { id };
    });
  }

  /** POST /subjects/S: the version of the subject that holds this schema. */
  lookup(subject: string, req: SchemaRequest, includeDeleted = false): VersionView {
    const entry = this.parseRequest(req);
    const vs = this.liveVersions(subject, includeDeleted);
    const content = contentKey(entry);
    const found = vs.find((v) => contentKey(this.schemas.get(v.id)!) === content);
    if (!found) throw schemaNotFound();
    return this.view(subject, found);
  }

  /** POST /compatibility/subjects/S/versions[/V]: may this schema be registered? */
  testCompatibility(subject: string, version: string | undefined, req: SchemaRequest): { is_compatible: boolean; messages: string[] } {
    const entry = this.parseRequest(req);
    const resolved = this.resolve(entry);
    validateSchema(resolved);
    const level = this.subjectLevels.get(subject) ?? this.globalLevel;
    let against: VersionEntry[];
    if (version === undefined) against = (this.subjects.get(subject) ?? []).filter((v) => !v.deleted);
    else {
      if (!this.subjects.has(subject)) throw subjectNotFound(subject);
      against = [this.findVersion(subject, version)];
    }
    const problems = version === undefined ? compatibilityProblems(level, resolved, against.map((v) => this.resolve(this.schemas.get(v.id)!))) : compatibilityProblems(level.replace("_TRANSITIVE", "") as CompatibilityLevel, resolved, against.map((v) => this.resolve(this.schemas.get(v.id)!)));
    return { is_compatible: problems.length === 0, messages: problems };
  }

  /** DELETE /subjects/S[?permanent=true]: the versions deleted. A hard delete needs a soft delete first. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.serial(async () => {
      const all = this.subjects.get(subject);
      if (!all) throw subjectNotFound(subject);
      if (permanent) {
        if (all.some((v) => !v.deleted)) throw subjectNotSoftDeleted(subject);
        const versions = all.map((v) => v.version);
        for (const version of versions) await this.write({ keytype: "SCHEMA", subject, version, magic: 1 }, null);
        if (this.subjectLevels.has(subject)) await this.write({ keytype: "CONFIG", subject, magic: 0 }, null);
        return versions;
      }
      const live = all.filter((v) => !v.deleted);
      if (!live.length) throw subjectSoftDeleted(subject);
      for (const v of live) await this.write({ keytype: "SCHEMA", subject, version: v.version, magic: 1 }, this.valueOf(subject, v, true));
      return live.map((v) => v.version);
    });
  }

  /** DELETE /subjects/S/versions/V[?permanent=true]. */
  deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
    return this.serial(async () => {
      const v = this.findVersion(subject, version, true);
      if (permanent) {
        if (!v.deleted) throw versionNotSoftDeleted(subject, v.version);
        await this.write({ keytype: "SCHEMA", subject, version: v.version, magic: 1 }, null);
      } else {
        if (v.deleted) throw versionSoftDeleted(subject, v.version);
        await this.write({ keytype: "SCHEMA", subject, version: v.version, magic: 1 }, this.valueOf(subject, v, true));
      }
      return v.version;
    });
  }

  private valueOf(subject: string, v: VersionEntry, deleted: boolean): SchemaValue {
    const s = this.schemas.get(v.id)!;
    return { subject, version: v.version, id: v.id, ...(s.schemaType !== "AVRO" ? { schemaType: s.schemaType } : {}), ...(s.references.length ? { references: s.references } : {}), schema: s.schema, deleted };
  }

  /** PUT /config and PUT /config/S. */
  setCompatibility(subject: string | null, level: unknown): Promise<CompatibilityLevel> {
    return this.serial(async () => {
      const text = typeof level === "string" ? level : JSON.stringify(level ?? "");
      const l = text.toUpperCase() as CompatibilityLevel;
      if (!COMPATIBILITY_LEVELS.includes(l)) throw invalidCompatibility(text);
      await this.write({ keytype: "CONFIG", subject, magic: 0 }, { compatibilityLevel: l });
      return l;
    });
  }

  /** DELETE /config/S: the level the subject had. */
  deleteCompatibility(subject: string): Promise<CompatibilityLevel> {
    return this.serial(async () => {
      const before = this.subjectCompatibility(subject);
      await this.write({ keytype: "CONFIG", subject, magic: 0 }, null);
      return before;
    });
  }
}

function contentKey(e: { schemaType: SchemaType; schema: string; references: SchemaReference[] }): string {
  return `${e.schemaType}\n${canonicalText(e.schemaType, e.schema)}\n${JSON.stringify(e.references.map((r) => [r.name, r.subject, r.version]))}`;
}

/** "latest", -1 or a positive 32-bit number. */
export function parseVersion(version: string | number): number {
  if (version === "latest" || version === -1 || version === "-1") return -1;
  const n = typeof version === "number" ? version : /^\d+$/.test(version) ? Number(version) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw invalidVersion(String(version));
  return n;
}

function parseReferences(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RegistryError(422, 42201, "Invalid schema: 'references' must be a list of {name, subject, version}");
  return value.map((r: { name?: unknown; subject?: unknown; version?: unknown }) => {
    if (typeof r?.name !== "string" || typeof r?.subject !== "string" || !Number.isInteger(Number(r?.version))) throw new RegistryError(422, 42201, "Invalid schema: each reference needs a name, a subject and a version");
    return { name: r.name, subject: r.subject, version: Number(r.version) };
  });
}
