/** head [-n N] [file...]: the first N (10) lines. */
import { eachInput, lines, out } from "./_io.ts";

/** Run head on `Deno.args`. */
export async function main(): Promise<number> {
  let n = 10;
  const files: string[] = [];
  for (let i = 0; i < Deno.args.length; i++) {
    const a = Deno.args[i]!;
    if (a === "-n") n = Number(Deno.args[++i]);
    else if (/^-\d+$/.test(a)) n = Number(a.slice(1));
    else files.push(a);
  }
  const failed = await eachInput("head", files, async (text) => {
    const l = lines(text).slice(0, n);
    if (l.length) await out(l.join("\n") + "\n");
  });
  return failed;
}
