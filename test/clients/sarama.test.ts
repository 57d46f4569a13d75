/** Sarama (IBM/sarama, Go) in the client matrix: the program in test/clients/go/cmd/sarama, built by test/setup/install.sh. */
import * as path from "node:path";
import { clientMatrix, runProgram } from "./matrix";

clientMatrix({
  client: "sarama",
  tools: ["sarama"],
  version: () => "?",
  session: (s) => runProgram(path.join(__dirname, "go", "bin", "sarama"), [s.bootstrap, s.topic, s.group, String(s.n)]),
});
