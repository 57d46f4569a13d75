/** kafka-python 3.x (PyPI, the test venv) in the client matrix, with a SASL/SCRAM run against Apache Kafka. */
import * as path from "node:path";
import { clientMatrix, runProgram, securityEnv } from "./matrix";
import { venvPython } from "../support/venv";

const script = path.join(__dirname, "python", "client_check.py");
clientMatrix({
  client: "kafka-python",
  tools: ["venv-kafka-clients"],
  version: () => "3.x",
  session: (s) => runProgram(venvPython()!, [script, "kafka-python", s.bootstrap, s.topic, s.group, String(s.n)], securityEnv(s)),
  secured: [{ label: "SASL_PLAINTEXT SCRAM-SHA-512", protocol: "SASL_PLAINTEXT", mechanism: "SCRAM-SHA-512" }],
});
