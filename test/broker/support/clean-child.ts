/**
 * Child process of storage-compaction.test.ts: opens a partition log and cleans it, killing itself with
 * SIGKILL at the named step of the cleaner's file swap ("cleaned", "swap", "deleted", "done"), or finishing
 * ("none"). Usage: vite-node clean-child.ts DIR STEP
 */
import { PartitionLog } from "../../../lib/broker/log/partition-log";

const [dir, step] = process.argv.slice(2);
const log = new PartitionLog(dir, { retentionBytes: -1, retentionMs: -1, segmentBytes: 1024, cleanupPolicy: "compact" }, {
  onCleanStep: (s) => {
    if (s === step) process.kill(process.pid, "SIGKILL");
  },
});
const stats = log.clean(Date.now(), true);
log.close();
process.stdout.write(JSON.stringify(stats) + "\n");
