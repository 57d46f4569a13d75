/**
 * %%pyspark: a cell of PySpark DataFrame code run on streamlab's engine. Names it binds become notebook
 * variables (and notebook DataFrames are visible to it). Outside the supported subset: one error line naming
 * the construct and its line (see interpreter.ts).
 */
import { registerMagic, MagicError } from "../core";
import { runPySpark, PySparkError } from "./interpreter";

export { runPySpark, parsePySpark, PySparkError } from "./interpreter";

registerMagic({
  name: "pyspark",
  kind: "cell",
  summary: "run PySpark DataFrame code (imports, SparkSession, readStream ... writeStream.start()) on streamlab's engine",
  usage: "%%pyspark [--bootstrap HOST:PORT]",
  help: "The cell body is PySpark: from pyspark.sql... imports, SparkSession.builder...getOrCreate(), method chains (backslash or\nparenthesised continuations), keyword arguments, StructType/StructField and the type constructors, col/from_json/window/...,\nwriteStream...start() and awaitTermination(). Names bound in the cell become notebook variables.\nNot in the subset: lambda, def, loops, comprehensions, Python UDFs (one error line names them).",
  options: [{ name: "bootstrap", type: "string", help: "use this cluster wherever the cell sets kafka.bootstrap.servers (the cell stays as written)" }],
  positional: { max: 0 },
  async run(ctx) {
    try {
      return await runPySpark(ctx.body ?? "", { scope: ctx.scope, bootstrap: ctx.args.options.bootstrap as string | undefined });
    } catch (err) {
      if (err instanceof PySparkError) throw new MagicError(`%%pyspark ${err.message}`);
      throw new MagicError(`%%pyspark: ${(err as Error).message.split("\n")[0]}`);
    }
  },
});
