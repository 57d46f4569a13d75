/**
 * The HTML report of `streamlab run`: the notebook as a person sees it in Jupyter, in one self-contained file.
 * Charts show as their SVG rendering and tables as HTML; scripts are removed, nothing loads from the network.
 */
import * as path from "node:path";
import { joinSource, type Notebook, type NotebookOutput } from "./notebook";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Remove what could run code or reach the network in someone else's HTML: scripts, handlers, remote loads. */
export function sanitizeHtml(html: string): string {
  return html
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, "")
    .replace(/<script\b[^>]*\/?>/gi, "")
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "")
    .replace(/<(link|iframe|object|embed)\b[^>]*>/gi, "")
    .replace(/\s(src|href)\s*=\s*("|')\s*(https?:|javascript:)[^"']*\2/gi, "");
}

function inlineMarkdown(text: string): string {
  let s = escapeHtml(text);
  s = s.replace(/`([^`]+)`/g, "<code>$1</code>");
  s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, href: string) =>
    /^(https?:|#|\.{0,2}\/|[\w-]+\.(ipynb|md|html))/.test(href) ? `<a href="${href}">${label}</a>` : label,
  );
  return s;
}

/** A small Markdown subset (headings, paragraphs, lists, code blocks, quotes, inline code/emphasis/links). */
export function markdownToHtml(md: string): string {
  const out: string[] = [];
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  let paragraph: string[] = [];
  let list: { tag: "ul" | "ol"; items: string[] } | undefined;
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${inlineMarkdown(paragraph.join(" "))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inlineMarkdown(i)}</li>`).join("")}</${list.tag}>`);
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*```/.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const code: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      out.push(`<pre class="code">${escapeHtml(code.join("\n"))}</pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      out.push(`<h${heading[1].length}>${inlineMarkdown(heading[2])}</h${heading[1].length}>`);
    } else if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)![1]);
    } else if (/^>\s?/.test(line)) {
      flushParagraph();
      flushList();
      out.push(`<blockquote>${inlineMarkdown(line.replace(/^>\s?/, ""))}</blockquote>`);
    } else if (line.trim() === "") {
      flushParagraph();
      flushList();
    } else if (list && /^\s+\S/.test(line)) {
      list.items[list.items.length - 1] += " " + line.trim();
    } else {
      flushList();
      paragraph.push(line.trim());
    }
  }
  flushParagraph();
  flushList();
  return out.join("\n");
}

function text(value: unknown): string {
  if (Array.isArray(value)) return value.join("");
  return typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value);
}

/** The one rendering of an output a person would see. */
export function renderOutput(output: NotebookOutput): string {
  switch (output.output_type) {
    case "stream":
      return `<pre class="stream ${output.name ?? "stdout"}">${escapeHtml(text(output.text).replace(ANSI, ""))}</pre>`;
    case "error": {
      const tb = (output.traceback ?? []).map((l) => l.replace(ANSI, "")).join("\n") || `${output.ename}: ${output.evalue}`;
      return `<pre class="error">${escapeHtml(tb)}</pre>`;
    }
    default: {
      const data = output.data ?? {};
      const isChart = Object.keys(data).some((k) => k.startsWith("application/vnd.vegalite") || k.startsWith("application/vnd.vega."));
      if (data["image/svg+xml"] !== undefined && (isChart || data["text/html"] === undefined)) {
        return `<div class="svg">${sanitizeHtml(text(data["image/svg+xml"]))}</div>`;
      }
      if (data["text/html"] !== undefined) return `<div class="html">${sanitizeHtml(text(data["text/html"]))}</div>`;
      for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
        if (data[mime] !== undefined) return `<img alt="output" src="data:${mime};base64,${text(data[mime]).replace(/\s/g, "")}">`;
      }
      if (data["text/markdown"] !== undefined) return `<div class="markdown">${markdownToHtml(text(data["text/markdown"]))}</div>`;
      if (data["text/plain"] !== undefined) return `<pre class="plain">${escapeHtml(text(data["text/plain"]).replace(ANSI, ""))}</pre>`;
      return "";
    }
  }
}

const STYLE = `
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1b1b1b; }
header { border-bottom: 1px solid #ddd; margin-bottom: 1.5em; }
header .summary.ok { color: #1a7f37; } header .summary.failed { color: #b42318; }
.cell { margin: 1em 0; }
.input { display: flex; gap: .6em; }
.prompt { color: #888; font-family: monospace; min-width: 4.5em; text-align: right; padding-top: .5em; }
.input pre { flex: 1; background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 4px; padding: .5em .7em; overflow-x: auto; margin: 0; }
.outputs { margin-left: 5.1em; }
.outputs > * { margin: .4em 0; overflow-x: auto; }
pre { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; }
pre.stderr { background: #fff5f5; } pre.error { background: #fdecea; color: #8a1c1c; padding: .5em; border-left: 3px solid #b42318; }
.html table { border-collapse: collapse; font-size: 13px; } .html th, .html td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
.html th { background: #f3f3f3; } .html tr:nth-child(even) td { background: #fafafa; }
.markdown-cell h1, .markdown-cell h2 { border-bottom: 1px solid #eee; } code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
.failed-cell .input pre { border-color: #b42318; }
`;

export interface ReportSummary {
  notebook: string;
  failedCell?: number;
  failure?: string;
  startedAt: Date;
  seconds: number;
}

export function notebookToHtml(nb: Notebook, summary: ReportSummary): string {
  const parts: string[] = [];
  const title = path.basename(summary.notebook);
  const status = summary.failure
    ? `<p class="summary failed">Failed at cell ${summary.failedCell}: ${escapeHtml(summary.failure)}</p>`
    : `<p class="summary ok">All cells ran without errors.</p>`;
  parts.push(`<header><h1>${escapeHtml(title)}</h1><p>Executed by <code>streamlab run</code> on ${escapeHtml(summary.startedAt.toISOString())} in ${summary.seconds.toFixed(1)} s.</p>${status}</header>`);
  nb.cells.forEach((cell, index) => {
    const src = joinSource(cell.source);
    if (cell.cell_type === "markdown") {
      parts.push(`<section class="cell markdown-cell">${markdownToHtml(src)}</section>`);
      return;
    }
    if (cell.cell_type !== "code") {
      parts.push(`<section class="cell raw-cell"><pre>${escapeHtml(src)}</pre></section>`);
      return;
    }
    const count = cell.execution_count ?? " ";
    const failed = summary.failedCell === index + 1 ? " failed-cell" : "";
    const outputs = (cell.outputs ?? []).map(renderOutput).join("\n");
    parts.push(
      `<section class="cell code-cell${failed}" id="cell-${index + 1}"><div class="input"><div class="prompt">[${count}]:</div><pre>${escapeHtml(src)}</pre></div>` +
        `<div class="outputs">${outputs}</div></section>`,
    );
  });
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>\n${parts.join("\n")}\n</body></html>\n`;
}
