/**
 * ACLs with the semantics of Kafka's StandardAuthorizer: bindings of (resource type, name, pattern type) to
 * (principal, host, operation, permission); super users may do everything; a DENY that matches wins over any
 * ALLOW; DESCRIBE is implied by READ, WRITE, DELETE or ALTER, DESCRIBE_CONFIGS by ALTER_CONFIGS; ALL matches
 * every operation; "User:*" every principal, "*" every host, a LITERAL "*" every resource name, PREFIXED a name
 * prefix. A resource no ACL matches is allowed only with allow.everyone.if.no.acl.found (default false, as
 * Kafka's). With a data dir the bindings are kept in `acls.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;
export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one cluster resource's name. */
export const CLUSTER_NAME = "kafka-cluster";

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A filter as DescribeAcls and DeleteAcls send it: null matches anything; ANY (1) matches any value. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

export interface AuthorizerOptions {
  /** Principals ("User:admin") allowed everything, as Kafka's super.users. */
  superUsers?: string[];
  /** Kafka's allow.everyone.if.no.acl.found: default false. */
  allowEveryoneIfNoAclFound?: boolean;
}

const IMPLIES_DESCRIBE: readonly number[] = [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER];

/** Why a binding cannot be stored (Kafka's CreateAcls validation); undefined when it can. */
export function invalidBinding(b: AclBinding): string | undefined {
  if (b.resourceType <= ResourceType.ANY || b.resourceType > ResourceType.USER) return `invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `invalid pattern type ${b.patternType}: use LITERAL or PREFIXED`;
  if (b.operation <= AclOperation.ANY || b.operation > AclOperation.TWO_PHASE_COMMIT) return `invalid operation ${b.operation}`;
  if (b.permissionType !== Permission.ALLOW && b.permissionType !== Permission.DENY) return `invalid permission type ${b.permissionType}`;
  if (!b.resourceName) return "the resource name is empty";
  if (!/^[^:]+:.+$/.test(b.principal)) return `could not parse principal '${b.principal}': use Type:name, e.g. User:alice`;
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `the cluster resource is named ${CLUSTER_NAME}`;
  return undefined;
}

function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== Permission.ANY && f.permissionType !== b.permissionType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.patternType === PatternType.MATCH) {
    // MATCH: the bindings that would apply to a resource of that name (literal, wildcard, or a prefix of it).
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === "*";
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

function resourceMatches(b: AclBinding, type: number, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === PatternType.PREFIXED) return name.startsWith(b.resourceName);
  return b.resourceName === name || b.resourceName === "*";
}

function operationMatches(b: AclBinding, op: number): boolean {
  if (b.operation === AclOperation.ALL || b.operation === op) return true;
  // Only ALLOW bindings imply DESCRIBE / DESCRIBE_CONFIGS; a DENY of READ does not deny DESCRIBE.
  if (b.permissionType !== Permission.ALLOW) return false;
  if (op === AclOperation.DESCRIBE) return IMPLIES_DESCRIBE.includes(b.operation);
  if (op === AclOperation.DESCRIBE_CONFIGS) return b.operation === AclOperation.ALTER_CONFIGS;
  return false;
}

export class Authorizer {
  private bindings: AclBinding[] = [];
  private readonly file: string | undefined;
  readonly superUsers: Set<string>;

  constructor(
    readonly options: AuthorizerOptions,
    dataDir?: string,
  ) {
    this.superUsers = new Set(options.superUsers ?? []);
    if (dataDir) {
      this.file = path.join(dataDir, "acls.json");
      if (fs.existsSync(this.file)) this.bindings = JSON.parse(fs.readFileSync(this.file, "utf8")) as AclBinding[];
    }
  }

  private save(): void {
    if (!this.file) return;
    fs.writeFileSync(this.file + ".tmp", JSON.stringify(this.bindings));
    fs.renameSync(this.file + ".tmp", this.file);
  }

  /** Whether `principal` connected from `host` may do `op` on the resource. */
  authorize(principal: string, host: string, op: number, type: number, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    const applicable = this.bindings.filter((b) => resourceMatches(b, type, name));
    if (applicable.length === 0) return this.options.allowEveryoneIfNoAclFound ?? false;
    const who = (b: AclBinding) => (b.principal === principal || b.principal === "User:*") && (b.host === "*" || b.host === host);
    if (applicable.some((b) => b.permissionType === Permission.DENY && who(b) && operationMatches(b, op))) return false;
    return applicable.some((b) => b.permissionType === Permission.ALLOW && who(b) && operationMatches(b, op));
  }

  /** CreateAcls: one result per binding (an invalid one INVALID_REQUEST with its reason). */
  create(bindings: AclBinding[]): { errorCode: number; errorMessage: string | null }[] {
    const results = bindings.map((b) => {
      const bad = invalidBinding(b);
      if (bad) return { errorCode: 42, errorMessage: bad }; // INVALID_REQUEST
      if (!this.bindings.some((x) => sameBinding(x, b))) this.bindings.push({ ...b });
      return { errorCode: 0, errorMessage: null };
    });
    this.save();
    return results;
  }

  describe(f: AclFilter): AclBinding[] {
    return this.bindings.filter((b) => filterMatches(f, b));
  }

  /** DeleteAcls: removes and returns what each filter matched. */
  delete(filters: AclFilter[]): AclBinding[][] {
    const out = filters.map((f) => this.bindings.filter((b) => filterMatches(f, b)));
    const gone = new Set(out.flat());
    this.bindings = this.bindings.filter((b) => !gone.has(b));
    this.save();
    return out;
  }
}

function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType && a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;
}
