/** cat [file...]: copy files (or stdin) to stdout, streaming. */
import { err } from "./_io.ts";

/** Run cat on `Deno.args`. */
export async function main(): Promise<number> {
  let failed = false;
  const files = Deno.args.length ? Deno.args : ["-"];
  for (const f of files) {
    try {
      const src = f === "-" ? Deno.stdin.readable : (await Deno.open(f)).readable;
      for await (const c of src) {
        let off = 0;
        while (off < c.length) off += await Deno.stdout.write(c.subarray(off));
      }
    } catch (e) {
      await err("cat", `${f}: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
