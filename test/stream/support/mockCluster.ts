/**
 * librdkafka's built-in mock cluster (from Debian's python3-confluent-kafka): a Kafka that streamlab did not
 * write. A Python process holds a Producer created with test.mock.num.brokers and prints the bootstrap address;
 * the cluster lives as long as the process, which exits when its stdin closes. The mock cluster has no
 * CreateTopics: topics are auto-created (4 partitions) by the first produce or metadata request.
 */
import { spawn, type ChildProcess } from "node:child_process";

const SCRIPT = `
import sys
from confluent_kafka import Producer
p = Producer({"test.mock.num.brokers": 1, "log_level": 0})
md = p.list_topics(timeout=10)
b = list(md.brokers.values())[0]
print("%s:%d" % (b.host, b.port), flush=True)
sys.stdin.read()
`;

export interface MockCluster {
  bootstrap: string;
  stop(): Promise<void>;
}

export function startMockCluster(): Promise<MockCluster> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn("/usr/bin/python3", ["-c", SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`mock cluster did not start: ${err}`)), 30_000);
    child.stderr!.on("data", (d) => (err += String(d)));
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes("\n")) reject(new Error(`mock cluster exited with ${code}: ${err}`));
    });
    child.stdout!.on("data", (d) => {
      out += String(d);
      if (!out.includes("\n")) return;
      clearTimeout(timer);
      resolve({
        bootstrap: out.split("\n")[0].trim(),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.stdin!.end();
            setTimeout(() => child.kill("SIGKILL"), 5000).unref();
          }),
      });
    });
  });
}
