/**
 * The broker's topics: creation (explicit or automatic), deletion, per-topic configuration and retention, and
 * the wake-up list for fetches that long-poll until data arrives.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogErrorCode, asLogError } from "./errors";
import { FdCache, MAX_SEGMENT_BYTES, PartitionLog, compacts, type CleanStats, type RetentionPolicy } from "./partition-log";

export interface TopicConfig extends RetentionPolicy {
  /** Largest record batch a producer may send, as Kafka's max.message.bytes. */
  maxMessageBytes: number;
}

/** Config names this broker understands, with Kafka's names. */
export const TOPIC_CONFIG_KEYS: Record<string, keyof TopicConfig> = {
  "retention.bytes": "retentionBytes",
  "retention.ms": "retentionMs",
  "segment.bytes": "segmentBytes",
  "max.message.bytes": "maxMessageBytes",
  "index.interval.bytes": "indexIntervalBytes",
  "message.timestamp.after.max.ms": "timestampAfterMaxMs",
  "message.timestamp.before.max.ms": "timestampBeforeMaxMs",
  "cleanup.policy": "cleanupPolicy",
  "delete.retention.ms": "deleteRetentionMs",
  "min.cleanable.dirty.ratio": "minCleanableDirtyRatio",
  "segment.ms": "segmentMs",
  "message.timestamp.type": "timestampType",
};

/** Checks a topic's configuration against the limits that keep the broker working; a message, or undefined. */
export function checkTopicConfig(config: Partial<TopicConfig>): string | undefined {
  if (config.segmentBytes !== undefined && (config.segmentBytes < 1024 || config.segmentBytes > MAX_SEGMENT_BYTES))
    return `segment.bytes must be from 1024 to ${MAX_SEGMENT_BYTES} (1 GiB), got ${config.segmentBytes}`;
  if (config.maxMessageBytes !== undefined && (config.maxMessageBytes < 1024 || config.maxMessageBytes > MAX_SEGMENT_BYTES))
    return `max.message.bytes must be from 1024 to ${MAX_SEGMENT_BYTES}, got ${config.maxMessageBytes}`;
  if (config.indexIntervalBytes !== undefined && config.indexIntervalBytes < 0) return `index.interval.bytes must be >= 0`;
  return undefined;
}

/** Limits on partitions, with POLICY_VIOLATION when exceeded (Kafka has no default; these keep the broker up). */
export interface PartitionLimits {
  /** Partitions one topic may have. */
  maxPartitionsPerTopic: number;
  /** Partitions over all topics of this broker. */
  maxPartitions: number;
}

export const DEFAULT_PARTITION_LIMITS: PartitionLimits = { maxPartitionsPerTopic: 10_000, maxPartitions: 50_000 };

/** A topic name starting with "__" is internal (as __consumer_offsets in Kafka): never created automatically. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith("__");
}

/** Kafka's internal topics: Metadata marks them is_internal, and clients may read but not produce to them. */
export const INTERNAL_TOPICS = new Set(["__consumer_offsets", "__transaction_state"]);

/** Kafka's recovery-point checkpoint of a log directory: "0", the count, then "topic partition offset" lines. */
export const RECOVERY_POINT_FILE = "recovery-point-offset-checkpoint";
/** Kafka's clean-shutdown marker: written last at a clean stop, removed once the logs are loaded at start. */
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";

/** Directories of topics being deleted: renamed to this first, so a crash mid-delete never revives a topic. */
const DELETING = /~[0-9a-f]{32}-delete$/;
/** Directory of a topic being created; "~" cannot occur in a topic name, so no topic is ever mistaken for these. */
const CREATING = "~creating";

/** Configs reported by DescribeConfigs that are fixed here. */
export const FIXED_TOPIC_CONFIGS: Record<string, string> = {
  "compression.type": "producer",
  "min.insync.replicas": "1",
};

export class Topic {
  constructor(
    readonly name: string,
    readonly partitions: PartitionLog[],
    public config: TopicConfig,
    readonly dir: string | undefined,
  ) {}
}

export class TopicError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: string): string | undefined {
  if (!TOPIC_NAME.test(name) || name === "." || name === "..") return `invalid topic name '${name}': use 1-249 of a-z A-Z 0-9 . _ -`;
  return undefined;
}

type Waiter = { keys: Set<string>; wake: () => void };

