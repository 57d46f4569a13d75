/**
 * Fetch v4-18 (v18 = v17 for a consumer: it adds a follower's tagged high watermark) with long polling and fetch sessions (KIP-227).
 *
 * When fewer than min_bytes are ready, the request waits until a produce to one of its partitions wakes it or
 * max_wait_ms passes. Stored batches go out by reference (RecordChunks), never re-encoded.
 *
 * Sessions: epoch -1 is a sessionless full fetch (session id 0 in the answer); epoch 0 opens a session holding
 * the requested partitions and answers all of them; later fetches send only what changed (new offsets, added
 * partitions, forgotten ones) with the next epoch, and the answer carries only partitions with records, an
 * error, or a changed high watermark / log start offset. An unknown session id gets FETCH_SESSION_ID_NOT_FOUND,
 * a wrong epoch INVALID_FETCH_SESSION_EPOCH, as in Kafka. v13+ names topics by id (UNKNOWN_TOPIC_ID otherwise).
 */
import { ErrorCode } from "../../protocol/apis";
import { defineApi } from "../protocol/api";
import { RecordChunks, type RequestOf } from "../../protocol/codec";
import { Fetch } from "../../protocol/messages";
import type { BrokerCore, RequestContext } from "../core";
import { LogError, LogErrorCode } from "../log/errors";
import { topicMeta } from "./topic-meta";
import { producerState } from "../txn/producer-state";
import { AclOperation, topicAllowed } from "../acl/check";

const MAX_SESSIONS = 1000;

interface WantedPartition {
  topic: string;
  /** "" when the topic id is unknown (v13+ only). */
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the last answer in this session said, to send only changes. */
  lastHw: number;
  lastLogStart: number;
}

class FetchSession {
  epoch = 1;
  lastUsed = Date.now();
  constructor(
    readonly id: number,
    readonly partitions: Map<string, WantedPartition>,
  ) {}
}

class FetchSessions {
  readonly sessions = new Map<number, FetchSession>();
  private nextId = 1 + Math.floor(Math.random() * 0x3fffffff);

  create(partitions: Map<string, WantedPartition>): FetchSession {
    if (this.sessions.size >= MAX_SESSIONS) {
      // Evict the least recently used session; its client gets FETCH_SESSION_ID_NOT_FOUND and starts over.
      let oldest: FetchSession | undefined;
      for (const s of this.sessions.values()) if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s;
      if (oldest) this.sessions.delete(oldest.id);
    }
    let id = this.nextId++;
    if (this.nextId > 0x7ffffff0) this.nextId = 1;
    while (this.sessions.has(id) || id === 0) id = this.nextId++;
    const s = new FetchSession(id, partitions);
    this.sessions.set(id, s);
    return s;
  }
}

const perCore = new WeakMap<BrokerCore, FetchSessions>();
function sessionsOf(core: BrokerCore): FetchSessions {
  let s = perCore.get(core);
  if (!s) perCore.set(core, (s = new FetchSessions()));
  return s;
}

const key = (topicOrId: string, partition: number) => topicOrId + "\0" + partition;

type FetchRequest = RequestOf<typeof Fetch>;

function wanted(req: FetchRequest, ctx: RequestContext, into: Map<string, WantedPartition>): void {
  const byId = ctx.version >= 13;
  const ids = topicMeta(ctx.core);
  for (const t of req.topics) {
    const name = byId ? ids.nameOf(t.topicId) ?? "" : t.topic;
    const topicId = byId ? t.topicId : "";
    for (const p of t.partitions) {
      const k = key(byId ? topicId : name, p.partition);
      const prev = into.get(k);
      into.set(k, { topic: name, topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, lastHw: prev?.lastHw ?? -2, lastLogStart: prev?.lastLogStart ?? -2 });
    }
  }
}

interface PartitionOut {
  w: WantedPartition;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  chunks: Buffer[];
  bytes: number;
  /** read_committed: the aborted transactions among the records returned. */
  aborted: { producerId: number; firstOffset: number }[];
}

/**
 * Cuts whole batches at `limit` (a read_committed fetch stops at the last stable offset); returns the kept chunks
 * and the offset after the last batch kept.
 */
function cutAt(chunks: Buffer[], limit: number): { chunks: Buffer[]; bytes: number; end: number } {
  const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  let pos = 0;
  let end = -1;
  while (pos + 61 <= buf.length) {
    const base = Number(buf.readBigInt64BE(pos));
    const len = 12 + buf.readInt32BE(pos + 8);
    if (base >= limit || pos + len > buf.length) break;
    end = base + buf.readInt32BE(pos + 23) + 1;
    pos += len;
  }
  return pos === buf.length ? { chunks, bytes: pos, end } : { chunks: pos ? [buf.subarray(0, pos)] : [], bytes: pos, end };
}

