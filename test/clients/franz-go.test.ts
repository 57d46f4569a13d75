/** franz-go (Go) in the client matrix: the program in test/clients/go/cmd/franz, built by test/setup/install.sh. */
import * as path from "node:path";
import { clientMatrix, runProgram } from "./matrix";

clientMatrix({
  client: "franz-go",
  tools: ["franz-go"],
  version: () => "?",
  session: (s) => runProgram(path.join(__dirname, "go", "bin", "franz"), [s.bootstrap, s.topic, s.group, String(s.n)]),
});