export interface TopicStoreOptions {
  log?: (line: string) => void;
  limits?: Partial<PartitionLimits>;
  /** Segment files kept open at once (least recently used closed first). Default 256. */
  maxOpenFiles?: number;
  /** Long-polling fetches waiting at once; more are answered at once with what they have. Default 10,000. */
  maxWaiters?: number;
}

export class TopicStore {
  readonly topics = new Map<string, Topic>();
  /** Waiting fetches by "topic\0partition", so an append wakes only its own waiters. */
  private waiters = new Map<string, Set<Waiter>>();
  private waiterCount = 0;
  private closed = false;
  /** close() ran (the checkpoint and the clean-shutdown marker are written once). */
  private stopped = false;
  readonly fds: FdCache;
  readonly limits: PartitionLimits;
  private partitionCount = 0;

  constructor(
    readonly dataDir: string | undefined,
    readonly defaults: TopicConfig,
    private readonly opts: TopicStoreOptions = {},
  ) {
    this.fds = new FdCache(opts.maxOpenFiles ?? 256);
    this.limits = { ...DEFAULT_PARTITION_LIMITS };
    for (const [k, v] of Object.entries(opts.limits ?? {})) if (v !== undefined) this.limits[k as keyof PartitionLimits] = v;
    if (dataDir) this.load(path.join(dataDir, "topics"));
  }

  get totalPartitions(): number {
    return this.partitionCount;
  }

  /** Partitions the log cleaner is cleaning right now (an incremental cleaning spans many turns of the event loop). */
  get cleaningPartitions(): number {
    let n = 0;
    for (const t of this.topics.values()) for (const p of t.partitions) if (p.isCleaning) n++;
    return n;
  }

  private partitionLog(dir: string | undefined, topic: string, p: number, config: TopicConfig, fresh = false, recoveryPoint?: number): PartitionLog {
    return new PartitionLog(dir, config, { fds: this.fds, log: this.opts.log, name: `${topic}-${p}`, fresh, recoveryPoint });
  }

  /** The offset up to which each partition was flushed and checkpointed (what the checkpoint file says). */
  private recoveryPoints = new Map<PartitionLog, number>();
  /** A checkpoint being written (one at a time). */
  private checkpointing: Promise<void> | undefined;

