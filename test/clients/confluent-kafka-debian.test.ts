/** Debian's python3-confluent-kafka (1.x, with Debian's librdkafka) in the client matrix. */
import * as path from "node:path";
import { clientMatrix, runProgram } from "./matrix";

const script = path.join(__dirname, "python", "client_check.py");
clientMatrix({
  client: "confluent-kafka-debian",
  tools: ["confluent-kafka"],
  version: () => "1.x",
  session: (s) => runProgram("/usr/bin/python3", [script, "confluent", s.bootstrap, s.topic, s.group, String(s.n)]),
});
