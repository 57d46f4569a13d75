/**
 * lib/core: the ground floor. Every room of lib/ and the kernel may import it; it imports nothing of streamlab.
 * See README.md in this folder.
 */
export * from "./errors";
export * from "./text";
export * from "./duration";
export * from "./table";
export * from "./batch";
export * from "./display";
export * from "./magics";
export * from "./lifecycle";
