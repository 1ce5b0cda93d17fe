// Example plugin: a markdown-ish text transformer (headings, emphasis, inline code, lists).
// It needs nothing from the host, so its manifest grants nothing.

const escape = (s: string): string =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function inline(s: string): string {
  return escape(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\*([^*]+)\*/g, "<em>$1</em>");
}

/** Render markdown-ish text to HTML. */
export function render(text: string): string {
  const out: string[] = [];
  let list = false;
  for (const line of text.split("\n")) {
    const item = /^[-*] (.*)$/.exec(line);
    if (list && !item) {
      out.push("</ul>");
      list = false;
    }
    const h = /^(#{1,6}) (.*)$/.exec(line);
    if (h) out.push(`<h${h[1]!.length}>${inline(h[2]!)}</h${h[1]!.length}>`);
    else if (item) {
      if (!list) out.push("<ul>");
      list = true;
      out.push(`<li>${inline(item[1]!)}</li>`);
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  if (list) out.push("</ul>");
  return out.join("\n");
}

/** Refuse input that is not text (to show how a plugin's error reaches the host). */
export function strict(text: unknown): string {
  if (typeof text !== "string") throw new TypeError(`expected text, got ${typeof text}`);
  return render(text);
}
