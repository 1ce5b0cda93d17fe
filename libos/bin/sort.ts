/** sort [-r] [-n] [file...]: sort lines. */
import { eachInput, lines, out } from "./_io.ts";

/** Run sort on `Deno.args`. */
export async function main(): Promise<number> {
  const rev = Deno.args.includes("-r");
  const num = Deno.args.includes("-n");
  const all: string[] = [];
  const failed = await eachInput(
    "sort",
    Deno.args.filter((a) => !a.startsWith("-") || a === "-"),
    (text) => {
      all.push(...lines(text));
    },
  );
  if (failed) return failed;
  all.sort(
    num ? (a, b) => parseFloat(a) - parseFloat(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
  if (rev) all.reverse();
  if (all.length) await out(all.join("\n") + "\n");
  return 0;
}
