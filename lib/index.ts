/**
 * streamlab's public API: `import { spark, col, window, display } from "streamlab"`.
 * The kernel also puts these names in every notebook's scope, so cells need no import.
 */
// lib/core's public part: the display protocol, the magic registry and its text helpers, shutdown hooks.
export * from "./core/display";
export * from "./core/magics";
export { didYouMean, editDistance, shellSplit } from "./core/text";
export { parseDuration } from "./core/duration";
export { onShutdown } from "./core/lifecycle";
export * from "./client";
export * from "./broker";
export * from "./stream";
export * from "./datagen";
export * from "./render";
export * from "./pyspark";
export { startRegistry, RegistryClient, Codec, frame, unframe, type RunningRegistry, type RegistryOptions } from "./registry";
import { registerClientMagics } from "./client";
import { registerDatagenMagics } from "./datagen";
import { registerRenderMagics } from "./render";

// The magics of every room, registered explicitly (lib/stream registers %stream when it loads).
registerClientMagics();
registerDatagenMagics();
registerRenderMagics();
