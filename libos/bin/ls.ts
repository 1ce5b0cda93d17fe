/** ls [-a] [-l] [path...]: list directories. */
import { err, out } from "./_io.ts";

/** Run ls on `Deno.args`. */
export async function main(): Promise<number> {
  const all = Deno.args.some((a) => /^-\w*a/.test(a));
  const long = Deno.args.some((a) => /^-\w*l/.test(a));
  const paths = Deno.args.filter((a) => !a.startsWith("-"));
  let failed = false;
  for (const p of paths.length ? paths : ["."]) {
    try {
      const st = await Deno.stat(p);
      const names = st.isDirectory
        ? [...Deno.readDirSync(p)].map((e) => e.name).filter((n) => all || !n.startsWith("."))
          .sort()
        : [p];
      if (paths.length > 1) await out(`${p}:\n`);
      for (const n of names) {
        if (!long) {
          await out(n + "\n");
          continue;
        }
        const s = Deno.lstatSync(st.isDirectory ? `${p}/${n}` : n);
        const t = s.isDirectory ? "d" : s.isSymlink ? "l" : "-";
        await out(
          `${t}${((s.mode ?? 0) & 0o777).toString(8)} ${String(s.size).padStart(8)} ${n}\n`,
        );
      }
    } catch (e) {
      await err("ls", `${p}: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  return failed ? 2 : 0;
}
