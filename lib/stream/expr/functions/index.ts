/**
 * The function library: one registry, filled explicitly by each family. A name registered by two families
 * fails here, when streamlab loads, not silently at call time.
 */
import { FunctionRegistry } from "./registry";
import { registerMathFunctions } from "./math";
import { registerConditionalFunctions } from "./conditionals";
import { registerStringFunctions } from "./strings";
import { registerDatetimeFunctions } from "./datetime";
import { registerCollectionFunctions } from "./collections";
import { registerJsonFunctions } from "./json";
import { registerAggregateFunctions } from "./aggregates";
import { registerOrderedAggregates } from "./aggregates-ordered";
import { registerAvroProtobufFunctions } from "./avro-protobuf";
import { registerGeneratorFunctions } from "./generators";

export { FunctionRegistry } from "./registry";
export { windowType } from "./datetime";
export { parseInterval, parseCalendarInterval } from "./common";

export const functions = new FunctionRegistry();
registerMathFunctions(functions);
registerConditionalFunctions(functions);
registerStringFunctions(functions);
registerDatetimeFunctions(functions);
registerCollectionFunctions(functions);
registerJsonFunctions(functions);
registerAggregateFunctions(functions);
registerOrderedAggregates(functions);
registerAvroProtobufFunctions(functions);
registerGeneratorFunctions(functions);