function collect(core: BrokerCore, parts: WantedPartition[], maxBytes: number, byId: boolean, readCommitted: boolean, readable: (topic: string) => boolean): { out: PartitionOut[]; bytes: number; hasError: boolean } {
  let bytes = 0;
  let hasError = false;
  const out = parts.map((w): PartitionOut => {
    if (w.topic && !readable(w.topic)) {
      hasError = true;
      return { w, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, chunks: [], bytes: 0, aborted: [] };
    }
    const topic = w.topic ? core.topics.get(w.topic) : undefined;
    const log = topic?.partitions[w.partition];
    if (!log) {
      hasError = true;
      const errorCode = byId && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return { w, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, chunks: [], bytes: 0, aborted: [] };
    }
    if (log.offline) {
      // A partition whose storage failed answers KAFKA_STORAGE_ERROR (as Kafka does for an offline log dir).
      hasError = true;
      return { w, errorCode: LogErrorCode.KAFKA_STORAGE_ERROR, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, chunks: [], bytes: 0, aborted: [] };
    }
    const hw = log.highWatermark;
    const start = log.logStartOffset;
    let state: ReturnType<typeof producerState>;
    let lso: number;
    try {
      // The producer state is rebuilt from the log's batch headers on first use: an unreadable segment fails here.
      state = producerState(log);
      lso = state.lastStableOffset(hw);
    } catch (err) {
      if (!(err instanceof LogError)) throw err;
      hasError = true;
      return { w, errorCode: err.code, highWatermark: hw, lastStableOffset: -1, logStartOffset: start, chunks: [], bytes: 0, aborted: [] };
    }
    if (w.fetchOffset < start || w.fetchOffset > hw) {
      hasError = true;
      return { w, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: hw, lastStableOffset: lso, logStartOffset: start, chunks: [], bytes: 0, aborted: [] };
    }
    // read_committed reads only below the last stable offset (nothing of an open transaction).
    const limit = readCommitted ? lso : hw;
    const budget = Math.min(Math.max(0, w.maxBytes), Math.max(0, maxBytes - bytes));
    // The first batch of the response goes out even when larger than the limits (KIP-74), so a consumer
    // whose max bytes are smaller than a batch still makes progress.
    let read: { chunks: Buffer[]; bytes: number };
    try {
      read = w.fetchOffset < limit ? log.read(w.fetchOffset, budget, bytes === 0) : { chunks: [], bytes: 0 };
    } catch (err) {
      if (!(err instanceof LogError)) throw err;
      hasError = true; // an unreadable segment: this partition's error code, never a closed connection
      return { w, errorCode: err.code, highWatermark: hw, lastStableOffset: lso, logStartOffset: start, chunks: [], bytes: 0, aborted: [] };
    }
    let aborted: PartitionOut["aborted"] = [];
    if (readCommitted && read.bytes > 0 && (lso < hw || state.aborted.length > 0)) {
      const cut = cutAt(read.chunks, limit);
      read = cut;
      if (cut.end > 0) aborted = state.abortedBetween(w.fetchOffset, cut.end);
    }
    bytes += read.bytes;
    return { w, errorCode: ErrorCode.NONE, highWatermark: hw, lastStableOffset: lso, logStartOffset: start, chunks: read.chunks, bytes: read.bytes, aborted };
  });
  return { out, bytes, hasError };
}

export const fetch = defineApi(Fetch, {
  versions: [4, 18],
  async handle(req, ctx) {
    const { core } = ctx;
    const v = ctx.version;
    const byId = v >= 13;
    const sessions = sessionsOf(core);
    const fail = (errorCode: number) => ({ errorCode, sessionId: 0, responses: [] });

    let session: FetchSession | undefined;
    let parts: WantedPartition[];
    let incremental = false;
    if (v < 7 || req.sessionEpoch === -1) {
      // Sessionless (or closing a session): everything asked for is answered.
      if (v >= 7 && req.sessionId !== 0) sessions.sessions.delete(req.sessionId);
      const m = new Map<string, WantedPartition>();
      wanted(req, ctx, m);
      parts = [...m.values()];
    } else if (req.sessionEpoch === 0) {
      if (req.sessionId !== 0) sessions.sessions.delete(req.sessionId);
      const m = new Map<string, WantedPartition>();
      wanted(req, ctx, m);
      session = sessions.create(m);
      parts = [...m.values()];
    } else {
      session = sessions.sessions.get(req.sessionId);
      if (!session) return fail(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (session.epoch !== req.sessionEpoch) return fail(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
      session.lastUsed = Date.now();
      wanted(req, ctx, session.partitions);
      for (const f of req.forgottenTopicsData) {
        const t = byId ? f.topicId : f.topic;
        for (const p of f.partitions) session.partitions.delete(key(t, p));
      }
      parts = [...session.partitions.values()];
      incremental = true;
    }

    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const readCommitted = req.isolationLevel === 1;
    // With an authorizer, READ on each topic (TOPIC_AUTHORIZATION_FAILED otherwise).
    const readable = (topic: string) => topicAllowed(ctx, AclOperation.READ, topic);
    let result = collect(core, parts, req.maxBytes, byId, readCommitted, readable);
    while (req.minBytes > 0 && result.bytes < req.minBytes && !result.hasError && Date.now() < deadline && parts.length > 0) {
      const keys = new Set<string>();
      for (const p of parts) keys.add(p.topic + "\0" + p.partition);
      // false when the client went away, the broker is stopping, or too many fetches wait: answer with what there is.
      if (!(await core.topics.waitForAppend(keys, deadline - Date.now(), ctx.signal))) break;
      result = collect(core, parts, req.maxBytes, byId, readCommitted, readable);
    }

    // Group the answer by topic, in request (session) order; an incremental answer skips unchanged partitions.
    const topics = new Map<string, { topic: string; topicId: string; partitions: object[] }>();
    for (const p of result.out) {
      const w = p.w;
      const changed = p.bytes > 0 || p.errorCode !== 0 || p.highWatermark !== w.lastHw || p.logStartOffset !== w.lastLogStart;
      w.lastHw = p.highWatermark;
      w.lastLogStart = p.logStartOffset;
      if (incremental && !changed) continue;
      const tk = byId ? w.topicId : w.topic;
      let t = topics.get(tk);
      if (!t) topics.set(tk, (t = { topic: w.topic, topicId: w.topicId, partitions: [] }));
      t.partitions.push({
        partitionIndex: w.partition,
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset,
        logStartOffset: p.logStartOffset,
        abortedTransactions: readCommitted ? p.aborted : null,
        preferredReadReplica: -1,
        records: new RecordChunks(p.chunks, p.bytes),
      });
    }
    return { errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: [...topics.values()] as never };
  },
});
