/** grep [-v] [-i] [-c] pattern [file...]: lines matching a regular expression; exit 1 if none. */
import { eachInput, err, lines, out } from "./_io.ts";

/** Run grep on `Deno.args`. */
export async function main(): Promise<number> {
  const opts = Deno.args.filter((a) => /^-[vic]+$/.test(a)).join("");
  const rest = Deno.args.filter((a) => !/^-[vic]+$/.test(a));
  const pat = rest.shift();
  if (pat === undefined) {
    await err("grep", "usage: grep [-vic] pattern [file...]");
    return 2;
  }
  const re = new RegExp(pat, opts.includes("i") ? "i" : "");
  let count = 0;
  const failed = await eachInput("grep", rest, async (text, name) => {
    const hits = lines(text).filter((l) => re.test(l) !== opts.includes("v"));
    count += hits.length;
    if (opts.includes("c")) return;
    const pre = rest.length > 1 ? `${name}:` : "";
    if (hits.length) await out(hits.map((h) => pre + h).join("\n") + "\n");
  });
  if (failed) return failed;
  if (opts.includes("c")) await out(`${count}\n`);
  return count > 0 ? 0 : 1;
}
