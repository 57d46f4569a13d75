import { defineConfig } from "vitest/config";

// Tests talk to real brokers, real clients and a real Jupyter server: generous timeouts, no timing assertions.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: run two files at a time so servers and clients are not starved.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The JSON report feeds the one-line summary that .ci/run prints (test/support/summary.js).
    reporters: ["default", ["json", { outputFile: "test-output/vitest.json" }]],
  },
});
