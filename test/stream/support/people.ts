import { spark } from "../../../lib/stream";

/** Three people with a null in each nullable column: the fixture of the expression tests. */
export const people = () =>
  spark.createDataFrame(
    [
      { name: "ann", age: 31, city: "Oslo", score: 1.5 },
      { name: "bob", age: null, city: "Rome", score: null },
      { name: "cid", age: 17, city: null, score: 3 },
    ],
    "name STRING, age INT, city STRING, score DOUBLE",
  );