  /** Reads the recovery-point checkpoint: "topic partition" -> offset; empty when missing or unreadable. */
  private static readRecoveryPoints(file: string): Map<string, number> {
    const out = new Map<string, number>();
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return out;
    }
    const lines = text.split("\n");
    if (lines[0] !== "0" || !(Number(lines[1]) >= 0)) return out;
    for (const line of lines.slice(2, 2 + Number(lines[1]))) {
      const m = /^(\S+) (\d+) (\d+)$/.exec(line);
      if (m) out.set(`${m[1]} ${m[2]}`, Number(m[3]));
    }
    return out;
  }

  private writeRecoveryPoints(): void {
    if (!this.dataDir) return;
    const root = path.join(this.dataDir, "topics");
    const lines: string[] = [];
    for (const t of this.topics.values()) t.partitions.forEach((log, p) => void (log.dir ? lines.push(`${t.name} ${p} ${this.recoveryPoints.get(log) ?? 0}`) : undefined));
    fs.mkdirSync(root, { recursive: true });
    const file = path.join(root, RECOVERY_POINT_FILE);
    fs.writeFileSync(file + ".tmp", `0\n${lines.length}\n${lines.join("\n")}\n`);
    fs.renameSync(file + ".tmp", file);
  }

  /**
   * Kafka's recovery-point checkpoint (log.flush.offset.checkpoint.interval.ms): the segment files written since
   * the last one are flushed (fsync, off the event loop), then `recovery-point-offset-checkpoint` names each
   * partition's log end offset as it was before the flush. After a crash, a start trusts the segments below
   * these offsets and reads only what follows them.
   */
  checkpointRecoveryPoints(): Promise<void> {
    if (!this.dataDir || this.closed) return Promise.resolve();
    if (this.checkpointing) return this.checkpointing;
    const targets: { log: PartitionLog; offset: number; files: string[] }[] = [];
    for (const t of this.topics.values()) for (const log of t.partitions) if (log.dir) targets.push({ log, ...log.checkpointTargets() });
    const run = async () => {
      for (const target of targets) {
        let ok = target.offset >= 0;
        for (const file of target.files) {
          try {
            const fh = await fs.promises.open(file, "r+");
            try {
              await fh.datasync();
            } finally {
              await fh.close();
            }
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed since (retention, cleaning, deletion)
            ok = false;
            target.log.flushFailed(file);
            this.opts.log?.(`checkpoint: could not flush ${file}: ${(err as Error).message}; its recovery point stays where it was`);
          }
        }
        if (ok) this.recoveryPoints.set(target.log, target.offset);
      }
      if (this.closed) return;
      try {
        this.writeRecoveryPoints();
      } catch (err) {
        this.opts.log?.(`checkpoint: could not write ${RECOVERY_POINT_FILE}: ${(err as Error).message}`);
      }
    };
    this.checkpointing = run().finally(() => (this.checkpointing = undefined));
    return this.checkpointing;
  }

  private topicDir(name: string): string | undefined {
    return this.dataDir ? path.join(this.dataDir, "topics", name) : undefined;
  }

  private load(root: string): void {
    if (!fs.existsSync(root)) return;
    const started = Date.now();
    const marker = path.join(root, CLEAN_SHUTDOWN_FILE);
    const clean = fs.existsSync(marker);
    const points = clean ? new Map<string, number>() : TopicStore.readRecoveryPoints(path.join(root, RECOVERY_POINT_FILE));
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name);
      if (DELETING.test(name) || name.endsWith(CREATING)) {
        // A deletion (or creation) cut short by a crash: finish it.
        fs.rmSync(dir, { recursive: true, force: true });
        this.opts.log?.(`recovery: removed ${name}, left by a topic ${DELETING.test(name) ? "deletion" : "creation"} that a crash cut short`);
        continue;
      }
      const metaFile = path.join(dir, "topic.json");
      if (!fs.existsSync(metaFile)) continue;
      let meta: { partitions: number; config?: Partial<TopicConfig> };
      try {
        meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as typeof meta;
      } catch {
        continue; // a topic whose creation was cut short before its metadata was written
      }
      const config = { ...this.defaults, ...meta.config };
      const parts: PartitionLog[] = [];
      for (let p = 0; p < meta.partitions; p++) {
        const pdir = path.join(dir, String(p));
        // After a clean shutdown every segment is trusted; after a crash those below the partition's recovery point.
        const point = clean ? Number.POSITIVE_INFINITY : (points.get(`${name} ${p}`) ?? 0);
        const log = this.partitionLog(pdir, name, p, config, !fs.existsSync(pdir), point);
        this.recoveryPoints.set(log, clean ? log.highWatermark : Math.min(point, log.highWatermark));
        parts.push(log);
      }
      this.topics.set(name, new Topic(name, parts, config, dir));
      this.partitionCount += parts.length;
    }
    // One line, as Kafka's "Loaded N logs": how the start went and how much of the data it had to read.
    let held = 0;
    let scanned = 0;
    let whole = 0;
    let indexed = 0;
    for (const t of this.topics.values())
      for (const log of t.partitions) {
        held += log.size;
        scanned += log.recovery.scannedBytes;
        whole += log.recovery.scannedSegments;
        indexed += log.recovery.indexedSegments;
      }
    this.opts.log?.(
      `startup: loaded ${this.partitionCount} partition(s) holding ${held} bytes in ${Date.now() - started} ms after ${clean ? "a clean shutdown" : "an unclean shutdown (no clean-shutdown marker)"}: ` +
        `read ${scanned} bytes (${whole} segment(s) whole, ${indexed} from their indexes)`,
    );
    fs.rmSync(marker, { force: true });
    // After a crash, what the start just read and verified is flushed and checkpointed at once, so a second crash
    // soon after does not read it all again.
    if (!clean) void this.checkpointRecoveryPoints();
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  create(name: string, partitions: number, overrides: Partial<TopicConfig> = {}): Topic {
    const bad = checkTopicName(name);
    if (bad) throw new TopicError(17, bad);
    if (this.topics.has(name)) throw new TopicError(36, `topic '${name}' already exists`);
    const max = this.limits.maxPartitionsPerTopic;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > max) throw new TopicError(LogErrorCode.INVALID_PARTITIONS, `partitions must be 1..${max}, got ${partitions}`);
    if (this.partitionCount + partitions > this.limits.maxPartitions)
      throw new TopicError(
        LogErrorCode.POLICY_VIOLATION,
        `this broker holds ${this.partitionCount} partitions; ${partitions} more would pass its limit of ${this.limits.maxPartitions} (maxPartitions)`,
      );
    const badConfig = checkTopicConfig(overrides);
    if (badConfig) throw new TopicError(LogErrorCode.INVALID_CONFIG, badConfig);
    const config = { ...this.defaults, ...overrides };
    const dir = this.topicDir(name);
    const parts: PartitionLog[] = [];
    try {
      if (dir) {
        // Built under a temporary name and renamed into place, so a crash never leaves half a topic.
        const tmpDir = dir + CREATING;
        fs.rmSync(tmpDir, { recursive: true, force: true });
        fs.mkdirSync(tmpDir, { recursive: true });
        fs.writeFileSync(path.join(tmpDir, "topic.json"), JSON.stringify({ partitions, config: overrides }));
        fs.renameSync(tmpDir, dir);
      }
      for (let p = 0; p < partitions; p++) parts.push(this.partitionLog(dir ? path.join(dir, String(p)) : undefined, name, p, config, true));
    } catch (err) {
      for (const p of parts) p.close();
      if (dir) {
        fs.rmSync(dir + CREATING, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const e = asLogError(err, `creating topic '${name}' failed`);
      throw new TopicError(e.code, e.message);
    }
    const topic = new Topic(name, parts, config, dir);
    this.topics.set(name, topic);
    this.partitionCount += partitions;
    return topic;
  }

  /** CreatePartitions: grows a topic to `count` partitions (existing ones unchanged), within the limits. */
  addPartitions(name: string, count: number): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(3, `unknown topic '${name}'`);
    const added = count - topic.partitions.length;
    if (added <= 0) return;
    if (count > this.limits.maxPartitionsPerTopic) throw new TopicError(LogErrorCode.INVALID_PARTITIONS, `partitions must be 1..${this.limits.maxPartitionsPerTopic}, got ${count}`);
    if (this.partitionCount + added > this.limits.maxPartitions)
      throw new TopicError(LogErrorCode.POLICY_VIOLATION, `this broker holds ${this.partitionCount} partitions; ${added} more would pass its limit of ${this.limits.maxPartitions} (maxPartitions)`);
    if (topic.dir) {
      const file = path.join(topic.dir, "topic.json");
      const meta = JSON.parse(fs.readFileSync(file, "utf8")) as { partitions: number };
      meta.partitions = count;
      fs.writeFileSync(file + ".tmp", JSON.stringify(meta));
      fs.renameSync(file + ".tmp", file);
    }
    for (let p = topic.partitions.length; p < count; p++) topic.partitions.push(this.partitionLog(topic.dir ? path.join(topic.dir, String(p)) : undefined, name, p, topic.config));
    this.partitionCount += added;
  }

  /**
   * Deletes a topic: its directory is renamed aside first (one atomic step, as Kafka renames to *-delete), then
   * removed; a crash between the two finishes the removal at the next start.
   */
  delete(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(3, `unknown topic '${name}'`);
    let trash: string | undefined;
    if (topic.dir) {
      trash = `${topic.dir}~${randomUUID().replace(/-/g, "")}-delete`;
      try {
        fs.renameSync(topic.dir, trash);
      } catch (err) {
        const e = asLogError(err, `deleting topic '${name}' failed`);
        throw new TopicError(e.code, e.message);
      }
    }
    this.topics.delete(name);
    this.partitionCount -= topic.partitions.length;
    for (const p of topic.partitions) p.close();
    if (trash) {
      try {
        fs.rmSync(trash, { recursive: true, force: true });
      } catch (err) {
        this.opts.log?.(`could not remove ${trash} (removed at the next start): ${(err as Error).message}`);
      }
    }
  }

  /**
   * One pass of the log cleaner over every compacted partition whose dirty ratio is high enough, one partition
   * at a time, each cleaned in the broker's cleaner thread (PartitionLog.cleanInWorker; in the event loop with a
   * pause every MiB where the thread cannot run), so produce and fetch go on while a large partition is cleaned;
   * returns what each cleaning did.
   */
  async cleanAll(now = Date.now()): Promise<{ partition: string; stats: CleanStats }[]> {
    const done: { partition: string; stats: CleanStats }[] = [];
    for (const t of [...this.topics.values()]) {
      if (!compacts(t.config.cleanupPolicy)) continue;
      for (let p = 0; p < t.partitions.length; p++) {
        if (this.closed || this.topics.get(t.name) !== t) return done;
        const stats = await t.partitions[p].cleanInWorker(now);
        if (stats) done.push({ partition: `${t.name}-${p}`, stats });
        await new Promise((r) => setImmediate(r));
      }
    }
    return done;
  }

  /** Runs size and age retention over every partition. */
  applyRetention(now = Date.now()): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.applyRetention(now);
  }

  /**
   * Registers a long-polling fetch interested in topic/partition keys ("topic\0partition"); returns its
   * removal, or undefined when it cannot wait (the store is closing, or maxWaiters fetches already wait).
   */
  addWaiter(keys: Set<string>, wake: () => void): (() => void) | undefined {
    if (this.closed || this.waiterCount >= (this.opts.maxWaiters ?? 10_000)) return undefined;
    let remove = (): void => {};
    const w: Waiter = {
      keys,
      wake: () => {
        remove();
        wake();
      },
    };
    for (const k of keys) {
      let set = this.waiters.get(k);
      if (!set) this.waiters.set(k, (set = new Set()));
      set.add(w);
    }
    this.waiterCount++;
    let removed = false;
    remove = () => {
      if (removed) return;
      removed = true;
      this.waiterCount--;
      for (const k of keys) {
        const set = this.waiters.get(k);
        if (!set) continue;
        set.delete(w);
        if (set.size === 0) this.waiters.delete(k);
      }
    };
    return remove;
  }

  /**
   * Waits until an append to one of the keys (true), or until ms pass (true), or returns false at once or
   * early when the fetch should answer now: the client went away (signal), the broker is stopping, or
   * maxWaiters fetches already wait.
   */
  waitForAppend(keys: Set<string>, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted || this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // eslint-disable-next-line prefer-const -- assigned after finish() is defined, which reads it
      let timer: NodeJS.Timeout | undefined;
      const finish = (value: boolean) => {
        clearTimeout(timer);
        remove?.();
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const onAbort = () => finish(false);
      const remove = this.addWaiter(keys, () => finish(!this.closed));
      if (!remove) return resolve(false);
      timer = setTimeout(() => finish(true), Math.max(1, ms));
      signal?.addEventListener("abort", onAbort);
    });
  }

  get waiting(): number {
    return this.waiterCount;
  }

  /** Called after an append: wakes fetches waiting on that partition. */
  notifyAppend(topic: string, partition: number): void {
    if (this.waiterCount === 0) return;
    const set = this.waiters.get(topic + "\0" + partition);
    if (!set) return;
    for (const w of [...set]) w.wake();
  }

  /** Wakes every waiting fetch (they answer with what they have) and refuses new waits. */
  wakeAll(): void {
    this.closed = true;
    const all = new Set<Waiter>();
    for (const set of this.waiters.values()) for (const w of set) all.add(w);
    for (const w of all) w.wake();
  }

  /**
   * Stops the store. With a data dir, as Kafka's clean shutdown: every segment written since the last checkpoint
   * is flushed, the recovery points move to the log ends, and the clean-shutdown marker is written last, so the
   * next start reads nothing but the indexes and the segment tails after their last entries.
   */
  close(): void {
    const wasClosed = this.stopped;
    this.stopped = true;
    this.wakeAll();
    const flushed: { log: PartitionLog; offset: number; ok: boolean }[] = [];
    if (this.dataDir && !wasClosed)
      for (const t of this.topics.values())
        for (const log of t.partitions) {
          if (!log.dir) continue;
          const { offset, files } = log.checkpointTargets();
          let ok = offset >= 0;
          for (const file of files) {
            try {
              const fd = fs.openSync(file, "r+");
              try {
                fs.fdatasyncSync(fd);
              } finally {
                fs.closeSync(fd);
              }
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== "ENOENT") ok = false;
            }
          }
          flushed.push({ log, offset, ok });
        }
    for (const t of this.topics.values()) for (const p of t.partitions) p.close();
    if (!this.dataDir || wasClosed) return;
    try {
      let allOk = true;
      for (const f of flushed) {
        if (f.ok) this.recoveryPoints.set(f.log, f.offset);
        else allOk = false;
      }
      this.writeRecoveryPoints();
      // A partition that could not be flushed (or is offline) makes this stop unclean: the next start checks it.
      if (allOk) fs.writeFileSync(path.join(this.dataDir, "topics", CLEAN_SHUTDOWN_FILE), "");
    } catch (err) {
      this.opts.log?.(`shutdown: could not write the recovery checkpoint: ${(err as Error).message}; the next start reads the logs past their last checkpoint`);
    }
  }
}
