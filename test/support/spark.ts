/**
 * Apache Spark as the reference engine: ONE long-lived PySpark driver per test file (local[2], no UI, two
 * shuffle partitions), driven over stdin/stdout JSON lines by test/support/spark_driver.py. The Kafka connector
 * jars come from test/reference/spark/target/classpath.txt (install.sh resolves them), on spark.jars: nothing
 * is downloaded when a test runs.
 *
 *   const spark = await startSpark();              // in beforeAll (JVM start-up takes a while)
 *   const r = await spark.query({ bootstrap, topic, code: "out = df.selectExpr('CAST(value AS STRING) v')" });
 *   r.batches  // [{ batchId, rows }]; r.schema.tree is printSchema's text
 *   await spark.stop();                            // in afterAll
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { venvPython } from "./venv";

export const REPO = join(__dirname, "..", "..");
export const CONNECTOR_CLASSPATH = join(REPO, "test", "reference", "spark", "target", "classpath.txt");

export interface SparkSchema {
  fields: { name: string; type: string; typeName: string }[];
  tree: string;
}
export interface SparkBatch {
  batchId: number;
  rows: Record<string, unknown>[];
}
export interface SparkQueryResult {
  batches: SparkBatch[];
  schema: SparkSchema;
}
export interface SparkQueryRequest {
  bootstrap: string;
  topic: string;
  /** Python binding `out` from `df` (the Kafka DataFrame); F, T, col, expr, lit, spark are in scope. */
  code: string;
  outputMode?: "append" | "update" | "complete";
  maxOffsetsPerTrigger?: number;
  startingOffsets?: string;
  options?: Record<string, string>;
}

/** Why Spark cannot run here, or undefined when it can (venv with pyspark, Java, the connector's classpath). */
export function sparkMissing(): string | undefined {
  const py = venvPython();
  if (!py) return "the test venv is missing: run bash test/setup/install.sh";
  try {
    execFileSync(py, ["-c", "import pyspark"], { stdio: "ignore" });
  } catch {
    return "pyspark is not installed in the test venv: run bash test/setup/install.sh (test/setup/requirements-spark.txt)";
  }
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
  } catch {
    return "java is not installed (Spark needs Java 17)";
  }
  if (!existsSync(CONNECTOR_CLASSPATH)) return `the Kafka connector's classpath ${CONNECTOR_CLASSPATH} is missing: run bash test/setup/install.sh`;
  return undefined;
}

export class SparkDriver {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private stderrTail: string[] = [];
  private exited: Error | null = null;
  version = "";

  constructor(private readonly child: ChildProcessWithoutNullStreams, ready: (v: Record<string, unknown>) => void, fail: (e: Error) => void) {
    this.pending.set(0, { resolve: ready, reject: fail });
    createInterface({ input: child.stdout }).on("line", (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(msg.id as number);
      if (!p) return;
      this.pending.delete(msg.id as number);
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(`Spark: ${msg.error}`));
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 60) this.stderrTail.shift();
      if (process.env.STREAMLAB_SPARK_VERBOSE) process.stderr.write(`[spark] ${line}\n`);
    });
    child.on("exit", (code) => {
      this.exited = new Error(`the PySpark driver exited (code ${code}); its last lines:\n${this.stderrTail.join("\n")}`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  private request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify({ ...body, id }) + "\n");
    });
  }

  /** Runs a streaming query to the end of the topic (availableNow) and returns its micro-batches and schema. */
  async query(req: SparkQueryRequest): Promise<SparkQueryResult> {
    const r = await this.request({ op: "query", ...req });
    return { batches: r.batches as SparkBatch[], schema: r.schema as SparkSchema };
  }

  /** Runs a Python file in the driver (getOrCreate() returns its session); returns a memory table's rows. */
  async script(path: string, opts: { env?: Record<string, string>; table?: string } = {}): Promise<{ rows?: Record<string, unknown>[]; schema?: SparkSchema }> {
    const r = await this.request({ op: "script", path, ...opts });
    return { rows: r.rows as Record<string, unknown>[] | undefined, schema: r.schema as SparkSchema | undefined };
  }

  /** The last lines Spark wrote on stderr (for failure messages). */
  logTail(): string {
    return this.stderrTail.join("\n");
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await done;
    clearTimeout(timer);
  }
}

/** Starts the driver and waits for its SparkSession (tens of seconds on a busy machine). */
export async function startSpark(): Promise<SparkDriver> {
  const missing = sparkMissing();
  if (missing) throw new Error(missing);
  const jars = readFileSync(CONNECTOR_CLASSPATH, "utf8").trim().split(":").filter(Boolean).join(",");
  const child = spawn(venvPython()!, [join(__dirname, "spark_driver.py")], {
    env: { ...process.env, TZ: "UTC", PYSPARK_PYTHON: venvPython()!, STREAMLAB_SPARK_JARS: jars, SPARK_LOCAL_IP: "127.0.0.1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let driver!: SparkDriver;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    driver = new SparkDriver(child, resolve, reject);
  });
  const r = await ready;
  driver.version = String(r.version);
  return driver;
}
