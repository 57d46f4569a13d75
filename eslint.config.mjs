// ESLint 9 flat config: typescript-eslint's type-checked recommended rules over lib/ and kernel/.
// `npm run lint`; `npm test` runs it before vitest.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "out/**", "test/**", "bench/**", "bin/**", "notebooks/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  {
    files: ["lib/**/*.ts", "kernel/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  {
    // The columnar reader runs kafkajs's internal Cluster and Batch classes (kafkajs/src/*, plain JavaScript with
    // no types) in a worker thread: it loads them with require() by resolved path and handles them as `any` on
    // purpose. Everything it hands out is typed (RecordColumns, OffsetRange).
    files: ["lib/client/reader.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // The declarative Kafka codec walks message declarations generically: field values are `any` inside the
    // walker, and the request/response types handlers see are inferred from the declarations (typed there).
    files: ["lib/protocol/codec.ts", "lib/broker/protocol/api.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  {
    // Export to PySpark records DataFrame calls by wrapping the classes' methods at load time: it handles the
    // wrapped methods and their arguments untyped on purpose; the code it writes is checked on real Spark.
    files: ["lib/stream/export/pyspark.ts"],
    rules: {
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
