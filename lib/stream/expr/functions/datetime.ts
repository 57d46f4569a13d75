/** Date and time functions, and the window() and session_window() grouping keys. */
import { AnalysisError, castTo, metaOf, type BExpr } from "../bound";
import { type DataType, type StructType, StringType, IntegerType, LongType, TimestampType, DateType, IntervalType } from "../../types";
import { fail, need, toString, toDouble, toTimestamp, durationArg } from "./common";
import * as R from "../runtime";
import type { FunctionRegistry } from "./registry";

export function windowType(): StructType {
  return { kind: "struct", fields: [{ name: "start", type: TimestampType, nullable: true }, { name: "end", type: TimestampType, nullable: true }] };
}


export function registerDatetimeFunctions(r: FunctionRegistry): void {
  r.scalar(["current_timestamp", "now", "localtimestamp"], { args: [0, 0], nonStrict: true, resolve: () => ({ type: TimestampType }), gen: () => "ctx.now" });
  r.scalar("current_date", { args: [0, 0], nonStrict: true, resolve: () => ({ type: DateType }), gen: () => "Math.floor(ctx.now / 86400000)" });
  r.scalar("to_timestamp", {
    args: [1, 2],
    resolve: (args) => {
      if (args.length === 1) return { type: TimestampType, args: [args[0].type.kind === "string" ? args[0] : toTimestamp(args[0])] };
      return { type: TimestampType, args: [toString(args[0]), toString(args[1])] };
    },
    gen: (a, cg, call) => {
      if (a.length === 2) return `${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]})`;
      return call.args[0].type.kind === "string" ? `${cg.konst(R.parseTimestamp)}(${a[0]})` : a[0];
    },
  });
  r.scalar("to_date", {
    args: [1, 2],
    resolve: (args) => ({ type: DateType, args: args.length === 2 ? [toString(args[0]), toString(args[1])] : [toTimestamp(args[0])] }),
    gen: (a, cg) => (a.length === 2 ? `((t) => t === null ? null : Math.floor(t / 86400000))(${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]}))` : `Math.floor(${a[0]} / 86400000)`),
  });
  r.scalar("timestamp_seconds", { args: [1, 1], resolve: (args) => ({ type: TimestampType, args: [toDouble(args[0])] }), gen: (a) => `${a[0]} * 1000` });
  r.scalar("timestamp_millis", { args: [1, 1], resolve: (args) => ({ type: TimestampType, args: [toDouble(args[0])] }), gen: (a) => `${a[0]}` });
  r.scalar("unix_timestamp", {
    args: [0, 2],
    nonStrict: true,
    resolve: (args) => ({ type: LongType, args: args.length === 0 ? [] : args.length === 2 ? [toString(args[0]), toString(args[1])] : [toTimestamp(args[0])] }),
    gen: (a, cg) => {
      if (a.length === 0) return "Math.floor(ctx.now / 1000)";
      if (a.length === 2) return `((t) => t === null ? null : Math.floor(t / 1000))(${a[0]} == null ? null : ${cg.konst(R.parseWithPattern)}(${a[0]}, ${a[1]}))`;
      return `${a[0]} == null ? null : Math.floor(${a[0]} / 1000)`;
    },
  });
  r.scalar("unix_millis", { args: [1, 1], resolve: (args) => ({ type: LongType, args: [toTimestamp(args[0])] }), gen: (a) => `Math.floor(${a[0]})` });
  // Microseconds: a millisecond timestamp may carry a fraction (window_time's end minus one microsecond).
  r.scalar("unix_micros", { args: [1, 1], resolve: (args) => ({ type: LongType, args: [toTimestamp(args[0])] }), gen: (a) => `Math.round(${a[0]} * 1000)` });
  r.scalar("from_unixtime", {
    args: [1, 2],
    resolve: (args) => ({ type: StringType, args: [toDouble(args[0]), ...(args[1] ? [toString(args[1])] : [])] }),
    gen: (a, cg) => `${cg.konst(R.dateFormat)}(${a[0]} * 1000, ${a[1] ?? '"yyyy-MM-dd HH:mm:ss"'})`,
  });
  r.scalar("date_format", {
    args: [2, 2],
    resolve: (args) => ({ type: StringType, args: [toTimestamp(args[0]), toString(args[1])] }),
    gen: (a, cg) => `${cg.konst(R.dateFormat)}(${a[0]}, ${a[1]})`,
  });
  function datePart(names: string | string[], code: (d: string) => string) {
    r.scalar(names, {
      args: [1, 1],
      resolve: (args) => ({ type: IntegerType, args: [toTimestamp(args[0])] }),
      gen: (a) => code(`new Date(${a[0]})`),
    });
  }
  datePart("year", (d) => `${d}.getUTCFullYear()`);
  datePart("month", (d) => `${d}.getUTCMonth() + 1`);
  datePart(["dayofmonth", "day"], (d) => `${d}.getUTCDate()`);
  datePart("dayofweek", (d) => `${d}.getUTCDay() + 1`);
  datePart("hour", (d) => `${d}.getUTCHours()`);
  datePart("minute", (d) => `${d}.getUTCMinutes()`);
  datePart("second", (d) => `${d}.getUTCSeconds()`);
  datePart("quarter", (d) => `Math.floor(${d}.getUTCMonth() / 3) + 1`);
  // weekofyear: the ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), as Spark's.
  r.scalar("weekofyear", {
    args: [1, 1],
    resolve: (args) => ({ type: IntegerType, args: [toTimestamp(args[0])] }),
    gen: (a, cg) => `${cg.konst(isoWeek)}(${a[0]})`,
  });
  r.scalar("date_trunc", {
    args: [2, 2],
    resolve: (args) => ({ type: TimestampType, args: [toString(args[0]), toTimestamp(args[1])] }),
    gen: (a, cg) =>
      `${cg.konst((unit: string, t: number) => {
        const d = new Date(t);
        switch (unit.toLowerCase()) {
          case "year": case "yyyy": case "yy": return Date.UTC(d.getUTCFullYear(), 0, 1);
          case "month": case "mon": case "mm": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
          case "week": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
          case "day": case "dd": return t - (((t % 86_400_000) + 86_400_000) % 86_400_000);
          case "hour": return t - (((t % 3_600_000) + 3_600_000) % 3_600_000);
          case "minute": return t - (((t % 60_000) + 60_000) % 60_000);
          case "second": return t - (((t % 1000) + 1000) % 1000);
          default: return null;
        }
      })}(${a[0]}, ${a[1]})`,
  });
  r.scalar("date_add", { args: [2, 2], resolve: (args) => ({ type: DateType, args: [castTo(args[0], DateType), args[1]] }), gen: (a) => `${a[0]} + ${a[1]}` });
  r.scalar("date_sub", { args: [2, 2], resolve: (args) => ({ type: DateType, args: [castTo(args[0], DateType), args[1]] }), gen: (a) => `${a[0]} - ${a[1]}` });
  r.scalar("datediff", { args: [2, 2], resolve: (args) => ({ type: IntegerType, args: [castTo(args[0], DateType), castTo(args[1], DateType)] }), gen: (a) => `${a[0]} - ${a[1]}` });
  r.scalar("interval_ms", { args: [1, 1], resolve: () => ({ type: IntervalType }), gen: (a) => a[0] });

  /**
   * window_time(window): the event time of a window, its end minus one microsecond (Spark's window_time; a
   * millisecond timestamp here keeps the microsecond as a fraction), so it falls inside the window. A window
   * of a window (chained aggregations) is taken over it.
   */
  const windowTime = r.scalar("window_time", {
    args: [1, 1],
    resolve(args) {
      need("window_time", args[0], isWindowStruct, "a window column (struct<start: timestamp, end: timestamp>)");
      return { type: TimestampType };
    },
    gen: (a) => `(${a[0]}.end - 0.001)`,
  });
  /** window(ts, size[, slide[, start]]): a struct<start,end>. Sliding windows are expanded by the aggregation. */
  r.scalar("window", {
    args: [2, 4],
    resolve(args) {
      // A window column (the output of a windowed aggregation) is windowed by its window_time, as Spark's TimeWindowing.
      if (isWindowStruct(args[0].type)) args = [{ k: "call", fn: "window_time", def: windowTime, args: [args[0]], type: TimestampType }, ...args.slice(1)];
      // As Spark's TimeWindow (ImplicitCastInputTypes): a string or date time column is cast to a timestamp.
      need("window", args[0], (t) => t.kind === "timestamp" || t.kind === "date" || t.kind === "string", "a timestamp column");
      const sizeMs = signedDurationArg(args[1], "window", "the window duration")!;
      const slideMs = signedDurationArg(args[2], "window", "the slide duration") ?? sizeMs;
      // Spark's startTime may be negative ('-5 seconds'): the windows start that much before the epoch's grid.
      const startMs = signedDurationArg(args[3], "window", "the start offset") ?? 0;
      if (!(sizeMs > 0)) fail("window(): the window duration must be positive");
      if (!(slideMs > 0) || slideMs > sizeMs) fail("window(): the slide duration must be positive and at most the window duration");
      return { type: windowType(), args: [toTimestamp(args[0])], meta: { kind: "window", sizeMs, slideMs, startMs } };
    },
    gen(a, cg, call) {
      const { sizeMs, slideMs, startMs } = metaOf(call, "window")!;
      if (slideMs !== sizeMs) throw new AnalysisError("a sliding window() can only be used as a groupBy() key; use a tumbling window (no slide) in select");
      // floor((t - start) / size): exact for the fractional times of window_time() too, where % rounds.
      return `((s) => ({ start: s, end: s + ${sizeMs} }))(${startMs} + Math.floor((${a[0]} - ${startMs}) / ${sizeMs}) * ${sizeMs})`;
    },
  });
  /**
   * The sliding windows a time falls in, latest first (Spark's TimeWindowing expands a row into each): analysis
   * makes a sliding window() in a select this array, exploded by a Generate node. Internal (never written).
   */
  r.scalar("__window_list", {
    args: [1, 1],
    resolve(args) {
      return { type: { kind: "array", elementType: windowType() }, args: [toTimestamp(args[0])] };
    },
    gen(a, cg, call) {
      const { sizeMs, slideMs, startMs } = metaOf(call, "window")!;
      return `${cg.konst(windowList)}(${a[0]}, ${sizeMs}, ${slideMs}, ${startMs})`;
    },
  });
  r.scalar("session_window", {
    args: [2, 2],
    resolve(args) {
      need("session_window", args[0], (t) => t.kind === "timestamp" || t.kind === "date" || t.kind === "string", "a timestamp column");
      const gapMs = durationArg(args[1], "session_window", "the gap duration")!;
      if (!(gapMs > 0)) fail("session_window(): the gap duration must be positive");
      return { type: windowType(), args: [toTimestamp(args[0])], meta: { kind: "session_window", gapMs } };
    },
    gen() {
      throw new AnalysisError("session_window() can only be used as a groupBy() key");
    },
  });
}

