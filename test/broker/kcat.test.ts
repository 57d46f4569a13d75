/**
 * kcat (librdkafka) against the embedded broker: -L metadata, -P with every compression codec, -C reading
 * back byte for byte, and -G balanced consumers splitting a topic's partitions.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { canonicalMessages, checkExactlyOnceInOrder, run, waitFor, withBroker, type Consumed } from "./helpers";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

function parseConsumed(out: string): Consumed[] {
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const [p, o, k, ...rest] = l.split("\t");
      return { partition: Number(p), offset: Number(o), key: k, value: rest.join("\t") };
    });
}

describe.runIf(tool("kcat"))("kcat against the embedded broker", () => {
  it.each(CODECS)("produces and consumes 10,000 keyed messages with compression %s", async (codec) => {
    await withBroker(
      async (b) => {
        const messages = canonicalMessages(10_000, codec);
        const topic = `kcat-${codec}`;
        const input = messages.map((m) => `${m.key}\t${m.value}\n`).join("");
        const produced = await run("kcat", ["-P", "-b", b.bootstrap, "-t", topic, "-K", "\t", "-z", codec, "-X", "acks=all"], input);
        expect(produced.stderr).not.toMatch(/error|fail/i);
        expect(produced.code).toBe(0);
        const consumed = await run("kcat", ["-C", "-b", b.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%k\t%s\n"]);
        expect(consumed.code).toBe(0);
        const got = parseConsumed(consumed.stdout.toString("utf8"));
        checkExactlyOnceInOrder(messages, got);
        expect(new Set(got.map((g) => g.partition)).size).toBe(3);
      },
      { defaultPartitions: 3 },
    );
  });

  it("lists metadata with -L", async () => {
    await withBroker(async (b) => {
      await run("kcat", ["-P", "-b", b.bootstrap, "-t", "listed"], "one\n");
      const r = await run("kcat", ["-L", "-b", b.bootstrap, "-J"]);
      expect(r.code).toBe(0);
      const meta = JSON.parse(r.stdout.toString());
      expect(meta.brokers).toEqual([{ id: 0, name: b.bootstrap }]);
      const topic = meta.topics.find((t: { topic: string }) => t.topic === "listed");
      expect(topic.partitions.length).toBe(2);
      expect(topic.partitions[0].leader).toBe(0);
    }, { defaultPartitions: 2 });
  });

  it("balances a topic over two -G consumers that together read every message once", async () => {
    await withBroker(
      async (b) => {
        const topic = "kcat-group";
        // Create the topic (4 partitions, the default here) before the group subscribes.
        await run("kcat", ["-L", "-b", b.bootstrap, "-t", topic]);
        const outputs = ["", ""];
        const errors = ["", ""];
        const assigned = [0, 0];
        const children = [0, 1].map((i) => {
          const child = spawn("kcat", ["-u", "-b", b.bootstrap, "-G", "kcat-group", "-o", "beginning", "-f", "%p\t%o\t%k\t%s\n", "-X", "session.timeout.ms=10000", topic]);
          child.stdout.on("data", (d) => (outputs[i] += d));
          child.stderr.on("data", (d: Buffer) => {
            errors[i] += d;
            for (const line of d.toString().split("\n")) {
              const m = /rebalanced.*assigned: (.*)/.exec(line);
              if (m) assigned[i] = m[1].split(",").filter((s) => s.includes("[")).length;
              if (/rebalanced.*revoked/.test(line)) assigned[i] = 0;
            }
          });
          return child;
        });
        try {
          await waitFor("both kcat consumers to get two partitions each", () => assigned[0] === 2 && assigned[1] === 2);
          const messages = canonicalMessages(10_000, "group");
          const produced = await run("kcat", ["-P", "-b", b.bootstrap, "-t", topic, "-K", "\t"], messages.map((m) => `${m.key}\t${m.value}\n`).join(""));
          expect(produced.code).toBe(0);
          const count = () => outputs.reduce((s, o) => s + (o.match(/\n/g)?.length ?? 0), 0);
          await waitFor("every message to be consumed", () => count() >= messages.length).catch((err) => {
            throw new Error(`${err.message}: got ${count()}; kcat said: ${errors.join(" | ").slice(-1500)}`);
          });
          const parts = outputs.map((o) => parseConsumed(o));
          expect(parts[0].length).toBeGreaterThan(0);
          expect(parts[1].length).toBeGreaterThan(0);
          const p0 = new Set(parts[0].map((c) => c.partition));
          expect(parts[1].some((c) => p0.has(c.partition))).toBe(false);
          checkExactlyOnceInOrder(messages, [...parts[0], ...parts[1]]);
        } finally {
          for (const c of children) c.kill("SIGTERM");
          await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("close", r)))));
        }
      },
      { defaultPartitions: 4 },
    );
  });
});
