/** `%datagen`: synthetic streams into topics, in the background, with a live progress display. */
import { registerMagic, MagicError, type MagicContext, type MagicSpec } from "../core";
import { Table, Message } from "../client";
import { DATAGEN_OPTIONS, generatorOptions, resolveDataset } from "./options";
import { listGenerators, startGenerator, stopGenerators } from "./generator";
import { listDatasets, requireDataset } from "./registry";

export function generatorsTable(): Table {
  const rows = listGenerators().map((g) => [g.name, g.dataset.name, g.topic, g.status, g.sent, Math.round(g.rate), g.errors, `${(g.elapsed / 1000).toFixed(1)} s`]);
  return new Table(["name", "dataset", "topic", "status", "sent", "msg/s", "errors", "elapsed"], rows, {
    title: "generators",
    numericColumns: ["sent", "msg/s", "errors", "elapsed"],
    note: rows.length ? "%datagen stop [TOPIC] stops them" : "none yet: %datagen DATASET --topic T starts one; %datagen datasets lists datasets",
  });
}

export function datasetsTable(): Table {
  const rows = listDatasets().map((d) => [d.name, d.keyField, d.eventTimeField, d.description]);
  return new Table(["dataset", "key", "event time", "description"], rows, { title: "datasets", note: "%datagen schema NAME prints a dataset's Spark DDL" });
}

async function runDatagen(ctx: MagicContext): Promise<unknown> {
  const [first, second] = ctx.args.positional;
  if (first === undefined || first === "list") return generatorsTable();
  if (first === "datasets") return datasetsTable();
  if (first === "schema") {
    if (!second) throw new MagicError("%datagen schema: name a dataset, e.g. %datagen schema orders");
    const ds = wrap(() => requireDataset(second));
    return new Table(["field", "type", "description"], ds.fields.map((f) => [f.name, f.type, f.description ?? ""]), {
      title: `${ds.name}: key ${ds.keyField || "(none)"}, event time ${ds.eventTimeField}`,
      note: `DDL: ${ds.schemaDDL}`,
    });
  }
  if (first === "stop") {
    const stopped = await stopGenerators(second);
    if (stopped.length === 0) return new Message(second ? `no running generator named or producing to '${second}'` : "no generator is running");
    return new Message(`stopped ${stopped.map((g) => `${g.name} (${g.sent.toLocaleString("en-US")} sent)`).join(", ")}`);
  }
  if (second !== undefined) throw new MagicError(`%datagen: unexpected argument '${second}'; usage: %datagen DATASET --topic T [--rate N] ...`);
  const dataset = wrap(() => resolveDataset(first, ctx.args.options.schema as string | undefined, ctx.scope));
  const options = wrap(() => generatorOptions(dataset, ctx.args.options));
  const gen = wrap(() => startGenerator(dataset, options));
  gen.display();
  return undefined;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof MagicError) throw err;
    throw new MagicError(`%datagen: ${(err as Error).message}`);
  }
}

const datagenMagic: MagicSpec = {
  name: "datagen",
  kind: "line",
  summary: "produce a synthetic dataset into a topic in the background (orders, iot, trades, ...)",
  usage: "%datagen DATASET [--topic T] [--rate N/s] [--count N | --duration 30s] [--keys N] [--seed S] [--late 0.05 --max-lateness 30s] [--bad 0.01] [--format json|csv|avro|protobuf|json-schema [--registry [URL]]] | %datagen | %datagen stop [T] | %datagen datasets | %datagen schema DATASET",
  help: [
    "Starts a background producer and shows its live progress (sent, rate, errors, elapsed).",
    "%datagen alone lists generators; %datagen stop [TOPIC] stops one or all; %datagen datasets lists datasets.",
    "Custom datasets: registerDataset({name, fields: {...}}) in a cell, or a schema object in a variable named DATASET, or --schema FILE.json.",
  ].join("\n"),
  options: DATAGEN_OPTIONS,
  positional: { min: 0, max: 2, names: ["DATASET"] },
  run: runDatagen,
};

let registered = false;

/** Register %datagen with lib/core's registry (once; later calls do nothing). */
export function registerDatagenMagics(): void {
  if (registered) return;
  registered = true;
  for (const spec of [datagenMagic]) registerMagic(spec);
}
