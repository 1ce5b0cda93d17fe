// ssg: a static-site generator. Renders every .md file under content/ to public/ (same tree),
// copies other files, and writes public/index.html linking every page.
// Usage: deno run --allow-read=. --allow-write=. ssg.ts [SRC] [OUT]
const src = Deno.args[0] ?? "content";
const out = Deno.args[1] ?? "public";

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function render(md: string): { title: string; html: string } {
  let title = "untitled";
  const blocks = md.split(/\n{2,}/).map((b) => b.trim()).filter((b) => b !== "");
  const html = blocks.map((b) => {
    const h = /^(#{1,6}) (.*)$/.exec(b);
    if (h) {
      if (h[1]!.length === 1 && title === "untitled") title = h[2]!;
      return `<h${h[1]!.length}>${escape(h[2]!)}</h${h[1]!.length}>`;
    }
    if (b.split("\n").every((l) => l.startsWith("- "))) {
      return `<ul>${b.split("\n").map((l) => `<li>${escape(l.slice(2))}</li>`).join("")}</ul>`;
    }
    return `<p>${escape(b).replace(/\n/g, " ")}</p>`;
  }).join("\n");
  return { title, html };
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

await Deno.remove(out, { recursive: true }).catch((e) => {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
});
const pages: { path: string; title: string }[] = [];
let copied = 0;
for await (const file of walk(src)) {
  const rel = file.slice(src.length + 1);
  const dest = `${out}/${rel}`.replace(/\.md$/, ".html");
  await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
  if (file.endsWith(".md")) {
    const { title, html } = render(await Deno.readTextFile(file));
    await Deno.writeTextFile(dest, `<!doctype html>\n<title>${escape(title)}</title>\n${html}\n`);
    pages.push({ path: dest.slice(out.length + 1), title });
  } else {
    await Deno.copyFile(file, dest);
    copied++;
  }
}
const index = pages.map((p) => `<li><a href="${p.path}">${escape(p.title)}</a></li>`).join("\n");
await Deno.writeTextFile(`${out}/index.html`, `<!doctype html>\n<ul>\n${index}\n</ul>\n`);
for (const p of pages) console.log(`page ${p.path} "${p.title}"`);
console.log(`${pages.length} pages, ${copied} files copied`);
