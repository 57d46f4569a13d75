/**
 * streamlab's streaming DataFrames: Spark Structured Streaming's model (plans, expressions, micro-batches,
 * watermarks, output modes, checkpoints) compiled to plain JS over columns.
 */
import "./sinks/memory";
import "./sinks/console";
import "./sinks/foreach";
import "./sinks/kafka";
import "./magics";
import "./export/pyspark";
import "./sql/magic";

export { spark, SparkSession, DataStreamReader, Catalog } from "./session";
export type { CatalogTable } from "./sql";
export { DataFrame, GroupedData } from "./plan/dataframe";
export { Column } from "./expr/ast";
export * from "./functions";
export { MemoryStream } from "./sources/memory";
export { registerSinkFormat, getSinkFormat, sinkFormats, type OutputBatch, type Sink, type SinkContext, type SinkFactory, type OutputMode } from "./sinks/registry";
export type { LateRow } from "./query/late-row";
export type { StreamingQuery, StreamingQueryProgress, StreamingQueryStatus, StateOperatorProgress, SourceProgress, StreamingQueryException } from "./query/types";
export { StreamingQueryManager } from "./query/manager";
export type { QueryStateView, StateOperatorView, StateEntryView, StateWindowView, StateHistoryView, StateStoreView, StateInspectOptions } from "./query/state-types";
export { DataStreamWriter, type TriggerSpec } from "./query/writer";
export { AnalysisError } from "./expr/bound";
export { ParseError } from "./expr/parser";
export { QueryExecutionError } from "./exec/operator";
export {
  parseDDL, parseDataType, toDDL, typeString, structType, field, arrayType, mapType,
  StringType, BinaryType, BooleanType, IntegerType, LongType, DoubleType, FloatType, TimestampType, DateType,
  type DataType, type StructType, type StructField,
} from "./types";
export { formatTable } from "./sinks/console";
export type { DanfoDataFrame } from "./danfo";
export { KeyValueGroupedDataset, type TransformWithStateOptions } from "./plan/stateful";
export { StatefulProcessor, StatefulProcessorHandle, TimeMode, type TimerValues, type ExpiredTimerInfo } from "./exec/transform-with-state";
export { GroupState, GroupStateTimeout } from "./exec/group-state";
export { ValueState, ListState, MapState, type TTLConfig } from "./state/handles";
export { ManualClock, setStreamClock, type Clock } from "./query/clock";
