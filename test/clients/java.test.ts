/** The Java client (org.apache.kafka:kafka-clients 4.x, what Spark, Flink and Kafka Connect use) in the client matrix. */
import * as fs from "node:fs";
import * as path from "node:path";
import { clientMatrix, runProgram, securityEnv } from "./matrix";

const dir = path.join(__dirname, "java", "target");
clientMatrix({
  client: "java",
  tools: ["java-client"],
  version: () => /kafka-clients-([^/]+)\.jar/.exec(fs.existsSync(path.join(dir, "classpath.txt")) ? fs.readFileSync(path.join(dir, "classpath.txt"), "utf8") : "")?.[1] ?? "?",
  session: (s) => {
    const cp = [path.join(dir, "client-check-1.jar"), fs.readFileSync(path.join(dir, "classpath.txt"), "utf8").trim()].join(":");
    return runProgram("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp, "dev.streamlab.clients.ClientCheck", s.bootstrap, s.topic, s.group, String(s.n)], securityEnv(s));
  },
  secured: [
    { label: "SASL_SSL SCRAM-SHA-512", protocol: "SASL_SSL", mechanism: "SCRAM-SHA-512" },
    { label: "SASL_PLAINTEXT PLAIN", protocol: "SASL_PLAINTEXT", mechanism: "PLAIN" },
    { label: "SSL", protocol: "SSL" },
  ],
});
