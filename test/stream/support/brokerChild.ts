/** The embedded broker in a process of its own, so a test can stop it and start it again on the same data dir. */
import { startBroker } from "../../../lib/broker";

const [port, dataDir] = process.argv.slice(2);
startBroker({ port: Number(port), dataDir }).then(
  (b) => process.stdout.write(`READY ${b.port}\n`),
  (err) => {
    process.stderr.write(`broker failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
