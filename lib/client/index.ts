/**
 * lib/client: streamlab's Kafka client (the kafkajs adapter), the notebook's current cluster, the embedded
 * broker process, and the %kafka, %%produce and %tail magics (`registerClientMagics()`). Re-exports only.
 */
export type * from "./types";
export { KafkaClient, connect, parseBootstrap } from "./kafkajs";
export { currentCluster, setCurrentCluster, setClusterProvider, peekCurrentCluster, type ClusterProvider } from "./current";
export { startEmbeddedBroker, stopEmbeddedBroker, findRunningBroker, readBrokerState, brokerStartedByThisProcess, streamlabHome, embeddedClusterProvider, type EmbeddedBrokerState } from "./embedded";
export { currentClient, topicsTable, embeddedTopicBytes } from "./cluster";
export { currentRegistry, peekRegistry, startEmbeddedRegistry, stopEmbeddedRegistry, findRunningRegistry, type RegistryTarget, type EmbeddedRegistryState } from "./registry";
export { registerClientMagics } from "./magics";
export { parseProduceBody, toProduceRecords, partitionForKey, murmur2 } from "./produce";
export { Tail, parseTailFrom, listTails, stopTails, prettyValue, type TailOptions, type TailRow } from "./tail";
export { Table, Message, tableBundle, htmlTable, textTable, escapeHtml, type TableOptions } from "./html";
