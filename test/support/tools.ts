/**
 * External tools the tests drive (kcat, Jupyter, Chromium, Python clients). A missing tool skips its tests
 * loudly on a developer's machine; under CI=true it is a failure, because .ci/run must install everything.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { venvPython } from "./venv";
import { join } from "node:path";
import { sparkMissing } from "./spark";

const cache = new Map<string, boolean>();

function probe(name: string, check: () => void): boolean {
  if (!cache.has(name)) {
    let ok = true;
    try {
      check();
    } catch {
      ok = false;
    }
    cache.set(name, ok);
  }
  return cache.get(name)!;
}

const CHECKS: Record<string, () => void> = {
  kcat: () => execFileSync("kcat", ["-V"], { stdio: "ignore" }),
  jupyter: () => execFileSync("/usr/bin/jupyter", ["--version"], { stdio: "ignore" }),
  "jupyter-server": () => execFileSync("/usr/bin/python3", ["-c", "import jupyter_server"], { stdio: "ignore" }),
  nbconvert: () => execFileSync("/usr/bin/python3", ["-c", "import nbconvert, nbclient"], { stdio: "ignore" }),
  notebook: () => execFileSync("/usr/bin/python3", ["-c", "import notebook"], { stdio: "ignore" }),
  "jupyter-kernel-test": () => execFileSync("/usr/bin/python3", ["-c", "import jupyter_kernel_test"], { stdio: "ignore" }),
  "confluent-kafka": () => execFileSync("/usr/bin/python3", ["-c", "import confluent_kafka"], { stdio: "ignore" }),
  "kafka-python": () => execFileSync("/usr/bin/python3", ["-c", "import kafka"], { stdio: "ignore" }),
  pandas: () => execFileSync("/usr/bin/python3", ["-c", "import pandas"], { stdio: "ignore" }),
  // confluent-kafka 2.x with its schema-registry serializers, in the test venv (test/setup/requirements-registry.txt)
  "registry-python": () => execFileSync(venvPython() ?? "missing-venv-python", ["-c", "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema"], { stdio: "ignore" }),
  // Apache Kafka, the reference broker: its Maven classpath (test/setup/install.sh) and a JVM to run it.
  "kafka-reference": () => {
    if (!existsSync(join(__dirname, "..", "reference", "kafka", "target", "classpath.txt"))) throw new Error("no classpath");
    execFileSync("java", ["-version"], { stdio: "ignore" });
  },
  // The client-matrix programs that test/setup/install.sh builds (Maven, Go) and the venv's PyPI clients.
  // The schema registry's Java check (Kafka's Java client and Apache Avro, test/registry/java), built by install.sh.
  "registry-java": () => {
    if (!existsSync(join(__dirname, "..", "registry", "java", "target", "registry-check-1.jar"))) throw new Error("not built");
    execFileSync("java", ["-version"], { stdio: "ignore" });
  },
  "java-client": () => {
    if (!existsSync(join(__dirname, "..", "clients", "java", "target", "client-check-1.jar"))) throw new Error("not built");
  },
  "franz-go": () => {
    if (!existsSync(join(__dirname, "..", "clients", "go", "bin", "franz"))) throw new Error("not built");
  },
  sarama: () => {
    if (!existsSync(join(__dirname, "..", "clients", "go", "bin", "sarama"))) throw new Error("not built");
  },
  "venv-kafka-clients": () => execFileSync(join(__dirname, "..", "..", ".streamlab", "venv", "bin", "python"), ["-c", "import confluent_kafka, kafka"], { stdio: "ignore" }),
  // pyspark in the test venv, Java, and the Kafka connector's jars (test/reference/spark): test/support/spark.ts
  spark: () => {
    const missing = sparkMissing();
    if (missing) throw new Error(missing);
  },
  // JupyterLab 4 and Notebook 7 (with their nbconvert) live in the test venv (test/setup/requirements-jupyter.txt).
  "jupyterlab": () => venvCheck("import jupyterlab, nbconvert; assert jupyterlab.__version__.startswith('4.')"),
  "notebook7": () => venvCheck("import notebook; assert notebook.__version__.startswith('7.')"),
  chromium: () => {
    if (!existsSync("/usr/bin/chromium")) throw new Error("no chromium");
  },
};

function venvCheck(code: string): void {
  const py = venvPython();
  if (!py) throw new Error("no test venv (bash test/setup/install.sh builds it)");
  execFileSync(py, ["-c", code], { stdio: "ignore" });
}

/**
 * True when the tool is here. When it is not: under CI=true, throws (the test file fails, naming the tool);
 * elsewhere, prints one warning and returns false, for `describe.runIf(tool("kcat"))`.
 */
export function tool(name: keyof typeof CHECKS | string): boolean {
  const check = CHECKS[name];
  if (!check) throw new Error(`test/support/tools.ts does not know how to look for '${name}'`);
  if (probe(name, check)) return true;
  const message = `${name} is not installed: test/setup/install.sh (run by npm test and .ci/run) installs it; these tests need it`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}
