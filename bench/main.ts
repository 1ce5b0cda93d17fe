/**
 * `deno task bench`: runs every bench module in its own process, one after another (they spin
 * threads; running them together would measure the contention). Each prints its own table.
 */
const dir = new URL("./", import.meta.url);
const names = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
  .map((e) => e.name)
  .sort();
const only = Deno.args.filter((a) => !a.startsWith("-"));
let failed = 0;
for (const name of names) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  console.log(`\n=== bench/${name}`);
  const st = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-all", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!st.success) {
    failed++;
    console.log(`bench/${name} failed (exit ${st.code})`);
  }
}
Deno.exit(failed > 0 ? 1 : 0);
