/**
 * `streamlab datagen DATASET --topic T --bootstrap HOST:PORT [--rate N] [--count N | --duration 30s] ...`:
 * the same generators as %datagen, from a shell. Progress goes to stderr once a second, the summary to stdout.
 */
import { parseMagicArgs, magicHelp, MagicError, type MagicSpec } from "../core";
import { connect, parseBootstrap } from "../client";
import { DATAGEN_OPTIONS, generatorOptions, resolveDataset } from "./options";
import { startGenerator } from "./generator";
import { listDatasets } from "./registry";

const CLI_SPEC: MagicSpec = {
  name: "datagen",
  kind: "line",
  summary: "produce a synthetic dataset into a Kafka topic",
  usage: "streamlab datagen DATASET --topic T --bootstrap HOST:PORT [--rate N] [--count N | --duration 30s] [--keys N] [--seed S] [--late 0.05] [--bad 0.01] [--format json|csv]",
  options: [
    { name: "bootstrap", alias: "b", type: "string", help: "Kafka bootstrap servers HOST:PORT[,HOST:PORT] (default $STREAMLAB_BOOTSTRAP or localhost:9092)" },
    ...DATAGEN_OPTIONS,
    { name: "quiet", alias: "q", type: "boolean", help: "no progress lines on stderr" },
    { name: "help", alias: "h", type: "boolean", help: "show this help" },
  ],
  positional: { min: 0, max: 1, names: ["DATASET"] },
  run: () => undefined,
};

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export async function main(argv: string[]): Promise<number> {
  const args = argv[0] === "datagen" ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseMagicArgs(CLI_SPEC, args.map(quote).join(" "));
  } catch (err) {
    process.stderr.write(`streamlab datagen: ${(err as Error).message.replace(/^%datagen: /, "").replace(/see %datagen\?/, "see streamlab datagen --help")}\n`);
    return 2;
  }
  const o = parsed.options;
  if (o.help || parsed.positional.length === 0) {
    const text = magicHelp(CLI_SPEC).replace(/^%datagen/, "streamlab datagen") + `\n\ndatasets: ${listDatasets().map((d) => d.name).join(", ")}\n`;
    (o.help ? process.stdout : process.stderr).write(text);
    return o.help ? 0 : 2;
  }
  try {
    const dataset = resolveDataset(parsed.positional[0], o.schema as string | undefined);
    const bootstrap = parseBootstrap((o.bootstrap as string | undefined) ?? process.env.STREAMLAB_BOOTSTRAP ?? "localhost:9092");
    const client = connect({ bootstrap, clientId: "streamlab-datagen" });
    const gen = startGenerator(dataset, { ...generatorOptions(dataset, o), client, register: false });
    const onSignal = () => void gen.stop();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let last = 0;
    if (!o.quiet) {
      gen.onProgress(() => {
        if (Date.now() - last < 1000 && gen.running) return;
        last = Date.now();
        if (gen.running) process.stderr.write(gen.summary() + "\n");
      });
    }
    await gen.done;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await client.close();
    process.stdout.write(`${gen.summary().replace(/ {2}\d+(\.\d)? msg\/s/, `  ${gen.averageRate.toFixed(0)} msg/s average`)}\n`);
    return gen.status === "failed" || gen.errors > 0 ? 1 : 0;
  } catch (err) {
    const message = err instanceof MagicError ? err.message : (err as Error).message;
    process.stderr.write(`streamlab datagen: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
