// du_report: a disk-usage report of a directory tree, by extension and by directory, printed with
// the console's formatting (tables, groups, counters, format strings, assertions).
// Usage: deno run --allow-read du_report.ts [--json] [DIR]
const args = Deno.args.filter((a) => !a.startsWith("--"));
const json = Deno.args.includes("--json");
const root = args[0] ?? ".";

interface Entry {
  path: string;
  size: number;
  ext: string;
}

const files: Entry[] = [];
const empty: string[] = [];

async function walk(dir: string): Promise<void> {
  const names: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e);
  names.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  if (names.length === 0) empty.push(dir);
  for (const e of names) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) await walk(path);
    else if (e.isFile) {
      const dot = e.name.lastIndexOf(".");
      const ext = dot > 0 ? e.name.slice(dot) : "(none)";
      files.push({ path, size: (await Deno.stat(path)).size, ext });
    } else if (e.isSymlink) {
      console.count("symlinks skipped");
    }
  }
}

try {
  await walk(root);
} catch (e) {
  if (e instanceof Deno.errors.NotFound) {
    console.error("du_report: %s: no such directory", root);
    Deno.exit(1);
  }
  throw e;
}

const byExt: Record<string, { files: number; bytes: number }> = {};
for (const f of files) {
  const row = byExt[f.ext] ??= { files: 0, bytes: 0 };
  row.files++;
  row.bytes += f.size;
}
const total = files.reduce((n, f) => n + f.size, 0);

if (json) {
  console.log("%j", { root, total, byExt });
  Deno.exit(0);
}

console.log("Disk usage of %s: %d bytes in %i files (%o)", root, total, files.length, {
  empty: empty.length,
});
console.group("By extension");
console.table(byExt);
console.table(
  Object.entries(byExt).map(([ext, r]) => ({
    ext,
    share: `${Math.round(100 * r.bytes / total)}%`,
  })),
  ["share"],
);
console.groupEnd();
console.group("Largest files");
for (const f of [...files].sort((a, b) => b.size - a.size).slice(0, 3)) {
  console.log("%s\t%d", f.path.slice(root.length + 1), f.size);
}
console.group("Details of the largest");
console.dir(files.length ? { ...files[0], tags: [[["deep"]]] } : null, { depth: 1 });
console.groupEnd();
console.groupEnd();
for (const dir of empty) console.warn("empty directory:", dir.slice(root.length) || "/");
for (const f of files) {
  if (f.size === 0) console.count("empty files");
}
console.assert(files.every((f) => f.size >= 0), "negative size");
console.assert(total < 1000, "%s holds %d bytes or more", root, 1000);
console.info(new Map(Object.entries(byExt).map(([k, v]) => [k, v.files])));
console.debug([1.5, -0, 10n, null, undefined, "quoted 'text'", Symbol("s")]);
