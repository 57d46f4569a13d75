/**
 * lib/datagen: synthetic streams for teaching stream processing.
 *
 * - Datasets: `getDataset(name)`, `listDatasets()`, `registerDataset(schema)` (built-ins: users, products,
 *   orders, pageviews, clickstream, iot, trades, payments, rides, logs, ratings).
 * - Records: `new RecordStream(dataset, {seed, late, bad, format})` for deterministic messages.
 * - Background producers: `startGenerator(dataset, {topic, rate, count})`, `listGenerators()`, `stopGenerators()`.
 * - The `%datagen` magic: `registerDatagenMagics()` (lib/index.ts calls it).
 */
export { getDataset, listDatasets, registerDataset, requireDataset } from "./registry";
export { defineDataset, checkRecord, inferType, toDDL as fieldsToDDL, type SchemaSpec, type FieldSpec } from "./schema";
export { RecordStream, toCsvLine, type RecordStreamOptions, type GeneratedMessage, type DataFormat } from "./stream";
export { Generator, startGenerator, listGenerators, getGenerator, stopGenerators, type GeneratorOptions, type GeneratorInfo, type GeneratorStatus } from "./generator";
export { userId, userProfile, productId, product, PRODUCT_COUNT } from "./entities";
export { Random } from "./random";
export { generatorsTable, datasetsTable, registerDatagenMagics } from "./magics";
export type { Dataset, DatasetDefinition, FieldInfo, GenContext, RecordFactory } from "./types";
