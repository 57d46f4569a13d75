/**
 * The registry in the magics, as a notebook uses them, over real TCP: `%kafka start` starts the embedded
 * broker and the embedded registry (two detached processes, as they run for a kernel); `%datagen --format
 * avro|protobuf --registry` writes framed values; `%tail` shows them decoded with their schema ids; `%stream
 * NAME = TOPIC` derives the DataFrame's schema from the topic's subject and a windowed query runs on it;
 * `%kafka connect ... --registry URL --registry-auth-env VAR` points the notebook at a registry that requires
 * basic auth (`streamlab registry --basic-auth-env` in a process of its own).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const home = mkdtempSync(path.join(tmpdir(), "streamlab-registry-home-"));
process.env.STREAMLAB_HOME = home;
// Never take 9092 or 8081 in tests: other test files and engineers share this machine.
process.env.STREAMLAB_BROKER_PORT = "0";
process.env.STREAMLAB_REGISTRY_PORT = "0";
delete process.env.STREAMLAB_BOOTSTRAP;
delete process.env.STREAMLAB_REGISTRY;

import { runMagic, runShutdownHooks, setDisplayBridge, MagicError, type DisplayBridge, type MagicContext, type MimeBundle } from "../../lib/core";
import { readBrokerState, processAlive } from "../../lib/client/embedded";
import { registerClientMagics, setCurrentCluster, type Tail } from "../../lib/client";
import { listGenerators, registerDatagenMagics, requireDataset, type Generator } from "../../lib/datagen";
import { RegistryClient } from "../../lib/registry";
import { spark, col, window, sum, count, type DataFrame, type StreamingQuery } from "../../lib/stream";

registerClientMagics();
registerDatagenMagics();

const root = path.resolve(__dirname, "../..");
const built = existsSync(path.join(root, "dist/lib/broker/cli.js")) && existsSync(path.join(root, "dist/lib/registry/cli.js"));

class Recorder implements DisplayBridge {
  printed: string[] = [];
  display(_bundle: MimeBundle) {}
  update() {}
  print(text: string) {
    this.printed.push(text);
  }
}
const recorder = new Recorder();
setDisplayBridge(recorder);

const scope: Record<string, unknown> = {};
async function magic(line: string): Promise<unknown> {
  const m = /^%%?(\w+)\s*(.*)$/s.exec(line.trim());
  if (!m) throw new Error(`not a magic: ${line}`);
  const ctx: Omit<MagicContext, "name" | "args"> = { display: recorder, scope, evaluate: async () => undefined };
  return runMagic(m[1], m[2], ctx);
}
const textOf = (v: unknown) => String((v as { toMimeBundle(): MimeBundle }).toMimeBundle()["text/plain"]);

async function generated(topic: string): Promise<Generator> {
  const gen = listGenerators().find((g) => g.topic === topic);
  if (!gen) throw new Error(`no generator for ${topic}`);
  await gen.done;
  return gen;
}

const queries: StreamingQuery[] = [];
async function collect(df: DataFrame, name: string): Promise<Record<string, unknown>[]> {
  const q = df.writeStream.format("memory").outputMode("complete").queryName(name).trigger({ availableNow: true }).start();
  queries.push(q);
  await q.awaitTermination();
  return spark.tableRows(name);
}

let authRegistry: ChildProcess | undefined;

afterAll(async () => {
  await Promise.all(queries.map((q) => q.stop().catch(() => undefined)));
  authRegistry?.kill("SIGTERM");
  setCurrentCluster(undefined);
  await magic("%kafka stop").catch(() => undefined);
  await runShutdownHooks();
  rmSync(home, { recursive: true, force: true });
});

describe.runIf(built)("the registry in the magics", () => {
  let registryUrl = "";
  let bootstrap = "";

  beforeAll(async () => {
    const msg = textOf(await magic("%kafka start --registry-port 0"));
    const m = /^started the embedded Kafka broker at (127\.0\.0\.1:\d+), schema registry at (http:\/\/127\.0\.0\.1:\d+) \(pid \d+/.exec(msg);
    if (!m) throw new Error(`unexpected %kafka start answer: ${msg}`);
    bootstrap = m[1];
    registryUrl = m[2];
  });

  it("%kafka start: the registry runs beside the broker in a process of its own, reused by a second start", async () => {
    const state = JSON.parse(readFileSync(path.join(home, "registry.json"), "utf8")) as { pid: number; url: string; bootstrap: string };
    expect(state).toMatchObject({ url: registryUrl, bootstrap });
    expect(processAlive(state.pid)).toBe(true);
    expect(state.pid).not.toBe(readBrokerState(home)!.pid);
    expect(await new RegistryClient(registryUrl).request("GET", "/subjects")).toEqual([]);
    const again = textOf(await magic("%kafka start"));
    expect(again).toBe(`the embedded broker is already running at ${bootstrap} (pid ${readBrokerState(home)!.pid}), schema registry at ${registryUrl}; using it`);
    expect(textOf(await magic("%kafka"))).toContain(`schema registry ${registryUrl}`);
  });

  it("%datagen --format avro --registry; %tail decodes with the schema id; %stream derives the schema; a windowed query", async () => {
    await magic("%datagen orders --topic mg_orders --count 150 --rate 0 --format avro --registry --seed 5 --partitions 1 --bad 0.05");
    const gen = await generated("mg_orders");
    expect(gen.status).toBe("finished");
    expect(gen.bad).toBeGreaterThan(0);
    const latest = await new RegistryClient(registryUrl).latest("mg_orders-value");
    expect(gen.registered).toMatchObject({ subject: "mg_orders-value", schemaId: latest.id, registry: registryUrl });

    const tail = (await magic("%tail mg_orders --from beginning --limit 150")) as Tail;
    expect(tail.rows).toHaveLength(150);
    const decoded = tail.rows.filter((r) => r.schemaId !== undefined && r.value.startsWith("{"));
    expect(decoded).toHaveLength(150 - gen.bad);
    for (const r of decoded) {
      expect(r.schemaId).toBe(latest.id);
      const v = JSON.parse(r.value) as { order_id: string; user_id: string; ts: number };
      expect(v.order_id).toMatch(/\S/);
      expect(v.user_id).toBe(r.key);
      expect(typeof v.ts).toBe("number");
    }
    const undecoded = tail.rows.filter((r) => !decoded.includes(r));
    // The unframed garbage (another producer's text) is shown as it is.
    expect(undecoded.filter((r) => r.schemaId === undefined).every((r) => !r.value.startsWith("("))).toBe(true);
    expect(undecoded.some((r) => /^\(cannot decode: .*Schema \d+ not found/.test(r.value))).toBe(true);
    expect(undecoded.some((r) => /^\(cannot decode: .*truncated Avro payload/.test(r.value))).toBe(true);
    expect(textOf(tail).split("\n").find((l) => l.includes("partition"))).toContain("schema id");

    await magic("%stream orders = mg_orders");
    const orders = scope.orders as DataFrame;
    expect(recorder.printed.at(-1)).toBe(`orders: streaming DataFrame from topic 'mg_orders' (Avro values, schema from subject mg_orders-value at ${registryUrl}) [${requireDataset("orders").fields.map((f) => f.name).join(", ")}]`);
    const types = Object.fromEntries(orders.schema.fields.map((f) => [f.name, f.type.kind]));
    expect(types).toMatchObject({ order_id: "string", quantity: "integer", amount: "double", ts: "timestamp" });

    // Bad values are rows of nulls (PERMISSIVE, as %stream's from_json): the windows count the good ones.
    const perWindow = await collect(orders.where("order_id IS NOT NULL").groupBy(window(col("ts"), "1 minute")).agg(count("*").alias("n"), sum("quantity").alias("q")), "mg_orders_windows");
    expect(perWindow.reduce((s, r) => s + Number(r.n), 0)).toBe(150 - gen.bad);
    const quantities = decoded.reduce((s, r) => s + (JSON.parse(r.value) as { quantity: number }).quantity, 0);
    expect(perWindow.reduce((s, r) => s + Number(r.q), 0)).toBe(quantities);
  });

  it("Protobuf: %stream gets nested structs and Timestamp as timestamp; values equal %tail's", async () => {
    await magic("%datagen rides --topic mg_rides --count 40 --rate 0 --format protobuf --registry --seed 9 --partitions 1");
    const gen = await generated("mg_rides");
    expect(gen.status).toBe("finished");
    await magic("%stream rides = mg_rides");
    const rides = scope.rides as DataFrame;
    expect(recorder.printed.at(-1)).toContain("(Protobuf values, schema from subject mg_rides-value");
    const pickup = rides.schema.fields.find((f) => f.name === "pickup")!;
    expect(pickup.type).toMatchObject({ kind: "struct", fields: [{ name: "lat", type: { kind: "double" } }, { name: "lon", type: { kind: "double" } }] });
    expect(rides.schema.fields.find((f) => f.name === "ts")!.type.kind).toBe("timestamp");
    const fromQuery = await collect(rides.groupBy("ride_id").agg(sum(col("pickup.lat")).alias("lat")), "mg_rides_lat");
    const tail = (await magic("%tail mg_rides --from beginning --limit 40")) as Tail;
    const fromTail = new Map<string, number>();
    for (const r of tail.rows) {
      const v = JSON.parse(r.value) as { ride_id: string; pickup: { lat: number } };
      fromTail.set(v.ride_id, (fromTail.get(v.ride_id) ?? 0) + v.pickup.lat);
    }
    expect(fromQuery).toHaveLength(fromTail.size);
    for (const r of fromQuery) expect(r.lat).toBeCloseTo(fromTail.get(r.ride_id as string)!, 9);
  });

  it("%kafka connect --registry URL --registry-auth-env VAR: basic auth from the environment, never shown", async () => {
    process.env.MG_REGISTRY_SERVER_AUTH = "alice:s3cret-pw";
    const ready = new Promise<string>((resolve, reject) => {
      authRegistry = spawn(process.execPath, ["-e", `require(${JSON.stringify(path.join(root, "dist/lib/registry/cli.js"))}).main(process.argv.slice(1)).then((c) => process.exit(c))`, "--", "--port", "0", "--bootstrap", bootstrap, "--topic", "_schemas_auth", "--basic-auth-env", "MG_REGISTRY_SERVER_AUTH"], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      authRegistry.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+) .*basic auth required/.exec(out);
        if (m) resolve(m[1]);
      });
      authRegistry.once("exit", (code) => reject(new Error(`registry exited ${code}: ${out}`)));
    });
    const url = await ready;

    await expect(magic(`%kafka connect ${bootstrap} --registry ${url} --registry-auth-env MG_UNSET_VAR`)).rejects.toThrow(/environment variable MG_UNSET_VAR is not set/);
    await expect(magic(`%kafka connect ${bootstrap} --registry-auth-env MG_UNSET_VAR`)).rejects.toThrow(/--registry-auth-env goes with --registry URL/);
    await expect(magic(`%kafka connect ${bootstrap} --registry localhost:8081`)).rejects.toThrow(/--registry must be the registry's URL, like http:\/\/host:8081/);
    process.env.MG_WRONG = "alice:wrong-pw";
    const refused = await magic(`%kafka connect ${bootstrap} --registry ${url} --registry-auth-env MG_WRONG`).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(MagicError);
    expect((refused as Error).message).toBe(`%kafka connect: the schema registry at ${url} does not answer (HTTP 401: the registry refused the credentials in --registry-auth-env); check --registry`);
    await expect(magic(`%kafka connect ${bootstrap} --registry ${url}`)).rejects.toThrow(/HTTP 401/);

    process.env.MG_REGISTRY_AUTH = "alice:s3cret-pw";
    const connected = textOf(await magic(`%kafka connect ${bootstrap} --registry ${url} --registry-auth-env MG_REGISTRY_AUTH`));
    expect(connected).toBe(`connected to ${bootstrap}: external cluster, schema registry ${url} (basic auth)`);
    expect(textOf(await magic("%kafka"))).not.toContain("s3cret");

    // The notebook's registry is now this one: datagen registers there, %tail and %stream read with the auth.
    await magic("%datagen iot --topic mg_auth --count 30 --rate 0 --format avro --registry --seed 2 --partitions 1");
    const gen = await generated("mg_auth");
    expect(gen.status).toBe("finished");
    expect(gen.registered?.registry).toBe(url);
    const tail = (await magic("%tail mg_auth --from beginning --limit 30")) as Tail;
    expect(tail.rows.filter((r) => r.value.startsWith("{"))).toHaveLength(30);
    await magic("%stream iot = mg_auth");
    const perSensor = await collect((scope.iot as DataFrame).groupBy("sensor_id").agg(count("*").alias("n")), "mg_auth_sensors");
    expect(perSensor.reduce((s, r) => s + Number(r.n), 0)).toBe(30);
    for (const line of recorder.printed) expect(line).not.toContain("s3cret");
  });

  it("--format avro on a cluster connected without a registry fails the generator with what to do", async () => {
    await magic(`%kafka connect ${bootstrap}`);
    await magic("%datagen orders --topic mg_noreg --count 5 --rate 0 --format avro");
    const gen = await generated("mg_noreg");
    expect(gen.status).toBe("failed");
    expect(gen.lastError).toBe("no schema registry: give --registry URL, or %kafka connect ... --registry URL (%kafka start starts one beside the embedded broker)");
    await expect(magic("%datagen orders --topic mg_noreg --format csv --registry")).rejects.toThrow(/--registry goes with --format avro, protobuf or json-schema/);
  });

  it("%kafka stop stops the registry with the broker; %kafka start --no-registry starts none", async () => {
    setCurrentCluster(undefined);
    const state = JSON.parse(readFileSync(path.join(home, "registry.json"), "utf8")) as { pid: number };
    await magic("%kafka stop");
    expect(existsSync(path.join(home, "registry.json"))).toBe(false);
    expect(processAlive(state.pid)).toBe(false);
    const msg = textOf(await magic("%kafka start --no-registry"));
    expect(msg).toMatch(/^started the embedded Kafka broker at 127\.0\.0\.1:\d+ \(pid/);
    expect(existsSync(path.join(home, "registry.json"))).toBe(false);
  });
});
