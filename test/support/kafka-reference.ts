/**
 * Apache Kafka 4.x as the reference broker of the differential and client tests (the launcher is in
 * kafka-launcher.ts; this file adds the vitest hooks): one Kafka per test file.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { startKafkaReference, type KafkaReference, type KafkaReferenceOptions } from "./kafka-launcher";

export * from "./kafka-launcher";

/**
 * One Apache Kafka for the whole test file: started in beforeAll, stopped in afterAll, its log kept under
 * test-output/kafka/ when any test of the file failed. Returns a getter (the broker exists after beforeAll).
 */
export function useKafkaReference(opts: KafkaReferenceOptions): () => KafkaReference {
  let ref: KafkaReference | undefined;
  beforeAll(async () => {
    ref = await startKafkaReference(opts);
  }, 180_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") ref?.markFailed();
  });
  afterAll(async () => {
    await ref?.stop();
  }, 60_000);
  return () => {
    if (!ref) throw new Error("Apache Kafka reference did not start (see beforeAll)");
    return ref;
  };
}
