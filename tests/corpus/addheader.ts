// addheader: checks that every source file under DIR starts with the license header, and with
// --fix adds it where it is missing. The header template and the defaults ship beside this
// module (assets/); a .addheader.json in the working directory overrides the defaults.
// Usage: deno run --allow-read --allow-write=. addheader.ts [--fix] DIR
import { join } from "node:path";

const fix = Deno.args.includes("--fix");
const dir = Deno.args.filter((a) => a !== "--fix")[0];
if (dir === undefined) {
  console.error("usage: addheader.ts [--fix] DIR");
  Deno.exit(2);
}

// The module's own files, found the three usual ways.
const template = await Deno.readTextFile(new URL("./assets/header.txt", import.meta.url));
const defaults = JSON.parse(
  Deno.readTextFileSync(join(import.meta.dirname!, "assets/defaults.json")),
);
const here = new URL(".", Deno.mainModule);
if (here.href !== new URL(".", import.meta.url).href) throw new Error("main module moved");

let config = defaults;
try {
  config = { ...defaults, ...JSON.parse(await Deno.readTextFile(".addheader.json")) };
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
const header = template.replace(/\{(\w+)\}/g, (_, k: string) => String(config[k] ?? `{${k}}`));

async function* sources(d: string): AsyncGenerator<string> {
  const names: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(d)) names.push(e);
  names.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of names) {
    const p = join(d, e.name);
    if (e.isDirectory) yield* sources(p);
    else if (config.extensions.some((x: string) => e.name.endsWith(x))) yield p;
  }
}

let missing = 0;
for await (const p of sources(dir)) {
  const text = await Deno.readTextFile(p);
  if (text.startsWith(header)) {
    console.log(`ok      ${p}`);
    continue;
  }
  missing++;
  if (fix) {
    await Deno.writeTextFile(p, header + "\n" + text);
    console.log(`fixed   ${p}`);
  } else {
    console.log(`missing ${p}`);
  }
}
console.log(`${missing} file(s) ${fix ? "fixed" : "without the header"}`);
if (missing > 0 && !fix) Deno.exit(1);