/** struct<start: timestamp, end: timestamp>, what window() and session_window() make. */
function isWindowStruct(t: DataType): boolean {
  return t.kind === "struct" && t.fields.length === 2 && t.fields[0].name === "start" && t.fields[1].name === "end" && t.fields.every((f) => f.type.kind === "timestamp");
}

/**
 * A window() duration as Spark's TimeWindow reads it: a string that may carry a leading minus sign ("-5
 * seconds", for startTime), or an integer literal (from SQL) counted in microseconds.
 */
function signedDurationArg(a: BExpr | undefined, name: string, what: string): number | undefined {
  if (a?.k === "lit" && (typeof a.value === "number" || typeof a.value === "bigint")) {
    if (!Number.isInteger(Number(a.value))) fail(`${name}(): ${what} must be a duration such as "10 seconds" or an integer number of microseconds`);
    return Number(a.value) / 1000;
  }
  if (a?.k === "lit" && typeof a.value === "string" && /^\s*-/.test(a.value)) {
    const ms = durationArg({ ...a, value: a.value.replace(/^\s*-\s*/, "") }, name, what);
    return ms === undefined ? undefined : -ms;
  }
  return durationArg(a, name, what);
}

/** The windows of size `size` every `slide` (offset `start`) that contain `ts`: start <= ts < end, latest first. */
function windowList(ts: number, size: number, slide: number, start: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let ws = ts - (((ts - start) % slide) + slide) % slide; ws > ts - size; ws -= slide) out.push({ start: ws, end: ws + size });
  return out;
}

/** The ISO 8601 week number of a UTC time (ms). */
function isoWeek(t: number): number {
  const d = new Date(t);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  // The Thursday of this date's week decides the week's year.
  const thursday = day + (3 - ((d.getUTCDay() + 6) % 7)) * 86_400_000;
  const yearStart = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return Math.floor((thursday - yearStart) / (7 * 86_400_000)) + 1;
}
