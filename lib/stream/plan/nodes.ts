/** The logical plan: data, built by DataFrame methods, analysed as it is built, compiled when a query starts. */
import type { BExpr } from "../expr/bound";
import type { AggDef } from "../expr/bound";
import type { StructType } from "../types";
import type { SourceProvider } from "../sources/types";

export interface StaticData {
  /** Column-major values in the internal representation. */
  columns: unknown[][];
  numRows: number;
}

export interface AggSlot {
  fn: string;
  def: AggDef;
  /** The argument; null for count(*). */
  arg: BExpr | null;
  distinct: boolean;
}

export type TimeKey =
  | { kind: "window"; keyIndex: number; sizeMs: number; slideMs: number; startMs: number }
  | { kind: "session"; keyIndex: number; gapMs: number };

export type PlanNode =
  | { op: "source"; schema: StructType; streaming: true; provider: SourceProvider }
  | { op: "static"; schema: StructType; streaming: false; data: StaticData }
  | { op: "project"; child: PlanNode; exprs: BExpr[]; schema: StructType; streaming: boolean }
  | { op: "filter"; child: PlanNode; cond: BExpr; schema: StructType; streaming: boolean }
  | { op: "watermark"; child: PlanNode; column: number; delayMs: number; schema: StructType; streaming: boolean }
  | {
      op: "aggregate";
      child: PlanNode;
      /** Grouping keys over the child; a window/session_window key appears as its timestamp argument. */
      keys: BExpr[];
      keyNames: string[];
      timeKey: TimeKey | null;
      /** Index of a key that is a watermarked event-time column (or the window over one): drives eviction. */
      eventTimeKey: number | null;
      slots: AggSlot[];
      /** Final projection over [keys..., slot results...]. */
      post: BExpr[];
      schema: StructType;
      streaming: boolean;
    }
  /**
   * A generator (explode, posexplode, inline; outer or not) over column `input` of the child: each child row is
   * repeated once per element; the generated columns go at position `at` of the output, the child's other
   * columns (all but `input`, in order) around them.
   */
  | { op: "generate"; child: PlanNode; gen: "explode" | "posexplode" | "inline"; outer: boolean; input: number; at: number; width: number; schema: StructType; streaming: boolean }
  /** orderBy/sort: keys over the child (a stream only after an aggregation in complete mode, as Spark). */
  | { op: "sort"; child: PlanNode; keys: { expr: BExpr; desc: boolean; nullsFirst: boolean }[]; schema: StructType; streaming: boolean }
  /** limit(n): the first n rows (per result in complete mode; over the whole stream in append mode, with state). */
  | { op: "limit"; child: PlanNode; n: number; schema: StructType; streaming: boolean }
  | { op: "dedup"; child: PlanNode; keys: number[]; eventTime: number | null; schema: StructType; streaming: boolean }
  /** union/unionByName: inputs with the same column types (analysis inserts casts), rows of all of them. */
  | { op: "union"; inputs: PlanNode[]; schema: StructType; streaming: boolean }
  | {
      op: "join";
      child: PlanNode;
      right: PlanNode;
      leftKeys: number[];
      rightKeys: number[];
      how: "inner" | "left";
      /** Output: for each column, [side, index]. */
      output: ["l" | "r", number][];
      schema: StructType;
      streaming: boolean;
    }
  /** A join of two streams (plan/join.ts): the head of its chain, like a union; each input runs its own pipeline. */
  | StreamJoinNode
  /** groupByKey(fn) then transformWithState / flatMapGroupsWithState / mapGroupsWithState (plan/stateful.ts). */
  | GroupStateNode;

export type GroupStateTimeMode = "None" | "ProcessingTime" | "EventTime";

/** Arbitrary stateful processing: user code per key with state in the state store (exec/transform-with-state.ts). */
export interface GroupStateNode {
  op: "groupState";
  child: PlanNode;
  kind: "transformWithState" | "flatMapGroupsWithState" | "mapGroupsWithState";
  /** The grouping key of an input row (the row as an object of external values). */
  keyFn: (row: Record<string, unknown>) => unknown;
  /** The StatefulProcessor (transformWithState) or the function ((flat)mapGroupsWithState). */
  user: unknown;
  /** transformWithState's TimeMode; for (flat)mapGroupsWithState its GroupStateTimeout (NoTimeout: None). */
  timeMode: GroupStateTimeMode;
  /** The operator's own output mode (Spark's flatMapGroupsWithState / transformWithState outputMode argument). */
  outputMode: "append" | "update";
  /** transformWithState's initial state: a static plan and its grouping key. */
  initialState: { plan: PlanNode; keyFn: (row: Record<string, unknown>) => unknown } | null;
  schema: StructType;
  streaming: boolean;
}

export type StreamJoinHow = "inner" | "left" | "right" | "full" | "leftsemi";

/** A bound on the event-time difference leftTime - rightTime, from the join condition (Spark's StreamingJoinHelper). */
export interface JoinTimeBounds {
  /** Column indexes of the event times in the left and right input. */
  leftTime: number;
  rightTime: number;
  /** leftTime - rightTime >= lowerMs and <= upperMs (integers in ms; a strict bound is moved by 1 ms). */
  lowerMs: number;
  upperMs: number;
}

export interface StreamJoinNode {
  op: "streamJoin";
  inputs: [PlanNode, PlanNode];
  how: StreamJoinHow;
  leftKeys: number[];
  rightKeys: number[];
  /** Keys compared with <=> (null matches null); the others never match a null. */
  nullSafe: boolean[];
  /** The rest of the condition, over [left columns..., right columns...]; null when there is none. */
  cond: BExpr | null;
  /**
   * The parts of the condition on one side's columns only (same layout): a row failing its side's part can
   * never match, so it is not kept (and an outer side's row comes out with nulls at once, as Spark).
   */
  leftCond: BExpr | null;
  rightCond: BExpr | null;
  bounds: JoinTimeBounds | null;
  /** Index in the key tuple of a key that is a watermarked event time (state with key <= watermark is dropped). */
  timeKey: number | null;
  /** Output: each column from the left (l), the right (r), or the first non-null of both (full outer keys). */
  output: { l?: number; r?: number }[];
  schema: StructType;
  streaming: true;
}

/** Nodes from the source up to `root`, in execution order (joins' static sides excluded). */
export function linearize(root: PlanNode): PlanNode[] {
  const out: PlanNode[] = [];
  for (let n: PlanNode | undefined = root; n; n = "child" in n ? n.child : undefined) out.unshift(n);
  return out;
}

export function planSource(root: PlanNode): PlanNode {
  return linearize(root)[0];
}

/** Every node reading a stream into `root`: the chain and, through unions, each input's chain. */
export function streamNodes(root: PlanNode): PlanNode[] {
  const chain = linearize(root);
  const head = chain[0];
  return head.op === "union" || head.op === "streamJoin" ? [...head.inputs.flatMap(streamNodes), ...chain] : chain;
}

export function countStateful(root: PlanNode): { aggregates: number; dedups: number } {
  let aggregates = 0;
  let dedups = 0;
  for (const n of streamNodes(root)) {
    if (n.op === "aggregate") aggregates++;
    if (n.op === "dedup") dedups++;
  }
  return { aggregates, dedups };
}
