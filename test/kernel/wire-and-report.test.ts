import { describe, expect, it } from "vitest";
import { makeMessage, parseFrames, serialize, DELIMITER } from "../../kernel/wire";
import { markdownToHtml, renderOutput, sanitizeHtml } from "../../kernel/html";

const key = "secret-key";

function request(content: Record<string, unknown> = { code: "1" }) {
  const msg = makeMessage(undefined, "execute_request", content, { identities: [Buffer.from("client-1")], session: "s1" });
  return serialize(msg, key);
}

describe("Jupyter wire protocol", () => {
  it("round-trips a signed message with its routing identities", () => {
    const parsed = parseFrames(request({ code: "40 + 2" }), key);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.message.identities.map(String)).toEqual(["client-1"]);
    expect(parsed.message.header.msg_type).toBe("execute_request");
    expect(parsed.message.content).toEqual({ code: "40 + 2" });
    const reply = makeMessage(parsed.message, "execute_reply", { status: "ok" });
    expect(reply.parent.msg_id).toBe(parsed.message.header.msg_id);
    expect(reply.identities.map(String)).toEqual(["client-1"]);
  });

  it("rejects, without throwing, a bad signature, malformed JSON, a missing delimiter and truncated frames", () => {
    const frames = request();
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    const badSig = [...frames];
    badSig[at + 1] = Buffer.from("0".repeat(64));
    expect(parseFrames(badSig, key)).toEqual({ ok: false, reason: "bad HMAC signature" });
    expect(parseFrames(frames, "another-key")).toEqual({ ok: false, reason: "bad HMAC signature" });

    const broken = makeMessage(undefined, "execute_request", {});
    const brokenFrames = serialize(broken, "");
    brokenFrames[brokenFrames.findIndex((f) => f.equals(DELIMITER)) + 5] = Buffer.from("{oops");
    const malformed = parseFrames(brokenFrames, "");
    expect(malformed.ok).toBe(false);
    expect(!malformed.ok && malformed.reason).toMatch(/^malformed JSON in content/);

    expect(parseFrames(frames.filter((f) => !f.equals(DELIMITER)), key)).toEqual({ ok: false, reason: "missing <IDS|MSG> delimiter" });
    expect(parseFrames([DELIMITER], key).ok).toBe(false);
    expect(parseFrames([], key).ok).toBe(false);
    const noType = serialize({ ...makeMessage(undefined, "x", {}), header: { msg_id: "1" } as never }, key);
    expect(parseFrames(noType, key)).toEqual({ ok: false, reason: "header lacks msg_id or msg_type" });
  });

  it("survives thousands of random and mutated frame sets", () => {
    const good = request();
    let rng = 12345;
    const rand = (n: number) => {
      rng = (rng * 1103515245 + 12345) & 0x7fffffff;
      return rng % n;
    };
    for (let i = 0; i < 5000; i++) {
      const frames = good.map((f) => Buffer.from(f));
      const mutations = 1 + rand(3);
      for (let m = 0; m < mutations; m++) {
        const which = rand(frames.length);
        const kind = rand(4);
        if (kind === 0 && frames[which].length) frames[which][rand(frames[which].length)] = rand(256);
        else if (kind === 1) frames.splice(which, 1);
        else if (kind === 2) frames.splice(which, 0, Buffer.from(String.fromCharCode(rand(128)).repeat(rand(5))));
        else frames[which] = frames[which].subarray(0, rand(frames[which].length + 1));
      }
      expect(() => parseFrames(frames, i % 2 ? key : "")).not.toThrow();
    }
  });
});

describe("HTML report", () => {
  it("removes scripts, event handlers and remote loads from outputs", () => {
    const html = sanitizeHtml(
      `<div onclick="steal()">x</div><script src="https://cdn.example/vega.js"></script><script>alert(1)</script><img src="https://tracker.example/p.gif"><link rel="stylesheet" href="https://x">`,
    );
    expect(html).not.toMatch(/script|onclick|https:|<link/i);
    expect(html).toContain("<div>x</div>");
  });

  it("shows a chart as its SVG and a table as its HTML", () => {
    const chart = renderOutput({
      output_type: "display_data",
      data: { "application/vnd.vegalite.v5+json": {}, "text/html": "<div id=vis></div>", "image/svg+xml": "<svg><rect/></svg>", "text/plain": "chart" },
    });
    expect(chart).toBe('<div class="svg"><svg><rect/></svg></div>');
    const table = renderOutput({ output_type: "execute_result", data: { "text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "t" } });
    expect(table).toContain("<table>");
    expect(renderOutput({ output_type: "error", ename: "E", evalue: "v", traceback: ["\u001b[31mE: v\u001b[0m"] })).toBe('<pre class="error">E: v</pre>');
  });

  it("renders the Markdown of notebooks", () => {
    expect(markdownToHtml("# Title\n\nSome *emphasis*, `code` and **bold**.\n\n- one\n- two\n\n```ts\nconst x = 1 < 2;\n```")).toBe(
      [
        "<h1>Title</h1>",
        "<p>Some <em>emphasis</em>, <code>code</code> and <strong>bold</strong>.</p>",
        "<ul><li>one</li><li>two</li></ul>",
        '<pre class="code">const x = 1 &lt; 2;</pre>',
      ].join("\n"),
    );
  });
});
