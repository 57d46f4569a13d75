/**
 * kcat (librdkafka's command-line client, Debian's) in the client matrix: produce N keyed lines, consume them
 * in a balanced consumer group (-G) that commits, then the committed offsets and the group listing through the
 * wire protocol (kcat has no admin commands: the topic is made by CreateTopics first).
 */
import { execFileSync } from "node:child_process";
import { clientMatrix, type ClientResult } from "./matrix";
import { run } from "../differential/runner";
import * as wire from "../differential/wire";

const VERSION = (() => {
  try {
    return /kcat - Apache Kafka producer and consumer tool[\s\S]*?Version ([^\s]+)/.exec(execFileSync("kcat", ["-V"], { encoding: "utf8" }))?.[1] ?? "?";
  } catch {
    return "?";
  }
})();

clientMatrix({
  client: "kcat",
  tools: ["kcat"],
  version: () => VERSION,
  session: async (s): Promise<ClientResult> => {
    const c = await wire.RawConnection.open(s.bootstrap);
    try {
      const err = await wire.createTopic(c, s.topic, 3, 1);
      if (err) throw new Error(`CreateTopics: ${err}`);
      for (let i = 0; i < 100; i++) {
        const md = await wire.metadata(c, [s.topic], false);
        if (md.topics[0].error === 0 && md.topics[0].partitions.length === 3 && (await Promise.all([0, 1, 2].map((p) => wire.listOffset(c, s.topic, p, -1)))).every((r) => r.error === 0)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const lines = Array.from({ length: s.n }, (_, i) => `k${i}:v${i}`).join("\n") + "\n";
      const p = await run("kcat", ["-P", "-b", s.bootstrap, "-t", s.topic, "-K:", "-X", "acks=all"], lines, 60_000);
      if (p.code !== 0) throw new Error(`kcat -P: ${p.stderr}`);
      const produced: Record<string, number> = {};
      for (const part of [0, 1, 2]) produced[String(part)] = (await wire.listOffset(c, s.topic, part, -1)).offset;
      const g = await run("kcat", ["-b", s.bootstrap, "-G", s.group, "-o", "beginning", "-c", String(s.n), "-q", "-f", "%k=%s\\n", "-X", "auto.commit.interval.ms=100", s.topic], undefined, 90_000);
      if (g.code !== 0) throw new Error(`kcat -G: ${g.stderr.slice(-500)}`);
      const got = g.stdout.trim().split("\n").filter(Boolean);
      for (const l of got) {
        const [k, v] = l.split("=");
        if (`v${k.slice(1)}` !== v) throw new Error(`key/value mismatch ${l}`);
      }
      const committed: Record<string, number> = {};
      for (const part of [0, 1, 2]) committed[String(part)] = (await wire.fetchOffset(c, s.group, s.topic, part)).offset;
      const lg = await c.call(wire.API.ListGroups, 1, () => {});
      lg.int32();
      lg.int16();
      const groups = lg.array((r) => [r.string(), r.string()])!.map((x) => x[0]);
      return { client: "kcat", version: VERSION, admin: null, produced, consumed: got.length, distinct: new Set(got).size, committed, groupListed: groups.includes(s.group), groupOffsetsTotal: Object.values(committed).reduce((a, b) => a + Math.max(0, b), 0) };
    } finally {
      c.close();
    }
  },
});
