/** The dataset registry: built-ins plus custom schemas registered from notebooks. */
import { BUILTIN_DATASETS, DATASET_ALIASES } from "./datasets";
import { defineDataset, toDDL, type SchemaSpec } from "./schema";
import type { Dataset, DatasetDefinition } from "./types";
import { didYouMean } from "../core";

const datasets = new Map<string, Dataset>();

function complete(def: DatasetDefinition, builtin: boolean): Dataset {
  return { ...def, schemaDDL: toDDL(def.fields), builtin };
}

for (const d of BUILTIN_DATASETS) datasets.set(d.name, complete(d, true));

/** A dataset by name or alias (`sensors` is `iot`), or undefined. */
export function getDataset(name: string): Dataset | undefined {
  const key = name.toLowerCase();
  return datasets.get(key) ?? datasets.get(DATASET_ALIASES[key] ?? "") ?? datasets.get(name);
}

export function listDatasets(): Dataset[] {
  return [...datasets.values()];
}

/** A dataset by name, or an error that lists the choices and the closest match. */
export function requireDataset(name: string): Dataset {
  const ds = getDataset(name);
  if (ds) return ds;
  const names = [...datasets.keys()];
  const hint = didYouMean(name, [...names, ...Object.keys(DATASET_ALIASES)]);
  throw new Error(`unknown dataset '${name}'${hint ? ` (did you mean '${DATASET_ALIASES[hint] ?? hint}'?)` : ""}; datasets are ${names.join(", ")}`);
}

/**
 * Register a custom dataset from a schema (TS object or parsed JSON) or a full definition. Returns it, with
 * its Spark DDL, so `%datagen NAME` and `%stream ... --schema NAME` can use it. Built-ins cannot be replaced.
 */
export function registerDataset(spec: SchemaSpec | DatasetDefinition): Dataset {
  const def = typeof (spec as DatasetDefinition).create === "function" ? (spec as DatasetDefinition) : defineDataset(spec as SchemaSpec);
  const existing = datasets.get(def.name);
  if (existing?.builtin) throw new Error(`'${def.name}' is a built-in dataset: give your schema another name`);
  const ds = complete(def, false);
  datasets.set(def.name, ds);
  return ds;
}
