/** wc [-l] [-w] [-c] [file...]: count lines, words and bytes. */
import { eachInput, out } from "./_io.ts";

/** Run wc on `Deno.args`. */
export async function main(): Promise<number> {
  const flags = Deno.args.filter((a) => /^-[lwc]+$/.test(a)).join("");
  const files = Deno.args.filter((a) => !/^-[lwc]+$/.test(a));
  const want = flags === "" ? "lwc" : flags;
  const fmt = (l: number, w: number, c: number, name: string) => {
    const cols: number[] = [];
    if (want.includes("l")) cols.push(l);
    if (want.includes("w")) cols.push(w);
    if (want.includes("c")) cols.push(c);
    const nums = cols.length === 1
      ? String(cols[0])
      : cols.map((n) => String(n).padStart(7)).join(" ");
    return name === "-" ? nums : `${nums} ${name}`;
  };
  const tot = [0, 0, 0];
  const failed = await eachInput("wc", files, async (text, name) => {
    const l = (text.match(/\n/g) ?? []).length;
    const w = text.split(/\s+/).filter((x) => x !== "").length;
    const c = new TextEncoder().encode(text).length;
    tot[0]! += l;
    tot[1]! += w;
    tot[2]! += c;
    await out(fmt(l, w, c, name) + "\n");
  });
  if (failed) return failed;
  if (files.length > 1) await out(fmt(tot[0]!, tot[1]!, tot[2]!, "total") + "\n");
  return 0;
}
