/**
 * streamlab's public API: `import { spark, col, window, display } from "streamlab"`.
 * The kernel also puts these names in every notebook's scope, so cells need no import.
 */
export * from "./display";
export * from "./magics";
export * from "./client";
export { onShutdown } from "../kernel/lifecycle";
export * from "./broker";
export * from "./stream";
export * from "./datagen";
export * from "./render";
export * from "./pyspark";
