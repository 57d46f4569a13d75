/**
 * The architecture rules `npm run depcruise` checks (and `npm test` runs before vitest).
 * The room arrows are README.md's layout table: a room imports only lib/core and the rooms listed there.
 * test/architecture/rules.test.ts proves that a circle and a lib -> kernel import make these rules fail.
 */

/** room -> the other rooms it may import (besides itself). Keep in step with README's layout table. */
const ARROWS = {
  core: [],
  protocol: ["core"],
  broker: ["core", "protocol"],
  client: ["core", "protocol", "registry"],
  datagen: ["core", "client", "registry"],
  registry: ["core"],
  stream: ["core", "client", "datagen", "registry"],
  render: ["core", "stream", "datagen"],
  pyspark: ["core", "stream"],
};

const roomRules = Object.entries(ARROWS).map(([room, allowed]) => ({
  name: `room-${room}`,
  comment: `lib/${room} may import only ${allowed.length ? allowed.map((r) => `lib/${r}`).join(", ") : "itself (and Node built-ins)"} (README layout table)`,
  severity: "error",
  from: { path: `^lib/${room}/` },
  to: { path: "^(lib|kernel)/", pathNot: `^lib/(${[room, ...allowed].join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import circles: break them by moving code (an interface into its own file), not by lazy require",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-not-to-kernel",
      comment: "lib/ stands on its own: the kernel uses lib/, never the reverse (shared pieces live in lib/core)",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^kernel/" },
    },
    {
      name: "kernel-uses-core-or-index",
      comment: "kernel/ reaches lib/ through lib/core and the public lib/index.ts (the rest it loads at run time from dist/)",
      severity: "error",
      from: { path: "^kernel/" },
      to: { path: "^lib/", pathNot: "^lib/(core/|index\\.ts$)" },
    },
    ...roomRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules|out)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Dependencies by import/require/dynamic import, all of which count for the rules above.
    moduleSystems: ["cjs", "es6"],
  },
};
