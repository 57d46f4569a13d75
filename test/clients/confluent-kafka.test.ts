/**
 * confluent-kafka (Python over librdkafka) in the client matrix: 2.x from PyPI (the test venv) and Debian's
 * python3-confluent-kafka 1.x, each against both brokers (one Apache Kafka per file: both versions share it).
 */
import * as path from "node:path";
import { clientMatrix, runProgram, securityEnv } from "./matrix";
import { venvPython } from "../support/venv";

const script = path.join(__dirname, "python", "client_check.py");
clientMatrix({
  client: "confluent-kafka",
  tools: ["venv-kafka-clients"],
  version: () => "2.x",
  session: (s) => runProgram(venvPython()!, [script, "confluent", s.bootstrap, s.topic, s.group, String(s.n)], securityEnv(s)),
  secured: [
    { label: "SASL_SSL SCRAM-SHA-256", protocol: "SASL_SSL", mechanism: "SCRAM-SHA-256" },
    { label: "SASL_PLAINTEXT PLAIN", protocol: "SASL_PLAINTEXT", mechanism: "PLAIN" },
  ],
});
