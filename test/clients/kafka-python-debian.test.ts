/** Debian's python3-kafka (kafka-python 2.x) in the client matrix. */
import * as path from "node:path";
import { clientMatrix, runProgram } from "./matrix";

const script = path.join(__dirname, "python", "client_check.py");
clientMatrix({
  client: "kafka-python-debian",
  tools: ["kafka-python"],
  version: () => "2.x",
  session: (s) => runProgram("/usr/bin/python3", [script, "kafka-python", s.bootstrap, s.topic, s.group, String(s.n)]),
});
